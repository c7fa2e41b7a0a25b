import { makeEgressChange } from '../../../shared/core/events/codec';
import type { ChangeReason } from '../../../shared/core/events/types';
import {
  compileProject,
  desiredRules,
  type PolicyView,
  planWrites,
  policyView,
  tombstoneRule,
} from '../../../shared/core/firewall';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import type { EgressEntry } from '../../../shared/core/manifest/types';
import { TAG_WORKLOADS, testPolicy } from './testPolicy';

const policy = testPolicy();
const pg = { name: 'payment-gateway', environment: 'production' };
const entries: EgressEntry[] = [
  { value: 'api.stripe.com', type: 'hostname' },
  { value: '34.117.59.0/24', type: 'cidr' },
];
const event = (generation: string, es: EgressEntry[] = entries, reason: ChangeReason = 'upsert') =>
  makeEgressChange({
    project: pg,
    reason,
    entries: es,
    source: { bucket: 'b', object: 'manifests/payment-gateway.yaml', generation },
  });
const desired = (generation: string, es: EgressEntry[] = entries, reason: ChangeReason = 'upsert') =>
  desiredRules(pg, es, { policy, generation, reason });
const at = (rules: ReturnType<typeof compileProject>, from = 1000): ObservedRule[] =>
  rules.map((r, i) => ({ ...r, priority: from + i }));
const view = (rules: ObservedRule[], fingerprint = 'f1'): PolicyView => policyView({ rules, fingerprint }, pg.name);

describe('planWrites (the applier writes exactly this list)', () => {
  it('replaces a rule whose target kind changes: creates first (free priorities), removals last', () => {
    const tags = testPolicy({ target: { mode: 'secureTags', org: '42', templates: ['{org}/egress/{project}'] } });
    const old = at(compileProject(pg, entries, { policy: tags, generation: '1', workloads: TAG_WORKLOADS }));
    const w = planWrites(event('2'), desired('2'), view(old), policy);
    expect(w.skip).toBeNull();
    expect(w.writes.map((x) => x.verb)).toEqual(['add', 'add', 'remove', 'remove']);
    const added = w.writes.filter((x) => x.verb === 'add').map((x) => x.priority);
    for (const p of added) expect(old.map((r) => r.priority)).not.toContain(p);
    expect(w.writes.filter((x) => x.verb === 'remove').map((x) => x.priority)).toEqual([1000, 1001]);
    expect(new Set(w.writes.map((x) => x.requestId)).size).toBe(4);
  });

  it('patches in place when only the content changes (same target kind)', () => {
    const old = at(compileProject(pg, entries, { policy, generation: '1' }));
    const next: EgressEntry[] = [entries[0]!, { value: '34.117.60.0/24', type: 'cidr' }];
    const w = planWrites(event('2', next), desired('2', next), view(old), policy);
    expect(w.writes.map((x) => `${x.verb}@${x.priority}`)).toEqual(['patch@1001']);
  });

  it('skips a stale event with the reason and no writes', () => {
    const newer = at(compileProject(pg, entries, { policy, generation: '9' }));
    const w = planWrites(event('5'), desired('5'), view(newer), policy);
    expect(w.skip).toMatch(/already reflects generation 9/);
    expect(w.writes).toEqual([]);
    const revoked = [{ ...tombstoneRule(pg.name, '5'), priority: 1500 }];
    expect(planWrites(event('5'), desired('5'), view(revoked), policy).skip).toMatch(/revoked at generation 5/);
  });

  it('revokes: writes the tombstone first, then removes the rules', () => {
    const old = at(compileProject(pg, entries, { policy, generation: '1' }));
    const w = planWrites(event('2', [], 'delete'), desired('2', [], 'delete'), view(old), policy);
    expect(w.writes.map((x) => x.verb)).toEqual(['add', 'remove', 'remove']);
    expect(w.writes[0]!.ruleName).toBe(tombstoneRule(pg.name, '2').ruleName);
  });

  it('derives request ids from the event and the policy state read: a new fingerprint, new ids', () => {
    const a = planWrites(event('2'), desired('2'), view([], 'f1'), policy);
    const b = planWrites(event('2'), desired('2'), view([], 'f1'), policy);
    const c = planWrites(event('2'), desired('2'), view([], 'f2'), policy);
    expect(a.writes.map((x) => x.requestId)).toEqual(b.writes.map((x) => x.requestId));
    expect(c.writes.map((x) => x.requestId)).not.toEqual(a.writes.map((x) => x.requestId));
  });
});
