import { encodeEvent } from '../../../shared/core/events/codec';
import { compileProject, isTombstone, ownedRules, parseMarker } from '../../../shared/core/firewall';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import type { EgressEntry } from '../../../shared/core/manifest/types';
import { FirewallApiError } from '../../../shared/ports/firewall';
import { StorageApiError } from '../../../shared/ports/storage';
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
    expect(out).toMatchObject({ outcome: 'applied', reads: 1, writes: 1, plan: { create: 2, update: 0, delete: 0 } });
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
    const before = new Map(h.firewall.list().map((r) => [r.priority, r]));
    const next = [...entries.slice(0, 2), { value: '34.117.60.0/24', type: 'cidr' as const }];
    const out = await applyChange(h.deps, change('11', next));
    expect(out).toMatchObject({ reads: 1, writes: 1, plan: { create: 0, update: 1, delete: 0, unchanged: 1 } });
    expect(h.firewall.calls.filter((c) => c.method !== 'get')).toEqual([expect.objectContaining({ method: 'patch' })]);
    // the one patch changes only the rule at 1001: every other rule is sent as read
    const changed = h.firewall.sent[0]!.filter((r) => JSON.stringify(r) !== JSON.stringify(before.get(r.priority)));
    expect(changed.map((r) => r.priority)).toEqual([1001]);
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

  it('revokes every owned rule of the project on delete, and only those, leaving its tombstone', async () => {
    const other = compileProject({ name: 'ledger', environment: 'prod' }, entries, {
      policy: testPolicy(),
      generation: '3',
    }).map((r, i) => ({ ...r, priority: 1200 + i }));
    const h = harness([...applied('10'), ...other, foreign]);
    const out = await applyChange(h.deps, change('10', [], 'delete'));
    expect(out).toMatchObject({ outcome: 'applied', plan: { create: 1, update: 0, delete: 2 } });
    const left = h.firewall.list().filter((r) => !other.some((o) => o.priority === r.priority) && r !== foreign);
    expect(left.filter((r) => r.priority !== 1500)).toEqual([
      expect.objectContaining({ ruleName: 'egress-payment-gateway-tombstone' }),
    ]);
    expect(h.firewall.list()).toEqual(expect.arrayContaining([...other, foreign]));
    expect(h.firewall.list()).toHaveLength(other.length + 2);
  });

  it('writes a change in one patch; a failed patch leaves the old rules and the redelivery writes it whole', async () => {
    const h = harness([foreign]);
    h.firewall.before = (c) => {
      if (c.method === 'patch') throw unavailable();
    };
    h.deps.retry = { attempts: 2, random: () => 0 };
    await expect(applyChange(h.deps, change('10', entries))).rejects.toBeInstanceOf(RetryLaterError);
    expect(h.firewall.list()).toEqual([foreign]);
    h.firewall.before = () => undefined;
    const out = await applyChange(h.deps, change('10', entries));
    expect(out).toMatchObject({ outcome: 'applied', writes: 1, plan: { create: 2, unchanged: 0 } });
    expect(ownedRules(h.firewall.list(), 'payment-gateway')).toHaveLength(2);
  });

  it('retries transient failures with capped exponential backoff and jitter, then succeeds', async () => {
    const h = harness();
    let failures = 3;
    h.firewall.before = (c) => {
      if (c.method === 'patch' && failures-- > 0) throw unavailable();
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
      if (c.method === 'patch' && !failed) {
        failed = true;
        throw unavailable();
      }
    };
    await applyChange(h.deps, change('10', entries));
    const patches = h.firewall.calls.filter((c) => c.method === 'patch');
    expect(patches).toHaveLength(2);
    expect(patches[0]!.requestId).toBe(patches[1]!.requestId);
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
      if (c.method === 'patch')
        throw new FirewallApiError("Invalid value for field 'destFqdns'", 400, 'invalid', false);
    };
    const out = await applyChange(h.deps, change('10', entries));
    expect(out).toMatchObject({ outcome: 'apply-failed', reason: 'api-refused' });
    const err = h.logs.find((l) => l.severity === 'ERROR')!;
    expect(err.fields).toMatchObject({ project: 'payment-gateway', rules: { create: expect.any(Array) } });
    expect(h.statuses()[0]).toMatchObject({ outcome: 'apply-failed', error: expect.stringContaining('destFqdns') });
  });

  it('re-plans when a concurrent writer takes the chosen priority, and keeps its rule', async () => {
    const h = harness();
    let stolen = false;
    h.firewall.before = (c) => {
      if (c.method === 'patch' && !stolen) {
        stolen = true;
        h.firewall.rules.set(1234, { ...foreign, priority: 1234 });
        h.firewall.version++;
      }
    };
    const out = await applyChange(h.deps, change('10', entries));
    expect(out).toMatchObject({ outcome: 'applied', writes: 1 });
    expect(ownedRules(h.firewall.list(), 'payment-gateway')).toHaveLength(2);
    expect(h.firewall.list()).toContainEqual({ ...foreign, priority: 1234 });
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
  it('replaces in place, in the one patch, a rule whose target kind changes', async () => {
    const h = harness(applied('10'));
    h.deps.policy = testPolicy({ target: { mode: 'secureTags', org: '42', templates: ['{org}/egress/{project}'] } });
    h.deps.workloads = { tags: { lookup: async () => 'tagValues/payment-gateway' } };
    const out = await applyChange(h.deps, change('11', entries));
    expect(out.outcome).toBe('applied');
    const methods = h.firewall.calls.filter((c) => c.method !== 'get').map((c) => c.method);
    expect(methods).toEqual(['patch']);
    const owned = ownedRules(h.firewall.list(), 'payment-gateway');
    expect(owned).toHaveLength(2);
    for (const r of owned) {
      expect(r.targetSecureTags).toEqual([{ name: 'tagValues/payment-gateway' }]);
      expect(r.targetServiceAccounts).toBeUndefined();
    }
  });
});

describe('applyChange: deletion and the tombstone', () => {
  const tombstones = (h: ReturnType<typeof harness>) =>
    ownedRules(h.firewall.list(), 'payment-gateway').filter(isTombstone);
  const live = (h: ReturnType<typeof harness>) =>
    ownedRules(h.firewall.list(), 'payment-gateway').filter((r) => !isTombstone(r));
  const writes = (h: ReturnType<typeof harness>) =>
    h.firewall.calls.filter((c) => c.method !== 'get').map((c) => c.method);

  it('delete → exactly one owned rule: a disabled deny tombstone recording the generation, written first', async () => {
    const h = harness([...applied('10'), foreign]);
    const out = await applyChange(h.deps, change('10', [], 'delete'));
    expect(out).toMatchObject({ outcome: 'applied', reads: 1, writes: 1, plan: { create: 1, delete: 2 } });
    // the tombstone and the removals land in one atomic patch: an interrupted delete is never half-done
    expect(writes(h)).toEqual(['patch']);
    const owned = ownedRules(h.firewall.list(), 'payment-gateway');
    expect(owned).toHaveLength(1);
    const t = owned[0]!;
    expect(t).toMatchObject({
      ruleName: 'egress-payment-gateway-tombstone',
      direction: 'EGRESS',
      action: 'deny',
      disabled: true,
      enableLogging: false,
      match: { destIpRanges: ['192.0.2.0/32'], layer4Configs: [{ ipProtocol: 'all' }] },
    });
    expect(t.targetServiceAccounts).toBeUndefined();
    expect(t.priority).toBeGreaterThanOrEqual(1000);
    expect(t.priority).toBeLessThanOrEqual(1999);
    expect(parseMarker(t.description)).toMatchObject({
      project: 'payment-gateway',
      generation: '10',
      state: 'deleted',
    });
    expect(h.firewall.rules.get(1500)).toEqual(foreign);
  });

  it('a late upsert of the deleted generation is skipped: 1 read, 0 writes, skipped status', async () => {
    const h = harness(applied('10'));
    await applyChange(h.deps, change('10', [], 'delete'));
    h.firewall.calls = [];
    h.published.length = 0;
    const out = await applyChange(h.deps, change('10', entries));
    expect(out).toMatchObject({ outcome: 'skipped', reads: 1, writes: 0 });
    expect([h.firewall.reads, h.firewall.writes]).toEqual([1, 0]);
    expect(out.reason).toMatch(/revoked at generation 10 \(tombstone\)/);
    expect(h.statuses()).toEqual([expect.objectContaining({ outcome: 'skipped', reason: out.reason })]);
    expect(live(h)).toEqual([]);
  });

  it('an older upsert and an older replay after the delete are skipped too', async () => {
    const h = harness(applied('10'));
    await applyChange(h.deps, change('12', [], 'delete'));
    for (const ev of [change('11', entries), change('10', entries, 'replay'), change('12', entries, 'replay')]) {
      h.firewall.calls = [];
      expect(await applyChange(h.deps, ev)).toMatchObject({ outcome: 'skipped', reads: 1, writes: 0 });
    }
    expect(live(h)).toEqual([]);
  });

  it('a re-upload at a newer generation brings the rules back, then removes the tombstone', async () => {
    const h = harness(applied('10'));
    await applyChange(h.deps, change('10', [], 'delete'));
    h.firewall.calls = [];
    const out = await applyChange(h.deps, change('11', entries));
    expect(out).toMatchObject({ outcome: 'applied', plan: { create: 2, update: 0, delete: 1 } });
    expect(writes(h)).toEqual(['patch']);
    expect(tombstones(h)).toEqual([]);
    expect(live(h).map((r) => parseMarker(r.description)?.generation)).toEqual(['11', '11']);
    // and the old generation stays stale against the new rules
    expect((await applyChange(h.deps, change('10', entries))).outcome).toBe('skipped');
  });

  it('a duplicate delete writes nothing (1 read, 0 writes)', async () => {
    const h = harness(applied('10'));
    await applyChange(h.deps, change('10', [], 'delete'));
    h.firewall.calls = [];
    const out = await applyChange(h.deps, change('10', [], 'delete'));
    expect(out).toMatchObject({ outcome: 'applied', reads: 1, writes: 0, plan: { create: 0, update: 0, delete: 0 } });
    expect(tombstones(h)).toHaveLength(1);
  });

  it('an older delete is stale; a newer delete re-stamps the tombstone with one write', async () => {
    const h = harness(applied('10'));
    await applyChange(h.deps, change('12', [], 'delete'));
    h.firewall.calls = [];
    expect(await applyChange(h.deps, change('11', [], 'delete'))).toMatchObject({ outcome: 'skipped', writes: 0 });
    const out = await applyChange(h.deps, change('14', [], 'delete'));
    expect(out).toMatchObject({ outcome: 'applied', writes: 1, plan: { update: 1 } });
    expect(tombstones(h).map((r) => parseMarker(r.description)?.generation)).toEqual(['14']);
    expect((await applyChange(h.deps, change('13', entries))).outcome).toBe('skipped');
  });

  it('a delete of a project that has no rules writes no tombstone: nothing to revoke (issue 19, item 3)', async () => {
    const h = harness([foreign]);
    const out = await applyChange(h.deps, change('10', [], 'delete'));
    expect(out).toMatchObject({ outcome: 'skipped', writes: 0, reason: expect.stringMatching(/^nothing to revoke: /) });
    expect(tombstones(h)).toEqual([]);
    expect(h.firewall.calls.filter((c) => c.method !== 'get')).toEqual([]);
  });

  describe('without a tombstone, the first apply of a project happens only for the live generation', () => {
    /** The bucket as the applier reads it: the live generation of each object (absent: deleted). */
    const bucket = (live: Record<string, string>) => {
      const stats: string[] = [];
      const storeFor = (b: string) => ({
        stat: async (name: string) => {
          stats.push(`${b}/${name}`);
          const generation = live[name];
          return generation ? { name, generation, size: 1 } : null;
        },
      });
      return { storeFor, stats };
    };

    it('an older upsert delivered after the delete finds the object deleted: skipped, nothing written', async () => {
      const h = harness([foreign]);
      const b = bucket({});
      h.deps.storeFor = b.storeFor;
      expect((await applyChange(h.deps, change('10', [], 'delete'))).outcome).toBe('skipped');
      const out = await applyChange(h.deps, change('9', entries));
      expect(out).toMatchObject({ outcome: 'skipped', writes: 0 });
      expect(out.reason).toBe(
        'stale: generation 9 of gs://manifests/manifests/payment-gateway.yaml is not the live one (the object is deleted) and payment-gateway has no rules yet: nothing applied',
      );
      expect(b.stats).toEqual(['manifests/manifests/payment-gateway.yaml']);
      expect(ownedRules(h.firewall.list(), 'payment-gateway')).toEqual([]);
    });

    it('an upsert older than the live generation is skipped; the live one applies', async () => {
      const h = harness([foreign]);
      h.deps.storeFor = bucket({ 'manifests/payment-gateway.yaml': '12' }).storeFor;
      const older = await applyChange(h.deps, change('11', entries));
      expect(older).toMatchObject({ outcome: 'skipped', writes: 0 });
      expect(older.reason).toMatch(/is not the live one \(live: 12\)/);
      expect(await applyChange(h.deps, change('12', entries))).toMatchObject({ outcome: 'applied', writes: 1 });
    });

    it('an older manifest listing nothing, delivered after the delete, writes no tombstone either', async () => {
      // Else its tombstone would record an older generation than the delete and let a newer stale upsert through.
      const h = harness([foreign]);
      h.deps.storeFor = bucket({}).storeFor;
      expect((await applyChange(h.deps, change('12', [], 'delete'))).outcome).toBe('skipped');
      expect(await applyChange(h.deps, change('11', []))).toMatchObject({ outcome: 'skipped', writes: 0 });
      expect(await applyChange(h.deps, change('12', entries))).toMatchObject({ outcome: 'skipped', writes: 0 });
      expect(ownedRules(h.firewall.list(), 'payment-gateway')).toEqual([]);
    });

    it('a project that has rules is decided by its rules: the bucket is not read', async () => {
      const h = harness([...applied('10'), foreign]);
      const b = bucket({});
      h.deps.storeFor = b.storeFor;
      expect(await applyChange(h.deps, change('11', entries))).toMatchObject({ outcome: 'applied' });
      expect(b.stats).toEqual([]);
    });

    it('a bucket read that keeps failing transiently asks for a redelivery; nothing is written', async () => {
      const h = harness([foreign]);
      h.deps.storeFor = () => ({
        stat: async () => {
          throw new StorageApiError('stat failed: 503 backendError', 503, 'backendError', true);
        },
      });
      await expect(applyChange(h.deps, change('10', entries))).rejects.toBeInstanceOf(RetryLaterError);
      expect(h.firewall.writes).toBe(0);
    });
  });

  it('the revocation brake counts only revocations that removed an allow (issue 19, item 3)', async () => {
    const h = harness(applied('10'));
    await applyChange(h.deps, change('12', [], 'delete'));
    const stamp = () => parseMarker(tombstones(h)[0]!.description)?.at;
    const first = stamp();
    expect(first).toBeDefined();
    // Revoking the revoked project again (a newer generation listing nothing) keeps the stamp of the real revocation.
    await h.clock.sleep(60_000);
    await applyChange(h.deps, change('14', [], 'upsert'));
    expect(tombstones(h).map((r) => parseMarker(r.description)?.generation)).toEqual(['14']);
    expect(stamp()).toBe(first);
  });

  it('an interrupted delete leaves the rules as they were, and its redelivery revokes them in one patch', async () => {
    const h = harness(applied('10'));
    h.deps.retry = { attempts: 1 };
    h.firewall.before = (c) => {
      if (c.method === 'patch') throw unavailable();
    };
    await expect(applyChange(h.deps, change('10', [], 'delete'))).rejects.toBeInstanceOf(RetryLaterError);
    expect(tombstones(h)).toHaveLength(0);
    expect(h.firewall.list()).toEqual(applied('10'));
    h.firewall.before = () => undefined;
    const out = await applyChange(h.deps, change('10', [], 'delete'));
    expect(out).toMatchObject({ outcome: 'applied', writes: 1, plan: { create: 1, delete: 2 } });
    expect(live(h)).toEqual([]);
    expect((await applyChange(h.deps, change('10', entries))).outcome).toBe('skipped');
  });

  it('a manifest that lists no entries is a revocation too: tombstone, older upserts skipped', async () => {
    const h = harness(applied('10'));
    const out = await applyChange(h.deps, change('11', []));
    expect(out).toMatchObject({ outcome: 'applied', plan: { create: 1, delete: 2 } });
    expect(tombstones(h).map((r) => parseMarker(r.description)?.generation)).toEqual(['11']);
    expect((await applyChange(h.deps, change('10', entries))).outcome).toBe('skipped');
    h.firewall.calls = [];
    expect(await applyChange(h.deps, change('11', []))).toMatchObject({ outcome: 'applied', writes: 0 });
    expect((await applyChange(h.deps, change('12', entries))).plan).toMatchObject({ create: 2, delete: 1 });
  });
});

describe('applyChange: request ids', () => {
  const ids = (h: ReturnType<typeof harness>) =>
    h.firewall.calls.filter((c) => c.method !== 'get').map((c) => c.requestId);

  it('the same event applied again after the rules were wiped gets new ids and restores them', async () => {
    const h = harness([foreign]);
    const ev = change('10', entries, 'replay');
    await applyChange(h.deps, ev);
    const first = ids(h);
    const before = h.firewall.list();
    for (const r of ownedRules(before, 'payment-gateway')) h.firewall.rules.delete(r.priority);
    h.firewall.version++; // the wipe was a write too
    h.firewall.calls = [];
    const out = await applyChange(h.deps, ev);
    expect(out).toMatchObject({ outcome: 'applied', writes: 1 });
    expect(ids(h).some((id) => first.includes(id))).toBe(false);
    expect(h.firewall.list()).toEqual(before);
  });

  it('is deterministic for the same event and the same policy state (a redelivery before anything landed)', async () => {
    const a = harness([foreign]);
    const b = harness([foreign]);
    await applyChange(a.deps, change('10', entries));
    await applyChange(b.deps, change('10', entries));
    expect(ids(a)).toEqual(ids(b));
    const c = harness([foreign]);
    c.firewall.version = 7; // same rules, another policy version
    await applyChange(c.deps, change('10', entries));
    expect(ids(c).some((id) => ids(a).includes(id))).toBe(false);
  });

  it("re-plans after a race with a fresh id: the other writer's rule is kept", async () => {
    const h = harness([foreign]);
    let raced = false;
    h.firewall.before = (c) => {
      if (c.method === 'patch' && !raced) {
        raced = true;
        h.firewall.rules.set(1234, { ...foreign, priority: 1234 });
        h.firewall.version++;
      }
    };
    await applyChange(h.deps, change('10', entries));
    const patches = h.firewall.calls.filter((c) => c.method === 'patch');
    expect(patches).toHaveLength(2);
    expect(new Set(patches.map((c) => c.requestId)).size).toBe(2);
    expect(h.firewall.list()).toContainEqual({ ...foreign, priority: 1234 });
  });

  it('treats 412 conditionNotMet as a race: re-reads, re-plans, finishes; redelivery when it persists', async () => {
    const precondition = () =>
      new FirewallApiError('Supplied fingerprint does not match current fingerprint.', 412, 'conditionNotMet', false);
    const h = harness([foreign]);
    let failures = 1;
    h.firewall.before = (c) => {
      if (c.method === 'patch' && failures-- > 0) throw precondition();
    };
    const out = await applyChange(h.deps, change('10', entries));
    expect(out).toMatchObject({ outcome: 'applied', writes: 1 });
    expect(ownedRules(h.firewall.list(), 'payment-gateway')).toHaveLength(2);

    const stuck = harness([foreign]);
    stuck.firewall.before = (c) => {
      if (c.method === 'patch') throw precondition();
    };
    await expect(applyChange(stuck.deps, change('10', entries))).rejects.toBeInstanceOf(RetryLaterError);
    expect(stuck.statuses().map((s) => s.outcome)).not.toContain('apply-failed');
  });

  it('still acknowledges a 400 that is not about the slot (a bad field) as apply-failed', async () => {
    const h = harness([foreign]);
    h.firewall.before = (c) => {
      if (c.method === 'patch')
        throw new FirewallApiError("Invalid value for field 'resource.match'", 400, 'invalid', false);
    };
    const out = await applyChange(h.deps, change('10', entries));
    expect(out).toMatchObject({ outcome: 'apply-failed', reason: 'api-refused' });
  });

  it('without a fingerprint, falls back to the owned rules: new ids once the project rules changed', async () => {
    const h = harness([foreign]);
    h.firewall.fingerprints = false;
    const ev = change('10', entries, 'replay');
    await applyChange(h.deps, ev);
    const first = ids(h);
    // one rule lost: the owned rules differ from the first read, so the restoring write is not deduplicated
    const lost = ownedRules(h.firewall.list(), 'payment-gateway')[0]!;
    h.firewall.rules.delete(lost.priority);
    h.firewall.calls = [];
    const out = await applyChange(h.deps, ev);
    expect(out).toMatchObject({ writes: 1 });
    expect(first).not.toContain(ids(h)[0]);
    expect(ownedRules(h.firewall.list(), 'payment-gateway')).toHaveLength(2);
  });
});
