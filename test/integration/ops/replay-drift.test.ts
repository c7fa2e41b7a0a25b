/**
 * Replay and drift through the production code in one process: replay → publisher → the applier's
 * handleEgressMessage → compute adapter → fake Compute engine (virtual clock, write quota).
 */

import { SIM_HOST, SIM_POLICY, type SimPipeline, simManifest, simPipeline } from '../../../local/harness/sim';
import { toApiRule } from '../../../shared/adapters/compute';
import { memoryPublisher } from '../../../shared/adapters/memory';
import { decodeStatus } from '../../../shared/core/events/codec';
import type { DesiredRule } from '../../../shared/core/firewall/types';
import { singlePolicy } from '../../../shared/ports/firewall';
import { runDrift } from '../../../shared/usecases/drift';
import { Pacer } from '../../../shared/usecases/pacer';

const strip = <T extends object>(rules: T[]): T[] => rules.map((r) => ({ ...r }));

/** A person's per-rule writes, straight on the fake (it keeps serving Google's per-rule methods). */
const byHand = (sim: SimPipeline) => {
  const at = { project: SIM_HOST, firewallPolicy: SIM_POLICY };
  const done = async (op: Promise<{ name?: string | null }>) => {
    await sim.engine.wait({ project: SIM_HOST, operation: (await op).name ?? '' });
  };
  return {
    removeRule: (priority: number, requestId: string) => done(sim.engine.removeRule({ ...at, priority, requestId })),
    patchRule: (priority: number, rule: DesiredRule, requestId: string) =>
      done(sim.engine.patchRule({ ...at, priority, requestId, firewallPolicyRuleResource: toApiRule(rule, priority) })),
    addRule: (rule: DesiredRule & { priority: number }, requestId: string) =>
      done(sim.engine.addRule({ ...at, requestId, firewallPolicyRuleResource: toApiRule(rule, rule.priority) })),
  };
};

describe('replay', () => {
  it('restores exactly the rules lost when the policy was wiped, and a second replay writes nothing', async () => {
    const sim = await simPipeline({ projects: 40 });
    await sim.upsertAll();
    const before = strip(sim.rules());
    expect(before.length).toBeGreaterThanOrEqual(40);

    // disaster: every managed rule is gone
    for (const r of before)
      await byHand(sim).removeRule(r.priority, `00000000-0000-4000-8000-${String(r.priority).padStart(12, '0')}`);
    expect(sim.rules()).toEqual([]);

    const report = await sim.replayAll();
    expect(report.published).toBe(40);
    // one patch per project: its rules restored in one write
    expect(report.expectedWrites).toBe(40);
    expect(strip(sim.rules())).toEqual(before);

    sim.engine.resetCounters();
    const again = await sim.replayAll();
    expect(again.expectedWrites).toBe(0);
    expect(sim.engine.counters().writes).toBe(0);
  });

  // Compute ignores a repeated requestId for 60 minutes. The same replay event (same id) applied again after a wipe
  // must still restore: write ids derive from the policy fingerprint read by the attempt, which the wipe changed.
  it('restores after a wipe even when the same replay ran within the requestId retention', async () => {
    const sim = await simPipeline({ projects: 5 });
    await sim.replayAll();
    const before = strip(sim.rules());
    expect(before.length).toBeGreaterThanOrEqual(5);
    for (const r of before)
      await byHand(sim).removeRule(r.priority, `00000000-0000-4000-8000-${String(r.priority).padStart(12, '0')}`);
    sim.engine.resetCounters();
    await sim.replayAll();
    expect(sim.engine.counters().deduplicated).toBe(0);
    expect(strip(sim.rules())).toEqual(before);
  });

  it('restores twice in a row within the retention (wipe, replay, wipe, replay)', async () => {
    const sim = await simPipeline({ projects: 3 });
    await sim.replayAll();
    const before = strip(sim.rules());
    for (let round = 1; round <= 2; round++) {
      for (const r of sim.rules())
        await byHand(sim).removeRule(
          r.priority,
          `00000000-0000-4000-8${round}00-${String(r.priority).padStart(12, '0')}`,
        );
      await sim.replayAll();
      expect(strip(sim.rules())).toEqual(before);
    }
  });

  it('paces a resync under the write quota: no rate-limit answer, close to the minimum time', async () => {
    const sim = await simPipeline({ projects: 300, writeQuota: 60, mirror: true });
    const t0 = sim.clock.now();
    await sim.replayAll({ quotaPerMinute: 60 });
    const writes = sim.publisher.outcomes.reduce((n, o) => n + o.writes, 0);
    const minimum = (writes / 60) * 60_000;
    expect(sim.rateLimited()).toBe(0);
    expect(sim.publisher.escaped).toBe(0);
    expect(sim.clock.now() - t0).toBeLessThan(minimum * 1.25);
    expect(sim.publisher.outcomes.every((o) => o.outcome === 'applied')).toBe(true);
  });

  it('without pacing the same resync hits the quota (the test above can fail)', async () => {
    const sim = await simPipeline({ projects: 300, writeQuota: 60, mirror: true });
    await sim.replayAll({ quotaPerMinute: 1e9 });
    expect(sim.rateLimited()).toBeGreaterThan(0);
  });

  it('reports invalid manifests instead of publishing them, and unknown projects', async () => {
    const sim = await simPipeline({ projects: 3 });
    await sim.store.write(
      'manifests/proj-00001.yaml',
      Buffer.from('apiVersion: lowops.manifests.v1\nkind: Project\nmetadata:\n  name: wrong\n'),
    );
    const r = await sim.replayAll({ dryRun: true });
    expect(r.items.find((i) => i.project !== 'proj-00000' && i.status === 'invalid')?.error).toMatch(/\S/);
    expect(r.published).toBe(2);
    expect(sim.publisher.outcomes).toHaveLength(0); // dry run
  });
});

describe('drift', () => {
  it('is silent when clean, finds every kind of drift, repairs it through the applier, then is silent again', async () => {
    const sim = await simPipeline({ projects: 6 });
    await sim.upsertAll();
    const status = memoryPublisher();
    const deps = {
      store: sim.store,
      bucket: 'egress-manifests',
      prefix: 'manifests/',
      policies: singlePolicy(sim.firewall),
      policy: sim.policy,
      workloads: sim.workloads,
      clock: sim.clock,
      publisher: {
        publish: async (topic: string, m: Parameters<typeof status.publish>[1]) =>
          topic === 'egress-changes' ? sim.publisher.publish(topic, m) : status.publish(topic, m),
      },
      changesTopic: 'egress-changes',
      statusTopic: 'egress-status',
      pacer: new Pacer({ clock: sim.clock }),
    };
    sim.engine.resetCounters();
    const clean = await runDrift(deps, { repair: true, reportStatus: true });
    expect(clean.report.clean).toBe(true);
    expect(status.published).toHaveLength(0);
    expect(sim.engine.counters().writes).toBe(0);
    const restored = strip(sim.rules());

    // drift: one rule removed, one widened by hand, a project's manifest deleted, a foreign rule with our marker
    const rules = sim.rules();
    const gone = rules.find((r) => r.ruleName === 'egress-proj-00000-fqdn-1')!;
    await byHand(sim).removeRule(gone.priority, '00000000-0000-4000-8000-000000000001');
    const widened = rules.find((r) => r.ruleName === 'egress-proj-00001-fqdn-1')!;
    await byHand(sim).patchRule(
      widened.priority,
      { ...widened, match: { ...widened.match, destFqdns: [...(widened.match.destFqdns ?? []), 'evil.example.com'] } },
      '00000000-0000-4000-8000-000000000002',
    );
    await sim.store.delete('manifests/proj-00002.yaml');
    const p3 = rules.find((r) => r.ruleName === 'egress-proj-00003-fqdn-1')!;
    await byHand(sim).addRule(
      { ...p3, ruleName: 'egress-proj-00004-fqdn-1', priority: 999_999 },
      '00000000-0000-4000-8000-000000000003',
    );

    const found = await runDrift(deps, { repair: true, reportStatus: true });
    const kinds = Object.fromEntries(found.report.drifted.map((p) => [p.project, p.findings.map((f) => f.kind)]));
    expect(kinds).toEqual({
      'proj-00000': ['missing'],
      'proj-00001': ['changed'],
      'proj-00002': expect.arrayContaining(['extra']),
      'proj-00003': ['foreign-marker'],
    });
    expect(found.repairs.map((r) => [r.project, r.reason])).toEqual([
      ['proj-00000', 'replay'],
      ['proj-00001', 'replay'],
      ['proj-00002', 'delete'],
      ['proj-00003', 'replay'],
    ]);
    const statuses = status
      .on('egress-status')
      .map((p) => decodeStatus({ data: p.message.data, attributes: p.message.attributes }));
    expect(statuses.map((s) => (s.ok ? [s.event.data.outcome, s.event.data.project] : s.errors))).toEqual([
      ['drift', 'proj-00000'],
      ['drift', 'proj-00001'],
      ['drift', 'proj-00002'],
      ['drift', 'proj-00003'],
    ]);

    // the repairs went through the applier: clean again, and the restored rules are the originals, except that
    // proj-00002 (no manifest) is left with its tombstone alone, which is its expected state, not drift
    const after = await runDrift(deps, { repair: true, reportStatus: true });
    expect(after.report.clean).toBe(true);
    expect(status.published).toHaveLength(4);
    const names = (rs: { ruleName: string }[]) => rs.map((r) => r.ruleName).sort();
    expect(names(sim.rules())).toEqual(
      names([
        ...restored.filter((r) => !r.ruleName.includes('proj-00002')),
        { ruleName: 'egress-proj-00002-tombstone' },
      ]),
    );
    const tomb = sim.rules().find((r) => r.ruleName === 'egress-proj-00002-tombstone')!;
    expect(tomb).toMatchObject({ action: 'deny', disabled: true, match: { destIpRanges: ['192.0.2.0/32'] } });

    // the manifest comes back (a new generation): the tombstone is extra, and the repair restores the rules
    sim.engine.resetCounters();
    await sim.store.write('manifests/proj-00002.yaml', Buffer.from(simManifest(2).text));
    const back = await runDrift(deps, { repair: true });
    const lost = restored.filter((r) => r.ruleName.includes('proj-00002')).length;
    expect(back.report.drifted.map((p) => [p.project, p.findings.map((f) => f.kind).sort()])).toEqual([
      ['proj-00002', ['extra', ...Array<string>(lost).fill('missing')]],
    ]);
    expect((await runDrift(deps)).report.clean).toBe(true);
    expect(names(sim.rules())).toEqual(names(restored));
  });
});

describe('drift reports quota usage above 80%', () => {
  it('a line of figures in its run (JSON) and a capacity field on its drift statuses; nothing below 80%', async () => {
    const sim = await simPipeline({ projects: 4 });
    await sim.upsertAll();
    const used = (await sim.firewall.getPolicy()).ruleTupleCount!;
    const status = memoryPublisher();
    const deps = {
      store: sim.store,
      bucket: 'egress-manifests',
      prefix: 'manifests/',
      policies: singlePolicy(sim.firewall),
      workloads: sim.workloads,
      clock: sim.clock,
      publisher: status,
      statusTopic: 'egress-status',
      policyName: 'projects/host-project/global/firewallPolicies/egress-policy',
    };
    const withLimit = (attributesPerPolicy: number) => ({
      ...sim.policy,
      capacity: { ...sim.policy.capacity, attributesPerPolicy },
    });
    const roomy = await runDrift({ ...deps, policy: withLimit(used * 2) }, { reportStatus: true });
    expect(roomy.capacityWarnings).toEqual([]);
    expect(roomy.capacity.attributes).toEqual({ used, limit: used * 2 });

    const gone = sim.rules().find((r) => r.ruleName === 'egress-proj-00000-fqdn-1')!;
    await byHand(sim).removeRule(gone.priority, '00000000-0000-4000-8000-000000000009');
    const now = (await sim.firewall.getPolicy()).ruleTupleCount!;
    const limit = Math.ceil(now / 0.85);
    const tight = await runDrift({ ...deps, policy: withLimit(limit) }, { reportStatus: true });
    expect(tight.capacity).toMatchObject({ policy: deps.policyName, attributes: { used: now, limit } });
    expect(tight.capacityWarnings).toEqual([`attributes ${now}/${limit} (${((100 * now) / limit).toFixed(1)}%)`]);
    const statuses = status
      .on('egress-status')
      .map((p) => decodeStatus({ data: p.message.data, attributes: p.message.attributes }));
    expect(statuses.map((s) => s.ok && [s.event.data.project, s.event.data.capacity?.attributes])).toEqual([
      ['proj-00000', { used: now, limit }],
    ]);
  });
});

describe('drift: target mode subnets (the default)', () => {
  it('reports sources out of date when a subnet grows, and the repair (the applier at the event) catches up', async () => {
    const sim = await simPipeline({ projects: 3 });
    await sim.upsertAll();
    const deps = {
      store: sim.store,
      bucket: 'egress-manifests',
      prefix: 'manifests/',
      policies: singlePolicy(sim.firewall),
      policy: sim.policy,
      workloads: sim.workloads,
      clock: sim.clock,
      publisher: sim.publisher,
      changesTopic: 'egress-changes',
    };
    expect((await runDrift(deps)).report.clean).toBe(true);
    const own = sim.rules().filter((r) => r.ruleName.startsWith('egress-proj-00001-'));
    expect(own.length).toBeGreaterThan(0);
    for (const r of own) expect(r.match.srcIpRanges).toEqual(['10.0.1.0/24']);

    // the network team adds a GKE Pods range to proj-00001's subnet
    sim.engine.directory.putSubnetworks('host-project', [
      {
        ...simSubnetsOf(sim, 'proj-00001-usc1'),
        secondaryIpRanges: [{ rangeName: 'pods', ipCidrRange: '10.200.0.0/14' }],
      },
    ]);
    const found = await runDrift(deps);
    expect(found.report.drifted.map((p) => p.project)).toEqual(['proj-00001']);
    for (const f of found.report.drifted[0]!.findings) {
      expect(f.kind).toBe('changed');
      expect(f.detail).toMatch(
        /^sources out of date \(missing 10\.200\.0\.0\/14\); now subnet proj-00001-usc1: primary \+ pods/,
      );
    }
    await runDrift(deps, { repair: true });
    expect((await runDrift(deps)).report.clean).toBe(true);
    for (const r of sim.rules().filter((x) => x.ruleName.startsWith('egress-proj-00001-')))
      expect(r.match.srcIpRanges).toEqual(['10.0.1.0/24', '10.200.0.0/14']);
  });

  it('a project whose subnet is gone: the applier refuses (no-subnets), writes nothing, drift reports the error', async () => {
    const sim = await simPipeline({ projects: 2 });
    await sim.upsertAll();
    sim.engine.directory.putSubnetworks('host-project', [simSubnetsOf(sim, 'proj-00000-usc1')], true);
    sim.engine.resetCounters();
    await sim.replayAll();
    const failed = sim.publisher.outcomes.filter((o) => o.outcome === 'apply-failed');
    expect(failed.map((o) => [o.project, o.reason])).toEqual([['proj-00001', 'no-subnets']]);
    expect(failed[0]!.error).toMatch(/proj-00001 has no subnet assigned/);
    const r = await runDrift({ ...deps(sim) });
    expect(r.report.errors).toEqual([{ project: 'proj-00001', message: expect.stringMatching(/no subnet assigned/) }]);
  });
});

/** One of the sim's subnets by name, as the engine serves it. */
function simSubnetsOf(sim: Awaited<ReturnType<typeof simPipeline>>, name: string) {
  const s = sim.engine.directory
    .aggregated('host-project')
    .items['regions/us-central1']!.subnetworks.find((x) => x.name === name)!;
  return { ...s, region: 'us-central1' };
}

function deps(sim: Awaited<ReturnType<typeof simPipeline>>) {
  return {
    store: sim.store,
    bucket: 'egress-manifests',
    prefix: 'manifests/',
    policies: singlePolicy(sim.firewall),
    policy: sim.policy,
    workloads: sim.workloads,
    clock: sim.clock,
  };
}

it('simManifest is deterministic', () => {
  expect(simManifest(7)).toEqual(simManifest(7));
});
