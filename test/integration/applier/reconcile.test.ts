/**
 * One reconcile suite, two transports over the same fake engine:
 *  - the production adapter over the fake NetworkFirewallPolicies/GlobalOperations clients (in process);
 *  - the production adapter over the REAL @google-cloud/compute clients talking HTTP to the fake REST server.
 * Assertions read the engine's committed rules and call counters (API economy).
 */

import {
  FakeGlobalOperationsClient,
  FakeNetworkFirewallPoliciesClient,
  FirewallPolicyEngine,
  type FirewallPolicyRule,
  startFakeComputeServer,
} from '../../../local/fakes/compute';
import { computeClients, computeFirewall } from '../../../shared/adapters/compute';
import { makeEgressChange } from '../../../shared/core/events/codec';
import type { ChangeReason } from '../../../shared/core/events/types';
import { parseMarker } from '../../../shared/core/firewall';
import type { EgressEntry, ProjectMeta } from '../../../shared/core/manifest/types';
import { type FirewallPolicyPort, singlePolicy } from '../../../shared/ports/firewall';
import { type ApplyDeps, applyChange, RetryLaterError } from '../../../shared/usecases/applyChange';
import { testPolicy } from '../../unit/firewall/testPolicy';
import { fakeClock } from '../../unit/usecases/applyHarness';

jest.setTimeout(30_000);

const HOST = 'host-prj';

/** A transport gives a port per policy name; clients are built once per suite (the real client's first call is slow). */
type Transport = (
  engine: FirewallPolicyEngine,
) => Promise<{ port(policy: string): FirewallPolicyPort; close(): Promise<void> }>;

const transports: [string, Transport][] = [
  [
    'the fake client',
    async (engine) => {
      const policies = new FakeNetworkFirewallPoliciesClient(engine);
      const operations = new FakeGlobalOperationsClient(engine);
      return {
        port: (policy) => computeFirewall({ project: HOST, policy, policies, operations }),
        close: async () => undefined,
      };
    },
  ],
  [
    'the real client and the fake REST server',
    async (engine) => {
      const server = await startFakeComputeServer({ engine });
      const clients = computeClients({ endpoint: server.url });
      return {
        port: (policy) => computeFirewall({ project: HOST, policy, ...clients }),
        close: async () => {
          await clients.close();
          await server.close();
        },
      };
    },
  ],
];

const foreign: FirewallPolicyRule = {
  priority: 1500,
  ruleName: 'allow-dns',
  description: 'baseline (terraform)',
  direction: 'EGRESS',
  action: 'allow',
  match: { destIpRanges: ['8.8.8.8/32'], layer4Configs: [{ ipProtocol: 'udp', ports: ['53'] }] },
};

const pg: ProjectMeta = { name: 'payment-gateway', environment: 'production' };
const ledger: ProjectMeta = { name: 'ledger', environment: 'production' };
const entries: EgressEntry[] = [
  { value: 'api.stripe.com', type: 'hostname', description: 'Payment processor API' },
  { value: 'hooks.slack.com', type: 'hostname', description: 'Notification webhooks' },
  { value: '*.googleapis.com', type: 'wildcard', description: 'Google Cloud APIs' },
  { value: '34.117.59.0/24', type: 'cidr' },
];

/** Events differ per test (the bucket): request ids are remembered per host project across the suite's policies. */
let bucket = 'manifests';

function change(project: ProjectMeta, generation: string, es: EgressEntry[], reason: ChangeReason = 'upsert') {
  return makeEgressChange({
    project,
    reason,
    entries: es,
    source: { bucket, object: `manifests/${project.name}.yaml`, generation },
  });
}

describe.each(transports)('reconcile through %s', (_name, transport) => {
  // One engine and one client pair per transport; every test gets its own policy in that engine.
  const engine = new FirewallPolicyEngine({ completion: { afterPolls: 1 } });
  let t: Awaited<ReturnType<Transport>>;
  let deps: ApplyDeps;
  let FP = '';
  let n = 0;

  beforeAll(async () => {
    t = await transport(engine);
    // Warm the real client up (its first call resolves credentials options); not part of any assertion.
    engine.createPolicy(HOST, 'warm-up');
    await t.port('warm-up').getPolicy();
  }, 60_000);
  afterAll(async () => t.close());

  beforeEach(() => {
    FP = `egress-policy-${++n}`;
    bucket = `manifests-${n}`;
    engine.createPolicy(HOST, FP, { rules: [foreign] });
    engine.clearFaults();
    engine.setCapacity({ attributesPerPolicy: 20000 });
    engine.resetCounters();
    deps = {
      policies: singlePolicy(t.port(FP), FP),
      policy: testPolicy(),
      logger: { log: () => undefined },
      clock: fakeClock(),
      retry: { random: () => 0 },
    };
  });

  const owned = (project?: string) =>
    engine.rules(HOST, FP).filter((r) => {
      const m = parseMarker(r.description);
      return m && (!project || m.project === project);
    });

  it('creates the project rules, exactly as compiled, next to foreign rules', async () => {
    const others = engine.rules(HOST, FP);
    const out = await applyChange(deps, change(pg, '100', entries));
    expect(out).toMatchObject({ outcome: 'applied', plan: { create: 3 } });
    const rules = owned('payment-gateway');
    expect(rules.map((r) => r.ruleName).sort()).toEqual([
      'egress-payment-gateway-fqdn-1',
      'egress-payment-gateway-v4-1',
      'egress-payment-gateway-v6-1',
    ]);
    const fqdn = rules.find((r) => r.ruleName?.endsWith('fqdn-1'))!;
    expect(fqdn).toMatchObject({
      direction: 'EGRESS',
      action: 'allow',
      enableLogging: true,
      targetServiceAccounts: ['egress-payment-gateway@host-prj.iam.gserviceaccount.com'],
      match: { destFqdns: ['api.stripe.com', 'hooks.slack.com'], layer4Configs: [{ ipProtocol: 'all' }] },
    });
    expect(engine.rules(HOST, FP).find((r) => r.priority === 1500)).toMatchObject(foreign);
    // one batch update of the policy: the rules it does not own (the foreign one, the defaults) exactly as they were
    expect(engine.rules(HOST, FP).filter((r) => !parseMarker(r.description ?? ''))).toEqual(others);
    const c = engine.counters();
    expect([c.reads, c.writes, c.calls.patch, c.applied]).toEqual([1, 1, 1, 1]);
  });

  it('API economy: a no-op event costs one read and no writes', async () => {
    await applyChange(deps, change(pg, '100', entries));
    engine.resetCounters();
    const out = await applyChange(deps, change(pg, '100', entries));
    expect(out).toMatchObject({ outcome: 'applied', plan: { create: 0, update: 0, delete: 0, unchanged: 3 } });
    const c = engine.counters();
    expect([c.reads, c.writes]).toEqual([1, 0]);
  });

  it('API economy: a one-entry change of one project writes only the differing rule', async () => {
    await applyChange(deps, change(pg, '100', entries));
    await applyChange(deps, change(ledger, '7', entries));
    const ledgerBefore = owned('ledger');
    engine.resetCounters();
    const next = entries.map((e) => (e.value === 'hooks.slack.com' ? { ...e, value: 'files.slack.com' } : e));
    const out = await applyChange(deps, change(pg, '101', next));
    expect(out.plan).toEqual({ create: 0, update: 1, delete: 0, unchanged: 2 });
    const c = engine.counters();
    expect([c.reads, c.writes, c.calls.patch, c.calls.patchRule]).toEqual([1, 1, 1, 0]);
    expect(owned('ledger')).toEqual(ledgerBefore);
    expect(owned('payment-gateway').find((r) => r.ruleName?.endsWith('fqdn-1'))?.match?.destFqdns).toEqual([
      'api.stripe.com',
      'files.slack.com',
    ]);
  });

  it('revokes all the project rules on delete and nothing else, leaving only the tombstone', async () => {
    await applyChange(deps, change(pg, '100', entries));
    await applyChange(deps, change(ledger, '7', entries));
    const out = await applyChange(deps, change(pg, '100', [], 'delete'));
    expect(out.plan).toMatchObject({ create: 1, delete: 3 });
    const left = owned('payment-gateway');
    expect(left).toHaveLength(1);
    // as the engine stores it: the API accepted a disabled EGRESS deny of a TEST-NET-1 address without targets
    expect(left[0]).toMatchObject({
      ruleName: 'egress-payment-gateway-tombstone',
      direction: 'EGRESS',
      action: 'deny',
      disabled: true,
      match: { destIpRanges: ['192.0.2.0/32'], layer4Configs: [{ ipProtocol: 'all' }] },
    });
    expect(left[0]!.targetServiceAccounts ?? []).toEqual([]);
    expect(parseMarker(left[0]!.description)).toMatchObject({ generation: '100', state: 'deleted' });
    expect(owned('ledger')).toHaveLength(3);
    expect(engine.rules(HOST, FP).find((r) => r.priority === 1500)).toMatchObject(foreign);
  });

  it('a late upsert of the deleted generation is skipped with one read and no write', async () => {
    await applyChange(deps, change(pg, '100', entries));
    await applyChange(deps, change(pg, '100', [], 'delete'));
    engine.resetCounters();
    const out = await applyChange(deps, change(pg, '100', entries));
    expect(out).toMatchObject({ outcome: 'skipped', reads: 1, writes: 0 });
    const c = engine.counters();
    expect([c.reads, c.writes]).toEqual([1, 0]);
    expect(owned('payment-gateway').map((r) => r.ruleName)).toEqual(['egress-payment-gateway-tombstone']);
  });

  it('a re-upload at a newer generation restores the rules and removes the tombstone', async () => {
    await applyChange(deps, change(pg, '100', entries));
    const rules = owned('payment-gateway').map((r) => r.ruleName);
    await applyChange(deps, change(pg, '100', [], 'delete'));
    engine.resetCounters();
    const out = await applyChange(deps, change(pg, '101', entries));
    expect(out).toMatchObject({ outcome: 'applied', plan: { create: 3, update: 0, delete: 1 } });
    expect(engine.counters()).toMatchObject({ reads: 1, writes: 1, deduplicated: 0 });
    expect(
      owned('payment-gateway')
        .map((r) => r.ruleName)
        .sort(),
    ).toEqual(rules.sort());
  });

  it('a duplicate delete costs one read and no writes', async () => {
    await applyChange(deps, change(pg, '100', entries));
    await applyChange(deps, change(pg, '100', [], 'delete'));
    const after = owned('payment-gateway');
    engine.resetCounters();
    const out = await applyChange(deps, change(pg, '100', [], 'delete'));
    expect(out).toMatchObject({ outcome: 'applied', plan: { create: 0, update: 0, delete: 0, unchanged: 1 } });
    expect([engine.counters().reads, engine.counters().writes]).toEqual([1, 0]);
    expect(owned('payment-gateway')).toEqual(after);
  });

  it('the same event applied again after a wipe within the requestId retention restores the rules', async () => {
    const ev = change(pg, '100', entries, 'replay');
    await applyChange(deps, ev);
    const before = owned('payment-gateway');
    for (const r of before) {
      const req = { project: HOST, firewallPolicy: FP, priority: r.priority!, requestId: crypto.randomUUID() };
      await engine.wait({ project: HOST, operation: (await engine.removeRule(req)).name ?? '' });
    }
    engine.resetCounters();
    const out = await applyChange(deps, ev);
    expect(out).toMatchObject({ outcome: 'applied', plan: { create: 3 } });
    expect(engine.counters()).toMatchObject({ applied: 1, deduplicated: 0 });
    expect(owned('payment-gateway')).toEqual(before);
  });

  it('skips an older generation delivered after a newer one', async () => {
    await applyChange(deps, change(pg, '200', entries));
    engine.resetCounters();
    const out = await applyChange(deps, change(pg, '150', entries.slice(0, 1)));
    expect(out.outcome).toBe('skipped');
    expect(engine.counters().writes).toBe(0);
    expect(owned('payment-gateway')).toHaveLength(3);
  });

  it('retries transient errors (503, 429, 403 rateLimitExceeded) in-process', async () => {
    engine.failNext({ count: 1, status: 503, reason: 'backendError', methods: ['get'] });
    engine.failNext({ count: 1, status: 429, reason: 'rateLimitExceeded', methods: ['patch'] });
    engine.failNext({ count: 1, status: 403, reason: 'rateLimitExceeded', methods: ['patch'] });
    const out = await applyChange(deps, change(pg, '100', entries));
    expect(out.error).toBeUndefined();
    expect(out.outcome).toBe('applied');
    expect(owned('payment-gateway')).toHaveLength(3);
    expect(engine.counters().errors).toBe(3);
  });

  it('retries a write refused with 400 resourceNotReady (the policy is busy) in-process, as a transient error', async () => {
    // Found by `npm run chaos`: Compute answers a write on a policy with an operation in flight with
    // `400 resourceNotReady`; it was acknowledged as apply-failed and the manifest never applied.
    engine.failNext({
      count: 2,
      status: 400,
      reason: 'resourceNotReady',
      message: `The resource 'projects/${HOST}/global/firewallPolicies/${FP}' is not ready`,
      methods: ['patch'],
    });
    const out = await applyChange(deps, change(pg, '100', entries));
    expect(out.outcome).toBe('applied');
    expect(owned('payment-gateway')).toHaveLength(3);
    expect(engine.counters().errors).toBe(2);
  });

  it('retries a failed operation with a new requestId', async () => {
    engine.failOperations({ count: 1, code: 'INTERNAL_ERROR', httpStatus: 500 });
    const out = await applyChange(deps, change(pg, '100', entries));
    expect(out.outcome).toBe('applied');
    expect(owned('payment-gateway')).toHaveLength(3);
    expect(engine.counters().deduplicated).toBe(0);
  });

  it('throws for redelivery in an outage, the policy unchanged, and the redelivery applies the whole change', async () => {
    const before = engine.rules(HOST, FP);
    engine.crashAfterWrites(0);
    await expect(applyChange(deps, change(pg, '100', entries))).rejects.toBeInstanceOf(RetryLaterError);
    expect(engine.rules(HOST, FP)).toEqual(before);
    engine.clearFaults();
    const out = await applyChange(deps, change(pg, '100', entries));
    expect(out).toMatchObject({ outcome: 'applied', writes: 1, plan: { create: 3, unchanged: 0 } });
    expect(owned('payment-gateway')).toHaveLength(3);
  });

  it('a quota refusal in the operation (QUOTA_EXCEEDED) is apply-failed with reason capacity, old rules kept', async () => {
    await applyChange(deps, change(pg, '100', entries));
    const before = owned('payment-gateway');
    // Google's quota is lower than the policy file says: the headroom check passes, the operation is refused.
    engine.setCapacity({ attributesPerPolicy: 1 });
    const bigger = [...entries, { value: '2606:4700::/32', type: 'cidr' as const }];
    const out = await applyChange(deps, change(pg, '101', bigger));
    expect(out).toMatchObject({ outcome: 'apply-failed', reason: 'capacity' });
    expect(out.error).toContain("QUOTA_EXCEEDED: Quota 'RULE_ATTRIBUTES_PER_GLOBAL_NETWORK_FIREWALL_POLICY' exceeded");
    expect(owned('payment-gateway')).toEqual(before);
  });

  it('a change that cannot fit the policy quotas is apply-failed/capacity before any write', async () => {
    await applyChange(deps, change(pg, '100', entries));
    const before = owned('payment-gateway');
    const used = (await t.port(FP).getPolicy()).ruleTupleCount!;
    engine.resetCounters();
    // No room left: the new range grows the project's IPv6 rule by one attribute.
    deps.policy = { ...deps.policy, capacity: { ...deps.policy.capacity, attributesPerPolicy: used } };
    const bigger = [...entries, { value: '2606:4700::/32', type: 'cidr' as const }];
    const out = await applyChange(deps, change(pg, '101', bigger));
    expect(out).toMatchObject({ outcome: 'apply-failed', reason: 'capacity', writes: 0 });
    expect(out.error).toContain(`rule attributes: ${used} used`);
    expect(out.error).toContain(`${used + 1} during this change, limit ${used}`);
    expect(engine.counters().writes).toBe(0);
    expect(owned('payment-gateway')).toEqual(before);
    // The same change fits once the quota is raised.
    deps.policy = { ...deps.policy, capacity: { ...deps.policy.capacity, attributesPerPolicy: used + 1 } };
    expect(await applyChange(deps, change(pg, '101', bigger))).toMatchObject({ outcome: 'applied' });
  });

  it('resourceNotReady (a write racing a running operation) is retried as transient: two projects at once', async () => {
    const [a, b] = await Promise.all([
      applyChange(deps, change(pg, '100', entries)),
      applyChange(deps, change(ledger, '200', entries)),
    ]);
    expect([a.error, b.error]).toEqual([undefined, undefined]);
    expect([a.outcome, b.outcome]).toEqual(['applied', 'applied']);
    expect(owned('payment-gateway')).toHaveLength(3);
    expect(owned('ledger')).toHaveLength(3);
    // The race happened (the policy serializes its mutations) and cost retries, not failures.
    expect(engine.counters().errors).toBeGreaterThan(0);
  });
});
