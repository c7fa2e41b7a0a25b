import { encodeEvent } from '../../../shared/core/events/codec';
import { compileProject, ownedRules, parseMarker } from '../../../shared/core/firewall';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import type { EgressEntry } from '../../../shared/core/manifest/types';
import { applyChange, handleEgressMessage, RetryLaterError } from '../../../shared/usecases/applyChange';
import { testPolicy } from '../firewall/testPolicy';
import { change, harness, pg, unavailable } from './applyHarness';

const entries: EgressEntry[] = [
  { value: 'api.stripe.com', type: 'hostname', description: 'Payment processor API' },
  { value: 'hooks.slack.com', type: 'hostname' },
  { value: '34.117.59.0/24', type: 'cidr' },
];
const foreign: ObservedRule = {
  ruleName: 'allow-dns',
  description: 'baseline, terraform',
  direction: 'EGRESS',
  action: 'allow',
  enableLogging: false,
  priority: 1500,
  match: { destIpRanges: ['8.8.8.8/32'], layer4Configs: [{ ipProtocol: 'udp', ports: ['53'] }] },
};
const applied = (gen: string, es = entries): ObservedRule[] =>
  compileProject(pg, es, { policy: testPolicy(), generation: gen }).map((r, i) => ({ ...r, priority: 1000 + i }));

describe('applyChange', () => {
  it('creates the rules of a new project, leaves foreign rules alone, and reports applied', async () => {
    const h = harness([foreign]);
    const out = await applyChange(h.deps, change('10', entries));
    expect(out).toMatchObject({ outcome: 'applied', reads: 1, writes: 2, plan: { create: 2, update: 0, delete: 0 } });
    const owned = ownedRules(h.firewall.list(), 'payment-gateway');
    expect(owned.map((r) => r.ruleName).sort()).toEqual([
      'egress-payment-gateway-fqdn-1',
      'egress-payment-gateway-v4-1',
    ]);
    for (const r of owned) expect(r.priority).not.toBe(1500);
    expect(h.firewall.rules.get(1500)).toEqual(foreign);
    expect(h.statuses()).toEqual([
      expect.objectContaining({ outcome: 'applied', project: 'payment-gateway', plan: out.plan }),
    ]);
    expect(h.published[0]!.attributes['ce-type']).toBe('dev.infrastream.egress.status.v1');
  });

  it('costs one read and no writes when nothing changed (a redelivery)', async () => {
    const h = harness([...applied('10'), foreign]);
    const out = await applyChange(h.deps, change('10', entries));
    expect(out).toMatchObject({ outcome: 'applied', reads: 1, writes: 0 });
    expect([h.firewall.reads, h.firewall.writes]).toEqual([1, 0]);
  });

  it('writes only the rule that differs for a one-entry change', async () => {
    const h = harness([...applied('10'), foreign]);
    const next = [...entries.slice(0, 2), { value: '34.117.60.0/24', type: 'cidr' as const }];
    const out = await applyChange(h.deps, change('11', next));
    expect(out).toMatchObject({ reads: 1, writes: 1, plan: { create: 0, update: 1, delete: 0, unchanged: 1 } });
    expect(h.firewall.calls.filter((c) => c.method !== 'get')).toEqual([
      expect.objectContaining({ method: 'patch', priority: 1001 }),
    ]);
  });

  it('stamps the newer generation on one rule when the content is unchanged', async () => {
    const h = harness(applied('10'));
    const out = await applyChange(h.deps, change('12', entries));
    expect(out.writes).toBe(1);
    const gens = h.firewall.list().map((r) => parseMarker(r.description)?.generation);
    expect(gens).toContain('12');
  });

  it('skips a stale event: the firewall already reflects a newer generation', async () => {
    const h = harness(applied('20'));
    const out = await applyChange(h.deps, change('15', entries.slice(0, 1)));
    expect(out).toMatchObject({ outcome: 'skipped', reads: 1, writes: 0 });
    expect(h.statuses()[0]).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining('generation 20') });
  });

  it('revokes every owned rule of the project on delete, and only those', async () => {
    const other = compileProject({ name: 'ledger', environment: 'prod' }, entries, {
      policy: testPolicy(),
      generation: '3',
    }).map((r, i) => ({ ...r, priority: 1200 + i }));
    const h = harness([...applied('10'), ...other, foreign]);
    const out = await applyChange(h.deps, change('10', [], 'delete'));
    expect(out).toMatchObject({ outcome: 'applied', plan: { delete: 2 } });
    expect(h.firewall.list()).toEqual([...other, foreign]);
  });

  it('lets a redelivery finish a half-applied plan (equal generation is not stale)', async () => {
    const h = harness([foreign]);
    let adds = 0;
    h.firewall.before = (c) => {
      if (c.method === 'add' && ++adds >= 2) throw unavailable();
    };
    h.deps.retry = { attempts: 2, random: () => 0 };
    await expect(applyChange(h.deps, change('10', entries))).rejects.toBeInstanceOf(RetryLaterError);
    expect(ownedRules(h.firewall.list(), 'payment-gateway')).toHaveLength(1);
    h.firewall.before = () => undefined;
    const out = await applyChange(h.deps, change('10', entries));
    expect(out).toMatchObject({ outcome: 'applied', writes: 1, plan: { create: 1, unchanged: 1 } });
    expect(ownedRules(h.firewall.list(), 'payment-gateway')).toHaveLength(2);
  });

  it('retries transient failures with capped exponential backoff and jitter, then succeeds', async () => {
    const h = harness();
    let failures = 3;
    h.firewall.before = (c) => {
      if (c.method === 'add' && failures-- > 0) throw unavailable();
    };
    const out = await applyChange(h.deps, change('10', entries));
    expect(out.outcome).toBe('applied');
    // random() = 0.5: half fixed + a quarter jitter of 500, 1000, 2000 ms.
    expect(h.clock.sleeps).toEqual([375, 750, 1500]);
    expect(h.logs.filter((l) => l.severity === 'WARNING')).toHaveLength(3);
  });

  it('reuses the same requestId when retrying a write', async () => {
    const h = harness();
    let failed = false;
    h.firewall.before = (c) => {
      if (c.method === 'add' && !failed) {
        failed = true;
        throw unavailable();
      }
    };
    await applyChange(h.deps, change('10', entries));
    const adds = h.firewall.calls.filter((c) => c.method === 'add');
    expect(adds[0]!.requestId).toBe(adds[1]!.requestId);
    expect(adds[1]!.requestId).not.toBe(adds[2]!.requestId);
  });

  it('throws after the retries so Pub/Sub redelivers, without publishing a status', async () => {
    const h = harness();
    h.firewall.before = (c) => {
      if (c.method === 'get') throw unavailable();
    };
    await expect(applyChange(h.deps, change('10', entries))).rejects.toBeInstanceOf(RetryLaterError);
    expect(h.firewall.reads).toBe(5);
    expect(h.clock.sleeps.every((ms) => ms <= 8000)).toBe(true);
    expect(h.published).toHaveLength(0);
  });

  it('acknowledges a permanent refusal: ERROR log with the plan, apply-failed status', async () => {
    const h = harness();
    const { FirewallApiError } = await import('../../../shared/ports/firewall');
    h.firewall.before = (c) => {
      if (c.method === 'add') throw new FirewallApiError("Invalid value for field 'destFqdns'", 400, 'invalid', false);
    };
    const out = await applyChange(h.deps, change('10', entries));
    expect(out).toMatchObject({ outcome: 'apply-failed', reason: 'api-refused' });
    const err = h.logs.find((l) => l.severity === 'ERROR')!;
    expect(err.fields).toMatchObject({ project: 'payment-gateway', rules: { create: expect.any(Array) } });
    expect(h.statuses()[0]).toMatchObject({ outcome: 'apply-failed', error: expect.stringContaining('destFqdns') });
  });

  it('re-plans when a concurrent writer takes the chosen priority', async () => {
    const h = harness();
    let stolen = false;
    h.firewall.before = (c) => {
      if (c.method === 'add' && !stolen) {
        stolen = true;
        h.firewall.rules.set(c.priority!, { ...foreign, priority: c.priority! });
      }
    };
    const out = await applyChange(h.deps, change('10', entries));
    expect(out.outcome).toBe('applied');
    expect(ownedRules(h.firewall.list(), 'payment-gateway')).toHaveLength(2);
    expect(h.firewall.list()).toHaveLength(3);
  });

  it('never trusts the wire: invalid entries fail permanently before any API call', async () => {
    const h = harness();
    const ev = change('10', [{ value: 'http://api.stripe.com/v1', type: 'hostname' }]);
    const out = await applyChange(h.deps, ev);
    expect(out).toMatchObject({ outcome: 'apply-failed', reason: 'invalid-entries', reads: 0 });
    expect(h.firewall.calls).toEqual([]);
  });

  it('acknowledges a poison message and reports it', async () => {
    const h = harness();
    const msg = encodeEvent(change('10', entries));
    const out = await handleEgressMessage(h.deps, { data: Buffer.from('{oops'), attributes: msg.attributes });
    expect(out).toMatchObject({ outcome: 'apply-failed', reason: 'undecodable-event', project: 'payment-gateway' });
    expect(h.logs[0]!.severity).toBe('ERROR');
    expect(h.statuses()[0]).toMatchObject({ outcome: 'apply-failed', reason: 'undecodable-event' });
  });
  it('replaces (create, then remove) a rule whose target kind changes, since a patch cannot clear a list', async () => {
    const h = harness(applied('10'));
    h.deps.policy = testPolicy({ target: { mode: 'secureTag', template: 'tagValues/{project}' } });
    const out = await applyChange(h.deps, change('11', entries));
    expect(out.outcome).toBe('applied');
    const methods = h.firewall.calls.filter((c) => c.method !== 'get').map((c) => c.method);
    expect(methods).toEqual(['add', 'add', 'remove', 'remove']);
    const owned = ownedRules(h.firewall.list(), 'payment-gateway');
    expect(owned).toHaveLength(2);
    for (const r of owned) {
      expect(r.targetSecureTags).toEqual([{ name: 'tagValues/payment-gateway' }]);
      expect(r.targetServiceAccounts).toBeUndefined();
    }
  });

  it('finishes an interrupted replace on redelivery without duplicating rules', async () => {
    const h = harness(applied('10'));
    h.deps.policy = testPolicy({ target: { mode: 'secureTag', template: 'tagValues/{project}' } });
    h.deps.retry = { attempts: 1 };
    h.firewall.before = (c) => {
      if (c.method === 'remove') throw unavailable();
    };
    await expect(applyChange(h.deps, change('11', entries))).rejects.toBeInstanceOf(RetryLaterError);
    expect(ownedRules(h.firewall.list(), 'payment-gateway')).toHaveLength(4);
    h.firewall.before = () => undefined;
    const out = await applyChange(h.deps, change('11', entries));
    expect(out).toMatchObject({ outcome: 'applied', plan: { create: 0, update: 0, delete: 2, unchanged: 2 } });
    expect(ownedRules(h.firewall.list(), 'payment-gateway').every((r) => r.targetSecureTags)).toBe(true);
  });
});
