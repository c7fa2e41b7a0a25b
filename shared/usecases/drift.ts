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
import { groupOwnedRules } from '../core/firewall/plan';
import { isTombstone } from '../core/firewall/tombstone';
import { subnetsOutsideRegion } from '../core/placementDrift';
import type { PolicyRef } from '../core/policy/placement';
import type { PlatformPolicy } from '../core/policy/types';
import { checkRevocations, type RevocationVerdict } from '../core/safety/revocations';
import type { Clock } from '../ports/clock';
import type { FirewallPolicies, FirewallPolicyPort, PolicySnapshot } from '../ports/firewall';
import { type Logger, nullLogger } from '../ports/logger';
import type { EventPublisher } from '../ports/publisher';
import type { ManifestStore } from '../ports/storage';
import { policyPath, uncoveredRegions } from './capacity';
import type { Pacer } from './pacer';
import { predictWrites, revokesAccess } from './planEvent';
import { revocationEvent } from './release';
import {
  elsewhere,
  loadBucketManifests,
  predictionSummary,
  readWarnings,
  replayEventOver,
  sourceOf,
  workloadsFor,
} from './replay';
import type { WorkloadDeps } from './workloads';

/** `ce-source` of the drift status events. */
export const DRIFT_SOURCE = '//infrastream-egress/drift';

/** What the drift check needs. */
export interface DriftDeps {
  store: ManifestStore;
  bucket: string;
  prefix: string;
  firewall: FirewallPolicyPort;
  /** Every policy of the placement (regional placement); absent: `firewall` alone. */
  policies?: FirewallPolicies;
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

/** Runs the check and the requested follow-ups. Throws when a publish fails (the scheduled job then fails loudly). */
export async function runDrift(deps: DriftDeps, opts: DriftOptions = {}): Promise<DriftRun> {
  const log = deps.logger ?? nullLogger;
  if ((opts.repair && !deps.changesTopic) || ((opts.repair || opts.reportStatus) && !deps.publisher))
    throw new Error('drift --repair needs a publisher and the changes topic (EGRESS_CHANGES_TOPIC)');
  if (opts.reportStatus && !deps.statusTopic)
    throw new Error('drift --report-status needs the status topic (EGRESS_STATUS_TOPIC)');
  // Every policy of the placement (one under global placement); each manifest project compared in its own policy.
  const refs = deps.policies?.list() ?? [{ name: deps.policyName ?? 'firewall policy' }];
  const reads: { ref: PolicyRef; snap: PolicySnapshot }[] = [];
  for (const ref of refs)
    reads.push({ ref, snap: await (deps.policies ? deps.policies.forPolicy(ref) : deps.firewall).getPolicy() });
  const manifests = await loadBucketManifests(deps.store, deps.prefix, deps.policy);
  const valid = manifests.filter((m) => m.valid && m.project);
  const regional = reads.length > 1;
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
    placed: reads.map((r) => ({ ref: r.ref, rules: r.snap.rules })),
    policy: deps.policy,
    ...(deps.hostProject ? { hostProject: deps.hostProject } : {}),
  });
  const snapshot: PolicySnapshot = regional ? { rules: reads.flatMap((r) => r.snap.rules) } : reads[0]!.snap;
  const warnings = readWarnings(deps.prefix, deps.watchedPrefix, manifests);
  if (regional)
    warnings.push(
      ...subnetsOutsideRegion(
        deps.policy.firewall,
        valid.flatMap((m) => {
          const w = known.workloads.get(m.project!.name);
          return w?.mode === 'subnets' ? [{ project: m.project!, subnets: w.subnets }] : [];
        }),
      ),
    );
  for (const w of warnings) log.log('WARNING', w, { prefix: deps.prefix });
  const capacities = reads.map((r, i) =>
    policyCapacity(
      i === 0 ? (deps.policyName ?? r.ref.name) : policyPath(deps.hostProject ?? '', r.ref.name, r.ref.region),
      r.snap.rules,
      deps.policy.capacity,
      r.snap.ruleTupleCount,
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
    report.clean = false;
    log.log('WARNING', 'regions with subnets but no regional firewall policy', { regionsWithoutPolicy: uncovered });
  }
  if (capacityWarnings.length)
    log.log('WARNING', `firewall policy above ${CAPACITY_WARN_RATIO * 100}% of a quota`, {
      capacity,
      capacityWarnings,
    });
  const run: DriftRun = {
    report,
    repairs: [],
    forecast: [],
    statuses: 0,
    manual: [],
    pendingRevocations: report.drifted.filter((p) => p.repair === 'delete').map((p) => p.project),
    warnings,
    capacity,
    capacityWarnings,
    ...(regional ? { capacities } : {}),
    ...(uncovered.length ? { regionsWithoutPolicy: uncovered } : {}),
  };
  const byKey = new Map(valid.map((m) => [m.project!.name, m]));

  const states = reads.map((r) => ({ ref: r.ref, snapshot: r.snap }));
  const owned = groupOwnedRules(snapshot.rules);
  /** The event a repair publishes for `p` (undefined when a human must act) and what the applier will write for it. */
  const repairEvent = (p: ProjectDrift): { ev: EgressChangeEvent; forecast: DriftRepairEvent } | undefined => {
    if (p.repair === 'manual') return undefined;
    const time = new Date(deps.clock.now());
    const m = byKey.get(p.project);
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
    const prediction = predictWrites(ev, states, deps.policy, deps.hostProject, known.workloads.get(p.project));
    const { writes, ...note } = predictionSummary(prediction);
    return {
      ev,
      forecast: {
        project: p.project,
        reason: ev.data.reason as 'replay' | 'delete',
        eventId: ev.id,
        expectedWrites: writes,
        ...note,
        ...(revokesAccess(ev, prediction) ? { revokes: true } : {}),
      },
    };
  };
  const repairs = new Map(report.drifted.map((p) => [p.project, repairEvent(p)]));
  // The blast-radius guard decides on the whole repair BEFORE anything is published (core/safety/revocations.ts).
  const ownedProjects = [...owned.entries()].filter(([, rs]) => rs.some((r) => !isTombstone(r))).length;
  const verdict = checkRevocations({
    command: 'drift --repair',
    where: `gs://${deps.bucket}/${deps.prefix}`,
    projects: [...repairs.values()].filter((r) => r?.forecast.revokes).map((r) => r!.forecast.project),
    manifests: manifests.length,
    ownedProjects,
    max: deps.policy.safety.maxRevocationsPerRun,
    allow: opts.allowRevocations,
    watchedElsewhere: elsewhere(deps.prefix, deps.watchedPrefix),
  });
  if (!verdict.ok) {
    run.refused = verdict;
    if (opts.repair) {
      run.forecast = [...repairs.values()].flatMap((r) => (r ? [r.forecast] : []));
      log.log('ERROR', verdict.message, { projects: verdict.projects });
      return run;
    }
  }

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
          ...(capacityWarnings.length ? { capacity: { attributes: capacity.attributes, fqdns: capacity.fqdns } } : {}),
        },
        DRIFT_SOURCE,
        new Date(deps.clock.now()),
      );
      await deps.publisher!.publish(deps.statusTopic!, encodeEvent(ev));
      run.statuses++;
    }
    const repair = repairs.get(p.project);
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
