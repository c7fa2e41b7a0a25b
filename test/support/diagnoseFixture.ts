/**
 * The offline diagnosis world of the probe/denials/explain/MCP tests: a manifests folder (payment-gateway, and
 * data-pipeline with no rules yet), a fake-Compute state file with the product's rules of payment-gateway, a foreign
 * deny rule (`security-block`, 192.0.2.0/24) and the logged baseline, and a DNS table beside it (the defaults plus
 * `blocked.example` → 192.0.2.10).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FirewallPolicyEngine } from '../../local/fakes/compute';
import { toApiRule } from '../../shared/adapters/compute';
import { DEFAULT_DNS_TABLE } from '../../shared/core/diagnose/dns';
import { compileProject } from '../../shared/core/firewall/compiler';
import { validateManifest } from '../../shared/core/manifest/validate';
import { DEFAULT_POLICY } from '../../shared/core/policy/defaults';
import { tempDir } from './tempDir';

export const PAYMENT_GATEWAY = `apiVersion: lowops.manifests.v1
kind: Project
metadata:
  name: payment-gateway
  environment: production
spec:
  allowedEgress:
    - "api.stripe.com"  # Payment processor API
    - "cdn.example.com"  # assets
    - "*.googleapis.com"  # Google Cloud APIs
`;

export const DATA_PIPELINE = `apiVersion: lowops.manifests.v1
kind: Project
metadata:
  name: data-pipeline
  environment: production
spec:
  allowedEgress:
    - "feeds.partner-data.com"  # partner feed
`;

/** Creates the world in a fresh temporary folder: `dir` (manifests), `state` (compute.json; dns.json beside it). */
export function diagnoseFixture(): { root: string; dir: string; state: string } {
  const root = tempDir('diagnose');
  const dir = join(root, 'manifests');
  mkdirSync(dir);
  writeFileSync(join(dir, 'payment-gateway.yaml'), PAYMENT_GATEWAY);
  writeFileSync(join(dir, 'data-pipeline.yaml'), DATA_PIPELINE);
  const m = validateManifest(PAYMENT_GATEWAY, { path: 'payment-gateway.yaml', policy: DEFAULT_POLICY });
  const rules = compileProject(m.project!, m.egress, {
    policy: DEFAULT_POLICY,
    generation: '3',
    // target mode subnets (the default): the project's subnet as the applier reads it
    workloads: {
      mode: 'subnets',
      subnets: [
        {
          name: 'payment-gateway-usc1',
          region: 'us-central1',
          network: 'shared-vpc',
          primary: '10.128.0.0/20',
          secondary: [],
          ipv6: ['fd20:a:b:1000::/64'],
        },
      ],
    },
  }).map((r, i) => toApiRule(r, 1000 + i));
  const deny = (priority: number, ruleName: string, range: string) => ({
    priority,
    action: 'deny',
    direction: 'EGRESS',
    description: `${ruleName} (not infrastream-egress)`,
    ruleName,
    enableLogging: true,
    match: { destIpRanges: [range], layer4Configs: [{ ipProtocol: 'all' }] },
  });
  const engine = new FirewallPolicyEngine();
  engine.createPolicy('host', 'egress', {
    rules: [
      deny(500, 'security-block', '192.0.2.0/24'),
      ...rules,
      deny(2147483010, 'egress-baseline-deny-all-v4', '0.0.0.0/0'),
      deny(2147483011, 'egress-baseline-deny-all-v6', '::/0'),
    ],
  });
  const state = join(root, 'compute.json');
  engine.save(state);
  // The host project's subnets (Compute `Subnetwork` fields), as the target mode reads them: payment-gateway's (the
  // ranges its rules above were compiled with), data-pipeline's, and one assigned to no project.
  const saved = JSON.parse(readFileSync(state, 'utf8')) as Record<string, unknown>;
  const subnet = (name: string, ipCidrRange: string) => ({
    project: 'host',
    name,
    region: 'https://www.googleapis.com/compute/v1/projects/host/regions/us-central1',
    network: 'https://www.googleapis.com/compute/v1/projects/host/global/networks/shared-vpc',
    ipCidrRange,
  });
  saved.subnetworks = [
    { ...subnet('payment-gateway-usc1', '10.128.0.0/20'), ipv6CidrRange: 'fd20:a:b:1000::/64' },
    subnet('data-pipeline-usc1', '10.130.0.0/20'),
    subnet('shared-spare', '10.200.0.0/24'),
  ];
  writeFileSync(state, JSON.stringify(saved, null, 2));
  writeFileSync(
    join(root, 'dns.json'),
    JSON.stringify({ version: 1, names: { ...DEFAULT_DNS_TABLE, 'blocked.example': { a: ['192.0.2.10'] } } }),
  );
  return { root, dir, state };
}
