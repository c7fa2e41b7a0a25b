import { encodeEvent, makeEgressChange } from '../core/events/codec';
import type { EgressChangeEvent, ManifestSource } from '../core/events/types';
import type { PolicyState } from '../core/firewall/placedWrites';
import { groupOwnedRules, supersededGeneration } from '../core/firewall/plan';
import type { ObservedRule } from '../core/firewall/types';
import { describeWrite } from '../core/firewall/writePlan';
import type { PlatformPolicy } from '../core/policy/types';
import { checkRevocations, type RevocationVerdict } from '../core/safety/revocations';
import type { Clock } from '../ports/clock';
import type { FirewallPolicies } from '../ports/firewall';
import type { LimitsReader } from '../ports/limits';
import { type Logger, nullLogger } from '../ports/logger';
import type { EventPublisher } from '../ports/publisher';
import type { ManifestStore, StoredObject } from '../ports/storage';
import { type BucketManifest, elsewhere, loadBucketManifests, readWarnings, workloadsFor } from './bucketManifests';
import { type FleetReport, reconcileFleet } from './fleet';
import type { Pacer } from './pacer';
import { readPlacement } from './patches';
import { predictWrites, revokesAccess, type WritePrediction } from './planEvent';
import type { WorkloadDeps } from './workloads';

/** The manifest source of an event for a stored object. */
export function sourceOf(bucket: string, o: StoredObject): ManifestSource {
  return {
    bucket,
    object: o.name,
    generation: o.generation,
    ...(o.md5Hash ? { md5Hash: o.md5Hash } : {}),
    ...(o.crc32c ? { crc32c: o.crc32c } : {}),
  };
}

/** The replay event of a live manifest (its id is deterministic: bucket, object, generation, reason). */
export function replayEvent(
  bucket: string,
  m: BucketManifest,
  time: Date,
  supersedes?: string | undefined,
): EgressChangeEvent {
  return makeEgressChange({
    project: m.project!,
    reason: 'replay',
    entries: m.entries,
    source: sourceOf(bucket, m.object),
    time,
    // Which object the superseded generation belonged to is not known here (it is gone, or it is a wrong tombstone's).
    ...(supersedes ? { supersedes: { generation: supersedes } } : {}),
  });
}

/** The replay event of `m` over `owned` (read before the listing): superseding what the firewall records when safe. */
export function replayEventOver(
  bucket: string,
  m: BucketManifest,
  owned: readonly ObservedRule[],
  time: Date,
  opts: { restore?: boolean } = {},
): EgressChangeEvent {
  return replayEvent(bucket, m, time, supersededGeneration(owned, m.object, m.spellings, opts));
}

/**
 * The expected writes of a prediction (one patch per policy changed, with what each changes), and why the applier
 * will write nothing when it will skip or refuse.
 */
export function predictionSummary(p: WritePrediction): {
  writes: number;
  patches?: string[];
  skipped?: string;
  willFail?: string;
} {
  if ('failed' in p) return { writes: 0, willFail: `${p.reason}: ${p.failed}` };
  if (p.skip) return { writes: 0, skipped: p.skip };
  return p.writes.length ? { writes: p.writes.length, patches: p.writes.map(describeWrite) } : { writes: 0 };
}

/** Progress of a long run, for the CLI's bar or periodic lines. */
export interface Progress {
  done: number;
  total: number;
  /** Writes the published events are expected to cause so far. */
  writes: number;
  /** Estimated milliseconds left (pacer-based), when known. */
  etaMs?: number;
}

/** What replay needs; the CLI builds the real ports, tests and the bench build fakes. */
export interface ReplayDeps {
  store: ManifestStore;
  bucket: string;
  prefix: string;
  publisher: EventPublisher;
  changesTopic: string;
  policy: PlatformPolicy;
  clock: Clock;
  /**
   * Every policy of the placement (global placement: the one policy), read once to plan each project's expected
   * writes (moves included) and, with `fleet`, written; without it every compiled rule counts as a write.
   */
  policies?: FirewallPolicies;
  /** The host project's limits (Cloud Quotas) for the fleet reconcile's headroom check (fleet.ts); else the file's. */
  limits?: LimitsReader;
  hostProject?: string;
  /** The reads of the target mode (subnets, tag values) for the predictions; without them a subnets-mode
   * prediction says `workloads-unread` and counts nothing (the applier still reads them at each event). */
  workloads?: Omit<WorkloadDeps, 'hostProject'>;
  /** Paces publishes by expected writes (the Compute write quota). */
  pacer?: Pacer;
  /** Caps events per second (`--rate N/s`), whatever their writes. */
  eventPacer?: Pacer;
  /** Publishes in flight (default 32; ordering keys keep each project's events in order). */
  concurrency?: number;
  logger?: Logger;
  onProgress?: (p: Progress) => void;
  /** The prefix the validator watches (EGRESS_MANIFEST_PREFIX): a different `prefix` is warned about. */
  watchedPrefix?: string;
}

/** Options of {@link replay}. */
export interface ReplayOptions {
  /** Only these projects; empty or absent with `all` means every manifest. */
  projects?: string[];
  dryRun?: boolean;
  /** `--allow-revocations N`: the run may revoke up to N projects (beyond safety.maxRevocationsPerRun). */
  allowRevocations?: number;
  /**
   * `--restore`: also supersede tombstones recorded at (or above) a live manifest's generation, so the replay
   * re-creates the rules a wrong revocation removed (docs/operations.md, "Undo a mass revocation").
   */
  restore?: boolean;
  /**
   * The fleet reconcile (docs/applier.md, "Fleet reconcile"): instead of publishing one event per project, write every
   * project's change at once, one fingerprinted patch per policy (fleet.ts). Needs `policies`.
   */
  fleet?: boolean;
}

/** The fate of one project. */
export interface ReplayItem {
  project: string;
  object?: string;
  generation?: string;
  /** `patched`/`would-patch`: part of the fleet reconcile's patches (`fleet`), no event published. */
  status: 'published' | 'would-publish' | 'patched' | 'would-patch' | 'invalid' | 'no-manifest' | 'failed';
  expectedWrites?: number;
  /** The applier's patches for it, with what each changes (`patch POLICY: add R@P, remove R@P`). */
  patches?: string[];
  /** The applier will skip this event (the stale-event guard): why. Expected writes are then 0. */
  skipped?: string;
  /** The applier will refuse this event for good (`reason: message`, e.g. a full priority band): 0 writes. */
  willFail?: string;
  eventId?: string;
  messageId?: string;
  error?: string;
}

/** The outcome of a replay run. */
export interface ReplayReport {
  items: ReplayItem[];
  published: number;
  invalid: number;
  failed: number;
  expectedWrites: number;
  /** Policy reads made (0, or one per policy of the placement, more after a fleet re-plan). */
  reads: number;
  /** The fleet reconcile's patches (one per policy changed; none when nothing changed) and what it wrote. */
  fleet?: Pick<FleetReport, 'patches' | 'writes' | 'rounds' | 'failed'>;
  elapsedMs: number;
  /** Set when the blast-radius guard refused the run: nothing was published. */
  refused?: Exclude<RevocationVerdict, { ok: true }>;
  /** Things the operator should know (a prefix the pipeline does not watch, two manifests of one project). */
  warnings: string[];
}

/** One manifest's replay event, and what it is expected to write when published. */
interface Todo {
  m: BucketManifest;
  ev: EgressChangeEvent;
  writes: number;
  note: Pick<ReplayItem, 'skipped' | 'willFail' | 'patches'>;
}

/** What one run read: the policies (before the bucket), the manifests, their projects' workloads. */
interface ReplayRead {
  t0: number;
  states: PolicyState[] | undefined;
  manifests: BucketManifest[];
  known: Awaited<ReturnType<typeof workloadsFor>>;
  warnings: string[];
  items: ReplayItem[];
}

/** Re-publishes replay events for the live manifests (all, or `opts.projects`). Never throws for one bad project. */
export async function replay(deps: ReplayDeps, opts: ReplayOptions = {}): Promise<ReplayReport> {
  const run = await readForReplay(deps, opts);
  const events = replayEvents(deps, opts, run);
  if (opts.fleet && deps.policies && run.states) return await replayFleet(deps, opts, run, events);
  const { todo, revoking } = predictEach(deps, run, events);
  const verdict = checkRevocations({
    command: 'replay',
    where: `gs://${deps.bucket}/${deps.prefix}`,
    projects: revoking,
    max: deps.policy.safety.maxRevocationsPerRun,
    allow: opts.allowRevocations,
    watchedElsewhere: elsewhere(deps.prefix, deps.watchedPrefix),
  });
  if (!verdict.ok && !opts.dryRun) {
    (deps.logger ?? nullLogger).log('ERROR', verdict.message, { projects: verdict.projects });
    return { ...reportOf(deps, run, 0), published: 0, refused: verdict };
  }
  const writes = await publishAll(deps, opts, todo, run.items);
  return finishReport(deps, opts, { ...reportOf(deps, run, writes), ...(!verdict.ok ? { refused: verdict } : {}) });
}

/**
 * The reads of a run: the policies BEFORE the bucket is listed (a tombstone seen then was written after its object was
 * gone, so a live object listed afterwards at that generation proves the tombstone wrong: supersededGeneration,
 * plan.ts), the manifests, the warnings, and the projects asked for that have no manifest.
 */
async function readForReplay(deps: ReplayDeps, opts: ReplayOptions): Promise<ReplayRead> {
  const t0 = deps.clock.now();
  const states = deps.policies ? await readPlacement({ ...deps, policies: deps.policies }) : undefined;
  const manifests = await loadBucketManifests(deps.store, deps.prefix, deps.policy, {
    ...(opts.projects ? { projects: opts.projects } : {}),
  });
  const warnings = readWarnings(deps.prefix, deps.watchedPrefix, manifests);
  for (const w of warnings) (deps.logger ?? nullLogger).log('WARNING', w, { prefix: deps.prefix });
  const items: ReplayItem[] = (opts.projects ?? [])
    .filter((p) => !manifests.some((m) => m.key === p))
    .map((p) => ({
      project: p,
      status: 'no-manifest',
      error: `no manifest ${deps.prefix}${p}.yaml in gs://${deps.bucket}`,
    }));
  return { t0, states, manifests, known: await workloadsFor(deps, manifests), warnings, items };
}

/** The replay event of every valid manifest (superseding what the firewall records when safe); invalid ones listed. */
function replayEvents(deps: ReplayDeps, opts: ReplayOptions, run: ReplayRead) {
  // Owned rules grouped by project once (parsing every marker per project would be quadratic).
  const byProject = groupOwnedRules((run.states ?? []).flatMap((st) => st.snapshot.rules));
  const events: { m: BucketManifest; ev: EgressChangeEvent }[] = [];
  for (const m of run.manifests) {
    if (!m.valid || !m.project) {
      const base = { project: m.project?.name ?? m.key, object: m.object.name, generation: m.object.generation };
      run.items.push({ ...base, status: 'invalid', error: m.errors.join('; ') });
      continue;
    }
    const owned = byProject.get(m.project.name) ?? [];
    events.push({
      m,
      ev: replayEventOver(deps.bucket, m, owned, new Date(deps.clock.now()), { restore: !!opts.restore }),
    });
  }
  return events;
}

/**
 * Each event predicted with the applier's own planner (planEvent.ts), so the count is what the applier writes;
 * without a read every compiled rule counts as a write (planned against an empty policy).
 */
function predictEach(deps: ReplayDeps, run: ReplayRead, events: { m: BucketManifest; ev: EgressChangeEvent }[]) {
  const states = run.states ?? [{ ref: { name: '' }, snapshot: { rules: [] } }];
  const todo: Todo[] = [];
  const revoking: string[] = [];
  for (const { m, ev } of events) {
    const name = m.project!.name;
    const failure = run.known.errors.get(name);
    const prediction = failure
      ? { failed: failure.message, reason: failure.reason }
      : predictWrites(ev, states, deps.policy, deps.hostProject, run.known.workloads.get(name));
    if (revokesAccess(ev, prediction)) revoking.push(name);
    if ('failed' in prediction && prediction.reason === 'compile-failed') {
      const base = { project: name, object: m.object.name, generation: m.object.generation };
      run.items.push({ ...base, status: 'invalid', error: prediction.failed });
      continue;
    }
    const { writes, ...note } = predictionSummary(prediction);
    todo.push({ m, ev, writes, note });
  }
  return { todo, revoking };
}

/** Publishes the events (paced by their expected writes), `concurrency` in flight; returns the writes expected. */
async function publishAll(deps: ReplayDeps, opts: ReplayOptions, todo: Todo[], items: ReplayItem[]): Promise<number> {
  const log = deps.logger ?? nullLogger;
  let done = 0;
  let writesSoFar = 0;
  const inflight = new Set<Promise<void>>();
  const finish = () => {
    done++;
    const eta = deps.pacer ? Math.max(0, deps.pacer.nextFreeAt() - deps.clock.now()) : undefined;
    deps.onProgress?.({ done, total: todo.length, writes: writesSoFar, ...(eta !== undefined ? { etaMs: eta } : {}) });
  };
  for (const { m, ev: planned, writes, note } of todo) {
    // Stamped when published (after the pacer's wait); the id does not depend on the time.
    const ev = { ...planned, time: new Date(deps.clock.now()).toISOString() };
    const item: ReplayItem = {
      ...{ project: m.project!.name, object: m.object.name, generation: m.object.generation },
      ...{ status: opts.dryRun ? 'would-publish' : 'published', expectedWrites: writes, ...note, eventId: ev.id },
    };
    items.push(item);
    if (!opts.dryRun) {
      if (deps.pacer) await deps.pacer.acquire(writes);
      if (deps.eventPacer) await deps.eventPacer.acquire(1);
    }
    writesSoFar += writes;
    if (opts.dryRun) {
      finish();
      continue;
    }
    const p = deps.publisher
      .publish(deps.changesTopic, encodeEvent(ev))
      .then(
        (id) => {
          item.messageId = id;
        },
        (err: unknown) => {
          item.status = 'failed';
          item.error = err instanceof Error ? err.message : String(err);
          log.log('ERROR', 'replay publish failed', { project: item.project, eventId: ev.id, error: item.error });
        },
      )
      .finally(() => {
        inflight.delete(p);
        finish();
      });
    inflight.add(p);
    if (inflight.size >= (deps.concurrency ?? 32)) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  return writesSoFar;
}

/**
 * `replay --all` as a fleet reconcile (fleet.ts): every event planned together, one patch per policy, behind the same
 * blast-radius guard, written by this run (nothing published).
 */
async function replayFleet(
  deps: ReplayDeps,
  opts: ReplayOptions,
  run: ReplayRead,
  events: { m: BucketManifest; ev: EgressChangeEvent }[],
): Promise<ReplayReport> {
  const r = await reconcileFleet(
    { ...deps, policies: deps.policies!, ...(deps.logger ? { logger: deps.logger } : {}) },
    events.map(({ m, ev }) => {
      const w = run.known.workloads.get(m.project!.name);
      return { event: ev, ...(w ? { workloads: w } : {}) };
    }),
    {
      runKey: `replay:${run.t0}`,
      read: run.states!,
      ...(opts.dryRun ? { dryRun: true } : {}),
      guard: (projects) =>
        checkRevocations({
          command: 'replay',
          where: `gs://${deps.bucket}/${deps.prefix}`,
          projects,
          max: deps.policy.safety.maxRevocationsPerRun,
          allow: opts.allowRevocations,
          watchedElsewhere: elsewhere(deps.prefix, deps.watchedPrefix),
        }),
    },
  );
  const byProject = new Map(r.projects.map((p) => [p.project, p]));
  for (const { m, ev } of events) {
    const p = byProject.get(m.project!.name);
    run.items.push({
      ...{ project: m.project!.name, object: m.object.name, generation: m.object.generation, eventId: ev.id },
      status: opts.dryRun || r.refused || r.failed ? 'would-patch' : 'patched',
      ...(p?.skipped ? { skipped: p.skipped } : {}),
      ...(p?.willFail ? { willFail: p.willFail } : {}),
    });
  }
  const fleet = { patches: r.patches, writes: r.writes, rounds: r.rounds, ...(r.failed ? { failed: r.failed } : {}) };
  const report = { ...reportOf(deps, run, r.patches.length), reads: r.reads + run.states!.length, fleet };
  if (r.refused) (deps.logger ?? nullLogger).log('ERROR', r.refused.message, { projects: r.refused.projects });
  return finishReport(deps, opts, { ...report, ...(r.refused ? { refused: r.refused } : {}) });
}

/** The report's counts over the items. */
function reportOf(deps: ReplayDeps, run: ReplayRead, expectedWrites: number): ReplayReport {
  const count = (...s: ReplayItem['status'][]) => run.items.filter((i) => s.includes(i.status)).length;
  return {
    items: run.items,
    published: count('published', 'would-publish', 'patched', 'would-patch'),
    invalid: count('invalid', 'no-manifest'),
    failed: count('failed'),
    expectedWrites,
    reads: run.states?.length ?? 0,
    elapsedMs: deps.clock.now() - run.t0,
    warnings: run.warnings,
  };
}

function finishReport(deps: ReplayDeps, opts: ReplayOptions, report: ReplayReport): ReplayReport {
  (deps.logger ?? nullLogger).log('INFO', opts.dryRun ? 'replay dry run' : 'replay done', {
    published: report.published,
    invalid: report.invalid,
    failed: report.failed,
    expectedWrites: report.expectedWrites,
    ...(report.fleet ? { patches: report.fleet.patches.map((p) => p.summary), writes: report.fleet.writes } : {}),
  });
  return report;
}
