/**
 * The bench projects' Shared VPC subnets under target mode subnets (the default policy): one IPv4 /24 per project,
 * named `<project>-usc1` as the default naming template expects, its primary range the rules' one source. One place
 * for the compile-time shape (capacity, plan) and the fake Compute directory's shape (the applier's read).
 */
import type { FakeSubnetwork } from '../local/fakes/compute';

const NETWORK = 'shared-vpc';

/** The primary range of the i-th bench project's subnet (10.x.y.0/24, up to 65,536 projects). */
function rangeOf(i: number): string {
  return `10.${(i >> 8) & 255}.${i & 255}.0/24`;
}

/** The workloads `compileProject` takes for project `name`, the i-th of its fleet. */
export function benchWorkloads(name: string, i: number) {
  return {
    mode: 'subnets' as const,
    subnets: [
      { name: `${name}-usc1`, region: 'us-central1', network: NETWORK, primary: rangeOf(i), secondary: [], ipv6: [] },
    ],
  };
}

/** The same subnet as the fake Compute directory serves it to the applier (`directory.putSubnetworks(host, …)`). */
export function benchSubnetwork(host: string, name: string, i: number): FakeSubnetwork {
  return {
    name: `${name}-usc1`,
    region: 'us-central1',
    network: `https://www.googleapis.com/compute/v1/projects/${host}/global/networks/${NETWORK}`,
    ipCidrRange: rangeOf(i),
  };
}
