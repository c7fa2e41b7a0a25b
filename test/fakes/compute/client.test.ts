import type { protos } from '@google-cloud/compute';
import { FakeGlobalOperationsClient, FakeNetworkFirewallPoliciesClient } from '../../../local/fakes/compute/client';
import { FirewallPolicyEngine } from '../../../local/fakes/compute/engine';

type IRule = protos.google.cloud.compute.v1.IFirewallPolicyRule;

const P = 'host';
const FP = 'fp';
const rule = (over: Partial<IRule> = {}): IRule => ({
  priority: 1000,
  action: 'allow',
  direction: 'EGRESS',
  match: { destFqdns: ['api.stripe.com'], layer4Configs: [{ ipProtocol: 'all' }] },
  ...over,
});

function setup() {
  const engine = new FirewallPolicyEngine();
  engine.createPolicy(P, FP, { defaultRules: false });
  return {
    engine,
    policies: new FakeNetworkFirewallPoliciesClient(engine),
    operations: new FakeGlobalOperationsClient(engine),
  };
}

test("writes resolve to the real client's plain operation object; wait by its name completes it", async () => {
  const { policies, operations } = setup();
  const [op] = await policies.addRule({ project: P, firewallPolicy: FP, firewallPolicyRuleResource: rule() });
  expect(Object.keys(op).sort()).toEqual(['done', 'latestResponse', 'metadata', 'name', 'result']);
  expect(op).toMatchObject({ done: false, metadata: null, result: {} });
  expect((op as unknown as { promise?: unknown }).promise).toBeUndefined();
  const latest = op.latestResponse as protos.google.cloud.compute.v1.IOperation;
  expect(latest.status).toBe('RUNNING');
  expect(op.name).toBe(latest.id);
  const [done] = await operations.wait({ project: P, operation: op.name });
  expect(done.status).toBe('DONE');
  // decoded like the REST client: unset repeated fields are [] and unset messages are absent
  expect(done.warnings).toEqual([]);
  expect(done.error).toBeUndefined();
});

test("responses carry the decoder's defaults ([] for every repeated field), as the real client returns them", async () => {
  const { policies, operations } = setup();
  const [op] = await policies.addRule({ project: P, firewallPolicy: FP, firewallPolicyRuleResource: rule() });
  await operations.wait({ project: P, operation: op.name });
  const [got] = await policies.getRule({ project: P, firewallPolicy: FP, priority: 1000 });
  expect(got.targetServiceAccounts).toEqual([]);
  expect(got.targetSecureTags).toEqual([]);
  expect(got.match?.destIpRanges).toEqual([]);
  expect(got.match?.destFqdns).toEqual(['api.stripe.com']);
  const [policy] = await policies.get({ project: P, firewallPolicy: FP });
  expect(policy.associations).toEqual([]);
  expect(typeof policy.id).toBe('string');
});

test('request fields unknown to the proto are dropped by the client encoder, not sent', async () => {
  const { policies, operations, engine } = setup();
  const withTags = { ...rule(), targetTags: ['web'] } as IRule;
  const [op] = await policies.addRule({ project: P, firewallPolicy: FP, firewallPolicyRuleResource: withTags });
  await operations.wait({ project: P, operation: op.name });
  expect(engine.rules(P, FP)).toHaveLength(1);
  expect(engine.rules(P, FP)[0]).not.toHaveProperty('targetTags');
});

test('API errors are thrown as the REST client throws them: a GoogleError with gRPC code, HTTP status, message', async () => {
  const { policies } = setup();
  const err = (await policies
    .addRule({ project: P, firewallPolicy: FP, firewallPolicyRuleResource: rule({ priority: -1 }) })
    .catch((e: unknown) => e)) as Error & { code: number; httpStatusCode: number };
  expect(err.constructor.name).toBe('GoogleError');
  expect(err).toMatchObject({ code: 3, httpStatusCode: 400 });
  expect(err.message).toContain("Invalid value for field 'resource.priority'");
});

test('callback overloads work like the promise ones', async () => {
  const { policies } = setup();
  const policy = await new Promise<protos.google.cloud.compute.v1.IFirewallPolicy | null | undefined>(
    (resolve, reject) =>
      policies.get({ project: P, firewallPolicy: FP }, (err, value) => (err ? reject(err) : resolve(value))),
  );
  expect(policy?.name).toBe(FP);
  const err = await new Promise<Error | null>((resolve) =>
    policies.get({ project: P, firewallPolicy: 'nope' }, {}, (e) => resolve(e)),
  );
  expect(err).toMatchObject({ code: 5, httpStatusCode: 404 });
});

test("a closed client rejects with the real client's string", async () => {
  const { policies } = setup();
  await policies.close();
  await expect(policies.get({ project: P, firewallPolicy: FP })).rejects.toBe('The client has already been closed.');
});

test('patch (batch update) through the fake clients: the whole list lands in one operation; a stale fingerprint is 412', async () => {
  const engine = new FirewallPolicyEngine();
  engine.createPolicy(P, FP);
  const policies = new FakeNetworkFirewallPoliciesClient(engine);
  const operations = new FakeGlobalOperationsClient(engine);
  const [before] = await policies.get({ project: P, firewallPolicy: FP });
  const rules = [rule({ priority: 900 }), ...(before.rules ?? [])];
  const [op] = await policies.patch({
    project: P,
    firewallPolicy: FP,
    firewallPolicyResource: { rules, fingerprint: before.fingerprint },
  });
  await operations.wait({ project: P, operation: op.name });
  expect(engine.rules(P, FP).map((r) => r.priority)).toEqual([900, 2147483644, 2147483645, 2147483646, 2147483647]);
  const stale = policies.patch({
    project: P,
    firewallPolicy: FP,
    firewallPolicyResource: { rules, fingerprint: before.fingerprint },
  });
  await expect(stale).rejects.toMatchObject({ httpStatusCode: 412 });
});
