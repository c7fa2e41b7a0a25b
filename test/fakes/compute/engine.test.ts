import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { protos } from '@google-cloud/compute';
import { type EngineOptions, FirewallPolicyEngine, wireNormalize } from '../../../local/fakes/compute/engine';
import { ComputeApiError } from '../../../local/fakes/compute/errors';
import { virtualClock } from '../../../shared/ports/clock';
import { tempDir } from '../../support/tempDir';

type IRule = protos.google.cloud.compute.v1.IFirewallPolicyRule;

const P = 'host';
const FP = 'fp';
const RID = (n: number): string => `6f1c1b2e-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** The virtual clock (sleep advances time instantly, so delays are tested without waiting). */
function manualClock(start = 1_700_000_000_000) {
  const clock = virtualClock(start);
  return { c: clock, clock };
}

const rule = (over: Partial<IRule> = {}): IRule => ({
  action: 'allow',
  direction: 'EGRESS',
  match: { destFqdns: ['api.stripe.com'], layer4Configs: [{ ipProtocol: 'all' }] },
  ...over,
});

function setup(opts: EngineOptions = {}) {
  const { c, clock } = manualClock();
  const e = new FirewallPolicyEngine({ clock, completion: 'immediate', ...opts });
  e.createPolicy(P, FP, { defaultRules: false });
  return { e, c };
}

const add = (e: FirewallPolicyEngine, over: Partial<IRule> = {}, extra: Record<string, unknown> = {}) =>
  e.addRule({ project: P, firewallPolicy: FP, firewallPolicyRuleResource: rule(over), ...extra });

/** Resolves to "STATUS reason" of the API error a call fails with. */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ComputeApiError) return `${err.status} ${err.reason}`;
    throw err;
  }
  throw new Error('expected the call to fail');
}

const priorities = (e: FirewallPolicyEngine, fp = FP) => e.rules(P, fp).map((r) => r.priority);

describe('policies', () => {
  test("a new policy carries Google's four default goto_next rules; they cannot be removed", async () => {
    const { e } = setup();
    e.createPolicy(P, 'with-defaults');
    expect(priorities(e, 'with-defaults')).toEqual([2147483644, 2147483645, 2147483646, 2147483647]);
    expect(await failure(e.removeRule({ project: P, firewallPolicy: 'with-defaults', priority: 2147483647 }))).toBe(
      '400 invalid',
    );
  });
  test('get of an unknown policy is 404 notFound naming the resource', async () => {
    const { e } = setup();
    await expect(e.get({ project: P, firewallPolicy: 'nope' })).rejects.toThrow(
      "The resource 'projects/host/global/firewallPolicies/nope' was not found",
    );
  });
  test('get returns committed rules sorted by priority, output-only fields and the policy ruleTupleCount', async () => {
    const { e } = setup();
    await add(e, { priority: 20 });
    await add(e, { priority: 10, targetSecureTags: [{ name: 'tagValues/7' }] });
    const policy = await e.get({ project: P, firewallPolicy: FP });
    expect(policy.rules?.map((r) => r.priority)).toEqual([10, 20]);
    expect(policy.rules?.[0]).toMatchObject({
      kind: 'compute#firewallPolicyRule',
      ruleTupleCount: 3,
      targetSecureTags: [{ name: 'tagValues/7', state: 'EFFECTIVE' }],
    });
    expect(policy.ruleTupleCount).toBe(5);
  });
});

describe('priorities', () => {
  test.each([
    [-1, '400 invalid'],
    [2147483648, '400 invalid'],
    [1.5, '400 invalid'],
  ])('priority %p is refused', async (priority, verdict) => {
    const { e } = setup();
    expect(await failure(add(e, { priority }))).toBe(verdict);
  });
  test('0 and 2147483647 are valid', async () => {
    const { e } = setup();
    await add(e, { priority: 0 });
    await add(e, { priority: 2147483647 });
    expect(priorities(e)).toEqual([0, 2147483647]);
  });
  test('a missing priority (and no window) is 400 required', async () => {
    const { e } = setup();
    expect(await failure(add(e))).toBe('400 required');
  });
  test('a taken priority is 409 alreadyExists, also when the first write is still RUNNING', async () => {
    const { e } = setup({ completion: { afterPolls: 1 } });
    await add(e, { priority: 5 });
    expect(await failure(add(e, { priority: 5 }))).toBe('409 alreadyExists');
  });
  test('minPriority/maxPriority choose the lowest unused priority; a full window is refused', async () => {
    const { e } = setup();
    await add(e, { priority: 100 });
    await add(e, {}, { minPriority: 100, maxPriority: 101 });
    expect(priorities(e)).toEqual([100, 101]);
    expect(await failure(add(e, {}, { minPriority: 100, maxPriority: 101 }))).toBe('400 invalid');
    expect(await failure(add(e, { priority: 7 }, { minPriority: 1 }))).toBe('400 invalid');
    expect(await failure(add(e, {}, { minPriority: 9, maxPriority: 8 }))).toBe('400 invalid');
  });
});

describe('getRule / patchRule / removeRule', () => {
  test('getRule of an empty priority is 400 invalid (the policy has no rule there)', async () => {
    const { e } = setup();
    expect(await failure(e.getRule({ project: P, firewallPolicy: FP, priority: 9 }))).toBe('400 invalid');
    expect(await failure(e.getRule({ project: P, firewallPolicy: FP }))).toBe('400 required');
  });
  test('patchRule replaces the fields it sends and keeps the others', async () => {
    const { e } = setup();
    await add(e, { priority: 10, ruleName: 'r-10', description: 'old', enableLogging: true });
    await e.patchRule({
      project: P,
      firewallPolicy: FP,
      priority: 10,
      firewallPolicyRuleResource: { description: 'new' },
    });
    expect(await e.getRule({ project: P, firewallPolicy: FP, priority: 10 })).toMatchObject({
      priority: 10,
      ruleName: 'r-10',
      description: 'new',
      enableLogging: true,
      match: { destFqdns: ['api.stripe.com'] },
    });
  });
  test('a patch is validated as the merged rule (e.g. adding tags to a rule with service accounts)', async () => {
    const { e } = setup();
    await add(e, { priority: 10, targetServiceAccounts: ['a@p.iam.gserviceaccount.com'] });
    const patch = { targetSecureTags: [{ name: 'tagValues/1' }] };
    expect(
      await failure(e.patchRule({ project: P, firewallPolicy: FP, priority: 10, firewallPolicyRuleResource: patch })),
    ).toBe('400 invalid');
  });
  test('an empty list in a patch means "not sent" (as on the wire), so it does not clear the field', async () => {
    const { e } = setup();
    await add(e, { priority: 10, targetServiceAccounts: ['a@p.iam.gserviceaccount.com'] });
    await e.patchRule({
      project: P,
      firewallPolicy: FP,
      priority: 10,
      firewallPolicyRuleResource: { targetServiceAccounts: [] },
    });
    expect(e.rules(P, FP)[0]?.targetServiceAccounts).toEqual(['a@p.iam.gserviceaccount.com']);
  });
  test('a body priority different from the query priority moves the rule; onto a taken one is 409', async () => {
    const { e } = setup();
    await add(e, { priority: 10 });
    await add(e, { priority: 30 });
    await e.patchRule({ project: P, firewallPolicy: FP, priority: 10, firewallPolicyRuleResource: { priority: 20 } });
    expect(priorities(e)).toEqual([20, 30]);
    expect(
      await failure(
        e.patchRule({ project: P, firewallPolicy: FP, priority: 20, firewallPolicyRuleResource: { priority: 30 } }),
      ),
    ).toBe('409 alreadyExists');
  });
  test('patchRule/removeRule of an empty priority are 400 invalid', async () => {
    const { e } = setup();
    expect(
      await failure(e.patchRule({ project: P, firewallPolicy: FP, priority: 3, firewallPolicyRuleResource: {} })),
    ).toBe('400 invalid');
    expect(await failure(e.removeRule({ project: P, firewallPolicy: FP, priority: 3 }))).toBe('400 invalid');
  });
  test('removeRule deletes the rule', async () => {
    const { e } = setup();
    await add(e, { priority: 10 });
    await e.removeRule({ project: P, firewallPolicy: FP, priority: 10 });
    expect(priorities(e)).toEqual([]);
  });
});

describe('requestId idempotency', () => {
  test('the same requestId returns the same operation and applies once', async () => {
    const { e } = setup();
    const a = await add(e, { priority: 10 }, { requestId: RID(1) });
    const b = await add(e, { priority: 10 }, { requestId: RID(1) });
    expect(b.name).toBe(a.name);
    expect(b.clientOperationId).toBe(RID(1));
    expect(e.counters()).toMatchObject({ writes: 2, applied: 1, deduplicated: 1 });
  });
  test('a requestId is scoped to its project', async () => {
    const { e } = setup();
    e.createPolicy('other', FP, { defaultRules: false });
    const a = await add(e, { priority: 10 }, { requestId: RID(1) });
    const b = await e.addRule({
      project: 'other',
      firewallPolicy: FP,
      firewallPolicyRuleResource: rule({ priority: 10 }),
      requestId: RID(1),
    });
    expect(b.name).not.toBe(a.name);
  });
  test.each(['not-a-uuid', '00000000-0000-0000-0000-000000000000'])('requestId %s is 400 invalid', async (id) => {
    const { e } = setup();
    expect(await failure(add(e, { priority: 10 }, { requestId: id }))).toBe('400 invalid');
  });
  test('ids are remembered for requestIdTtlMs, then a replay is a new request', async () => {
    const { e, c } = setup({ requestIdTtlMs: 60_000 });
    await e.removeRule({ project: P, firewallPolicy: FP, priority: 1 }).catch(() => undefined);
    await add(e, { priority: 10 }, { requestId: RID(2) });
    await e.removeRule({ project: P, firewallPolicy: FP, priority: 10 });
    c.advance(30_000);
    await add(e, { priority: 10 }, { requestId: RID(2) });
    expect(priorities(e)).toEqual([]);
    c.advance(31_000);
    await add(e, { priority: 10 }, { requestId: RID(2) });
    expect(priorities(e)).toEqual([10]);
  });
});

describe('operations', () => {
  test('immediate: the write response is already DONE and the effect is visible', async () => {
    const { e } = setup();
    const op = await add(e, { priority: 10 });
    expect(op).toMatchObject({ status: 'DONE', progress: 100, operationType: 'addFirewallRuleToFirewallPolicy' });
    expect(priorities(e)).toEqual([10]);
  });
  test('afterPolls: RUNNING until the N-th get/wait; reads see nothing before', async () => {
    const { e } = setup({ completion: { afterPolls: 2 } });
    const op = await add(e, { priority: 10 });
    expect(op.status).toBe('RUNNING');
    expect((await e.get({ project: P, firewallPolicy: FP })).rules).toEqual([]);
    expect((await e.wait({ project: P, operation: op.name })).status).toBe('RUNNING');
    expect(e.pendingOperations()).toEqual([op.name]);
    // by numeric id, as the real client's operation object names it
    expect((await e.getOperation({ project: P, operation: String(op.id) })).status).toBe('DONE');
    expect(priorities(e)).toEqual([10]);
  });
  test('afterMs: wait sleeps on the clock until the operation is due; get before that is RUNNING', async () => {
    const { e, c } = setup({ completion: { afterMs: 5000 } });
    const op = await add(e, { priority: 10 });
    expect((await e.getOperation({ project: P, operation: op.name })).status).toBe('RUNNING');
    const done = await e.wait({ project: P, operation: op.name });
    expect(done.status).toBe('DONE');
    expect(c.sleeps).toEqual([5000]);
  });
  test('afterMs: any call after the due time sees the effect', async () => {
    const { e, c } = setup({ completion: { afterMs: 5000 } });
    await add(e, { priority: 10 });
    c.advance(5000);
    expect((await e.get({ project: P, firewallPolicy: FP })).rules?.map((r) => r.priority)).toEqual([10]);
  });
  test('wait gives up after maxWaitMs and returns the operation still RUNNING', async () => {
    const { e, c } = setup({ completion: { afterMs: 300_000 }, maxWaitMs: 120_000 });
    const op = await add(e, { priority: 10 });
    expect((await e.wait({ project: P, operation: op.name })).status).toBe('RUNNING');
    expect(c.sleeps).toEqual([120_000]);
  });
  test('operations on a policy complete in order: finishing a later one finishes the earlier ones', async () => {
    // Two writes in flight at once need serializeWrites off (Google refuses the second: quotas.test.ts).
    const { e } = setup({ completion: { afterPolls: 1 }, serializeWrites: false });
    const a = await add(e, { priority: 10 });
    const b = await add(e, { priority: 20 });
    await e.wait({ project: P, operation: b.name });
    expect((await e.getOperation({ project: P, operation: a.name })).status).toBe('DONE');
    expect(priorities(e)).toEqual([10, 20]);
  });
  test('unknown operations are 404', async () => {
    const { e } = setup();
    expect(await failure(e.wait({ project: P, operation: 'operation-x' }))).toBe('404 notFound');
  });
});

describe('fingerprint', () => {
  test('changes on every applied write, not on reads or rejected writes', async () => {
    const { e } = setup();
    const fp = async () => (await e.get({ project: P, firewallPolicy: FP })).fingerprint;
    const f0 = await fp();
    expect(await fp()).toBe(f0);
    await add(e, { priority: 10 });
    const f1 = await fp();
    expect(f1).not.toBe(f0);
    await failure(add(e, { priority: 10 }));
    expect(await fp()).toBe(f1);
    await e.removeRule({ project: P, firewallPolicy: FP, priority: 10 });
    expect(await fp()).not.toBe(f1);
  });
});

describe('faults', () => {
  test('failNext fails the next N matching calls with the given status/reason and no effect', async () => {
    const { e } = setup();
    e.failNext({ count: 2, status: 503, reason: 'backendError', methods: ['addRule'] });
    await e.get({ project: P, firewallPolicy: FP }); // not matched
    expect(await failure(add(e, { priority: 10 }))).toBe('503 backendError');
    expect(await failure(add(e, { priority: 10 }))).toBe('503 backendError');
    await add(e, { priority: 10 });
    expect(priorities(e)).toEqual([10]);
    expect(e.counters()).toMatchObject({ errors: 2, applied: 1 });
  });
  test('failOperations: accepted, DONE with Operation.error, no effect', async () => {
    const { e } = setup();
    e.failOperations({ count: 1, code: 'RESOURCE_NOT_READY', message: 'busy', httpStatus: 503 });
    const op = await add(e, { priority: 10 });
    expect(op).toMatchObject({
      status: 'DONE',
      error: { errors: [{ code: 'RESOURCE_NOT_READY', message: 'busy' }] },
      httpErrorStatusCode: 503,
      httpErrorMessage: 'SERVICE UNAVAILABLE',
    });
    expect(priorities(e)).toEqual([]);
  });
  test('latency: every call sleeps on the clock first', async () => {
    const { e, c } = setup();
    e.setLatency(250);
    await e.get({ project: P, firewallPolicy: FP });
    await add(e, { priority: 10 });
    expect(c.sleeps).toEqual([250, 250]);
  });
  test('crashAfterWrites(k): writes after k accepted ones fail with 503 and no effect; reads still work', async () => {
    const { e } = setup();
    e.crashAfterWrites(1);
    await add(e, { priority: 10 });
    expect(await failure(add(e, { priority: 11 }))).toBe('503 backendError');
    expect(await failure(e.removeRule({ project: P, firewallPolicy: FP, priority: 10 }))).toBe('503 backendError');
    expect(priorities(e)).toEqual([10]);
    await e.get({ project: P, firewallPolicy: FP });
    e.clearFaults();
    await add(e, { priority: 11 });
  });
  test('write quota: more than N writes in 60 s of the clock is 403 rateLimitExceeded (or 429), then recovers', async () => {
    const { e, c } = setup();
    e.setWriteQuota(2);
    await add(e, { priority: 1 });
    await add(e, { priority: 2 });
    expect(await failure(add(e, { priority: 3 }))).toBe('403 rateLimitExceeded');
    await e.get({ project: P, firewallPolicy: FP }); // reads are not limited
    c.advance(60_001);
    await add(e, { priority: 3 });
    e.setWriteQuota(0, 429);
    expect(await failure(add(e, { priority: 4 }))).toBe('429 rateLimitExceeded');
    expect(priorities(e)).toEqual([1, 2, 3]);
  });
});

test('counters split reads, writes and polls per method', async () => {
  const { e } = setup({ completion: { afterPolls: 1 } });
  await e.get({ project: P, firewallPolicy: FP });
  const op = await add(e, { priority: 1 });
  await e.wait({ project: P, operation: op.name });
  await e.getRule({ project: P, firewallPolicy: FP, priority: 1 });
  expect(e.counters()).toMatchObject({
    calls: { get: 1, getRule: 1, addRule: 1, patchRule: 0, removeRule: 0, patch: 0, wait: 1, getOperation: 0 },
    reads: 2,
    writes: 1,
    polls: 1,
    applied: 1,
  });
  e.resetCounters();
  expect(e.counters().reads).toBe(0);
});

describe('persistence', () => {
  const dir = tempDir('fake-compute');

  test('save/load round-trips policies, operations and request ids', async () => {
    const { clock } = manualClock();
    const e = new FirewallPolicyEngine({ clock, completion: { afterPolls: 1 } });
    e.createPolicy(P, FP, { defaultRules: false });
    const op = await add(e, { priority: 10 }, { requestId: RID(9) });
    const file = join(dir, 'state.json');
    e.save(file);
    const loaded = FirewallPolicyEngine.load(file, { clock, completion: { afterPolls: 1 } });
    // the pending operation survives and completes in the new engine; the request id is still known
    expect((await loaded.wait({ project: P, operation: op.name })).status).toBe('DONE');
    expect(
      (
        await loaded.addRule({
          project: P,
          firewallPolicy: FP,
          firewallPolicyRuleResource: rule({ priority: 10 }),
          requestId: RID(9),
        })
      ).name,
    ).toBe(op.name);
    expect(loaded.rules(P, FP).map((r) => r.priority)).toEqual([10]);
    expect((await loaded.get({ project: P, firewallPolicy: FP })).fingerprint).not.toBe(
      (await e.get({ project: P, firewallPolicy: FP })).fingerprint,
    );
  });
  test('stateFile: every change is written through', async () => {
    const file = join(dir, 'auto.json');
    const e = new FirewallPolicyEngine({ completion: 'immediate', stateFile: file });
    e.createPolicy(P, FP, { defaultRules: false });
    await add(e, { priority: 10 });
    const state = JSON.parse(readFileSync(file, 'utf8'));
    expect(state.version).toBe(1);
    expect(state.policies[0].rules.map((r: IRule) => r.priority)).toEqual([10]);
  });
  test('a broken or foreign state file is refused with a message naming it', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{"version": 7}');
    expect(() => FirewallPolicyEngine.load(file)).toThrow(/unsupported state/);
    writeFileSync(file, 'nope');
    expect(() => FirewallPolicyEngine.load(file)).toThrow(file);
  });
});

test('wireNormalize drops null, undefined and empty lists at every level', () => {
  expect(wireNormalize({ a: [], b: null, c: undefined, d: { e: [], f: [1], g: '' }, h: [{ i: [] }] })).toEqual({
    d: { f: [1], g: '' },
    h: [{}],
  });
});
