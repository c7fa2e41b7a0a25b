/**
 * Builds the `state.json` of each golden case: a fake-Compute engine state (version 1) holding the host project's
 * policy with Google's default rules plus the case's seed rules. Re-run after an intentional change of the engine's
 * state format or of the compiler:  node -r ./local/registerTs.js test/golden/buildStates.ts
 */
import { join } from 'node:path';
import { type FakeSubnetwork, FirewallPolicyEngine, type FirewallPolicyRule } from '../../local/fakes/compute';
import { toSubnetRanges } from '../../shared/adapters/subnets';
import { compileProject } from '../../shared/core/firewall';
import { assignedSubnets } from '../../shared/core/firewall/workloads';
import type { DesiredRule } from '../../shared/core/firewall/types';
import type { EgressEntry, ProjectMeta } from '../../shared/core/manifest/types';
import { DEFAULT_POLICY } from '../../shared/core/policy';
import type { PlatformPolicy } from '../../shared/core/policy/types';

/** Host project and policy of every golden state. */
export const GOLDEN_HOST = 'net-host-prod';
export const GOLDEN_POLICY = 'egress-policy';

/** The host project's subnets (target mode subnets, the default): GKE ranges and IPv6 for payment-gateway. */
const NETWORK = `https://www.googleapis.com/compute/v1/projects/${GOLDEN_HOST}/global/networks/shared-vpc`;
export const GOLDEN_SUBNETS: FakeSubnetwork[] = [
  {
    name: 'payment-gateway-usc1',
    region: 'us-central1',
    network: NETWORK,
    ipCidrRange: '10.10.0.0/24',
    secondaryIpRanges: [
      { rangeName: 'pods', ipCidrRange: '10.64.0.0/14' },
      { rangeName: 'services', ipCidrRange: '10.68.0.0/20' },
    ],
    stackType: 'IPV4_IPV6',
    internalIpv6Prefix: 'fd20:a:b:1000::/64',
  },
  { name: 'ledger-usc1', region: 'us-central1', network: NETWORK, ipCidrRange: '10.20.0.0/24' },
  { name: 'billing-euw1', region: 'europe-west1', network: NETWORK, ipCidrRange: '10.30.0.0/24' },
];

const pg: ProjectMeta = { name: 'payment-gateway', environment: 'production' };
const pgEntries: EgressEntry[] = [
  { value: 'api.stripe.com', type: 'hostname', description: 'Payment processor API' },
  { value: 'hooks.slack.com', type: 'hostname', description: 'Notification webhooks' },
  { value: 'smtp.sendgrid.net', type: 'hostname', description: 'Email service' },
  { value: '*.googleapis.com', type: 'wildcard', description: 'Google Cloud APIs' },
];

const denyAll: FirewallPolicyRule = {
  priority: 2000000001,
  ruleName: 'deny-all-egress',
  description: 'zero-trust baseline (terraform)',
  direction: 'EGRESS',
  action: 'deny',
  enableLogging: true,
  match: { destIpRanges: ['0.0.0.0/0'], layer4Configs: [{ ipProtocol: 'all' }] },
};

/** Compiles and places rules at consecutive priorities from `from`. */
function placed(
  project: ProjectMeta,
  entries: EgressEntry[],
  generation: string,
  from: number,
  policy: PlatformPolicy = DEFAULT_POLICY,
): FirewallPolicyRule[] {
  const target = policy.firewall.target;
  const workloads =
    target.mode === 'subnets'
      ? {
          mode: 'subnets' as const,
          subnets: assignedSubnets(target, project.name, GOLDEN_SUBNETS.map((s) => toSubnetRanges(s))),
        }
      : undefined;
  return compileProject(project, entries, { policy, generation, ...(workloads ? { workloads } : {}) }).map(
    // `coverage` is the compiler's words for plans, never part of a stored rule.
    ({ coverage: _, ...r }: DesiredRule, i) => ({ ...r, priority: from + i }),
  );
}

/** Seed rules per case. */
export const CASES: Record<string, FirewallPolicyRule[]> = {
  create: [denyAll],
  update: [
    denyAll,
    ...placed(
      pg,
      [
        pgEntries[0]!,
        { value: 'legacy-hooks.example.net', type: 'hostname', description: 'Old webhook relay' },
        pgEntries[2]!,
        pgEntries[3]!,
        { value: '34.117.59.0/24', type: 'cidr', description: 'Legacy partner API' },
      ],
      '1700000000000001',
      48213,
    ),
  ],
  delete: [
    denyAll,
    // Written when the platform allowed 2 FQDNs per rule: the third host sits in fqdn-2, which is no longer needed.
    ...placed(pg, pgEntries, '1700000000000007', 48213, {
      ...DEFAULT_POLICY,
      firewall: { ...DEFAULT_POLICY.firewall, maxFqdnsPerRule: 2 },
    }),
    ...placed(
      { name: 'ledger', environment: 'production' },
      [
        { value: 'api.xero.com', type: 'hostname', description: 'Accounting sync' },
        { value: '52.95.110.0/24', type: 'cidr' },
      ],
      '1700000000000003',
      90117,
    ),
  ],
  'no-op': [denyAll, ...placed(pg, pgEntries, '1700000000000042', 48213)],
  foreign: [
    denyAll,
    // Hand-written by the network team with one of our rule names but no marker: never ours.
    {
      priority: 900,
      ruleName: 'egress-payment-gateway-fqdn-1',
      description: 'temporary access for the PCI audit, ticket NET-4411',
      direction: 'EGRESS',
      action: 'allow',
      match: { destFqdns: ['audit.example.com'], layer4Configs: [{ ipProtocol: 'tcp', ports: ['443'] }] },
      targetServiceAccounts: ['workload@payment-gateway.iam.gserviceaccount.com'],
    },
    // Another tool's marker for the same project: not ours either.
    {
      priority: 901,
      ruleName: 'egress-payment-gateway-v4-1',
      description: 'managed-by=other-tool project=payment-gateway generation=5 hash=abcdef0123456789',
      direction: 'EGRESS',
      action: 'allow',
      match: { destIpRanges: ['203.0.113.0/24'], layer4Configs: [{ ipProtocol: 'all' }] },
    },
    // Our marker, but a project that is not among the planned manifests: not part of this plan.
    ...placed(
      { name: 'billing', environment: 'production' },
      [{ value: 'api.adyen.com', type: 'hostname', description: 'Card acquiring' }],
      '1700000000000009',
      70001,
    ),
  ],
};

/** Writes every case's state.json next to its manifests. */
export function buildStates(root: string = __dirname): void {
  for (const [name, rules] of Object.entries(CASES)) {
    const engine = new FirewallPolicyEngine({
      clock: { now: () => Date.UTC(2026, 0, 1), sleep: async () => undefined },
    });
    engine.createPolicy(GOLDEN_HOST, GOLDEN_POLICY, { rules });
    engine.directory.putSubnetworks(GOLDEN_HOST, GOLDEN_SUBNETS);
    engine.save(join(root, name, 'state.json'));
  }
}

if (require.main === module) buildStates();
