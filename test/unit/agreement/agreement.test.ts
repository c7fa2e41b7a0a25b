/**
 * The one agreement (core/agreement): by content and placement, never by the marker's hash; the generations keep only
 * their meaning (pending, revoked); no sources is not "in sync"; entries that cannot apply are warnings.
 */
import { agreeFleet, agreeProject, didYouMean, unappliable } from '../../../shared/core/agreement';
import { compileProject } from '../../../shared/core/firewall/compiler';
import { tombstoneRule } from '../../../shared/core/firewall/tombstone';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import type { SubnetRanges, Workloads } from '../../../shared/core/firewall/workloads';
import type { EgressEntry } from '../../../shared/core/manifest/types';
import { DEFAULT_POLICY } from '../../../shared/core/policy/defaults';

/** Target mode subnets (the default): the project's sources are its subnets' ranges. */
const policy = DEFAULT_POLICY;
const subnet = (name: string, primary: string, ipv6: string[] = []): SubnetRanges => ({
  name,
  region: 'us-central1',
  network: 'shared-vpc',
  primary,
  secondary: [],
  ipv6,
});
const SOURCES: Workloads = { mode: 'subnets', subnets: [subnet('pay-usc1', '10.10.0.0/24')] };
const ENTRIES: EgressEntry[] = [
  { value: 'api.stripe.com', type: 'hostname' },
  { value: '34.117.59.0/24', type: 'cidr' },
];
const project = { name: 'pay', environment: 'prod' };
const manifest = (generation = '5', entries = ENTRIES) => ({
  project,
  entries,
  object: 'manifests/pay.yaml',
  generation,
});
const applied = (generation = '5', entries = ENTRIES, workloads = SOURCES): ObservedRule[] =>
  compileProject(project, entries, { policy, generation, workloads }).map((r, i) => ({ ...r, priority: 1000 + i }));
const agree = (owned: ObservedRule[], over: Partial<Parameters<typeof agreeProject>[0]> = {}) =>
  agreeProject({ project: 'pay', manifest: manifest(), owned, policy, workloads: SOURCES, ...over });

test('the rules the manifest compiles to are in sync', () => {
  expect(agree(applied())).toMatchObject({ status: 'in-sync', findings: [], warnings: [] });
});

test('an extra range added out of band is drifted, though the marker and its hash are untouched', () => {
  const live = applied().map((r) =>
    r.match.destIpRanges ? { ...r, match: { ...r.match, destIpRanges: [...r.match.destIpRanges, '8.8.0.0/16'] } } : r,
  );
  const a = agree(live);
  expect(a.status).toBe('drifted');
  expect(a.findings).toEqual([
    { kind: 'changed', ruleName: 'egress-pay-v4-1', priority: 1001, detail: 'destIpRanges +8.8.0.0/16' },
  ]);
  expect(a.repair).toBe('replay');
});

test('the hash in the marker decides nothing: a wrong hash with the right content is in sync', () => {
  const live = applied().map((r) => ({
    ...r,
    description: r.description.replace(/hash=\w+/, 'hash=0000000000000000'),
  }));
  expect(agree(live).status).toBe('in-sync');
});

test('a removed rule is drifted (missing); every rule removed too', () => {
  const [fqdn] = applied();
  expect(agree([fqdn!])).toMatchObject({
    status: 'drifted',
    findings: [{ kind: 'missing', ruleName: 'egress-pay-v4-1', detail: '34.117.59.0/24' }],
  });
  const wiped = agree([]);
  expect(wiped.status).toBe('drifted');
  expect(wiped.detail).toMatch(/^no owned rules, but the manifest compiles to 2 rule\(s\): never applied, or removed/);
});

test('a foreign marker (our marker on a rule we would never write) is drifted and needs a human', () => {
  const odd = { ...applied()[0]!, ruleName: 'egress-pay-hand-1', priority: 1005 };
  const a = agree([...applied(), odd]);
  expect(a.status).toBe('drifted');
  expect(a.findings[0]).toMatchObject({ kind: 'foreign-marker', ruleName: 'egress-pay-hand-1' });
});

test('rules of an older generation that differ: pending (the apply is on its way or failed)', () => {
  const a = agree(applied('5', ENTRIES.slice(0, 1)), { manifest: manifest('7') });
  expect(a.status).toBe('pending');
  expect(a.detail).toBe(
    'the rules reflect generation 5, the manifest is generation 7: the apply is pending or failed, or a rule it wrote was changed outside the pipeline since (the firewall cannot tell these apart: check the status topic; `egress drift --repair` re-applies)',
  );
});

test('tombstones: revoked without manifest, pending when the manifest is newer, revoked when it is not', () => {
  const tomb = { ...tombstoneRule('pay', '9'), priority: 1000 };
  expect(agree([tomb], { manifest: undefined })).toMatchObject({ status: 'revoked', findings: [] });
  expect(agree([tomb], { manifest: manifest('12') }).status).toBe('pending');
  const stale = agree([tomb], { manifest: manifest('9') });
  expect(stale.status).toBe('revoked');
  expect(stale.repair).toBe('manual');
  expect(stale.detail).toMatch(/is not newer, so the pipeline ignores it/);
  // a manifest that lists nothing, with its tombstone, is in sync
  expect(agree([tomb], { manifest: manifest('12', []) }).status).toBe('in-sync');
  // live rules without manifest: the revoke is pending
  expect(agree(applied(), { manifest: undefined }).status).toBe('revoke-pending');
});

test('no sources (no subnet assigned) is never in sync, with or without rules', () => {
  const none = { mode: 'subnets' as const, subnets: [] };
  const a = agree([], { workloads: none });
  expect(a.status).toBe('no-sources');
  expect(a.detail).toMatch(/has no subnet assigned/);
  expect(agree(applied(), { workloads: none }).status).toBe('no-sources');
  expect(agree([], { workloads: undefined, sourcesError: { message: 'no subnet', reason: 'no-subnets' } }).status).toBe(
    'no-sources',
  );
  // sources not read at all: unknown, not in sync
  expect(agree(applied(), { workloads: undefined }).status).toBe('unknown');
});

test('an invalid manifest: the pipeline keeps the last valid rules', () => {
  expect(agree(applied(), { manifest: undefined, invalid: { object: 'manifests/pay.yaml' } })).toMatchObject({
    status: 'invalid-manifest',
    findings: [],
  });
});

test('an IPv6 destination of a project without IPv6 sources cannot apply: a warning, not pending', () => {
  const entries: EgressEntry[] = [...ENTRIES, { value: '2606:4700::/32', type: 'cidr' }];
  const a = agree(applied('5', entries), { manifest: manifest('5', entries) });
  expect(a.status).toBe('in-sync');
  expect(a.warnings).toEqual([
    '"2606:4700::/32" cannot apply: pay has no IPv6 source range (subnets pay-usc1), so none of its workloads can send IPv6; give one of its subnets an IPv6 range, or remove the entry',
  ]);
  const dual = { mode: 'subnets' as const, subnets: [subnet('pay-usc1', '10.10.0.0/24', ['2600:1900::/64'])] };
  expect(unappliable(manifest('5', entries), dual, policy)).toEqual([]);
});

test('misplaced: an owned rule in another policy of the placement', () => {
  const regional = {
    ...policy,
    firewall: { ...policy.firewall, placement: 'regional' as const, regions: ['us-central1', 'europe-west1'] },
  };
  const p = { ...project, region: 'us-central1' };
  const [a] = agreeFleet({
    manifests: [{ ...manifest(), project: p }],
    placed: [
      { ref: { name: 'g' }, rules: applied() },
      { ref: { name: 'g-usc1', region: 'us-central1' }, rules: [] },
    ],
    policy: regional,
    workloads: new Map([['pay', SOURCES]]),
  });
  expect(a!.status).toBe('drifted');
  expect(a!.findings.map((f) => f.kind).sort()).toEqual(['misplaced', 'misplaced', 'missing', 'missing']);
});

test('did you mean: the nearest key when it is a likely typo', () => {
  expect(didYouMean('payment-gatewy', ['payment-gateway', 'fraud-scoring'])).toBe('payment-gateway');
  expect(didYouMean('zzz', ['payment-gateway'])).toBeUndefined();
});
