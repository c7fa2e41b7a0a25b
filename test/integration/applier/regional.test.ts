/**
 * Regional placement through the applier with the REAL @google-cloud/compute clients (NetworkFirewallPolicies +
 * GlobalOperations, RegionNetworkFirewallPolicies + RegionOperations) against the fake REST server: a project's rules
 * land in its region's policy, a switch global → regional re-plans as a move (adds in the region, then removes from
 * the global policy), a region change moves again, and a change over a regional policy's quota writes nothing.
 */
import { FirewallPolicyEngine, startFakeComputeServer } from '../../../local/fakes/compute';
import { computeClients, computeFirewall } from '../../../shared/adapters/compute';
import { computePolicies, regionalComputeClients } from '../../../shared/adapters/regionalCompute';
import { makeEgressChange } from '../../../shared/core/events/codec';
import { ownedRules } from '../../../shared/core/firewall';
import type { EgressEntry, ProjectMeta } from '../../../shared/core/manifest/types';
import type { PlatformPolicy } from '../../../shared/core/policy/types';
import { nullLogger } from '../../../shared/ports/logger';
import { type ApplyDeps, applyChange } from '../../../shared/usecases/applyChange';
import { testPolicy } from '../../unit/firewall/testPolicy';
import { fakeClock } from '../../unit/usecases/applyHarness';

jest.setTimeout(60_000);

const HOST = 'host-prj';
const FW = 'egress-zero-trust';
const REGIONS = ['us-central1', 'europe-west1'];
const regional = testPolicy({ placement: 'regional', regions: REGIONS });
const global = testPolicy();
const entries: EgressEntry[] = [
  { value: 'api.stripe.com', type: 'hostname', description: 'Payment processor API' },
  { value: '34.117.59.0/24', type: 'cidr' },
];
const pg = (region?: string): ProjectMeta => ({
  name: 'payment-gateway',
  environment: 'production',
  ...(region ? { region } : {}),
});
const change = (project: ProjectMeta, generation: string, es = entries) =>
  makeEgressChange({
    project,
    reason: 'upsert',
    entries: es,
    source: { bucket: 'b', object: 'manifests/payment-gateway.yaml', generation },
  });

let engine: FirewallPolicyEngine;
let server: Awaited<ReturnType<typeof startFakeComputeServer>>;
let clients: ReturnType<typeof computeClients>;
let regionalClients: ReturnType<typeof regionalComputeClients>;

beforeAll(async () => {
  engine = new FirewallPolicyEngine();
  server = await startFakeComputeServer({ engine });
  clients = computeClients({ endpoint: server.url });
  regionalClients = regionalComputeClients({ endpoint: server.url });
});

afterAll(async () => {
  await clients.close();
  await regionalClients.close();
  await server.close();
});

let seq = 0;
let fw = '';
beforeEach(() => {
  // A fresh set of policies per test (request ids are remembered per host project).
  fw = `${FW}-${++seq}`;
  engine.createPolicy(HOST, fw);
  for (const r of REGIONS) engine.createPolicy(HOST, `${fw}-${r}`, { region: r });
  engine.setCapacity({ attributesPerPolicy: 2000, fqdnsPerPolicy: 1000 });
});

function deps(policy: PlatformPolicy): ApplyDeps {
  const firewall = computeFirewall({ project: HOST, policy: fw, ...clients });
  return {
    // global placement is the one-policy placement
    policies: computePolicies({
      hostProject: HOST,
      policy: fw,
      placement: policy.firewall,
      global: firewall,
      regional: () => regionalClients,
    }),
    policy,
    logger: nullLogger,
    clock: fakeClock(),
    retry: { attempts: 1 },
  };
}

const owned = (name: string, region?: string) =>
  ownedRules(
    engine.rules(HOST, name, region).map((r) => ({ ...r, priority: r.priority ?? 0 }) as never),
    'payment-gateway',
  ).map((r) => r.ruleName);

describe('regional placement through the applier (real clients, fake server)', () => {
  it("puts a project's rules in its region's policy; the global and the other regional policy stay untouched", async () => {
    engine.resetCounters();
    const out = await applyChange(deps(regional), change(pg('europe-west1'), '1'));
    expect(out).toMatchObject({ outcome: 'applied', reads: 3, writes: 1, plan: { create: 2 } });
    expect(owned(`${fw}-europe-west1`, 'europe-west1')).toEqual([
      'egress-payment-gateway-fqdn-1',
      'egress-payment-gateway-v4-1',
    ]);
    expect(owned(fw)).toEqual([]);
    expect(owned(`${fw}-us-central1`, 'us-central1')).toEqual([]);
    expect(engine.counters()).toMatchObject({ reads: 3, writes: 1, applied: 1 });
    // A redelivery is a no-op: one read per policy, nothing written.
    engine.resetCounters();
    expect(await applyChange(deps(regional), change(pg('europe-west1'), '1'))).toMatchObject({ writes: 0 });
    expect(engine.counters()).toMatchObject({ reads: 3, writes: 0 });
  });

  it('switching placement global → regional re-plans as a move: the region patched first, then the global', async () => {
    expect(await applyChange(deps(global), change(pg('us-central1'), '1'))).toMatchObject({ outcome: 'applied' });
    expect(owned(fw)).toHaveLength(2);
    engine.resetCounters();
    const moved = await applyChange(deps(regional), change(pg('us-central1'), '1'));
    expect(moved).toMatchObject({ outcome: 'applied', writes: 2, plan: { create: 2, delete: 2 } });
    expect(engine.counters().calls).toMatchObject({ patch: 2, addRule: 0, removeRule: 0, patchRule: 0 });
    // The new policy first: the region's batch update comes before the global one.
    const ops = engine.toJSON().operations.slice(-2);
    expect(ops.map((o) => `${o.operationType} ${o.region ?? 'global'}`)).toEqual([
      'compute.networkFirewallPolicy.patch us-central1',
      'compute.networkFirewallPolicy.patch global',
    ]);
    expect(owned(fw)).toEqual([]);
    expect(owned(`${fw}-us-central1`, 'us-central1')).toHaveLength(2);
    // A region change moves again, regional → regional.
    const again = await applyChange(deps(regional), change(pg('europe-west1'), '2'));
    expect(again).toMatchObject({ outcome: 'applied', writes: 2 });
    expect(owned(`${fw}-us-central1`, 'us-central1')).toEqual([]);
    expect(owned(`${fw}-europe-west1`, 'europe-west1')).toHaveLength(2);
  });

  it("a change over a regional policy's quota ends apply-failed/capacity with the fake's write counter unchanged", async () => {
    const tight = testPolicy({
      placement: 'regional',
      regions: REGIONS,
    });
    tight.capacity = { ...tight.capacity, fqdnsPerPolicy: 1 };
    engine.resetCounters();
    const many: EgressEntry[] = [
      { value: 'api.stripe.com', type: 'hostname' },
      { value: 'hooks.slack.com', type: 'hostname' },
    ];
    const out = await applyChange(deps(tight), change(pg('us-central1'), '1', many));
    expect(out).toMatchObject({ outcome: 'apply-failed', reason: 'capacity', writes: 0 });
    expect(out.error).toContain(`regions/us-central1/${fw}-us-central1`);
    expect(out.error).toContain('fqdns_per_regional_network_firewall_policy');
    expect(engine.counters()).toMatchObject({ writes: 0 });
  });

  it("the headroom check takes each policy's own limits as read from the quotas (deps.capacities), not the file's", async () => {
    const many: EgressEntry[] = [
      { value: 'api.stripe.com', type: 'hostname' },
      { value: 'hooks.slack.com', type: 'hostname' },
    ];
    const file = regional.capacity;
    // The us-central1 policy's quota is 1 FQDN; the file (and the global policy) allow the default.
    const tightThere = new Map([
      [`global/${fw}`, file],
      [`regions/us-central1/${fw}-us-central1`, { ...file, fqdnsPerPolicy: 1 }],
    ]);
    engine.resetCounters();
    const refused = await applyChange(
      { ...deps(regional), capacities: tightThere },
      change(pg('us-central1'), '1', many),
    );
    expect(refused).toMatchObject({ outcome: 'apply-failed', reason: 'capacity', writes: 0 });
    expect(refused.error).toContain(`regions/us-central1/${fw}-us-central1`);
    expect(engine.counters()).toMatchObject({ writes: 0 });
    // The reverse: a file limit of 1, but the quota read for the policy holds it.
    const tightFile = { ...regional, capacity: { ...file, fqdnsPerPolicy: 1 } };
    const roomy = new Map([[`regions/us-central1/${fw}-us-central1`, file]]);
    const applied = await applyChange({ ...deps(tightFile), capacities: roomy }, change(pg('us-central1'), '1', many));
    expect(applied).toMatchObject({ outcome: 'applied', writes: 1 });
  });

  it('an upsert without a region under regional placement is apply-failed/placement, nothing written', async () => {
    engine.resetCounters();
    const out = await applyChange(deps(regional), change(pg(), '1'));
    expect(out).toMatchObject({ outcome: 'apply-failed', reason: 'placement', writes: 0 });
    expect(out.error).toContain('spec.region is required');
    expect(engine.counters()).toMatchObject({ writes: 0 });
  });

  it('regional placement without the regional policies wired is apply-failed/placement, never a crash', async () => {
    const out = await applyChange({ ...deps(global), policy: regional }, change(pg('us-central1'), '1'));
    expect(out).toMatchObject({ outcome: 'apply-failed', reason: 'placement', writes: 0 });
    expect(out.error).toContain("is not one of the placement's policies");
  });
});
