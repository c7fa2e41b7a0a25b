/**
 * Regional network firewall policies in the fake (docs/fake-compute.md, "Regional policies"): the REAL
 * `RegionNetworkFirewallPoliciesClient` and `RegionOperationsClient` against the fake REST server (paths
 * `/compute/v1/projects/P/regions/R/firewallPolicies/FP…` and `…/regions/R/operations/OP`), the same quotas per policy
 * (the regional metric names), the same faults, the state file with regions (and one from before regions).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type protos, RegionNetworkFirewallPoliciesClient, RegionOperationsClient } from '@google-cloud/compute';
import {
  type FakeComputeServer,
  FakeRegionNetworkFirewallPoliciesClient,
  FakeRegionOperationsClient,
  FirewallPolicyEngine,
  startFakeComputeServer,
} from '../../../local/fakes/compute';
import { tempDir } from '../../support/tempDir';

type IRule = protos.google.cloud.compute.v1.IFirewallPolicyRule;

jest.setTimeout(30_000);

const P = 'host-project';
const R = 'europe-west1';
const RID = (n: number): string => `6f1c1b2e-0000-4000-8000-${String(n).padStart(12, '0')}`;
const rule = (priority: number, fqdns = ['api.stripe.com']): IRule => ({
  priority,
  action: 'allow',
  direction: 'EGRESS',
  ruleName: `egress-p-${priority}`,
  match: { destFqdns: fqdns, layer4Configs: [{ ipProtocol: 'all' }] },
});

const engine = new FirewallPolicyEngine();
let server: FakeComputeServer;
let policies: RegionNetworkFirewallPoliciesClient;
let operations: RegionOperationsClient;
let FP = '';
let seq = 0;

beforeAll(async () => {
  server = await startFakeComputeServer({ engine });
  const opts = { apiEndpoint: '127.0.0.1', port: server.port, protocol: 'http', apiKey: 'fake', fallback: true };
  policies = new RegionNetworkFirewallPoliciesClient(opts);
  operations = new RegionOperationsClient(opts);
});

afterAll(async () => {
  await policies.close();
  await operations.close();
  await server.close();
});

beforeEach(() => {
  FP = `egress-${R}-${++seq}`;
  engine.createPolicy(P, FP, { region: R });
  engine.clearFaults();
  engine.setCapacity({ attributesPerPolicy: 2000, fqdnsPerPolicy: 1000 });
  engine.resetCounters();
});

describe('the real regional clients against the fake server', () => {
  test('get, addRule, wait on a region operation, getRule, patchRule, removeRule', async () => {
    const [p] = await policies.get({ project: P, region: R, firewallPolicy: FP });
    expect(p.selfLink).toBe(`https://www.googleapis.com/compute/v1/projects/${P}/regions/${R}/firewallPolicies/${FP}`);
    expect(p.region).toBe(`https://www.googleapis.com/compute/v1/projects/${P}/regions/${R}`);
    expect(p.ruleTupleCount).toBe(8);
    const [op] = await policies.addRule({
      project: P,
      region: R,
      firewallPolicy: FP,
      firewallPolicyRuleResource: rule(1000),
      requestId: RID(1),
    });
    const running = op.latestResponse as protos.google.cloud.compute.v1.IOperation;
    expect(running.selfLink).toContain(`/projects/${P}/regions/${R}/operations/`);
    const [done] = await operations.wait({ project: P, region: R, operation: String(op.name) });
    expect(done.status).toBe('DONE');
    const [got] = await policies.getRule({ project: P, region: R, firewallPolicy: FP, priority: 1000 });
    expect(got.match?.destFqdns).toEqual(['api.stripe.com']);
    const [patch] = await policies.patchRule({
      project: P,
      region: R,
      firewallPolicy: FP,
      priority: 1000,
      firewallPolicyRuleResource: rule(1000, ['hooks.slack.com']),
      requestId: RID(2),
    });
    await operations.wait({ project: P, region: R, operation: String(patch.name) });
    expect(engine.rules(P, FP, R).find((r) => r.priority === 1000)?.match?.destFqdns).toEqual(['hooks.slack.com']);
    const [rm] = await policies.removeRule({
      project: P,
      region: R,
      firewallPolicy: FP,
      priority: 1000,
      requestId: RID(3),
    });
    await operations.wait({ project: P, region: R, operation: String(rm.name) });
    expect(engine.rules(P, FP, R).map((r) => r.priority)).toEqual([2147483644, 2147483645, 2147483646, 2147483647]);
    expect(engine.counters()).toMatchObject({ reads: 2, writes: 3, polls: 3, applied: 3 });
  });

  test('a regional policy is not the global one: other region 404, global operations do not find its operations', async () => {
    await expect(policies.get({ project: P, region: 'us-east1', firewallPolicy: FP })).rejects.toMatchObject({
      httpStatusCode: 404,
      message: expect.stringContaining(`projects/${P}/regions/us-east1/firewallPolicies/${FP}`),
    });
    const [op] = await policies.addRule({
      project: P,
      region: R,
      firewallPolicy: FP,
      firewallPolicyRuleResource: rule(1001),
    });
    const res = await fetch(`${server.url}/compute/v1/projects/${P}/global/operations/${op.name}/wait`, {
      method: 'POST',
    });
    expect(res.status).toBe(404);
    await operations.wait({ project: P, region: R, operation: String(op.name) });
  });

  test('the per-policy quotas hold per regional policy, reported in the operation with the regional metric', async () => {
    engine.setCapacity({ fqdnsPerPolicy: 2 });
    const [op] = await policies.addRule({
      project: P,
      region: R,
      firewallPolicy: FP,
      firewallPolicyRuleResource: rule(1000, ['a.example.com', 'b.example.com', 'c.example.com']),
    });
    const [done] = await operations.wait({ project: P, region: R, operation: String(op.name) });
    expect(done.error?.errors?.[0]).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      message: "Quota 'FQDNS_PER_REGIONAL_NETWORK_FIREWALL_POLICY' exceeded.  Limit: 2.0 in region europe-west1.",
    });
    expect(engine.rules(P, FP, R)).toHaveLength(4);
  });

  test('faults and write serialization apply to regional writes too', async () => {
    engine.setCompletion({ afterPolls: 1 });
    await policies.addRule({ project: P, region: R, firewallPolicy: FP, firewallPolicyRuleResource: rule(1000) });
    await expect(
      policies.addRule({ project: P, region: R, firewallPolicy: FP, firewallPolicyRuleResource: rule(1001) }),
    ).rejects.toMatchObject({
      httpStatusCode: 400,
      message: `The resource 'projects/${P}/regions/${R}/firewallPolicies/${FP}' is not ready`,
    });
    engine.failNext({ count: 1, status: 500, reason: 'backendError', methods: ['get'] });
    await expect(policies.get({ project: P, region: R, firewallPolicy: FP })).rejects.toMatchObject({
      httpStatusCode: 500,
    });
  });
});

describe('the fake regional clients and the state file', () => {
  test('the in-process regional client pair reads and writes the same engine', async () => {
    const c = new FakeRegionNetworkFirewallPoliciesClient(engine);
    const o = new FakeRegionOperationsClient(engine);
    const [op] = await c.addRule({ project: P, region: R, firewallPolicy: FP, firewallPolicyRuleResource: rule(1200) });
    await o.wait({ project: P, region: R, operation: String(op.name) });
    const [p] = await c.get({ project: P, region: R, firewallPolicy: FP });
    expect(p.rules?.map((r) => r.priority)).toContain(1200);
  });

  test('regions persist; a state file from before regions loads as global policies', () => {
    const dir = tempDir('regional-state');
    const e = new FirewallPolicyEngine();
    e.createPolicy(P, 'fw');
    e.createPolicy(P, 'fw-europe-west1', { region: R });
    e.save(join(dir, 'a.json'));
    const back = FirewallPolicyEngine.load(join(dir, 'a.json'));
    expect(back.toJSON().policies.map((p) => [p.name, p.region ?? 'global'])).toEqual([
      ['fw', 'global'],
      ['fw-europe-west1', R],
    ]);
    expect(back.rules(P, 'fw-europe-west1', R)).toHaveLength(4);
    const old = {
      version: 1,
      nextId: 5,
      policies: [{ ...e.toJSON().policies[0]!, region: undefined }],
      operations: [],
      requestIds: [],
    };
    writeFileSync(join(dir, 'old.json'), JSON.stringify(old));
    expect(FirewallPolicyEngine.load(join(dir, 'old.json')).rules(P, 'fw')).toHaveLength(4);
  });
});
