/**
 * Placement (docs/policy.md, "Placement"): which policy holds a project's rules, the policy-file checks, the manifest
 * rule (spec.region required and listed under regional placement) and a move re-planned by the placed write planner.
 */
import { makeEgressChange } from '../../../shared/core/events/codec';
import { parseDestination } from '../../../shared/core/explain/destination';
import { evaluateFirewall, singlePolicyTiers } from '../../../shared/core/explain/matching';
import {
  compileProject,
  desiredRules,
  PlacementError,
  planPlacedWrites,
  planWrites,
  targetPolicy,
} from '../../../shared/core/firewall';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import type { EgressEntry, ProjectMeta } from '../../../shared/core/manifest/types';
import { subnetsOutsideRegion } from '../../../shared/core/placementDrift';
import { parsePolicy } from '../../../shared/core/policy';
import {
  evaluationOrder,
  placementPolicies,
  placeProject,
  policyRefPath,
  regionsWithoutPolicy,
} from '../../../shared/core/policy/placement';
import { withPolicyTiers } from '../../../shared/usecases/explain';
import { testPolicy } from '../firewall/testPolicy';
import { check, codes, manifest, withCode } from '../manifest/helpers';

const regional = testPolicy({ placement: 'regional', regions: ['us-central1', 'europe-west1'] });
const global = testPolicy();
const pg = { name: 'payment-gateway', environment: 'production', region: 'us-central1' };
const entries: EgressEntry[] = [
  { value: 'api.stripe.com', type: 'hostname' },
  { value: '34.117.59.0/24', type: 'cidr' },
];
const event = (project: ProjectMeta = pg, generation = '2', reason: 'upsert' | 'delete' = 'upsert') =>
  makeEgressChange({
    project,
    reason,
    entries,
    source: { bucket: 'b', object: 'manifests/payment-gateway.yaml', generation },
  });
const placed = (rules: ReturnType<typeof compileProject>, from = 1000): ObservedRule[] =>
  rules.map(({ coverage: _, ...r }, i) => ({ ...r, priority: from + i }));

describe('placement', () => {
  it('global (default): one policy, every project in it', () => {
    expect(placementPolicies(global.firewall, 'fw')).toEqual([{ name: 'fw' }]);
    expect(placeProject(global.firewall, 'fw', { name: 'p' })).toEqual({ ref: { name: 'fw' } });
    expect(regionsWithoutPolicy(global.firewall, ['asia-east1'])).toEqual([]);
  });

  it('regional: the global policy then one per listed region, named by the template', () => {
    expect(placementPolicies(regional.firewall, 'fw')).toEqual([
      { name: 'fw' },
      { name: 'fw-us-central1', region: 'us-central1' },
      { name: 'fw-europe-west1', region: 'europe-west1' },
    ]);
    expect(placeProject(regional.firewall, 'fw', pg)).toEqual({
      ref: { name: 'fw-us-central1', region: 'us-central1' },
    });
    expect(policyRefPath('host', { name: 'fw-us-central1', region: 'us-central1' })).toBe(
      'projects/host/regions/us-central1/firewallPolicies/fw-us-central1',
    );
    expect(regionsWithoutPolicy(regional.firewall, ['us-central1', 'asia-east1', 'asia-east1'])).toEqual([
      'asia-east1',
    ]);
  });

  it('the policy file: regional needs regions, distinct, and {region} in the name template', () => {
    const diags = (t: string) => parsePolicy(t, 'p.yaml').diagnostics.map((d) => `${d.line} ${d.code} ${d.message}`);
    expect(diags('firewall:\n  placement: regional\n')).toEqual([
      expect.stringMatching(/^2 POLICY_PLACEMENT firewall.placement regional needs firewall.regions/),
    ]);
    expect(diags('firewall:\n  placement: regional\n  regions: [us-east1, us-east1]\n')[0]).toMatch(
      /^3 POLICY_PLACEMENT firewall.regions lists `us-east1` twice/,
    );
    expect(diags('firewall:\n  placement: regional\n  regions: [us-east1]\n  regionalPolicyName: fixed\n')[0]).toMatch(
      /^4 POLICY_PLACEMENT .*does not contain \{region\}/,
    );
    const ok = parsePolicy('firewall:\n  placement: regional\n  regions: [us-east1]\n', 'p.yaml');
    expect(ok.diagnostics).toEqual([]);
    expect(ok.policy.firewall).toMatchObject({ placement: 'regional', regions: ['us-east1'] });
  });
});

describe('manifest validation under regional placement', () => {
  it('requires spec.region, at the spec line, naming the listed regions', () => {
    const text = manifest().replace(/^ *region: us-central1\n/m, '');
    const [d] = withCode(check(text, undefined, regional), 'REGION_REQUIRED');
    expect(d).toMatchObject({ severity: 'error', path: 'spec', line: 7 });
    expect(d!.hint).toBe('add `region: <region>` under spec, one of: us-central1, europe-west1');
    // The same manifest is fine under global placement (region optional, as before).
    expect(codes(check(text))).toEqual([]);
  });

  it('refuses a region without a regional policy, at the region line', () => {
    const text = manifest().replace('us-central1', 'asia-east1');
    const [d] = withCode(check(text, undefined, regional), 'REGION_NOT_PLACED');
    expect(d).toMatchObject({ severity: 'error', path: 'spec.region' });
    expect(d!.message).toContain('`asia-east1` has no regional firewall policy');
    expect(codes(check(manifest(), undefined, regional))).toEqual([]);
  });
});

describe('the placed write planner', () => {
  const rulesOf = (policy = regional) => compileProject(pg, entries, { policy, generation: '1' });
  const states = (globalRules: ObservedRule[], usc1: ObservedRule[] = [], euw1: ObservedRule[] = []) => [
    { ref: { name: 'fw' }, snapshot: { rules: globalRules } },
    { ref: { name: 'fw-us-central1', region: 'us-central1' }, snapshot: { rules: usc1 } },
    { ref: { name: 'fw-europe-west1', region: 'europe-west1' }, snapshot: { rules: euw1 } },
  ];

  it('global placement with one policy is exactly planWrites', () => {
    const ev = event(pg, '2');
    const desired = desiredRules(pg, entries, { policy: global, generation: '2' });
    const before = placed(rulesOf(global));
    const one = [{ ref: { name: 'fw' }, snapshot: { rules: before } }];
    const target = targetPolicy(global.firewall, one, ev);
    const got = planPlacedWrites(ev, desired, one, target, global);
    const want = planWrites(ev, desired, { name: 'fw' }, { rules: before }, global);
    expect(got.writes).toEqual(want.writes);
    expect(got.movedFrom).toEqual([]);
  });

  it('global → regional: one patch creating them in the region policy first, then one removing them from the global one', () => {
    const ev = event(pg, '2');
    const desired = desiredRules(pg, entries, { policy: regional, generation: '2' });
    const st = states(placed(rulesOf()));
    const target = targetPolicy(regional.firewall, st, ev);
    expect(target).toEqual({ name: 'fw-us-central1', region: 'us-central1' });
    const got = planPlacedWrites(ev, desired, st, target, regional);
    expect(got.writes.map((w) => [w.policy.name, w.changes])).toEqual([
      [
        'fw-us-central1',
        {
          add: [
            expect.stringMatching(/^egress-payment-gateway-fqdn-1@/),
            expect.stringMatching(/^egress-payment-gateway-v4-1@/),
          ],
          update: [],
          remove: [],
        },
      ],
      [
        'fw',
        { add: [], update: [], remove: ['egress-payment-gateway-fqdn-1@1000', 'egress-payment-gateway-v4-1@1001'] },
      ],
    ]);
    expect(got.writes[1]!.rules).toEqual([]);
    expect(got.movedFrom).toEqual([{ name: 'fw' }]);
    expect(new Set(got.writes.map((w) => w.requestId)).size).toBe(2);
  });

  it('a region change moves the rules between regional policies; a stale event moves nothing', () => {
    const euw1 = { ...pg, region: 'europe-west1' };
    const st = states([], placed(rulesOf()));
    const ev = event(euw1, '3');
    const got = planPlacedWrites(
      ev,
      desiredRules(euw1, entries, { policy: regional, generation: '3' }),
      st,
      targetPolicy(regional.firewall, st, ev),
      regional,
    );
    expect(got.writes.map((w) => `patch ${w.policy.name}`)).toEqual(['patch fw-europe-west1', 'patch fw-us-central1']);
    // The rules in us-central1 record generation 1 there; an older event (generation 0) is skipped.
    const old = event(euw1, '0');
    const stale = planPlacedWrites(old, [], st, targetPolicy(regional.firewall, st, old), regional);
    expect(stale.skip).toMatch(/older|stale|generation/);
    expect(stale.writes).toEqual([]);
  });

  it('an upsert without a usable region cannot be placed; a revocation goes where the rules are', () => {
    const noRegion = { name: 'payment-gateway', environment: 'production' };
    const st = states([], placed(rulesOf()));
    expect(() => targetPolicy(regional.firewall, st, event(noRegion))).toThrow(PlacementError);
    expect(targetPolicy(regional.firewall, st, event(noRegion, '5', 'delete'))).toEqual({
      name: 'fw-us-central1',
      region: 'us-central1',
    });
    expect(targetPolicy(regional.firewall, states([]), event(noRegion, '5', 'delete'))).toEqual({ name: 'fw' });
  });
});

describe('drift under regional placement: subnets outside the spec.region', () => {
  it("warns about a project's subnets in another region (its rules do not cover them); nothing under global", () => {
    const subnets = [
      { name: 'payment-gateway-usc1', region: 'us-central1' },
      { name: 'payment-gateway-euw1', region: 'europe-west1' },
    ];
    expect(subnetsOutsideRegion(regional.firewall, [{ project: pg, subnets }])).toEqual([
      'payment-gateway: subnets payment-gateway-euw1 (europe-west1) are outside its spec.region us-central1: its rules ' +
        "are in that region's policy only, so egress from them is denied (one region per project under regional placement)",
    ]);
    expect(subnetsOutsideRegion(global.firewall, [{ project: pg, subnets }])).toEqual([]);
  });
});

describe('explain under regional placement: the evaluation order', () => {
  const rule = (priority: number, action: 'allow' | 'deny' | 'goto_next', ruleName: string): ObservedRule => ({
    priority,
    ruleName,
    description: 'platform',
    direction: 'EGRESS',
    action: action as 'allow',
    enableLogging: false,
    match: { destIpRanges: ['34.117.59.0/24'], layer4Configs: [{ ipProtocol: 'all' }] },
  });
  const byPolicy = [
    {
      ref: { name: 'fw' },
      rules: [
        rule(5000, 'deny', 'global-deny'),
        {
          ...rule(9, 'goto_next', 'global-first'),
          match: { destIpRanges: ['8.8.8.0/24'], layer4Configs: [{ ipProtocol: 'all' }] },
        },
      ],
    },
    { ref: { name: 'fw-us-central1', region: 'us-central1' }, rules: [rule(1000, 'allow', 'usc1-allow')] },
    { ref: { name: 'fw-europe-west1', region: 'europe-west1' }, rules: [rule(1, 'allow', 'euw1-allow')] },
  ];

  it("is the global policy's rules, then the project's regional policy's, each by priority", () => {
    const order = evaluationOrder(regional.firewall, byPolicy, pg)!;
    expect(order.rules.map((r) => r.ruleName)).toEqual(['global-first', 'global-deny', 'usc1-allow']);
    expect(order.policies.map((p) => p.name)).toEqual(['fw', 'fw-us-central1']);
    expect(evaluationOrder(regional.firewall, byPolicy, { name: 'p' })).toBeUndefined();
  });

  it('a deny in the global policy decides before a regional allow with a smaller priority number', () => {
    const order = evaluationOrder(regional.firewall, byPolicy, pg)!;
    const dest = parseDestination('34.117.59.7');
    const tiered = withPolicyTiers({ source: 's', rules: order.rules, byPolicy }, regional, pg);
    const inOrder = evaluateFirewall(order.rules, tiered.tiers!, 'payment-gateway', dest, regional);
    expect(inOrder.decidedBy?.ruleName).toBe('global-deny');
    expect(inOrder.decidedBy?.tier).toBeUndefined();
    // sorted by priority alone (what a union of the policies would say), the regional allow would wrongly decide
    const flat = singlePolicyTiers(order.rules);
    expect(evaluateFirewall(order.rules, flat, 'payment-gateway', dest, regional).decidedBy?.ruleName).toBe(
      'usc1-allow',
    );
    // goto_next ends the global policy: the regional one decides (docs/diagnose.md, "The network model")
    const handed = evaluateFirewall(
      order.rules,
      tiered.tiers!,
      'payment-gateway',
      parseDestination('8.8.8.8'),
      regional,
    );
    expect(handed.decidedBy?.ruleName).toBe('implied-allow-egress');
    expect(handed.verdict.passed.map((p) => p.rule.ruleName)).toEqual(['global-first']);
  });
});
