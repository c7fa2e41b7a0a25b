/**
 * The drift check: one policy read, one listing of the bucket, the pure comparison (core/drift.ts), then optionally
 * repair events and `drift` status events. It is built to run on a schedule: when nothing drifted it publishes
 * nothing and writes nothing (the firewall is never written by this use case at all; repairs go through the applier).
 */
import {
  CAPACITY_WARN_RATIO,
  type PolicyCapacity,
  policyCapacity,
  type UncoveredRegion,
  usageAbove,
} from '../core/capacity/report';
import { type DriftReport, detectDrift, type ProjectDrift } from '../core/drift';
import { encodeEvent, makeStatus } from '../core/events/codec';
import type { EgressChangeEvent } from '../core/events/types';
import type { PolicyState } from '../core/firewall/placedWrites';
import { groupOwnedRules } from '../core/firewall/plan';
import { isTombstone } from '../core/firewall/tombstone';
import type { ObservedRule } from '../core/firewall/types';
import { subnetsOutsideRegion } from '../core/placementDrift';
import type { PlatformPolicy } from '../core/policy/types';
import { checkRevocations, type RevocationVerdict } from '../core/safety/revocations';
import type { Clock } from '../ports/clock';
import type { FirewallPolicies } from '../ports/firewall';
import type { LimitsReader } from '../ports/limits';
import { type Logger, nullLogger } from '../ports/logger';
import type { EventPublisher } from '../ports/publisher';
import type { ManifestStore } from '../ports/storage';
import { type BucketManifest, elsewhere, loadBucketManifests, readWarnings, workloadsFor } from './bucketManifests';
import { policyPath, uncoveredRegions } from './capacity';
import { type FleetReport, reconcileFleet } from './fleet';
import type { Pacer } from './pacer';
import { readPlacement } from './patches';
import { predictWrites, revokesAccess } from './planEvent';
import { revocationEvent } from './release';
import { predictionSummary, replayEventOver, sourceOf } from './replay';
import type { WorkloadDeps } from './workloads';

/** `ce-source` of the drift status events. */
export const DRIFT_SOURCE = '//infrastream-egress/drift';

/** What the drift check needs. */
export interface DriftDeps {
  store: ManifestStore;
  bucket: string;
  prefix: string;
  /** Every policy of the placement (global placement: the one policy), each read once; written by a fleet repair. */
  policies: FirewallPolicies;
  /** The host project's limits (Cloud Quotas) for the fleet repair's headroom check (fleet.ts); else the file's. */
  limits?: LimitsReader;
  policy: PlatformPolicy;
  clock: Clock;
  hostProject?: string;
  /** Needed for `repair` / `reportStatus`. */
  publisher?: EventPublisher;
  changesTopic?: string;
  statusTopic?: string;
  /** The reads of the target mode (subnets, tag values): drift compares the sources with the subnets as they are now. */
  workloads?: Omit<WorkloadDeps, 'hostProject'>;
  /** Paces repair events by their expected writes. */
  pacer?: Pacer;
  /** The policy's name in the capacity figures (default `firewall policy`). */
  policyName?: string;
  logger?: Logger;
  /** The prefix the validator watches (EGRESS_MANIFEST_PREFIX): a different `prefix` is warned about. */
  watchedPrefix?: string;
}

/** Options of {@link runDrift}. */
export interface DriftOptions {
  /** Publish replay events for drifted projects (and delete events for projects without manifest). */
  repair?: boolean;
  /** Publish one `drift` status per drifted project (nothing when clean). */
  reportStatus?: boolean;
  /** `--allow-revocations N`: the repair may revoke up to N projects (beyond safety.maxRevocationsPerRun). */
  allowRevocations?: number;
  /**
   * The fleet reconcile (with `repair` it writes; without, `fleet` predicts its patches) (fleet.ts, docs/applier.md "Fleet reconcile"): every repair written at once,
   * one fingerprinted patch per policy, instead of one event per project.
   */
  fleet?: boolean;
}

/** The report plus what was published. */
export interface DriftRun {
  report: DriftReport;
  /** Events published by `repair`, each with what the applier will write for it (its own planner, planEvent.ts). */
  repairs: DriftRepairEvent[];
  /** What a repair event of each repairable drifted project would make the applier write (with or without repair). */
  forecast: DriftRepairEvent[];
  statuses: number;
  /** Projects the repair cannot fix (repair: manual). */
  manual: string[];
  /**
   * Projects with owned rules but no manifest: revocations not applied yet, held by the applier's rate guard or
   * still in flight (the policy cannot tell which). `egress release` applies them; `--repair` re-publishes them.
   */
  pendingRevocations: string[];
  /** Set when the blast-radius guard refused the repair: nothing was published. */
  refused?: Exclude<RevocationVerdict, { ok: true }>;
  /** Things the operator should know (a prefix the pipeline does not watch, two manifests of one project). */
  warnings: string[];
  /** The policy's quota usage (as `egress capacity` reports it). */
  capacity: PolicyCapacity;
  /** The quotas used above 80% (`attributes 1700/2000 (85.0%)`): reported in the output and the drift statuses. */
  capacityWarnings: string[];
  /** The fleet repair's patches (one per policy changed) and what it wrote (`repair` with `fleet`). */
  fleet?: Pick<FleetReport, 'patches' | 'writes' | 'rounds' | 'failed'>;
  /** Regional placement: every policy's usage (`capacity` is the global one's), and the regions no policy covers. */
  capacities?: PolicyCapacity[];
  regionsWithoutPolicy?: UncoveredRegion[];
}

/** A repair event and its predicted effect. */
export interface DriftRepairEvent {
  project: string;
  reason: 'replay' | 'delete';
  eventId: string;
  expectedWrites: number;
  /** The applier's patches for it, with what each changes. */
  patches?: string[];
  /** The applier will skip the event (the stale-event guard): why. */
  skipped?: string;
  /** The applier will refuse the event for good (`reason: message`). */
  willFail?: string;
  /** The applier will remove access (owned rules other than a tombstone) for it. */
  revokes?: boolean;
}

/** A short human reason for a status event: `2 missing, 1 extra`. */
export function driftReason(p: ProjectDrift): string {
  const counts = new Map<string, number>();
  for (const f of p.findings) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
  return [...counts.entries()].map(([k, n]) => `${n} ${k}`).join(', ');
}

/** What one drift run read and found. */
interface DriftRead {
  states: PolicyState[];
  manifests: BucketManifest[];
  valid: BucketManifest[];
  known: Awaited<ReturnType<typeof workloadsFor>>;
  report: DriftReport;
}

/** A drifted project's repair event and what the applier will write for it. */
type Repair = { ev: EgressChangeEvent; forecast: DriftRepairEvent };

/** Runs the check and the requested follow-ups. Throws when a publish fails (the scheduled job then fails loudly). */
export async function runDrift(deps: DriftDeps, opts: DriftOptions = {}): Promise<DriftRun> {
  const log = deps.logger ?? nullLogger;
  if ((opts.repair && !deps.changesTopic && !opts.fleet) || (opts.reportStatus && !deps.publisher))
    throw new Error('drift --repair needs a publisher and the changes topic (EGRESS_CHANGES_TOPIC)');
  if (opts.repair && !opts.fleet && !deps.publisher)
    throw new Error('drift --repair needs a publisher and the changes topic (EGRESS_CHANGES_TOPIC)');
  if (opts.reportStatus && !deps.statusTopic)
    throw new Error('drift --report-status needs the status topic (EGRESS_STATUS_TOPIC)');
  const read = await readAndCompare(deps);
  const run = await findingsOf(deps, read);
  const owned = groupOwnedRules(read.states.flatMap((st) => st.snapshot.rules));
  const repairs = new Map(read.report.drifted.map((p) => [p.project, repairEvent(deps, read, owned, p)]));
  // The blast-radius guard decides on the whole repair BEFORE anything is published (core/safety/revocations.ts).
  const ownedProjects = [...owned.values()].filter((rs) => rs.some((r) => !isTombstone(r))).length;
  const guard = (projects: string[]) =>
    checkRevocations({
      command: 'drift --repair',
      where: `gs://${deps.bucket}/${deps.prefix}`,
      projects,
      manifests: read.manifests.length,
      ownedProjects,
      max: deps.policy.safety.maxRevocationsPerRun,
      allow: opts.allowRevocations,
      watchedElsewhere: elsewhere(deps.prefix, deps.watchedPrefix),
    });
  const verdict = guard([...repairs.values()].filter((r) => r?.forecast.revokes).map((r) => r!.forecast.project));
  if (!verdict.ok) run.refused = verdict;
  if (!verdict.ok && opts.repair) {
    run.forecast = [...repairs.values()].flatMap((r) => (r ? [r.forecast] : []));
    log.log('ERROR', verdict.message, { projects: verdict.projects });
    return run;
  }
  await followUps(deps, opts, read, run, repairs);
  if (opts.fleet) await fleetRepair(deps, opts, read, run, repairs, guard);
  log.log(read.report.clean ? 'INFO' : 'WARNING', read.report.clean ? 'no drift' : 'drift found', {
    checked: read.report.checked,
    drifted: read.report.drifted.length,
    errors: read.report.errors.length,
    unchecked: read.report.unchecked.length,
    repairs: run.repairs.length,
    statuses: run.statuses,
  });
  return run;
}

/** Every policy of the placement (read first), the bucket's manifests, the workloads, the one agreement over them. */
async function readAndCompare(deps: DriftDeps): Promise<DriftRead> {
  const states = await readPlacement(deps);
  const manifests = await loadBucketManifests(deps.store, deps.prefix, deps.policy);
  const valid = manifests.filter((m) => m.valid && m.project);
  const known = await workloadsFor(deps, valid);
  // The one agreement over every policy of the placement (core/agreement): each project compared where it belongs.
  const report = detectDrift({
    workloads: known.workloads,
    sourcesErrors: known.errors,
    manifests: valid.map((m) => ({
      project: m.project!,
      entries: m.entries,
      object: m.object.name,
      generation: m.object.generation,
    })),
    uncheckedProjects: manifests.filter((m) => !m.valid || !m.project).map((m) => m.key),
    placed: states.map((r) => ({ ref: r.ref, rules: r.snapshot.rules })),
    policy: deps.policy,
    ...(deps.hostProject ? { hostProject: deps.hostProject } : {}),
  });
  return { states, manifests, valid, known, report };
}

/** The run's report beyond drift: warnings, each policy's quota usage, regions without a policy. */
async function findingsOf(deps: DriftDeps, read: DriftRead): Promise<DriftRun> {
  const log = deps.logger ?? nullLogger;
  const regional = read.states.length > 1;
  const warnings = readWarnings(deps.prefix, deps.watchedPrefix, read.manifests);
  if (regional) warnings.push(...subnetsOutsideRegion(deps.policy.firewall, subnetsOf(read)));
  for (const w of warnings) log.log('WARNING', w, { prefix: deps.prefix });
  const capacities = read.states.map((r, i) =>
    policyCapacity(
      i === 0 ? (deps.policyName ?? r.ref.name) : policyPath(deps.hostProject ?? '', r.ref.name, r.ref.region),
      r.snapshot.rules,
      deps.policy.capacity,
      r.snapshot.ruleTupleCount,
    ),
  );
  const capacity = capacities[0]!;
  const capacityWarnings = regional
    ? capacities.flatMap((c) => usageAbove(c, CAPACITY_WARN_RATIO).map((w) => `${c.policy}: ${w}`))
    : usageAbove(capacity, CAPACITY_WARN_RATIO);
  const uncovered =
    regional && deps.workloads?.subnets
      ? uncoveredRegions(deps.policy.firewall, await deps.workloads.subnets.listSubnets())
      : [];
  if (uncovered.length) {
    read.report.clean = false;
    log.log('WARNING', 'regions with subnets but no regional firewall policy', { regionsWithoutPolicy: uncovered });
  }
  if (capacityWarnings.length)
    log.log('WARNING', `firewall policy above ${CAPACITY_WARN_RATIO * 100}% of a quota`, {
      capacity,
      capacityWarnings,
    });
  return {
    report: read.report,
    repairs: [],
    forecast: [],
    statuses: 0,
    manual: [],
    pendingRevocations: read.report.drifted.filter((p) => p.repair === 'delete').map((p) => p.project),
    warnings,
    capacity,
    capacityWarnings,
    ...(regional ? { capacities } : {}),
    ...(uncovered.length ? { regionsWithoutPolicy: uncovered } : {}),
  };
}

/** The subnets of each valid manifest's project (target mode subnets), for the regional placement warnings. */
function subnetsOf(read: DriftRead) {
  return read.valid.flatMap((m) => {
    const w = read.known.workloads.get(m.project!.name);
    return w?.mode === 'subnets' ? [{ project: m.project!, subnets: w.subnets }] : [];
  });
}

/** The event a repair publishes for `p` (undefined when a human must act) and what the applier will write for it. */
function repairEvent(
  deps: DriftDeps,
  read: DriftRead,
  owned: ReadonlyMap<string, ObservedRule[]>,
  p: ProjectDrift,
): Repair | undefined {
  if (p.repair === 'manual') return undefined;
  const time = new Date(deps.clock.now());
  const m = read.valid.find((x) => x.project!.name === p.project);
  const ev =
    p.repair === 'replay' && m
      ? replayEventOver(deps.bucket, m, owned.get(p.project) ?? [], time)
      : // No manifest: revoke at the generation the rules record, so the stale-event guard lets it through.
        revocationEvent({
          bucket: deps.bucket,
          prefix: deps.prefix,
          project: p.project,
          generation: p.appliedGeneration ?? '0',
          time,
        });
  const workloads = read.known.workloads.get(p.project);
  const prediction = predictWrites(ev, read.states, deps.policy, deps.hostProject, workloads);
  const { writes, ...note } = predictionSummary(prediction);
  const forecast: DriftRepairEvent = {
    project: p.project,
    reason: ev.data.reason as 'replay' | 'delete',
    eventId: ev.id,
    expectedWrites: writes,
    ...note,
    ...(revokesAccess(ev, prediction) ? { revokes: true } : {}),
  };
  return { ev, forecast };
}

/** Per drifted project: its `drift` status (reportStatus), its forecast, and (repair without fleet) its event. */
async function followUps(
  deps: DriftDeps,
  opts: DriftOptions,
  read: DriftRead,
  run: DriftRun,
  repairs: ReadonlyMap<string, Repair | undefined>,
): Promise<void> {
  for (const p of read.report.drifted) {
    if (opts.reportStatus) await publishDriftStatus(deps, read, run, p);
    const repair = repairs.get(p.project);
    if (repair) run.forecast.push(repair.forecast);
    if (!opts.repair) continue;
    if (!repair) {
      run.manual.push(p.project);
      continue;
    }
    if (!opts.fleet) await publishRepair(deps, repair, run);
  }
}

async function publishDriftStatus(deps: DriftDeps, read: DriftRead, run: DriftRun, p: ProjectDrift): Promise<void> {
  const m = read.valid.find((x) => x.project!.name === p.project);
  const ev = makeStatus(
    {
      outcome: 'drift',
      project: p.project,
      plan: p.plan,
      reason: driftReason(p),
      ...(m ? { source: sourceOf(deps.bucket, m.object) } : {}),
      ...(run.capacityWarnings.length
        ? { capacity: { attributes: run.capacity.attributes, fqdns: run.capacity.fqdns } }
        : {}),
    },
    DRIFT_SOURCE,
    new Date(deps.clock.now()),
  );
  await deps.publisher!.publish(deps.statusTopic!, encodeEvent(ev));
  run.statuses++;
}

/**
 * The repair as a fleet reconcile (fleet.ts; without `repair` a dry run: the patches a repair would write): every repair event planned together over the policies read, one patch
 * per policy, behind the same guard (asked again on the fleet plan), written by this run (nothing published).
 */
async function fleetRepair(
  deps: DriftDeps,
  opts: DriftOptions,
  read: DriftRead,
  run: DriftRun,
  repairs: ReadonlyMap<string, Repair | undefined>,
  guard: (projects: string[]) => RevocationVerdict,
): Promise<void> {
  const todo = [...repairs.values()].filter((r): r is Repair => r !== undefined);
  const r = await reconcileFleet(
    { ...deps, ...(deps.logger ? { logger: deps.logger } : {}) },
    todo.map(({ ev }) => {
      const w = read.known.workloads.get(ev.data.project.name);
      return { event: ev, ...(w ? { workloads: w } : {}) };
    }),
    { runKey: `drift:${deps.clock.now()}`, read: read.states, guard, ...(opts.repair ? {} : { dryRun: true }) },
  );
  if (r.refused && opts.repair) {
    run.refused = r.refused;
    (deps.logger ?? nullLogger).log('ERROR', r.refused.message, { projects: r.refused.projects });
    return;
  }
  run.fleet = { patches: r.patches, writes: r.writes, rounds: r.rounds, ...(r.failed ? { failed: r.failed } : {}) };
  if (opts.repair && !r.failed) run.repairs.push(...todo.map((x) => x.forecast));
  // Not allowed to write the policy (a repair job whose account only reads it, docs/applier.md "Fleet reconcile"):
  // the repair goes through the applier instead, one event per project, as without the fleet reconcile.
  if (opts.repair && r.failed?.startsWith('api-refused: 403') && deps.publisher && deps.changesTopic) {
    (deps.logger ?? nullLogger).log('WARNING', 'fleet repair not permitted; publishing repair events', {
      error: r.failed,
    });
    for (const x of todo) await publishRepair(deps, x, run);
  }
}

/** Publishes one repair event (paced by its expected writes) for the applier. */
async function publishRepair(deps: DriftDeps, repair: Repair, run: DriftRun): Promise<void> {
  if (deps.pacer) await deps.pacer.acquire(repair.forecast.expectedWrites);
  // Stamped when published (after the pacer's wait); the id does not depend on the time.
  const ev = { ...repair.ev, time: new Date(deps.clock.now()).toISOString() };
  await deps.publisher!.publish(deps.changesTopic!, encodeEvent(ev));
  run.repairs.push(repair.forecast);
}
