import {
  allocatePriorities,
  appliedGeneration,
  compileProject,
  deterministicRequestId,
  formatMarker,
  isEmptyPlan,
  ownedRules,
  PriorityBandFullError,
  parseMarker,
  planProject,
  summarizePlan,
} from '../../../shared/core/firewall';
import type { DesiredRule, ObservedRule } from '../../../shared/core/firewall/types';
import type { EgressEntry } from '../../../shared/core/manifest/types';
import { testPolicy } from './testPolicy';

const policy = testPolicy();
const pg = { name: 'payment-gateway', environment: 'production' };
const other = { name: 'ledger', environment: 'production' };
const base: EgressEntry[] = [
  { value: 'api.stripe.com', type: 'hostname', description: 'Payment processor API' },
  { value: '34.117.59.0/24', type: 'cidr' },
];

function observe(rules: DesiredRule[], from = 1000): ObservedRule[] {
  return rules.map((r, i) => ({ ...r, priority: from + i }));
}

const foreign: ObservedRule = {
  ruleName: 'egress-payment-gateway-fqdn-1',
  description: 'hand-written by the network team',
  direction: 'EGRESS',
  action: 'allow',
  enableLogging: false,
  priority: 500,
  match: { destFqdns: ['evil.example.com'], layer4Configs: [{ ipProtocol: 'all' }] },
};

describe('marker', () => {
  it('round-trips and rejects descriptions that are not ours', () => {
    const m = { managedBy: 'infrastream-egress', project: 'p-1', generation: '17', hash: 'abc123' };
    expect(parseMarker(formatMarker(m))).toEqual(m);
    expect(parseMarker(`${formatMarker(m)} | why: because`)).toEqual(m);
    expect(parseMarker('managed-by=infrastream-egress project=p-1 generation=x hash=abc')).toBeNull();
    expect(parseMarker(`${formatMarker(m)}trailing`)).toBeNull();
    expect(parseMarker(undefined)).toBeNull();
    expect(parseMarker(`prefix ${formatMarker(m)}`)).toBeNull();
  });
});

describe('ownedRules', () => {
  it('keeps only rules with our marker, of the given project', () => {
    const mine = observe(compileProject(pg, base, { policy, generation: '5' }));
    const theirs = observe(compileProject(other, base, { policy, generation: '5' }), 1100);
    const alien = { ...mine[0]!, priority: 7, description: mine[0]!.description.replace('infrastream-egress', 'tf') };
    const all = [...mine, ...theirs, foreign, alien];
    expect(ownedRules(all, 'payment-gateway')).toEqual(mine);
    expect(ownedRules(all)).toEqual([...mine, ...theirs]);
  });
});

describe('planProject', () => {
  const desired = compileProject(pg, base, { policy, generation: '5' });

  it('creates everything on an empty policy', () => {
    const plan = planProject([foreign], desired);
    expect(plan.create).toEqual(desired);
    expect(plan.update).toEqual([]);
    expect(plan.delete).toEqual([]);
  });

  it('is empty when equal, regardless of list order and of the marker generation', () => {
    const current = observe(desired).map((r) => ({
      ...r,
      match: { ...r.match, destIpRanges: r.match.destIpRanges && [...r.match.destIpRanges].reverse() },
    }));
    const later = compileProject(pg, [...base].reverse(), { policy, generation: '9' });
    const plan = planProject([...current, foreign], later);
    expect(isEmptyPlan(plan)).toBe(true);
    expect(summarizePlan(plan)).toEqual({ create: 0, update: 0, delete: 0, unchanged: 2 });
  });

  it('updates only the rule that differs and deletes owned rules that are no longer desired', () => {
    const current = observe(
      compileProject(pg, [...base, { value: '2001:db8::/32', type: 'cidr' }], { policy, generation: '5' }),
    );
    const next = compileProject(pg, [{ ...base[0]!, value: 'files.stripe.com' }, base[1]!], {
      policy,
      generation: '6',
    });
    const plan = planProject([foreign, ...current], next);
    expect(plan.create).toEqual([]);
    expect(plan.update.map((u) => [u.old.priority, u.new.ruleName])).toEqual([[1000, 'egress-payment-gateway-fqdn-1']]);
    expect(plan.delete.map((r) => r.ruleName)).toEqual(['egress-payment-gateway-v6-1']);
    expect(plan.unchanged).toBe(1);
  });

  it('never plans foreign rules or other projects rules, even with our rule names', () => {
    const theirs = observe(compileProject(other, base, { policy, generation: '5' }), 1100);
    const plan = planProject([foreign, ...theirs], [], { project: 'payment-gateway' });
    expect(isEmptyPlan(plan)).toBe(true);
    const revoke = planProject([foreign, ...theirs], [], { project: 'ledger' });
    expect(revoke.delete).toEqual(theirs);
  });

  it('deletes duplicate copies of a rule name, keeping the lowest priority', () => {
    const current = [...observe(desired, 1000), { ...observe(desired)[0]!, priority: 1500 }];
    const plan = planProject(current, desired);
    expect(plan.delete.map((r) => r.priority)).toEqual([1500]);
    expect(plan.unchanged).toBe(2);
  });

  it('stamps one unchanged rule when a newer generation changes nothing else', () => {
    const current = observe(desired);
    const same = compileProject(pg, base, { policy, generation: '6' });
    const plan = planProject(current, same, { generation: '6' });
    expect(plan.update).toHaveLength(1);
    expect(parseMarker(plan.update[0]!.new.description)?.generation).toBe('6');
    expect(appliedGeneration(current)).toBe('5');
    // Same generation again (a redelivery): nothing to do.
    expect(isEmptyPlan(planProject(current, desired, { generation: '5' }))).toBe(true);
    // A content change carries the new generation itself: no extra stamp.
    const changed = compileProject(pg, [base[0]!], { policy, generation: '6' });
    const p2 = planProject(current, changed, { generation: '6' });
    expect(p2.update).toHaveLength(1);
    expect(p2.update[0]!.new.ruleName).toBe('egress-payment-gateway-fqdn-1');
    expect(p2.delete.map((r) => r.ruleName)).toEqual(['egress-payment-gateway-v4-1']);
  });

  it('refuses to guess the project of a revocation', () => {
    expect(() => planProject(observe(desired), [])).toThrow(/opts.project/);
  });
});

describe('allocatePriorities', () => {
  it('picks distinct free priorities in the band, deterministically, apart per project', () => {
    const taken = new Set([1000, 1001]);
    const a = allocatePriorities(taken, 3, policy, 'payment-gateway');
    expect(a).toEqual(allocatePriorities(taken, 3, policy, 'payment-gateway'));
    expect(new Set(a).size).toBe(3);
    for (const p of a) {
      expect(taken.has(p)).toBe(false);
      expect(p).toBeGreaterThanOrEqual(1000);
      expect(p).toBeLessThanOrEqual(1999);
    }
    expect(allocatePriorities(taken, 1, policy, 'ledger')).not.toEqual(a.slice(0, 1));
  });

  it('wraps around and fails clearly when the band is full', () => {
    const small = testPolicy({ priorityMin: 10, priorityMax: 12 });
    expect(allocatePriorities(new Set([10, 12]), 1, small, 'x')).toEqual([11]);
    expect(() => allocatePriorities(new Set([10, 12]), 2, small, 'x')).toThrow(PriorityBandFullError);
  });
});

describe('deterministicRequestId', () => {
  it('is a stable non-zero UUID that differs per part', () => {
    const id = deterministicRequestId('ev1', 'add', 'rule', 1000);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicRequestId('ev1', 'add', 'rule', 1000)).toBe(id);
    expect(deterministicRequestId('ev1', 'add', 'rule', 1001)).not.toBe(id);
  });
});
