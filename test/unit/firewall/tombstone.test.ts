import {
  compileProject,
  deletedGeneration,
  desiredRules,
  formatMarker,
  isTombstone,
  MANAGED_BY,
  parseMarker,
  planProject,
  readKey,
  renderPlan,
  staleEventReason,
  TOMBSTONE_RANGE,
  tombstoneRule,
  tombstoneRuleName,
} from '../../../shared/core/firewall';
import type { DesiredRule, ObservedRule } from '../../../shared/core/firewall/types';
import type { EgressEntry } from '../../../shared/core/manifest/types';
import { testPolicy } from './testPolicy';

const policy = testPolicy();
const pg = { name: 'payment-gateway', environment: 'production' };
const entries: EgressEntry[] = [
  { value: 'api.stripe.com', type: 'hostname' },
  { value: '34.117.59.0/24', type: 'cidr' },
];
const observe = (rules: DesiredRule[], from = 1000): ObservedRule[] =>
  rules.map((r, i) => ({ ...r, priority: from + i }));
const live = (generation: string) => observe(compileProject(pg, entries, { policy, generation }));
const tomb = (generation: string, priority = 1500): ObservedRule => ({
  ...tombstoneRule('payment-gateway', generation),
  priority,
});
const upsert = (generation: string) => ({ generation, reason: 'upsert' as const, revocation: false });
const del = (generation: string) => ({ generation, reason: 'delete' as const, revocation: true });

describe('the tombstone rule', () => {
  it('is a disabled EGRESS deny of one TEST-NET-1 address, without targets, that records the generation', () => {
    const t = tombstoneRule('payment-gateway', '42');
    expect(t).toEqual({
      ruleName: 'egress-payment-gateway-tombstone',
      description: expect.stringMatching(/^managed-by=infrastream-egress project=payment-gateway generation=42 /),
      direction: 'EGRESS',
      action: 'deny',
      enableLogging: false,
      disabled: true,
      match: { destIpRanges: ['192.0.2.0/32'], layer4Configs: [{ ipProtocol: 'all' }] },
    });
    expect(TOMBSTONE_RANGE).toBe('192.0.2.0/32');
    expect(parseMarker(t.description)).toMatchObject({
      project: 'payment-gateway',
      generation: '42',
      state: 'deleted',
    });
    expect(t.description.length).toBeLessThanOrEqual(1024);
    expect(isTombstone(t)).toBe(true);
    expect(live('42').some(isTombstone)).toBe(false);
  });

  it('has a valid, distinct name even for a long project key', () => {
    const long = 'a'.repeat(70);
    const name = tombstoneRuleName(long);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^egress-a+-[0-9a-f]{6}-tombstone$/);
    expect(tombstoneRuleName(`${long}b`)).not.toBe(name);
  });

  it('marker: state=deleted round-trips; an unknown state is not ours (left alone)', () => {
    const m = { managedBy: MANAGED_BY, project: 'p', generation: '7', hash: 'ab12', state: 'deleted' as const };
    expect(parseMarker(`${formatMarker(m)} | text`)).toEqual(m);
    expect(parseMarker('managed-by=infrastream-egress project=p generation=7 hash=ab12 state=frozen')).toBeNull();
    expect(parseMarker('managed-by=infrastream-egress project=p generation=7 hash=ab12')?.state).toBeUndefined();
  });

  it('desiredRules: a delete, or no entries, desires the tombstone alone; entries compile as usual', () => {
    const opts = { policy, generation: '9' };
    expect(desiredRules(pg, entries, { ...opts, reason: 'delete' })).toEqual([tombstoneRule('payment-gateway', '9')]);
    expect(desiredRules(pg, [], { ...opts, reason: 'upsert' })).toEqual([tombstoneRule('payment-gateway', '9')]);
    expect(desiredRules(pg, entries, { ...opts, reason: 'replay' })).toEqual(compileProject(pg, entries, opts));
  });

  it('deletedGeneration: the newest tombstone generation, null without one', () => {
    expect(deletedGeneration(live('5'))).toBeNull();
    expect(deletedGeneration([...live('5'), tomb('9'), tomb('12', 1501)])).toBe('12');
  });
});

describe('staleEventReason', () => {
  it('skips an upsert or replay at or below the revocation: a delete at N beats an upsert at N', () => {
    const owned = [tomb('10')];
    expect(staleEventReason(owned, 'pg', upsert('10'))).toMatch(/revoked at generation 10 \(tombstone\)/);
    expect(staleEventReason(owned, 'pg', upsert('9'))).toMatch(/revoked at generation 10/);
    expect(staleEventReason(owned, 'pg', { ...upsert('10'), reason: 'replay' })).toMatch(/this replay of/);
    expect(staleEventReason(owned, 'pg', upsert('11'))).toBeNull();
  });

  it('lets a revocation through at its own generation (to finish or do nothing), not below it', () => {
    expect(staleEventReason([tomb('10'), ...live('10')], 'pg', del('10'))).toBeNull();
    expect(staleEventReason([tomb('10')], 'pg', del('12'))).toBeNull();
    expect(staleEventReason([tomb('10')], 'pg', del('9'))).toMatch(/already reflects generation 10/);
  });

  it('keeps the generation guard: newer rules win, equal ones are a redelivery', () => {
    expect(staleEventReason(live('20'), 'pg', upsert('15'))).toMatch(/already reflects generation 20/);
    expect(staleEventReason(live('20'), 'pg', upsert('20'))).toBeNull();
    expect(staleEventReason([], 'pg', upsert('1'))).toBeNull();
    // an interrupted re-create (new rules and the old tombstone): its redelivery proceeds, older events do not
    expect(staleEventReason([tomb('10'), ...live('11')], 'pg', upsert('11'))).toBeNull();
    expect(staleEventReason([tomb('10'), ...live('11')], 'pg', upsert('10'))).not.toBeNull();
  });
});

describe('plans with a tombstone', () => {
  it('a revocation creates the tombstone and deletes the rules; a repeated one plans nothing', () => {
    const p = planProject(live('10'), [tombstoneRule('payment-gateway', '10')], { generation: '10' });
    expect(p.create.map((r) => r.ruleName)).toEqual(['egress-payment-gateway-tombstone']);
    expect(p.delete).toHaveLength(2);
    const again = planProject([tomb('10')], [tombstoneRule('payment-gateway', '10')], { generation: '10' });
    expect([again.create, again.update, again.delete]).toEqual([[], [], []]);
  });

  it('a newer revocation re-stamps the tombstone; a re-creation deletes it', () => {
    const restamp = planProject([tomb('10')], [tombstoneRule('payment-gateway', '12')], { generation: '12' });
    expect(restamp.update.map((u) => parseMarker(u.new.description)?.generation)).toEqual(['12']);
    const back = planProject([tomb('10')], compileProject(pg, entries, { policy, generation: '11' }), {
      generation: '11',
    });
    expect(back.create).toHaveLength(2);
    expect(back.delete.map((r) => r.ruleName)).toEqual(['egress-payment-gateway-tombstone']);
  });

  it('a tombstone enabled by hand is put back (content differs)', () => {
    const p = planProject([{ ...tomb('10'), disabled: false }], [tombstoneRule('payment-gateway', '10')]);
    expect(p.update).toHaveLength(1);
  });

  it('renders the tombstone as a revocation, never as an allowance', () => {
    const revoke = planProject(live('10'), [tombstoneRule('payment-gateway', '10')], { generation: '10' });
    const text = renderPlan(revoke, 'text');
    expect(text).toContain('  + create egress-payment-gateway-tombstone (priority assigned at apply)');
    expect(text).toContain(
      '  +     tombstone: egress revoked at generation 10 (disabled deny of 192.0.2.0/32, allows nothing)',
    );
    expect(text).not.toContain('192.0.2.0/32\n'); // never listed as a destination field
    expect(text).not.toContain('EGRESS deny');
    const back = planProject([tomb('10')], compileProject(pg, entries, { policy, generation: '11' }));
    const md = renderPlan(back, 'markdown');
    expect(md).toContain('-     tombstone of the revocation at generation 10: the project has rules again');
    const json = JSON.parse(renderPlan(revoke, 'json'));
    expect(json.projects[0].tombstone).toEqual({ action: 'create', generation: '10' });
    expect(JSON.parse(renderPlan(back, 'json')).projects[0].tombstone).toEqual({ action: 'delete', generation: '10' });
    const plain = planProject([], compileProject(pg, entries, { policy, generation: '1' }));
    expect(JSON.parse(renderPlan(plain, 'json')).projects[0]).not.toHaveProperty('tombstone');
  });
});

describe('readKey (request ids)', () => {
  it('uses the fingerprint when the read has one: a new policy version gives a new key', () => {
    expect(readKey('abc', live('1'))).toBe(readKey('abc', []));
    expect(readKey('abc', [])).not.toBe(readKey('abd', []));
  });

  it('falls back to the owned rules; it repeats when they return to an earlier state (why ports should fingerprint)', () => {
    const rules = live('1');
    expect(readKey(undefined, rules)).not.toBe(readKey(undefined, rules.slice(1)));
    expect(readKey(undefined, [...rules].reverse())).toBe(readKey(undefined, rules));
    expect(readKey(undefined, [])).toBe(readKey(undefined, []));
  });
});
