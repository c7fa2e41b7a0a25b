/**
 * The default example subnets of the local stack (target mode `subnets`, docs/policy.md): the Shared VPC subnets the
 * network team would assign to each example project under the default naming template `{project}-*`, with GKE Pods
 * and Services secondary ranges where a project runs GKE and a dual-stack subnet with an internal IPv6 prefix for one
 * (`checkout` is the project of the local pipeline's own test). Another project needs its subnet first:
 * `curl -XPOST $FAKE/__fake/subnetworks -d '{"project":HOST,"subnetworks":[…]}'` (docs/fake-compute.md).
 */
import type { FakeSubnetwork } from './directory';
import type { FirewallPolicyEngine } from './engine';

/** The VPC network of the examples (the host project's Shared VPC). */
export const EXAMPLE_NETWORK = 'shared-vpc';

/** The example subnets of `hostProject`. */
export function exampleSubnetworks(hostProject: string): FakeSubnetwork[] {
  const network = `https://www.googleapis.com/compute/v1/projects/${hostProject}/global/networks/${EXAMPLE_NETWORK}`;
  const gke = (pods: string, services: string) => [
    { rangeName: 'pods', ipCidrRange: pods },
    { rangeName: 'services', ipCidrRange: services },
  ];
  return [
    {
      name: 'payment-gateway-usc1',
      region: 'us-central1',
      network,
      ipCidrRange: '10.10.0.0/24',
      secondaryIpRanges: gke('10.64.0.0/14', '10.68.0.0/20'),
    },
    {
      name: 'customer-portal-usc1',
      region: 'us-central1',
      network,
      ipCidrRange: '10.11.0.0/24',
      stackType: 'IPV4_IPV6',
      internalIpv6Prefix: 'fd20:a:b:1000::/64',
    },
    { name: 'data-pipeline-usc1', region: 'us-central1', network, ipCidrRange: '10.12.0.0/22' },
    { name: 'data-pipeline-euw1', region: 'europe-west1', network, ipCidrRange: '10.112.0.0/22' },
    {
      name: 'fraud-scoring-usc1',
      region: 'us-central1',
      network,
      ipCidrRange: '10.13.0.0/24',
      secondaryIpRanges: gke('10.72.0.0/14', '10.76.0.0/20'),
    },
    { name: 'internal-wiki-euw1', region: 'europe-west1', network, ipCidrRange: '10.14.0.0/26' },
    { name: 'legacy-reports-usc1', region: 'us-central1', network, ipCidrRange: '10.15.0.0/27' },
    { name: 'checkout-usc1', region: 'us-central1', network, ipCidrRange: '10.16.0.0/24' },
    // Not a project's: a shared subnet the template `{project}-*` must not give to anyone.
    { name: 'shared-proxy-only-usc1', region: 'us-central1', network, ipCidrRange: '10.129.0.0/23' },
  ];
}

/** Seeds the example subnets into the engine once (a state dir keeps what a developer changed since). */
export function seedExampleSubnetworks(engine: FirewallPolicyEngine, hostProject: string): void {
  if (Object.keys(engine.directory.aggregated(hostProject).items).length) return;
  engine.directory.putSubnetworks(hostProject, exampleSubnetworks(hostProject));
  engine.persist();
}
