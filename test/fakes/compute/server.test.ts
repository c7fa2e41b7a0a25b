/**
 * The REAL @google-cloud/compute@7 clients against the fake REST server: paths, query parameters, bodies, operation
 * objects, waiting, and the errors the real client throws (REST mode, google-gax 6: a GoogleError whose `code` is the
 * gRPC code, `httpStatusCode` the HTTP status and `message` the body's `error.message`).
 */
import { GlobalOperationsClient, NetworkFirewallPoliciesClient, type protos } from '@google-cloud/compute';
import { type FakeComputeServer, FirewallPolicyEngine, startFakeComputeServer } from '../../../local/fakes/compute';

type IRule = protos.google.cloud.compute.v1.IFirewallPolicyRule;

const PROJECT = 'host-project';
const RID = (n: number): string => `6f1c1b2e-0000-4000-8000-${String(n).padStart(12, '0')}`;
const rule = (over: Partial<IRule> = {}): IRule => ({
  action: 'allow',
  direction: 'EGRESS',
  ruleName: 'egress-payments-0',
  description: 'managed-by=infrastream-egress',
  enableLogging: true,
  match: { destFqdns: ['api.stripe.com'], layer4Configs: [{ ipProtocol: 'all' }] },
  targetServiceAccounts: ['payments@payments-prod.iam.gserviceaccount.com'],
  ...over,
});

// The real clients spend ~1-3 s initialising (protos, auth) on their first call, so one server and one pair of
// clients serve the whole file; each test gets a fresh policy name and clean counters/faults instead.
jest.setTimeout(30_000);

const engine = new FirewallPolicyEngine();
let server: FakeComputeServer;
let policies: NetworkFirewallPoliciesClient;
let operations: GlobalOperationsClient;
let POLICY = '';
let seq = 0;

beforeAll(async () => {
  server = await startFakeComputeServer({ engine });
  // `protocol` is read by google-gax's REST stub but is missing from ClientOptions' type.
  const opts = { apiEndpoint: '127.0.0.1', port: server.port, protocol: 'http', apiKey: 'fake', fallback: true };
  policies = new NetworkFirewallPoliciesClient(opts);
  operations = new GlobalOperationsClient(opts);
});

afterAll(async () => {
  await policies.close();
  await operations.close();
  await server.close();
});

beforeEach(() => {
  POLICY = `egress-policy-${++seq}`;
  engine.createPolicy(PROJECT, POLICY);
  engine.clearFaults();
  engine.resetCounters();
});

async function waitDone(name: string | undefined): Promise<protos.google.cloud.compute.v1.IOperation> {
  const [op] = await operations.wait({ project: PROJECT, operation: name });
  return op;
}

test("get returns the policy with Google's default rules, a fingerprint and decoded defaults", async () => {
  const [policy] = await policies.get({ project: PROJECT, firewallPolicy: POLICY });
  expect(policy.name).toBe(POLICY);
  expect(policy.fingerprint).toMatch(/^[A-Za-z0-9+/]+=*$/);
  expect(policy.rules?.map((r) => r.priority)).toEqual([2147483644, 2147483645, 2147483646, 2147483647]);
  // The real decoder fills every repeated field with [] — the adapter must not mistake [] for "set".
  expect(policy.rules?.[0]?.targetServiceAccounts).toEqual([]);
  expect(engine.counters().calls.get).toBe(1);
});

test('addRule → wait → getRule round-trips the rule through the real client', async () => {
  const [op] = await policies.addRule({
    project: PROJECT,
    firewallPolicy: POLICY,
    requestId: RID(1),
    firewallPolicyRuleResource: rule({ priority: 1000 }),
  });
  expect(op.latestResponse).toMatchObject({ status: 'RUNNING', kind: 'compute#operation' });
  expect(typeof (op as unknown as { promise?: unknown }).promise).toBe('undefined');
  // The real client names the operation object by the operation's numeric id; wait accepts it.
  expect(op.name).toBe((op.latestResponse as protos.google.cloud.compute.v1.IOperation).id);
  const done = await waitDone(op.name);
  expect(done.status).toBe('DONE');
  expect(done.error).toBeFalsy();
  const [got] = await policies.getRule({ project: PROJECT, firewallPolicy: POLICY, priority: 1000 });
  expect(got).toMatchObject({
    priority: 1000,
    action: 'allow',
    direction: 'EGRESS',
    ruleName: 'egress-payments-0',
    enableLogging: true,
    match: { destFqdns: ['api.stripe.com'], layer4Configs: [{ ipProtocol: 'all' }] },
    targetServiceAccounts: ['payments@payments-prod.iam.gserviceaccount.com'],
    // 1 FQDN + all; target service accounts cost 0 (recorded, docs/capacity.md).
    ruleTupleCount: 2,
  });
});

test('addRule with a minPriority/maxPriority window picks the lowest free priority', async () => {
  engine.createPolicy(PROJECT, `${POLICY}-w`, { defaultRules: false, rules: [rule({ priority: 100 })] });
  const [op] = await policies.addRule({
    project: PROJECT,
    firewallPolicy: `${POLICY}-w`,
    minPriority: 100,
    maxPriority: 200,
    firewallPolicyRuleResource: rule(),
  });
  await waitDone(op.name);
  expect(engine.rules(PROJECT, `${POLICY}-w`).map((r) => r.priority)).toEqual([100, 101]);
});

test('patchRule (priority in the query) replaces the given fields; removeRule deletes; the fingerprint changes', async () => {
  const [a] = await policies.addRule({
    project: PROJECT,
    firewallPolicy: POLICY,
    firewallPolicyRuleResource: rule({ priority: 1000 }),
  });
  await waitDone(a.name);
  const [before] = await policies.get({ project: PROJECT, firewallPolicy: POLICY });
  const [p] = await policies.patchRule({
    project: PROJECT,
    firewallPolicy: POLICY,
    priority: 1000,
    requestId: RID(2),
    firewallPolicyRuleResource: {
      match: { destFqdns: ['api.stripe.com', 'files.stripe.com'], layer4Configs: [{ ipProtocol: 'all' }] },
    },
  });
  await waitDone(p.name);
  const [patched] = await policies.getRule({ project: PROJECT, firewallPolicy: POLICY, priority: 1000 });
  expect(patched.match?.destFqdns).toEqual(['api.stripe.com', 'files.stripe.com']);
  expect(patched.ruleName).toBe('egress-payments-0');
  const [after] = await policies.get({ project: PROJECT, firewallPolicy: POLICY });
  expect(after.fingerprint).not.toBe(before.fingerprint);

  const [r] = await policies.removeRule({
    project: PROJECT,
    firewallPolicy: POLICY,
    priority: 1000,
    requestId: RID(3),
  });
  await waitDone(r.name);
  expect(engine.rules(PROJECT, POLICY).some((x) => x.priority === 1000)).toBe(false);
});

test('a retried write with the same requestId returns the same operation and has no second effect', async () => {
  const req = {
    project: PROJECT,
    firewallPolicy: POLICY,
    requestId: RID(4),
    firewallPolicyRuleResource: rule({ priority: 1000 }),
  };
  const [first] = await policies.addRule(req);
  const [second] = await policies.addRule(req);
  expect(second.name).toBe(first.name);
  await waitDone(first.name);
  expect(engine.counters()).toMatchObject({ applied: 1, deduplicated: 1 });
});

test('operations that finish with an error report it in Operation.error, as the real API does', async () => {
  engine.failOperations({ count: 1, code: 'INTERNAL_ERROR', message: 'boom', httpStatus: 500 });
  const [op] = await policies.addRule({
    project: PROJECT,
    firewallPolicy: POLICY,
    firewallPolicyRuleResource: rule({ priority: 1000 }),
  });
  const done = await waitDone(op.name);
  expect(done.status).toBe('DONE');
  expect(done.error?.errors?.[0]).toMatchObject({ code: 'INTERNAL_ERROR', message: 'boom' });
  expect(done.httpErrorStatusCode).toBe(500);
  expect(engine.rules(PROJECT, POLICY).some((x) => x.priority === 1000)).toBe(false);
});

describe('errors, as the real client throws them (gRPC code, httpStatusCode, the body message)', () => {
  const addAt = (firewallPolicy: string, priority: number) =>
    policies.addRule({ project: PROJECT, firewallPolicy, firewallPolicyRuleResource: rule({ priority }) }).then(
      () => undefined,
      (e: unknown) => e,
    );

  test('409 alreadyExists for a taken priority (also while the first write is still RUNNING)', async () => {
    expect(await addAt(POLICY, 1000)).toBeUndefined();
    const err = await addAt(POLICY, 1000);
    expect(err).toMatchObject({ code: 10, httpStatusCode: 409, message: expect.stringContaining('already exists') });
  });

  test('404 notFound for a missing policy', async () => {
    const err = await addAt('no-such-policy', 1000);
    expect(err).toMatchObject({ code: 5, httpStatusCode: 404, message: expect.stringContaining('was not found') });
  });

  test('400 invalid for a wildcard FQDN', async () => {
    const err = await policies
      .addRule({
        project: PROJECT,
        firewallPolicy: POLICY,
        firewallPolicyRuleResource: rule({
          priority: 1000,
          match: { destFqdns: ['*.stripe.com'], layer4Configs: [{ ipProtocol: 'all' }] },
        }),
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toMatchObject({ code: 3, httpStatusCode: 400, message: expect.stringContaining('Invalid value') });
  });

  test('403 rateLimitExceeded from the write quota, and injected 503s', async () => {
    engine.setWriteQuota(1);
    await policies.addRule({
      project: PROJECT,
      firewallPolicy: POLICY,
      firewallPolicyRuleResource: rule({ priority: 1000 }),
    });
    const limited = await policies
      .addRule({ project: PROJECT, firewallPolicy: POLICY, firewallPolicyRuleResource: rule({ priority: 1001 }) })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    // The legacy reason (rateLimitExceeded) is not kept by google-gax 6: the message says it.
    expect(limited).toMatchObject({ code: 7, httpStatusCode: 403, message: expect.stringMatching(/^Quota exceeded/) });

    engine.clearFaults();
    engine.failNext({ count: 1, status: 503, reason: 'backendError', methods: ['get'] });
    // Since google-gax 6 the 503 maps to UNAVAILABLE (14), one of get's retry codes: the client retries it itself.
    const [policy] = await policies.get({ project: PROJECT, firewallPolicy: POLICY });
    expect(policy.name).toBe(POLICY);
    expect(engine.counters().calls.get).toBe(2);
  });

  test('wait on an unknown operation is 404', async () => {
    const err = await operations.wait({ project: PROJECT, operation: 'operation-nope' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 5, httpStatusCode: 404 });
  });
});
