/**
 * explain over the network model evaluates from an address of the project of the destination's family, as probe
 * does (core/network/source.ts): a listed IPv6 address of a dual-stack project is allowed by its IPv6-sourced rule.
 */
import { explain } from '../../../shared/core/explain';
import { compileProject } from '../../../shared/core/firewall/compiler';
import type { SubnetRanges } from '../../../shared/core/firewall/workloads';
import { validateManifest } from '../../../shared/core/manifest';
import { DEFAULT_POLICY } from '../../../shared/core/policy';
import { withNetworkTiers } from '../../../shared/usecases/explain';
import { testModel } from '../network/fixtures';
import { DENY_ALL, DENY_ALL_V6 } from './explainFixtures';

const TEXT = `apiVersion: lowops.manifests.v1
kind: Project
metadata:
  name: ledger-7
  environment: production
spec:
  allowedEgress:
    - "2606:4700:4700::1111"
    - "34.117.59.0/24"
`;

test('an IPv6 destination is evaluated from the project IPv6 range; an IPv4 one from its IPv4 range', () => {
  const policy = DEFAULT_POLICY; // target mode subnets
  const subnet: SubnetRanges = {
    name: 'ledger-7-usc1',
    region: 'us-central1',
    network: 'vpc',
    primary: '10.40.0.0/24',
    secondary: [],
    ipv6: ['fd20:a:b:40::/64'],
  };
  const m = validateManifest(TEXT, { path: 'ledger-7.yaml', policy });
  const rules = compileProject(m.project!, m.egress, {
    policy,
    generation: '5',
    workloads: { mode: 'subnets', subnets: [subnet] },
  }).map((r, i) => ({ ...r, priority: 1000 + i }));
  const all = [...rules, DENY_ALL, DENY_ALL_V6];
  const model = testModel([{ ...subnet, project: 'ledger-7' }], all);
  const firewall = withNetworkTiers({ source: 's', rules: all }, model, policy, 'ledger-7', m.project!);
  expect(firewall.sourceIp).toBe('10.40.0.2');
  expect(firewall.sourceIp6).toBe('fd20:a:b:40::2');
  const ask = (destination: string) =>
    explain({
      project: 'ledger-7',
      destination,
      policy,
      manifest: { path: 'ledger-7.yaml', valid: true, project: m.project, entries: m.egress, generation: '5' },
      firewall,
    });
  expect(ask('2606:4700:4700::1111')).toMatchObject({ allowed: true, firewall: { allowed: true } });
  expect(ask('34.117.59.9')).toMatchObject({ allowed: true, firewall: { allowed: true } });
  expect(ask('2606:4700:4700::1112')).toMatchObject({ allowed: false, firewall: { allowed: false } });
});

test("a project whose subnets lie outside its spec.region: explain notes it in drift's words", () => {
  const policy = {
    ...DEFAULT_POLICY,
    firewall: { ...DEFAULT_POLICY.firewall, placement: 'regional' as const, regions: ['us-central1', 'europe-west1'] },
  };
  const text = TEXT.replace('spec:\n', 'spec:\n  region: europe-west1\n');
  const m = validateManifest(text, { path: 'ledger-7.yaml', policy });
  const subnet: SubnetRanges = {
    name: 'ledger-7-usc1',
    region: 'us-central1',
    network: 'vpc',
    primary: '10.40.0.0/24',
    secondary: [],
    ipv6: [],
  };
  const model = testModel([{ ...subnet, project: 'ledger-7' }], [DENY_ALL]);
  const firewall = withNetworkTiers({ source: 's', rules: [DENY_ALL] }, model, policy, 'ledger-7', m.project!);
  const r = explain({
    project: 'ledger-7',
    destination: '34.117.59.9',
    policy,
    manifest: { path: 'ledger-7.yaml', valid: true, project: m.project, entries: m.egress, generation: '5' },
    firewall,
  });
  expect(r.notes).toContainEqual(
    expect.stringMatching(
      /^ledger-7: subnets ledger-7-usc1 \(us-central1\) are outside its spec.region europe-west1: /,
    ),
  );
  // In its region, no such note.
  const home = withNetworkTiers({ source: 's', rules: [DENY_ALL] }, model, policy, 'ledger-7', {
    ...m.project!,
    region: 'us-central1',
  });
  expect(home.placementNotes).toBeUndefined();
});
