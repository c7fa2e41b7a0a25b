/**
 * The batch update of network firewall policies (`patch` with the complete `rules` list and the `fingerprint`), through
 * the REAL NetworkFirewallPoliciesClient / RegionNetworkFirewallPoliciesClient against the fake REST server, and the
 * engine for what needs a running operation or a setting (serializeWrites, quotas).
 */
import {
  GlobalOperationsClient,
  NetworkFirewallPoliciesClient,
  type protos,
  RegionNetworkFirewallPoliciesClient,
  RegionOperationsClient,
} from '@google-cloud/compute';
import { defaultPolicyRules, FirewallPolicyEngine } from '../../../local/fakes/compute';
import { withRealClients } from './realClients';

type IRule = protos.google.cloud.compute.v1.IFirewallPolicyRule;

const PROJECT = 'host-project';
const RID = (n: number): string => `7a2d3c4e-0000-4000-8000-${String(n).padStart(12, '0')}`;
const rule = (priority: number, fqdn = 'api.stripe.com', over: Partial<IRule> = {}): IRule => ({
  priority,
  action: 'allow',
  direction: 'EGRESS',
  description: 'managed-by=infrastream-egress',
  match: { destFqdns: [fqdn], layer4Configs: [{ ipProtocol: 'tcp', ports: ['443'] }] },
  ...over,
});

jest.setTimeout(30_000);

const engine = new FirewallPolicyEngine();
const fake = withRealClients(engine, {
  policies: NetworkFirewallPoliciesClient,
  operations: GlobalOperationsClient,
  regional: RegionNetworkFirewallPoliciesClient,
  regionOps: RegionOperationsClient,
});
const c = fake.clients;
let POLICY = '';
let seq = 0;

beforeEach(() => {
  POLICY = `batch-policy-${++seq}`;
  engine.createPolicy(PROJECT, POLICY, { rules: [rule(1000, 'old.example.com')] });
  engine.setCapacity({ attributesPerPolicy: 2000 });
  engine.resetCounters();
});

const read = async () => (await c.policies.get({ project: PROJECT, firewallPolicy: POLICY }))[0];
const patch = (rules: IRule[] | undefined, fingerprint: string | null | undefined, requestId?: string) =>
  c.policies.patch({
    project: PROJECT,
    firewallPolicy: POLICY,
    firewallPolicyResource: { ...(rules ? { rules } : {}), fingerprint },
    ...(requestId ? { requestId } : {}),
  });
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
const priorities = (rules: IRule[] | null | undefined) => (rules ?? []).map((r) => r.priority);

test('one patch replaces every rule in one operation; ruleTupleCount and the fingerprint are recomputed', async () => {
  const before = await read();
  const next = [rule(900, 'api.stripe.com'), rule(901, 'hooks.slack.com'), ...defaultPolicyRules()];
  const [op] = await patch(next, before.fingerprint);
  expect(op.latestResponse).toMatchObject({ status: 'RUNNING', operationType: 'compute.networkFirewallPolicy.patch' });
  expect(priorities((await read()).rules)).toEqual(priorities(before.rules)); // not before the operation completes
  const [done] = await c.operations.wait({ project: PROJECT, operation: op.name });
  expect(done.status).toBe('DONE');
  const after = await read();
  expect(priorities(after.rules)).toEqual([900, 901, 2147483644, 2147483645, 2147483646, 2147483647]);
  expect(after.rules?.[1]?.match?.destFqdns).toEqual(['hooks.slack.com']);
  // tcp + port 443 + one FQDN = 3 attributes per rule; the four defaults 2 each.
  expect(after.rules?.[0]?.ruleTupleCount).toBe(3);
  expect(after.ruleTupleCount).toBe(3 + 3 + 8);
  expect(after.fingerprint).not.toBe(before.fingerprint);
  expect(engine.counters()).toMatchObject({ writes: 1, applied: 1 });
});

test('one invalid rule refuses the whole patch with 400: nothing changes, no operation', async () => {
  const before = await read();
  const bad = rule(902, 'bad*.example.com');
  const err = await failure(patch([rule(900), bad, ...defaultPolicyRules()], before.fingerprint));
  expect(err).toMatchObject({
    httpStatusCode: 400,
    message: expect.stringContaining("'resource.rules[1].match.destFqdns'"),
  });
  const after = await read();
  expect(after.rules).toEqual(before.rules);
  expect(after.fingerprint).toBe(before.fingerprint);
  expect(engine.pendingOperations()).toEqual([]);
});

test.each<[string, (d: IRule[]) => IRule[], string]>([
  ['a default rule left out', (d) => [rule(900), ...d.slice(1)], 'default goto_next rules'],
  ['two rules at one priority', (d) => [rule(900), rule(900, 'b.example.com'), ...d], 'rules[1].priority'],
  [
    'a rule without a priority',
    (d) => [rule(900, 'a.example.com', { priority: undefined }), ...d],
    'rules[0].priority',
  ],
])('refuses %s with 400 and changes nothing', async (_what, make, message) => {
  const before = await read();
  const err = await failure(patch(make(defaultPolicyRules()), before.fingerprint));
  expect(err).toMatchObject({ httpStatusCode: 400, message: expect.stringContaining(message) });
  expect((await read()).rules).toEqual(before.rules);
});

test('a stale fingerprint is 412 conditionNotMet and changes nothing; a missing one is 400', async () => {
  const stale = (await read()).fingerprint;
  const [op] = await c.policies.addRule({
    project: PROJECT,
    firewallPolicy: POLICY,
    firewallPolicyRuleResource: rule(1001),
  });
  await c.operations.wait({ project: PROJECT, operation: op.name });
  const before = await read();
  const err = await failure(patch([rule(900), ...defaultPolicyRules()], stale));
  expect(err).toMatchObject({
    httpStatusCode: 412,
    message: 'Supplied fingerprint does not match current metadata fingerprint.',
  });
  expect(await read()).toEqual(before);
  const none = await failure(patch([rule(900), ...defaultPolicyRules()], undefined));
  expect(none).toMatchObject({ httpStatusCode: 400, message: expect.stringContaining('resource.fingerprint') });
});

test('rule writes are refused while a patch runs, even without serializeWrites', async () => {
  const e = new FirewallPolicyEngine({ serializeWrites: false, completion: { afterPolls: 1 } });
  e.createPolicy('p', 'fp');
  const { fingerprint } = await e.get({ project: 'p', firewallPolicy: 'fp' });
  const op = await e.patch({
    project: 'p',
    firewallPolicy: 'fp',
    firewallPolicyResource: { rules: [rule(900), ...defaultPolicyRules()], fingerprint },
  });
  const add = e.addRule({ project: 'p', firewallPolicy: 'fp', firewallPolicyRuleResource: rule(950) });
  await expect(add).rejects.toMatchObject({ status: 400, reason: 'resourceNotReady' });
  await e.wait({ project: 'p', operation: op.name });
  await e.addRule({ project: 'p', firewallPolicy: 'fp', firewallPolicyRuleResource: rule(950) });
  await e.removeRule({ project: 'p', firewallPolicy: 'fp', priority: 900 }); // rule writes overlap again afterwards
});

test('quotas are counted over the new list: over the quota the operation fails and nothing changes', async () => {
  engine.setCapacity({ attributesPerPolicy: 13 });
  const before = await read(); // 3 + 8 = 11 attributes; the new list 3 + 3 + 8 = 14
  const [op] = await patch([rule(900), rule(901, 'b.example.com'), ...defaultPolicyRules()], before.fingerprint);
  const [done] = await c.operations.wait({ project: PROJECT, operation: op.name });
  expect(done).toMatchObject({ status: 'DONE', httpErrorStatusCode: 403 });
  expect(done.error?.errors?.[0]).toMatchObject({ code: 'QUOTA_EXCEEDED' });
  expect((await read()).rules).toEqual(before.rules);
  // A list that fits (one rule replaced by another) passes.
  const [ok] = await patch([rule(900, 'b.example.com'), ...defaultPolicyRules()], before.fingerprint);
  expect((await c.operations.wait({ project: PROJECT, operation: ok.name }))[0].error).toBeFalsy();
  expect(priorities((await read()).rules)).toEqual([900, 2147483644, 2147483645, 2147483646, 2147483647]);
});

test('a retry with the same requestId answers the same operation (one effect)', async () => {
  const { fingerprint } = await read();
  const [a] = await patch([rule(900), ...defaultPolicyRules()], fingerprint, RID(1));
  const [b] = await patch([rule(900), ...defaultPolicyRules()], fingerprint, RID(1));
  expect(b.name).toBe(a.name);
  await c.operations.wait({ project: PROJECT, operation: a.name });
  expect(engine.counters()).toMatchObject({ writes: 2, deduplicated: 1, applied: 1 });
});

test('a patch without rules keeps them (description only)', async () => {
  const before = await read();
  const [op] = await patch(undefined, before.fingerprint);
  await c.operations.wait({ project: PROJECT, operation: op.name });
  expect((await read()).rules).toEqual(before.rules);
});

test('the regional policy takes the same batch update (region operation)', async () => {
  const name = `regional-${seq}`;
  engine.createPolicy(PROJECT, name, { region: 'us-central1' });
  const at = { project: PROJECT, region: 'us-central1', firewallPolicy: name };
  const [before] = await c.regional.get(at);
  const [op] = await c.regional.patch({
    ...at,
    firewallPolicyResource: { rules: [rule(900), ...defaultPolicyRules()], fingerprint: before.fingerprint },
  });
  await c.regionOps.wait({ project: PROJECT, region: 'us-central1', operation: op.name });
  expect(priorities((await c.regional.get(at))[0].rules)).toEqual([
    900, 2147483644, 2147483645, 2147483646, 2147483647,
  ]);
  const stale = await failure(
    c.regional.patch({
      ...at,
      firewallPolicyResource: { rules: defaultPolicyRules(), fingerprint: before.fingerprint },
    }),
  );
  expect(stale).toMatchObject({ httpStatusCode: 412 });
});
