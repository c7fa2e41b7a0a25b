/**
 * The drift check: one policy read, one listing of the bucket, the pure comparison (core/drift.ts), then optionally
 * repair events and `drift` status events. It is built to run on a schedule: when nothing drifted it publishes
 * nothing and writes nothing (the firewall is never written by this use case at all; repairs go through the applier).
 */
import { defaultObjectName } from '../core/bucket/layout';
import { type DriftReport, detectDrift, type ProjectDrift } from '../core/drift';
import { encodeEvent, makeEgressChange, makeStatus } from '../core/events/codec';
import type { EgressChangeEvent } from '../core/events/types';
import { groupOwnedRules } from '../core/firewall/plan';
import type { PlatformPolicy } from '../core/policy/types';
import type { Clock } from '../ports/clock';
import type { FirewallPolicyPort } from '../ports/firewall';
import { type Logger, nullLogger } from '../ports/logger';
import type { EventPublisher } from '../ports/publisher';
import type { ManifestStore } from '../ports/storage';
import type { Pacer } from './pacer';
import { predictWrites } from './planEvent';
import { loadBucketManifests, predictionSummary, replayEvent, sourceOf, workloadsFor } from './replay';
import type { WorkloadDeps } from './workloads';

/** `ce-source` of the drift status events. */
export const DRIFT_SOURCE = '//infrastream-egress/drift';

/** What the drift check needs. */
export interface DriftDeps {
  store: ManifestStore;
  bucket: string;
  prefix: string;
  firewall: FirewallPolicyPort;
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
  logger?: Logger;
}

/** Options of {@link runDrift}. */
export interface DriftOptions {
  /** Publish replay events for drifted projects (and delete events for projects without manifest). */
  repair?: boolean;
  /** Publish one `drift` status per drifted project (nothing when clean). */
  reportStatus?: boolean;
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
}

/** A repair event and its predicted effect. */
export interface DriftRepairEvent {
  project: string;
  reason: 'replay' | 'delete';
  eventId: string;
  expectedWrites: number;
  /** The applier will skip the event (the stale-event guard): why. */
  skipped?: string;
  /** The applier will refuse the event for good (`reason: message`). */
  willFail?: string;
}

/** A short human reason for a status event: `2 missing, 1 extra`. */
export function driftReason(p: ProjectDrift): string {
  const counts = new Map<string, number>();
  for (const f of p.findings) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
  return [...counts.entries()].map(([k, n]) => `${n} ${k}`).join(', ');
}

/** Runs the check and the requested follow-ups. Throws when a publish fails (the scheduled job then fails loudly). */
export async function runDrift(deps: DriftDeps, opts: DriftOptions = {}): Promise<DriftRun> {
  const log = deps.logger ?? nullLogger;
  if ((opts.repair && !deps.changesTopic) || ((opts.repair || opts.reportStatus) && !deps.publisher))
    throw new Error('drift --repair needs a publisher and the changes topic (EGRESS_CHANGES_TOPIC)');
  if (opts.reportStatus && !deps.statusTopic)
    throw new Error('drift --report-status needs the status topic (EGRESS_STATUS_TOPIC)');
  const snapshot = await deps.firewall.getPolicy();
  const manifests = await loadBucketManifests(deps.store, deps.prefix, deps.policy);
  const valid = manifests.filter((m) => m.valid && m.project);
  const known = await workloadsFor(deps, valid);
  const report = detectDrift({
    workloads: known.workloads,
    manifests: valid.map((m) => ({
      project: m.project!,
      entries: m.entries,
      object: m.object.name,
      generation: m.object.generation,
    })),
    uncheckedProjects: manifests.filter((m) => !m.valid || !m.project).map((m) => m.key),
    rules: snapshot.rules,
    policy: deps.policy,
    ...(deps.hostProject ? { hostProject: deps.hostProject } : {}),
  });
  // A project whose workloads cannot be resolved (no subnet, a missing tag value) is an error of the report.
  report.errors = report.errors.filter((e) => !known.errors.has(e.project));
  for (const [project, err] of known.errors) report.errors.push({ project, message: err.message });
  if (known.errors.size) report.clean = false;
  const run: DriftRun = { report, repairs: [], forecast: [], statuses: 0, manual: [] };
  const byKey = new Map(valid.map((m) => [m.project!.name, m]));

  const taken = new Set(snapshot.rules.map((r) => r.priority));
  const owned = groupOwnedRules(snapshot.rules);
  /** The event a repair publishes for `p` (undefined when a human must act) and what the applier will write for it. */
  const repairEvent = (p: ProjectDrift): { ev: EgressChangeEvent; forecast: DriftRepairEvent } | undefined => {
    if (p.repair === 'manual') return undefined;
    const time = new Date(deps.clock.now());
    const m = byKey.get(p.project);
    const ev =
      p.repair === 'replay' && m
        ? replayEvent(deps.bucket, m, time)
        : makeEgressChange({
            // No manifest: revoke at the generation the rules record, so the stale-event guard lets it through. The
            // environment is unknown without a manifest; a delete event carries no entries and only needs the key.
            project: { name: p.project, environment: 'unknown' },
            reason: 'delete',
            entries: [],
            source: {
              bucket: deps.bucket,
              object: defaultObjectName(deps.prefix, p.project),
              generation: p.appliedGeneration ?? '0',
            },
            time,
          });
    const view = { owned: owned.get(p.project) ?? [], fingerprint: snapshot.fingerprint, taken };
    const predicted = predictionSummary(
      predictWrites(ev, view, deps.policy, deps.hostProject, known.workloads.get(p.project)),
    );
    const { writes, ...note } = predicted;
    return {
      ev,
      forecast: {
        project: p.project,
        reason: ev.data.reason as 'replay' | 'delete',
        eventId: ev.id,
        expectedWrites: writes,
        ...note,
      },
    };
  };

  for (const p of report.drifted) {
    if (opts.reportStatus) {
      const m = byKey.get(p.project);
      const ev = makeStatus(
        {
          outcome: 'drift',
          project: p.project,
          plan: p.plan,
          reason: driftReason(p),
          ...(m ? { source: sourceOf(deps.bucket, m.object) } : {}),
        },
        DRIFT_SOURCE,
        new Date(deps.clock.now()),
      );
      await deps.publisher!.publish(deps.statusTopic!, encodeEvent(ev));
      run.statuses++;
    }
    const repair = repairEvent(p);
    if (repair) run.forecast.push(repair.forecast);
    if (!opts.repair) continue;
    if (!repair) {
      run.manual.push(p.project);
      continue;
    }
    if (deps.pacer) await deps.pacer.acquire(repair.forecast.expectedWrites);
    // Stamped when published (after the pacer's wait); the id does not depend on the time.
    const ev = { ...repair.ev, time: new Date(deps.clock.now()).toISOString() };
    await deps.publisher!.publish(deps.changesTopic!, encodeEvent(ev));
    run.repairs.push(repair.forecast);
  }
  log.log(report.clean ? 'INFO' : 'WARNING', report.clean ? 'no drift' : 'drift found', {
    checked: report.checked,
    drifted: report.drifted.length,
    errors: report.errors.length,
    unchecked: report.unchecked.length,
    repairs: run.repairs.length,
    statuses: run.statuses,
  });
  return run;
}
