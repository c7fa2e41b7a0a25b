/**
 * No command can silently take a fleet's egress away (issue 11, items 1-4), through the production code in one
 * process: bucket (memory store) → drift / replay / release / validator → the applier's handleEgressMessage → compute
 * adapter → fake Compute engine. Each case failed on the main of 2026-12-01.
 */

import { simManifest, simPipeline } from '../../../local/harness/sim';
import { memoryPublisher } from '../../../shared/adapters/memory';
import { decodeStatus, encodeEvent, makeEgressChange } from '../../../shared/core/events/codec';
import type { PubSubMessage } from '../../../shared/core/events/types';
import { appliedGeneration, groupOwnedRules, isTombstone } from '../../../shared/core/firewall';
import { DEFAULT_POLICY } from '../../../shared/core/policy/defaults';
import { singlePolicy } from '../../../shared/ports/firewall';
import { nullLogger } from '../../../shared/ports/logger';
import { type DriftDeps, runDrift } from '../../../shared/usecases/drift';
import { findManifest } from '../../../shared/usecases/explain';
import { releaseRevocations } from '../../../shared/usecases/release';
import { replay } from '../../../shared/usecases/replay';
import { validateObject } from '../../../shared/usecases/validateObject';

const BUCKET = 'egress-manifests';
type Sim = Awaited<ReturnType<typeof simPipeline>>;
const names = (rs: { ruleName: string }[]) => rs.map((r) => r.ruleName).sort();
const allowed = (sim: Sim, project: string) =>
  sim
    .rules()
    .filter((r) => r.ruleName.startsWith(`egress-${project}-`) && !isTombstone(r))
    .flatMap((r) => [...(r.match.destFqdns ?? []), ...(r.match.destIpRanges ?? [])])
    .sort();

/** The validator's upserts of every manifest, applied; the outcomes list then starts empty. */
async function upsertAll(sim: Sim) {
  await sim.upsertAll();
  expect(sim.publisher.outcomes.every((o) => o.outcome === 'applied')).toBe(true);
  sim.publisher.outcomes.length = 0;
}

/** Drift/replay/release dependencies over the simulated pipeline: changes go to the applier, statuses are recorded. */
function opsDeps(sim: Sim, prefix = 'manifests/') {
  const status = memoryPublisher();
  const publisher = {
    publish: async (topic: string, m: PubSubMessage) =>
      topic === 'egress-changes' ? sim.publisher.publish(topic, m) : status.publish(topic, m),
  };
  const deps: DriftDeps & { changesTopic: string; publisher: typeof publisher } = {
    store: sim.store,
    bucket: BUCKET,
    prefix,
    policies: singlePolicy(sim.firewall),
    policy: sim.policy,
    workloads: sim.workloads,
    clock: sim.clock,
    publisher,
    changesTopic: 'egress-changes',
    statusTopic: 'egress-status',
    watchedPrefix: 'manifests/',
  };
  return { deps, status, publisher };
}

describe('blast-radius guards', () => {
  it('drift --repair against the bucket root (no manifests there) publishes nothing, even when allowed', async () => {
    const sim = await simPipeline({ projects: 6 });
    await upsertAll(sim);
    const before = names(sim.rules());
    const { deps } = opsDeps(sim, '');
    for (const allowRevocations of [undefined, 100]) {
      const run = await runDrift(
        { ...deps, watchedPrefix: '' },
        { repair: true, ...(allowRevocations ? { allowRevocations } : {}) },
      );
      expect(run.refused).toMatchObject({ code: 'EMPTY_PREFIX' });
      expect(run.refused!.message).toMatch(/holds no manifests while 6 project\(s\) have owned firewall rules/);
      expect(run.refused!.message).toMatch(/EGRESS_MANIFEST_PREFIX/);
      expect(run.repairs).toEqual([]);
    }
    expect(sim.publisher.outcomes).toEqual([]);
    expect(names(sim.rules())).toEqual(before);
  });

  it('drift --repair from a prefix the pipeline does not watch refuses its revocations and warns', async () => {
    const sim = await simPipeline({ projects: 4 });
    await upsertAll(sim);
    await sim.store.write('other/proj-00000.yaml', Buffer.from(simManifest(0).text));
    const { deps } = opsDeps(sim, 'other/');
    const run = await runDrift(deps, { repair: true, allowRevocations: 10 });
    expect(run.warnings[0]).toMatch(/reads the prefix 'other\/', but the pipeline watches 'manifests\/'/);
    expect(run.refused).toMatchObject({ code: 'FOREIGN_PREFIX', projects: ['proj-00001', 'proj-00002', 'proj-00003'] });
    expect(sim.publisher.outcomes).toEqual([]);
  });

  it('drift --repair refuses more revocations than safety.maxRevocationsPerRun, naming them and the flag', async () => {
    const sim = await simPipeline({ projects: 6 });
    await upsertAll(sim);
    for (const i of [1, 2, 3, 4]) await sim.store.delete(`manifests/proj-0000${i}.yaml`);
    const { deps } = opsDeps(sim);
    const refused = await runDrift(deps, { repair: true });
    expect(refused.refused).toMatchObject({
      code: 'TOO_MANY_REVOCATIONS',
      projects: ['proj-00001', 'proj-00002', 'proj-00003', 'proj-00004'],
    });
    expect(refused.refused!.message).toMatch(/more than safety\.maxRevocationsPerRun \(3\)/);
    expect(refused.refused!.message).toMatch(/--allow-revocations 4/);
    expect(sim.publisher.outcomes).toEqual([]);

    const done = await runDrift(deps, { repair: true, allowRevocations: 4 });
    expect(done.refused).toBeUndefined();
    expect(done.repairs.map((r) => r.project)).toEqual(['proj-00001', 'proj-00002', 'proj-00003', 'proj-00004']);
    expect(sim.publisher.outcomes.map((o) => o.outcome)).toEqual(['applied', 'applied', 'applied', 'applied']);
    expect(allowed(sim, 'proj-00001')).toEqual([]);
    expect(allowed(sim, 'proj-00000').length).toBeGreaterThan(0);
  });

  it('replay refuses to publish more revocations (manifests listing no entries) than allowed', async () => {
    const sim = await simPipeline({ projects: 5 });
    await upsertAll(sim);
    for (const i of [0, 1, 2, 3]) {
      const { name, text } = simManifest(i);
      await sim.store.write(
        `manifests/${name}.yaml`,
        Buffer.from(text.replace(/allowedEgress:[\s\S]*$/, 'allowedEgress: []\n')),
      );
    }
    const { deps, publisher } = opsDeps(sim);
    const base = { ...deps, publisher, changesTopic: 'egress-changes' };
    const r = await replay(base, {});
    expect(r.refused).toMatchObject({ code: 'TOO_MANY_REVOCATIONS' });
    expect(r.published).toBe(0);
    expect(sim.publisher.outcomes).toEqual([]);
    const ok = await replay(base, { allowRevocations: 4 });
    expect(ok.refused).toBeUndefined();
    expect(ok.published).toBe(5);
    expect(allowed(sim, 'proj-00000')).toEqual([]);
  });
});

describe('held revocations', () => {
  it('the applier holds revocations beyond the rate, drift lists them, and release applies them', async () => {
    const strict = {
      ...DEFAULT_POLICY,
      safety: { ...DEFAULT_POLICY.safety, revocationsPerWindow: 2, windowSeconds: 600 },
    };
    const sim = await simPipeline({ projects: 6, policy: strict });
    await upsertAll(sim);
    const { deps } = opsDeps(sim);
    for (const i of [0, 1, 2, 3]) await sim.store.delete(`manifests/proj-0000${i}.yaml`);
    await runDrift({ ...deps, policy: strict }, { repair: true, allowRevocations: 4 });
    expect(sim.publisher.outcomes.map((o) => [o.project, o.outcome])).toEqual([
      ['proj-00000', 'applied'],
      ['proj-00001', 'applied'],
      ['proj-00002', 'held'],
      ['proj-00003', 'held'],
    ]);
    const held = sim.publisher.outcomes[2]!;
    expect(held.reason).toMatch(/held: 2 revocations were applied in the last 600 s.*egress release proj-00002/);
    expect(allowed(sim, 'proj-00002').length).toBeGreaterThan(0);

    const listed = await runDrift({ ...deps, policy: strict });
    expect(listed.pendingRevocations).toEqual(['proj-00002', 'proj-00003']);

    const r = await releaseRevocations({ ...deps, policy: strict }, { all: true });
    expect(r.items.map((i) => [i.project, i.status])).toEqual([
      ['proj-00002', 'released'],
      ['proj-00003', 'released'],
    ]);
    expect(sim.publisher.outcomes.slice(4).map((o) => o.outcome)).toEqual(['applied', 'applied']);
    expect(allowed(sim, 'proj-00002')).toEqual([]);
    expect((await runDrift({ ...deps, policy: strict })).pendingRevocations).toEqual([]);

    // A project whose manifest is live is never released (revoked) by the command.
    const live = await releaseRevocations(deps, { projects: ['proj-00005'] });
    expect(live.items).toEqual([
      {
        project: 'proj-00005',
        status: 'not-held',
        reason: 'its manifest manifests/proj-00005.yaml is live: nothing to revoke',
      },
    ]);

    // After the window, revocations are applied again without a release.
    await sim.clock.sleep(601_000);
    await sim.store.delete('manifests/proj-00004.yaml');
    await runDrift({ ...deps, policy: strict }, { repair: true });
    expect(sim.publisher.outcomes.at(-1)).toMatchObject({ project: 'proj-00004', outcome: 'applied' });
  });
});

describe('release after the folder was emptied (issue 19, item 4)', () => {
  it('releases what drift lists even with no manifest left; an unknown project is "not held", with a did-you-mean', async () => {
    const strict = {
      ...DEFAULT_POLICY,
      safety: { ...DEFAULT_POLICY.safety, revocationsPerWindow: 2, windowSeconds: 600 },
    };
    const sim = await simPipeline({ projects: 3, policy: strict });
    await upsertAll(sim);
    const { deps } = opsDeps(sim);
    // The folder emptied: each deletion reaches the validator, whose revocations the applier holds beyond its rate.
    const validator = {
      storeFor: () => sim.store,
      publisher: sim.publisher,
      logger: nullLogger,
      policy: strict,
      changesTopic: 'egress-changes',
      statusTopic: 'egress-status',
      manifestPrefix: 'manifests/',
    };
    for (const i of [0, 1, 2]) {
      const name = `manifests/proj-0000${i}.yaml`;
      const { generation } = (await sim.store.stat(name))!;
      await sim.store.delete(name);
      await validateObject(validator, { kind: 'deleted', id: name, bucket: BUCKET, name, generation });
    }
    expect(sim.publisher.outcomes.map((o) => o.outcome)).toEqual(['applied', 'applied', 'held']);
    // Before: release refused ("holds no manifests … refused even with --allow-revocations").
    expect((await runDrift({ ...deps, policy: strict }, { repair: true })).refused).toMatchObject({
      code: 'EMPTY_PREFIX',
    });
    const listed = (await runDrift({ ...deps, policy: strict })).pendingRevocations;
    expect(listed).toEqual(['proj-00002']);

    const unknown = await releaseRevocations(deps, { projects: ['proj-0002'] });
    expect(unknown.refused).toBeUndefined();
    expect(unknown.items).toEqual([
      {
        project: 'proj-0002',
        status: 'not-held',
        reason:
          'no project of that name has rules in the firewall or a manifest in the bucket; did you mean proj-00002?',
      },
    ]);
    const revoked = await releaseRevocations(deps, { projects: ['proj-00000'] });
    expect(revoked.items[0]).toMatchObject({ status: 'not-held', reason: expect.stringMatching(/already revoked/) });

    const r = await releaseRevocations(deps, { projects: listed });
    expect(r.refused).toBeUndefined();
    expect(r.items.map((i) => [i.project, i.status])).toEqual([['proj-00002', 'released']]);
    expect(sim.publisher.outcomes.at(-1)).toMatchObject({ project: 'proj-00002', outcome: 'applied' });
    expect(allowed(sim, 'proj-00002')).toEqual([]);
    expect((await runDrift({ ...deps, policy: strict })).pendingRevocations).toEqual([]);
  });

  it('`release --all` on an empty prefix is still refused (the signature of a wrong prefix)', async () => {
    const sim = await simPipeline({ projects: 2 });
    await upsertAll(sim);
    const { deps } = opsDeps(sim, '');
    const r = await releaseRevocations({ ...deps, watchedPrefix: '' }, { all: true });
    expect(r.refused).toMatchObject({ code: 'EMPTY_PREFIX' });
    expect(sim.publisher.outcomes).toEqual([]);
  });
});

describe('recovery from a wrong revocation', () => {
  it('the applier records no tombstone for a delete outside the watched prefix', async () => {
    const sim = await simPipeline({ projects: 1 });
    await upsertAll(sim);
    const before = names(sim.rules());
    const gen = appliedGeneration(sim.rules())!;
    const ev = makeEgressChange({
      project: { name: 'proj-00000', environment: 'unknown' },
      reason: 'delete',
      entries: [],
      source: { bucket: BUCKET, object: 'proj-00000.yaml', generation: gen },
    });
    await sim.publisher.publish('egress-changes', encodeEvent(ev));
    expect(sim.publisher.outcomes.at(-1)).toMatchObject({ outcome: 'apply-failed', reason: 'outside-prefix' });
    expect(names(sim.rules())).toEqual(before);
  });

  it('Undo a mass revocation: `replay --all --restore` restores a fleet revoked at live generations', async () => {
    const sim = await simPipeline({ projects: 6 });
    await upsertAll(sim);
    const before = sim.rules().map((r) => ({ ...r }));
    // The mass revocation: a delete of every project at the generation of its still-live manifest (what drift
    // --repair against a wrong prefix did before the guards), let through by release.
    for (const [project, rules] of groupOwnedRules(sim.rules())) {
      const ev = makeEgressChange({
        project: { name: project, environment: 'unknown' },
        reason: 'delete',
        entries: [],
        source: { bucket: BUCKET, object: `manifests/${project}.yaml`, generation: appliedGeneration(rules)! },
        release: true,
      });
      await sim.publisher.publish('egress-changes', encodeEvent(ev));
    }
    expect(sim.rules().every(isTombstone)).toBe(true);

    const { deps, publisher } = opsDeps(sim);
    // A plain replay cannot restore (the tombstones are at the live generations) and says so.
    const plain = await replay({ ...deps, publisher, changesTopic: 'egress-changes' }, { dryRun: true });
    expect(plain.items.every((i) => /stale event: .* was revoked at generation/.test(i.skipped ?? ''))).toBe(true);
    const drift = await runDrift(deps);
    expect(drift.report.drifted[0]!.findings.map((f) => f.detail).join('\n')).toMatch(/egress replay --restore/);

    // The runbook's one command, over the live firewall: the fleet reconcile, one patch for the whole policy.
    const outcomes = sim.publisher.outcomes.length;
    const restored = await replay(
      { ...deps, publisher, changesTopic: 'egress-changes' },
      { restore: true, fleet: true },
    );
    expect(restored.published).toBe(6);
    expect(restored.fleet).toMatchObject({ writes: 1, patches: [expect.anything()] });
    expect(sim.publisher.outcomes.length).toBe(outcomes); // nothing published
    expect(names(sim.rules())).toEqual(names(before));
    for (const r of before) expect(allowed(sim, r.ruleName.split('-').slice(1, 3).join('-'))).not.toEqual([]);
    expect((await runDrift(deps)).report.clean).toBe(true);
  });
});

describe('two files for one project', () => {
  const yamlOf = (hosts: string[]) =>
    `apiVersion: lowops.manifests.v1\nkind: Project\nmetadata:\n  name: pay\n  environment: production\nspec:\n  allowedEgress:\n${hosts.map((h) => `    - "${h}"`).join('\n')}\n`;

  async function twoFiles() {
    const sim = await simPipeline({ projects: 0 });
    // target mode subnets (the default): pay's Shared VPC subnet, read by the applier at each event
    sim.engine.directory.putSubnetworks('host-project', [
      { name: 'pay-usc1', region: 'us-central1', network: 'shared-vpc', ipCidrRange: '10.9.0.0/24' },
    ]);
    const yml = await sim.store.write('manifests/pay.yml', Buffer.from(yamlOf(['api.stripe.com'])));
    const yaml = await sim.store.write(
      'manifests/pay.yaml',
      Buffer.from(yamlOf(['api.stripe.com', 'evil.example.com'])),
    );
    const status = memoryPublisher();
    const validator = {
      storeFor: () => sim.store,
      publisher: {
        publish: async (topic: string, m: PubSubMessage) =>
          topic === 'egress-changes' ? sim.publisher.publish(topic, m) : status.publish(topic, m),
      },
      logger: nullLogger,
      policy: sim.policy,
      changesTopic: 'egress-changes',
      statusTopic: 'egress-status',
      manifestPrefix: 'manifests/',
    };
    for (const o of [yml, yaml])
      await validateObject(validator, {
        kind: 'finalized',
        id: o.name,
        bucket: BUCKET,
        name: o.name,
        generation: o.generation,
      });
    expect(allowed(sim, 'pay')).toEqual(['api.stripe.com', 'evil.example.com']);
    return { sim, yml, yaml, validator };
  }

  it('p.yml added beside a live p.yaml is refused, naming both, and every reader takes p.yaml (issue 19, item 2)', async () => {
    const sim = await simPipeline({ projects: 0 });
    sim.engine.directory.putSubnetworks('host-project', [
      { name: 'pay-usc1', region: 'us-central1', network: 'shared-vpc', ipCidrRange: '10.9.0.0/24' },
    ]);
    const status = memoryPublisher();
    const validator = {
      storeFor: () => sim.store,
      publisher: {
        publish: async (topic: string, m: PubSubMessage) =>
          topic === 'egress-changes' ? sim.publisher.publish(topic, m) : status.publish(topic, m),
      },
      logger: nullLogger,
      policy: sim.policy,
      changesTopic: 'egress-changes',
      statusTopic: 'egress-status',
      manifestPrefix: 'manifests/',
    };
    const finalize = (o: { name: string; generation: string }) =>
      validateObject(validator, {
        kind: 'finalized',
        id: o.name,
        bucket: BUCKET,
        name: o.name,
        generation: o.generation,
      });
    await finalize(await sim.store.write('manifests/pay.yaml', Buffer.from(yamlOf(['api.stripe.com']))));
    const yml = await sim.store.write('manifests/pay.yml', Buffer.from(yamlOf(['evil.example.com'])));
    const outcome = await finalize(yml);
    expect(outcome.kind).toBe('rejected');
    const st = decodeStatus(status.published.at(-1)!.message);
    if (!st.ok) throw new Error(st.errors.join('; '));
    expect(st.event.data.diagnostics![0]!.message).toMatch(
      /manifests\/pay\.yml is a second spelling of project pay: manifests\/pay\.yaml is its live manifest/,
    );
    expect(allowed(sim, 'pay')).toEqual(['api.stripe.com']);
    // The readers: drift (clean against p.yaml), replay (publishes p.yaml), explain (reads p.yaml).
    const { deps, publisher } = opsDeps(sim);
    expect((await runDrift(deps)).report.clean).toBe(true);
    const r = await replay({ ...deps, publisher, changesTopic: 'egress-changes' }, { projects: ['pay'], dryRun: true });
    expect(r.items.map((i) => i.object)).toEqual(['manifests/pay.yaml']);
    const found = await findManifest(
      'pay',
      { kind: 'bucket', store: sim.store, bucket: BUCKET, prefix: 'manifests/' },
      sim.policy,
    );
    expect(found.manifest?.path).toBe(`gs://${BUCKET}/manifests/pay.yaml`);
  });

  it('deleting one re-publishes the other live file, so the firewall equals the live manifest', async () => {
    const { sim, yaml, validator } = await twoFiles();
    await sim.store.delete('manifests/pay.yaml');
    await validateObject(validator, {
      kind: 'deleted',
      id: 'd',
      bucket: BUCKET,
      name: yaml.name,
      generation: yaml.generation,
    });
    expect(sim.publisher.outcomes.at(-1)).toMatchObject({ project: 'pay', outcome: 'applied' });
    expect(allowed(sim, 'pay')).toEqual(['api.stripe.com']);
  });

  it('replay --project and drift --repair fix an existing mismatch (not called stale)', async () => {
    for (const fix of ['replay', 'drift'] as const) {
      const { sim } = await twoFiles();
      // The state main left behind: p.yaml deleted without a re-publish; the firewall still has its destinations.
      await sim.store.delete('manifests/pay.yaml');
      const { deps, publisher } = opsDeps(sim);
      const found = await runDrift(deps);
      expect(found.forecast).toMatchObject([{ project: 'pay', reason: 'replay' }]);
      expect(found.forecast[0]!.skipped).toBeUndefined();
      if (fix === 'replay') await replay({ ...deps, publisher, changesTopic: 'egress-changes' }, { projects: ['pay'] });
      else await runDrift(deps, { repair: true });
      expect(sim.publisher.outcomes.at(-1)).toMatchObject({ project: 'pay', outcome: 'applied' });
      expect(allowed(sim, 'pay')).toEqual(['api.stripe.com']);
      expect((await runDrift(deps)).report.clean).toBe(true);
    }
  });
});
