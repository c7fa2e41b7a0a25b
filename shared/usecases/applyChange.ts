/**
 * The apply-change use case: one egress-change event → the project's owned rules made equal to its manifest.
 * Shared by the applier function and the CLI (replay, drift --fix). The recipe:
 *
 *   re-check the entries and compile the desired rules (planEvent.ts) → read the placement's policies → the write
 *   planner (core/firewall/writePlan.ts, placedWrites.ts: stale-event guard, plan, priorities, the policy's complete
 *   new rule list, request id) → one fingerprinted patch per policy changed (a move: the new policy first, then the
 *   old), each waited on, transient failures retried → status event. `replay` and `drift --repair` predict their
 *   writes with the same planner.
 *
 * Failure policy: transient API errors are retried in-process (retry.ts) and then rethrown as RetryLaterError, so
 * Pub/Sub redelivers; permanent ones are logged at ERROR with the plan, reported as `apply-failed`, and acknowledged
 * (returning normally). A change that cannot fit the policy's quotas (core/capacity/headroom.ts) is `apply-failed`
 * with reason `capacity` before any write; a revocation over the rate guard is `held` before that check. A patch refused
 * because the policy changed since our read (412 conditionNotMet: its fingerprint moved) is not an error: we re-read
 * and re-plan, a few rounds at most, then ask for a redelivery. See docs/applier.md.
 */
import { isManifestObject, normalizePrefix, projectKeyOf } from '../core/bucket/layout';
import { decodeEgressChange, encodeEvent, type IncomingMessage, makeStatus } from '../core/events/codec';
import type { EgressChangeEvent, StatusData } from '../core/events/types';
import {
  describeWrite,
  isRevocation,
  isTombstone,
  notLiveReason,
  ownedRules,
  type PolicyState,
  planPlacedWrites,
  recentRevocations,
  summarizePlan,
  targetPolicy,
} from '../core/firewall';
import type { Plan, PlanSummary } from '../core/firewall/types';
import { WorkloadError, type Workloads } from '../core/firewall/workloads';
import { policyRefKey } from '../core/policy/placement';
import type { PlatformPolicy } from '../core/policy/types';
import type { Clock } from '../ports/clock';
import { isTransient, RetryLaterError } from '../ports/errors';
import type { FirewallPolicies, PolicySnapshot } from '../ports/firewall';
import type { Logger } from '../ports/logger';
import type { EventPublisher } from '../ports/publisher';
import type { ManifestStore } from '../ports/storage';
import type { PolicyCapacities } from './capacity';
import { checkPatchesFit, type LogFn, MAX_CONFLICT_ROUNDS, readPlacement, sendPatches } from './patches';
import { desiredForEvent, failureOf, PermanentError, revocationStamp } from './planEvent';
import type { RetryOptions } from './retry';
import { withRetry } from './retry';
import { needsWorkloadRead, resolveProjectWorkloads, WorkloadConfigError, type WorkloadDeps } from './workloads';

/** Re-exported: the one "retry later" error (ports/errors.ts), which the applier function rethrows. */
export { RetryLaterError };

/** `ce-source` of the status events the applier publishes. */
export const APPLIER_SOURCE = '//infrastream-egress/applier';

/** Re-exported: the re-plan bound after a 412 (patches.ts), shared with the fleet reconcile. */
export { MAX_CONFLICT_ROUNDS };

/** What `applyChange` needs; everything with side effects is a port. */
export interface ApplyDeps {
  /**
   * The policies of the placement (core/policy/placement.ts): global placement is the one-policy placement
   * (`singlePolicy`), regional adds each region's. Each event reads them all and patches the project's policy (and,
   * for a move, the one it leaves).
   */
  policies: FirewallPolicies;
  /** Publishes the outcome to `statusTopic` when both are set. */
  publisher?: EventPublisher;
  statusTopic?: string;
  policy: PlatformPolicy;
  /**
   * Each policy's limits from the Cloud Quotas API (runtime/applier.ts reads them after the instance's first event);
   * until then, or for a policy absent here, the policy file's limits apply.
   */
  capacities?: PolicyCapacities;
  logger: Logger;
  clock: Clock;
  /** Fills `{hostProject}` of the target template (falls back to the policy's firewall.hostProject). */
  hostProject?: string;
  retry?: RetryOptions;
  /** `ce-source` of status events (default APPLIER_SOURCE). */
  statusSource?: string;
  /**
   * The prefix the validator watches (EGRESS_MANIFEST_PREFIX). When set, a revocation whose object is not a manifest
   * of that project directly under it is refused: no tombstone is recorded for an object the pipeline does not watch
   * (e.g. `drift --repair` run against a wrong prefix, whose delete names the generation of a still-live manifest).
   */
  manifestPrefix?: string;
  /**
   * The manifest bucket (the validator's `storeFor`): before the first apply of a project with no rule anywhere, the
   * applier checks that the event's generation is the live one (core/firewall/writePlan.ts `notLiveReason`), which is
   * what turns away an older upsert delivered after a delete that wrote no tombstone. Absent: not checked.
   */
  storeFor?: (bucket: string) => Pick<ManifestStore, 'stat'>;
  /** The reads of the target modes `subnets` (host project's subnets) and `secureTags` (tag value ids). */
  workloads?: Omit<WorkloadDeps, 'hostProject'>;
}

/** The result of one event. `apply-failed` is acknowledged (no redelivery); transient failures throw instead. */
export interface ApplyOutcome {
  outcome: 'applied' | 'skipped' | 'apply-failed' | 'held';
  project: string;
  eventId: string;
  /** The planned changes (all zero when skipped or failed before planning). */
  plan: PlanSummary;
  /** API calls made: policy reads and successful writes. */
  reads: number;
  writes: number;
  reason?: string;
  error?: string;
}

const ZERO: PlanSummary = { create: 0, update: 0, delete: 0, unchanged: 0 };

/** Rule names of a plan, for logs (the full plan is in the ERROR log of a failure). */
function planNames(plan: Plan): Record<string, string[]> {
  return {
    create: plan.create.map((r) => r.ruleName),
    update: plan.update.map((u) => `${u.new.ruleName}@${u.old.priority}`),
    delete: plan.delete.map((r) => `${r.ruleName}@${r.priority}`),
  };
}

/** One event's run: its log context, API counters, the plan once known, and how it reports its outcome. */
interface Run {
  log: LogFn;
  counters: { reads: number; writes: number };
  plan?: Plan;
  finish(outcome: ApplyOutcome['outcome'], extra?: Partial<StatusData>): Promise<ApplyOutcome>;
}

function startRun(deps: ApplyDeps, event: EgressChangeEvent): Run {
  const project = event.data.project.name;
  const ctx = { eventId: event.id, project, generation: event.data.source.generation, reason: event.data.reason };
  const run: Run = {
    log: (sev, msg, fields = {}) => deps.logger.log(sev, msg, { ...ctx, ...fields }),
    counters: { reads: 0, writes: 0 },
    async finish(outcome, extra = {}) {
      const summary = run.plan ? summarizePlan(run.plan) : ZERO;
      const data = { outcome, project, changeId: event.id, source: event.data.source, plan: summary, ...extra };
      await publishStatus(deps, data);
      return { outcome, project, eventId: event.id, plan: summary, ...run.counters, ...extra } as ApplyOutcome;
    },
  };
  return run;
}

/** Applies one decoded egress-change event. Throws RetryLaterError for transient failures (redeliver). */
export async function applyChange(deps: ApplyDeps, event: EgressChangeEvent): Promise<ApplyOutcome> {
  const run = startRun(deps, event);
  try {
    const outside = outsidePrefix(deps, event);
    if (outside) throw new PermanentError(outside, 'outside-prefix');
    // The project's workloads as they are now (subnets mode: the current ranges of its subnets, at each event).
    const workloads = await eventWorkloads(deps, event, run);
    // Entries re-checked first: bad entries fail before the policy is read.
    desiredForEvent(event, deps.policy, deps.hostProject, workloads ? { workloads } : {});
    const states = await readPlacement(deps, run.counters, run.log);
    const notLive = await firstApplyNotLive(deps, event, states, run);
    if (notLive) {
      run.log('INFO', notLive);
      return await run.finish('skipped', { reason: notLive });
    }
    return await applyRounds(deps, event, run, workloads, states);
  } catch (err) {
    return await failed(run, err);
  }
}

/** The project's workloads when the target mode reads them (not for a revocation); transient failures retried. */
async function eventWorkloads(deps: ApplyDeps, event: EgressChangeEvent, run: Run): Promise<Workloads | undefined> {
  if (!needsWorkloadRead(deps.policy) || isRevocation(event)) return undefined;
  const read = () => {
    run.counters.reads++;
    return resolveProjectWorkloads(deps.policy, event.data.project.name, {
      ...deps.workloads,
      ...(deps.hostProject ? { hostProject: deps.hostProject } : {}),
    });
  };
  try {
    return await withRetry(read, {
      ...deps.retry,
      clock: deps.clock,
      onRetry: (err, attempt, delayMs) =>
        run.log('WARNING', 'workload read failed, retrying', { error: String(err), attempt, delayMs }),
    });
  } catch (err) {
    if (err instanceof WorkloadError) throw new PermanentError(err.message, err.reason);
    if (err instanceof WorkloadConfigError) throw new PermanentError(err.message, 'workloads-unread');
    if (isTransient(err)) throw new RetryLaterError(`reading the project's workloads: ${(err as Error).message}`, err);
    throw err;
  }
}

/**
 * Why the first apply of a project must not happen (the event's generation is not the bucket's live one), or null:
 * only when the project has no rule in any policy and the event is not a delete. Transient reads retried.
 */
async function firstApplyNotLive(
  deps: ApplyDeps,
  event: EgressChangeEvent,
  states: readonly PolicyState[],
  run: Run,
): Promise<string | null> {
  const project = event.data.project.name;
  // Every first write of a project (rules, or the tombstone of a manifest listing nothing) needs the live generation;
  // a delete of a project without rules writes nothing anyway (nothingToRevoke).
  if (!deps.storeFor || event.data.reason === 'delete') return null;
  if (states.some((st) => ownedRules(st.snapshot.rules, project).length > 0)) return null;
  const { bucket, object } = event.data.source;
  const stat = () => {
    run.counters.reads++;
    return deps.storeFor!(bucket).stat(object);
  };
  try {
    const live = await withRetry(stat, { ...deps.retry, clock: deps.clock });
    return notLiveReason(event, live?.generation ?? null);
  } catch (err) {
    if (isTransient(err)) throw new RetryLaterError(`reading gs://${bucket}/${object}: ${(err as Error).message}`, err);
    throw new PermanentError(
      `cannot read gs://${bucket}/${object} to confirm it is live: ${(err as Error).message}`,
      'manifest-unread',
    );
  }
}

/** The applier's plan of `event` over `states` (the planner of planEvent.ts / placedWrites.ts, as predictions use). */
function planRound(deps: ApplyDeps, event: EgressChangeEvent, states: readonly PolicyState[], workloads?: Workloads) {
  // A revocation desires the tombstone of this generation, stamped with the time it is applied only when it removes
  // an allow: the rate guard (holdReason) counts those stamps, and nothing else.
  const owned = states.flatMap((st) => ownedRules(st.snapshot.rules, event.data.project.name));
  const revokedAt = revocationStamp(owned, Math.floor(deps.clock.now() / 1000));
  const desired = desiredForEvent(event, deps.policy, deps.hostProject, {
    ...(workloads ? { workloads } : {}),
    ...(revokedAt !== undefined ? { revokedAt } : {}),
  });
  const target = targetPolicy(deps.policy.firewall, states, event);
  return planPlacedWrites(event, desired, states, target, deps.policy);
}

/** Plan, guard, headroom, patch; after a 412 (the policy moved) re-plan from the fresh read, a few rounds at most. */
async function applyRounds(
  deps: ApplyDeps,
  event: EgressChangeEvent,
  run: Run,
  workloads: Workloads | undefined,
  first: PolicyState[],
): Promise<ApplyOutcome> {
  let states = first;
  for (let round = 1; ; round++) {
    const planned = planRound(deps, event, states, workloads);
    if (planned.skip) {
      run.log('INFO', planned.skip, { appliedGeneration: planned.appliedGeneration });
      return await run.finish('skipped', { reason: planned.skip });
    }
    run.plan = planned.plan;
    if (planned.writes.length === 0) {
      run.log('INFO', 'no changes', { plan: summarizePlan(planned.plan), ...run.counters });
      return await run.finish('applied');
    }
    const held = holdReason(deps, event, planned.plan, { rules: states.flatMap((st) => st.snapshot.rules) });
    if (held) {
      run.log('WARNING', held, { plan: summarizePlan(planned.plan) });
      return await run.finish('held', { reason: held });
    }
    checkPatchesFit(states, planned.writes, deps.policy, deps.capacities);
    run.log('INFO', 'applying plan', {
      plan: summarizePlan(planned.plan),
      rules: planNames(planned.plan),
      writes: planned.writes.map(describeWrite),
      round,
      ...(states.length > 1
        ? { policy: policyRefKey(planned.target), movedFrom: planned.movedFrom.map(policyRefKey) }
        : {}),
    });
    const conflict = await sendPatches(deps, planned.writes, run.counters, run.log);
    if (!conflict) break;
    if (round >= MAX_CONFLICT_ROUNDS)
      throw new RetryLaterError(`the policy kept changing during ${round} apply rounds`, undefined);
    run.log('NOTICE', 'the policy changed under us; re-planning', { round });
    states = conflict;
  }
  run.log('INFO', 'applied', { plan: run.plan && summarizePlan(run.plan), ...run.counters });
  return await run.finish('applied');
}

/** A transient failure is rethrown (redelivery); a permanent one is logged with the plan and reported `apply-failed`. */
async function failed(run: Run, err: unknown): Promise<ApplyOutcome> {
  const plan = run.plan;
  if (err instanceof RetryLaterError) {
    run.log('WARNING', `apply interrupted, the event will be redelivered: ${err.message}`, {
      plan: plan && summarizePlan(plan),
      ...run.counters,
    });
    throw err;
  }
  const permanent = failureOf(err);
  if (!permanent) throw err;
  run.log('ERROR', `apply failed: ${permanent.message}`, {
    failure: permanent.reason,
    plan: plan && summarizePlan(plan),
    rules: plan && planNames(plan),
    planDetail: plan,
    ...run.counters,
  });
  return await run.finish('apply-failed', { reason: permanent.reason, error: permanent.message });
}

/** Why a revocation must not be applied because of where its object lies (see ApplyDeps.manifestPrefix); or null. */
function outsidePrefix(deps: ApplyDeps, event: EgressChangeEvent): string | null {
  if (deps.manifestPrefix === undefined || !isRevocation(event)) return null;
  const { object } = event.data.source;
  if (isManifestObject(object, deps.manifestPrefix) && projectKeyOf(object) === event.data.project.name) return null;
  return (
    `revocation of ${event.data.project.name} refused: its object ${object} is not a manifest of that project under ` +
    `the watched prefix ${JSON.stringify(normalizePrefix(deps.manifestPrefix))} (EGRESS_MANIFEST_PREFIX), so no ` +
    'tombstone is recorded; check the prefix the command that published it was given'
  );
}

/**
 * Why a revocation is held instead of applied (the rate guard: docs/operations.md, "Held revocations"), or null.
 * Counted from the tombstones' `at` stamps in the policy just read, so every applier instance sees the same count.
 * Only a plan that removes access (deletes a rule other than a tombstone) counts or is held; `release` overrides.
 */
function holdReason(
  deps: ApplyDeps,
  event: EgressChangeEvent,
  plan: Plan,
  snapshot: Pick<PolicySnapshot, 'rules'>,
): string | null {
  if (!isRevocation(event) || event.data.release) return null;
  if (!plan.delete.some((r) => !isTombstone(r))) return null;
  const { revocationsPerWindow: limit, windowSeconds } = deps.policy.safety;
  const recent = recentRevocations(snapshot.rules, Math.floor(deps.clock.now() / 1000) - windowSeconds);
  if (recent.length < limit) return null;
  return (
    `revocation of ${event.data.project.name} held: ${recent.length} revocations were applied in the last ` +
    `${windowSeconds} s (safety.revocationsPerWindow ${limit}); its rules stay until an operator runs ` +
    `\`egress release ${event.data.project.name}\` (or the window passes and drift --repair re-publishes it)`
  );
}

/** Publishes a status event when a publisher and topic are configured. A failure propagates (redelivery resends). */
async function publishStatus(deps: ApplyDeps, data: StatusData): Promise<void> {
  if (!deps.publisher || !deps.statusTopic) return;
  const ev = makeStatus(data, deps.statusSource ?? APPLIER_SOURCE, new Date(deps.clock.now()));
  await deps.publisher.publish(deps.statusTopic, encodeEvent(ev));
}

/**
 * Decodes a Pub/Sub message and applies it. A message that cannot be decoded (a poison message) is logged at ERROR,
 * reported as `apply-failed` and acknowledged: redelivering it could never succeed.
 */
export async function handleEgressMessage(deps: ApplyDeps, msg: IncomingMessage): Promise<ApplyOutcome> {
  const decoded = decodeEgressChange(msg);
  if (decoded.ok) return applyChange(deps, decoded.event);
  const attrs = msg.attributes ?? {};
  const project = attrs['ce-subject'] || 'unknown';
  const eventId = attrs['ce-id'] || '';
  const error = decoded.errors.join('; ');
  deps.logger.log('ERROR', `poison egress-change message acknowledged: ${error}`, { eventId, project });
  await publishStatus(deps, {
    outcome: 'apply-failed',
    project,
    ...(eventId ? { changeId: eventId } : {}),
    reason: 'undecodable-event',
    error,
  });
  return {
    outcome: 'apply-failed',
    project,
    eventId,
    plan: ZERO,
    reads: 0,
    writes: 0,
    reason: 'undecodable-event',
    error,
  };
}
