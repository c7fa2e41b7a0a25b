/**
 * The fleet reconcile: many projects' events (`replay --all`, `drift --repair`, the restore runbook) written as ONE
 * fingerprinted batch-update patch per policy, by the command itself, through the applier's own steps: the same
 * recheck and compile (planEvent.ts), the same pure planner per project (core/firewall/fleetPlan.ts over
 * placedWrites.ts), the same headroom check, the same patch sending with its 412 re-read and re-plan bound
 * (patches.ts). The blast-radius guard is the caller's, asked on every plan before anything is written. An unchanged
 * fleet plans no patch and writes nothing. Why the command writes instead of publishing: docs/applier.md, "Fleet
 * reconcile".
 */
import type { EgressChangeEvent } from '../core/events/types';
import {
  describeWrite,
  type FleetItem,
  type FleetPlan,
  type FleetProject,
  groupOwnedRules,
  type PatchChanges,
  type PolicyState,
  planFleet,
  summarizePlan,
} from '../core/firewall';
import type { ObservedRule, PlanSummary } from '../core/firewall/types';
import type { Workloads } from '../core/firewall/workloads';
import type { PlatformPolicy } from '../core/policy/types';
import type { RevocationVerdict } from '../core/safety/revocations';
import type { LimitsReader } from '../ports/limits';
import { type Logger, nullLogger } from '../ports/logger';
import { capacitiesFor, type PolicyCapacities } from './capacity';
import { type LogFn, MAX_CONFLICT_ROUNDS, type PatchDeps, patchesRefusal, readPlacement, sendPatches } from './patches';
import { desiredForEvent, failureOf, revocationStamp } from './planEvent';

/** What the fleet reconcile needs: the placement's policies (written) and the applier's settings. */
export interface FleetDeps extends PatchDeps {
  policy: PlatformPolicy;
  /**
   * The host project's limits (Cloud Quotas), read only when the plan has a patch to check (capacity.ts
   * `capacitiesFor`, as `egress plan` reads them); absent: the policy file's limits.
   */
  limits?: LimitsReader;
  hostProject?: string;
  logger?: Logger;
}

/** One project to reconcile: its event (a replay, or a revocation) and its workloads as read (target modes). */
export interface FleetInput {
  event: EgressChangeEvent;
  workloads?: Workloads;
}

/** Options of {@link reconcileFleet}. */
export interface FleetOptions {
  /** Plan (and guard) only; write nothing. */
  dryRun?: boolean;
  /** The blast-radius guard over the projects whose change removes access; asked on every plan. */
  guard?: (revoking: string[]) => RevocationVerdict;
  /** Names the run in the patches' request ids (with each read's fingerprint). */
  runKey: string;
  /** The policies as already read by the caller (their read precedes its bucket listing); read here otherwise. */
  read?: PolicyState[];
}

/** One patch of the run, with what it changes. */
export interface FleetPatch {
  policy: string;
  /** `patch POLICY: add R@P, …` (long lists cut: `changes` has them all). */
  summary: string;
  changes: PatchChanges;
  rules: number;
}

/** A project's part in the run. */
export interface FleetProjectReport {
  project: string;
  eventId: string;
  plan: PlanSummary;
  skipped?: string;
  willFail?: string;
  revokes?: boolean;
}

/** The outcome of a fleet reconcile. */
export interface FleetReport {
  projects: FleetProjectReport[];
  /** The patches planned (dry run) or sent, at most one per policy. */
  patches: FleetPatch[];
  /** Patches written (0 in a dry run, or when the fleet is unchanged). */
  writes: number;
  reads: number;
  /** Plan rounds: 1, plus one per 412 re-plan. */
  rounds: number;
  /** The blast-radius guard refused: nothing was written. */
  refused?: Exclude<RevocationVerdict, { ok: true }>;
  /** A patch refused for good, or the quotas: nothing further was written (`reason: message`). */
  failed?: string;
}

/** The items of the fleet planner: each input's desired rules (a revocation stamped as the applier stamps it). */
function fleetItems(deps: FleetDeps, states: readonly PolicyState[], inputs: readonly FleetInput[]) {
  const owned = new Map<string, ObservedRule[]>();
  for (const st of states)
    for (const [p, rs] of groupOwnedRules(st.snapshot.rules)) owned.set(p, [...(owned.get(p) ?? []), ...rs]);
  const now = Math.floor(deps.clock.now() / 1000);
  const items: FleetItem[] = [];
  const failed: FleetProjectReport[] = [];
  for (const { event, workloads } of inputs) {
    const revokedAt = revocationStamp(owned.get(event.data.project.name) ?? [], now);
    try {
      const at = { ...(workloads ? { workloads } : {}), ...(revokedAt !== undefined ? { revokedAt } : {}) };
      items.push({ event, desired: desiredForEvent(event, deps.policy, deps.hostProject, at) });
    } catch (err) {
      const f = failureOf(err);
      if (!f) throw err;
      const plan = { create: 0, update: 0, delete: 0, unchanged: 0 };
      failed.push({ project: event.data.project.name, eventId: event.id, plan, willFail: `${f.reason}: ${f.message}` });
    }
  }
  return { items, failed };
}

/** The report of one project of the plan. */
function projectReport(p: FleetProject): FleetProjectReport {
  return {
    project: p.project,
    eventId: p.eventId,
    plan: summarizePlan(p.plan),
    ...(p.skip ? { skipped: p.skip } : {}),
    ...(p.failed ? { willFail: `${p.failed.reason}: ${p.failed.message}` } : {}),
    ...(p.revokes ? { revokes: true } : {}),
  };
}

function patchReport(plan: FleetPlan): FleetPatch[] {
  return plan.writes.map((w) => ({
    policy: w.policy.region ? `${w.policy.name} (${w.policy.region})` : w.policy.name,
    summary: describeWrite(w),
    changes: w.changes,
    rules: w.rules.length,
  }));
}

/** Each policy's limits for the headroom check, read once per run (a failed read falls back to the file, logged). */
async function fleetLimits(deps: FleetDeps, states: readonly PolicyState[], log: LogFn) {
  if (!deps.limits) return undefined;
  const read = await capacitiesFor(
    deps.limits,
    deps.policy.capacity,
    states.map((s) => s.ref),
  );
  for (const note of read.notes) log('WARNING', note);
  return read.capacities;
}

/**
 * Reconciles `inputs` in one patch per policy. Each round reads (or takes) the policies, plans every project, asks the
 * guard, checks headroom, sends the patches; a 412 re-reads and re-plans the same events, at most MAX_CONFLICT_ROUNDS.
 */
export async function reconcileFleet(
  deps: FleetDeps,
  inputs: readonly FleetInput[],
  opts: FleetOptions,
): Promise<FleetReport> {
  const logger = deps.logger ?? nullLogger;
  const log: LogFn = (sev, msg, fields = {}) => logger.log(sev, msg, { run: opts.runKey, ...fields });
  const counters = { reads: 0, writes: 0 };
  let states = opts.read ?? (await readPlacement(deps, counters, log));
  let capacities: PolicyCapacities | undefined;
  for (let round = 1; ; round++) {
    const { items, failed } = fleetItems(deps, states, inputs);
    const plan = planFleet(states, items, deps.policy, opts.runKey);
    const report: FleetReport = {
      projects: [...plan.projects.map(projectReport), ...failed],
      patches: patchReport(plan),
      ...counters,
      rounds: round,
    };
    const verdict = opts.guard?.(plan.projects.filter((p) => p.revokes).map((p) => p.project));
    if (verdict && !verdict.ok) return { ...report, refused: verdict };
    if (plan.writes.length === 0) return report;
    capacities ??= await fleetLimits(deps, states, log);
    const unfit = patchesRefusal(states, plan.writes, deps.policy, capacities);
    if (unfit) return { ...report, failed: unfit };
    if (opts.dryRun) return report;
    log('INFO', 'fleet reconcile: patching', { patches: report.patches.map((p) => p.summary), round });
    const conflict = await sendPatches(deps, plan.writes, counters, log).catch((err: unknown) => {
      const f = failureOf(err);
      if (!f) throw err;
      return `${f.reason}: ${f.message}`;
    });
    if (conflict === undefined || typeof conflict === 'string')
      return { ...report, ...counters, ...(conflict ? { failed: conflict } : {}) };
    if (round >= MAX_CONFLICT_ROUNDS)
      return { ...report, ...counters, failed: `the policy kept changing during ${round} rounds; run again` };
    log('NOTICE', 'fleet reconcile: the policy changed under us; re-planning', { round });
    states = conflict;
  }
}
