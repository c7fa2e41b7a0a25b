import { makeEgressChange } from '../../../shared/core/events/codec';
import type { ChangeReason } from '../../../shared/core/events/types';
import { compileProject, desiredRules, planWrites, tombstoneRule } from '../../../shared/core/firewall';
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
const G = { name: 'global' };
const FOREIGN: ObservedRule = {
  ...at(compileProject({ name: 'other', environment: 'production' }, entries, { policy, generation: '3' }), 1400)[0]!,
  description: 'hand-made',
};
const plan = (
  ev: ReturnType<typeof event>,
  want: ReturnType<typeof desired>,
  rules: ObservedRule[],
  fingerprint = 'f1',
) => planWrites(ev, want, G, { rules: [...rules, FOREIGN], fingerprint }, policy);
const only = (w: ReturnType<typeof plan>) => {
  expect(w.writes).toHaveLength(1);
  return w.writes[0]!;
};

describe('planWrites (the applier sends exactly this patch)', () => {
  it('replaces a rule whose target kind changes in place, in one patch that keeps the other rules as read', () => {
    const tags = testPolicy({ target: { mode: 'secureTags', org: '42', templates: ['{org}/egress/{project}'] } });
    const old = at(compileProject(pg, entries, { policy: tags, generation: '1', workloads: TAG_WORKLOADS }));
    const w = plan(event('2'), desired('2'), old);
    expect(w.skip).toBeNull();
    const p = only(w);
    expect(p.changes).toEqual({
      add: [],
      update: [`${old[0]!.ruleName}@1000`, `${old[1]!.ruleName}@1001`],
      remove: [],
    });
    expect(p.rules.map((r) => r.priority)).toEqual([1000, 1001, 1400]);
    expect(p.rules[2]).toBe(FOREIGN);
    expect(p.rules[0]!.targetSecureTags).toBeUndefined();
    expect(p.fingerprint).toBe('f1');
  });

  it('changes only the rule whose content changes; unchanged rules are the objects read', () => {
    const old = at(compileProject(pg, entries, { policy, generation: '1' }));
    const next: EgressEntry[] = [entries[0]!, { value: '34.117.60.0/24', type: 'cidr' }];
    const p = only(plan(event('2', next), desired('2', next), old));
    expect(p.changes.update).toEqual([`${old[1]!.ruleName}@1001`]);
    expect(p.rules.filter((r) => !old.includes(r) && r !== FOREIGN).map((r) => r.priority)).toEqual([1001]);
  });

  it('skips a stale event with the reason and no writes', () => {
    const newer = at(compileProject(pg, entries, { policy, generation: '9' }));
    const w = plan(event('5'), desired('5'), newer);
    expect(w.skip).toMatch(/already reflects generation 9/);
    expect(w.writes).toEqual([]);
    const revoked = [{ ...tombstoneRule(pg.name, '5'), priority: 1500 }];
    expect(plan(event('5'), desired('5'), revoked).skip).toMatch(/revoked at generation 5/);
  });

  it('revokes in one patch: the tombstone in, the rules out, the other rules kept', () => {
    const old = at(compileProject(pg, entries, { policy, generation: '1' }));
    const p = only(plan(event('2', [], 'delete'), desired('2', [], 'delete'), old));
    expect(p.changes.remove).toHaveLength(2);
    expect(p.changes.add).toEqual([expect.stringContaining(tombstoneRule(pg.name, '2').ruleName)]);
    expect(p.rules.filter((r) => r !== FOREIGN).map((r) => r.ruleName)).toEqual([tombstoneRule(pg.name, '2').ruleName]);
  });

  it('writes nothing when nothing changes', () => {
    const same = at(compileProject(pg, entries, { policy, generation: '2' }));
    expect(plan(event('2'), desired('2'), same).writes).toEqual([]);
  });

  it('derives the request id from the event and the policy state read: a new fingerprint, a new id', () => {
    const a = only(plan(event('2'), desired('2'), [], 'f1'));
    const b = only(plan(event('2'), desired('2'), [], 'f1'));
    const c = only(plan(event('2'), desired('2'), [], 'f2'));
    expect(a.requestId).toBe(b.requestId);
    expect(c.requestId).not.toBe(a.requestId);
  });
});
