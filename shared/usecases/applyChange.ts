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
import { checkHeadroom, headroomMessage } from '../core/capacity/headroom';
import { decodeEgressChange, encodeEvent, type IncomingMessage, makeStatus } from '../core/events/codec';
import type { EgressChangeEvent, StatusData } from '../core/events/types';
import {
  describeWrite,
  deterministicRequestId,
  isRevocation,
  isTombstone,
  ownedRules,
  PlacementError,
  type PolicyPatch,
  type PolicyState,
  PriorityBandFullError,
  parseMarker,
  planPlacedWrites,
  recentRevocations,
  summarizePlan,
  targetPolicy,
} from '../core/firewall';
import type { Plan, PlanSummary } from '../core/firewall/types';
import { WorkloadError } from '../core/firewall/workloads';
import { type PolicyRef, policyRefKey, sameRef } from '../core/policy/placement';
import type { PlatformPolicy } from '../core/policy/types';
import type { Clock } from '../ports/clock';
import { isTransient, RetryLaterError } from '../ports/errors';
import { FirewallApiError, type FirewallPolicies, OperationFailedError, type PolicySnapshot } from '../ports/firewall';
import type { Logger } from '../ports/logger';
import type { EventPublisher } from '../ports/publisher';
import { desiredForEvent, PermanentError } from './planEvent';
import { type RetryOptions, withRetry } from './retry';
import { needsWorkloadRead, resolveProjectWorkloads, WorkloadConfigError, type WorkloadDeps } from './workloads';

/** Re-exported: the one "retry later" error (ports/errors.ts), which the applier function rethrows. */
export { RetryLaterError };

/** `ce-source` of the status events the applier publishes. */
export const APPLIER_SOURCE = '//infrastream-egress/applier';

/** Re-read-and-re-plan rounds after a patch was refused for a stale fingerprint (412), before asking for a redelivery. */
export const MAX_CONFLICT_ROUNDS = 4;

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

/** Applies one decoded egress-change event. Throws RetryLaterError for transient failures (redeliver). */
export async function applyChange(deps: ApplyDeps, event: EgressChangeEvent): Promise<ApplyOutcome> {
  const project = event.data.project.name;
  const generation = event.data.source.generation;
  const ctx = { eventId: event.id, project, generation, reason: event.data.reason };
  const log = (sev: Parameters<Logger['log']>[0], msg: string, fields: Record<string, unknown> = {}) =>
    deps.logger.log(sev, msg, { ...ctx, ...fields });
  const counters = { reads: 0, writes: 0 };
  const retry = { ...deps.retry, clock: deps.clock };
  let plan: Plan | undefined;

  const finish = async (outcome: ApplyOutcome['outcome'], extra: Partial<StatusData> = {}): Promise<ApplyOutcome> => {
    const summary = plan ? summarizePlan(plan) : ZERO;
    await publishStatus(deps, {
      outcome,
      project,
      changeId: event.id,
      source: event.data.source,
      plan: summary,
      ...extra,
    });
    return { outcome, project, eventId: event.id, plan: summary, ...counters, ...extra } as ApplyOutcome;
  };

  const readWorkloads = async (p: string) => {
    try {
      return await withRetry(
        () => {
          counters.reads++;
          return resolveProjectWorkloads(deps.policy, p, {
            ...deps.workloads,
            ...(deps.hostProject ? { hostProject: deps.hostProject } : {}),
          });
        },
        {
          ...retry,
          onRetry: (err, attempt, delayMs) =>
            log('WARNING', 'workload read failed, retrying', { error: String(err), attempt, delayMs }),
        },
      );
    } catch (err) {
      if (err instanceof WorkloadError) throw new PermanentError(err.message, err.reason);
      if (err instanceof WorkloadConfigError) throw new PermanentError(err.message, 'workloads-unread');
      if (isTransient(err))
        throw new RetryLaterError(`reading the project's workloads: ${(err as Error).message}`, err);
      throw err;
    }
  };

  const fleet = deps.policies;
  const refs = fleet.list();
  const readOne = async (ref: PolicyRef): Promise<PolicySnapshot> => {
    try {
      return await withRetry(
        () => {
          counters.reads++;
          return fleet.forPolicy(ref).getPolicy();
        },
        {
          ...retry,
          onRetry: (err, attempt, delayMs) =>
            log('WARNING', 'policy read failed, retrying', { error: String(err), attempt, delayMs }),
        },
      );
    } catch (err) {
      if (isTransient(err)) throw new RetryLaterError(`reading the policy: ${(err as Error).message}`, err);
      throw err;
    }
  };
  // Every policy of the placement, in order (one read under global placement, as before).
  const read = async (): Promise<PolicyState[]> => {
    const states: PolicyState[] = [];
    for (const ref of refs) states.push({ ref, snapshot: await readOne(ref) });
    return states;
  };

  try {
    const outside = outsidePrefix(deps, event);
    if (outside) throw new PermanentError(outside, 'outside-prefix');
    // The project's workloads as they are now (subnets mode: the current ranges of its subnets, at each event).
    const workloads = needsWorkloadRead(deps.policy) && !isRevocation(event) ? await readWorkloads(project) : undefined;
    // Entries re-checked first: bad entries fail before the policy is read.
    desiredForEvent(event, deps.policy, deps.hostProject, workloads ? { workloads } : {});
    let states = await read();
    for (let round = 1; ; round++) {
      // The desired rules (a revocation desires the tombstone of this generation, stamped with the time it is applied
      // only when it removes an allow: the rate guard below counts those stamps, and nothing else).
      const revokedAt = revocationStamp(states, project, Math.floor(deps.clock.now() / 1000));
      const desired = desiredForEvent(event, deps.policy, deps.hostProject, {
        ...(workloads ? { workloads } : {}),
        ...(revokedAt !== undefined ? { revokedAt } : {}),
      });
      // The project's policy (placement.ts), then the exact writes or the stale-event decision (writePlan.ts, over
      // every policy of the placement: placedWrites.ts): the same functions predict replay's writes.
      const target = targetPolicy(deps.policy.firewall, states, event);
      const planned = planPlacedWrites(event, desired, states, target, deps.policy);
      if (planned.skip) {
        log('INFO', planned.skip, { appliedGeneration: planned.appliedGeneration });
        return await finish('skipped', { reason: planned.skip });
      }
      plan = planned.plan;
      if (planned.writes.length === 0) {
        log('INFO', 'no changes', { plan: summarizePlan(plan), ...counters });
        return await finish('applied');
      }
      const held = holdReason(deps, event, plan, {
        rules: states.flatMap((st) => st.snapshot.rules),
      });
      if (held) {
        log('WARNING', held, { plan: summarizePlan(plan) });
        return await finish('held', { reason: held });
      }
      // Headroom before the first write, on each policy's new rule list: a change that does not fit writes nothing.
      for (const w of planned.writes) {
        const st = states.find((s) => sameRef(s.ref, w.policy))!;
        const room = checkHeadroom(st.snapshot, w.rules, deps.policy.capacity, st.ref.region ? 'regional' : 'global');
        if (!room.fits)
          throw new PermanentError(
            headroomMessage(room, refs.length > 1 ? policyRefKey(st.ref) : undefined),
            'capacity',
          );
      }
      log('INFO', 'applying plan', {
        plan: summarizePlan(plan),
        rules: planNames(plan),
        writes: planned.writes.map(describeWrite),
        round,
        ...(refs.length > 1 ? { policy: policyRefKey(target), movedFrom: planned.movedFrom.map(policyRefKey) } : {}),
      });
      const conflict = await execute(deps, fleet, planned.writes, counters, read, log);
      if (!conflict) break;
      if (round >= MAX_CONFLICT_ROUNDS)
        throw new RetryLaterError(`the policy kept changing during ${round} apply rounds`, undefined);
      log('NOTICE', 'the policy changed under us; re-planning', { round });
      states = conflict;
    }
    log('INFO', 'applied', { plan: summarizePlan(plan), ...counters });
    return await finish('applied');
  } catch (err) {
    if (err instanceof RetryLaterError) {
      log('WARNING', `apply interrupted, the event will be redelivered: ${err.message}`, {
        plan: plan && summarizePlan(plan),
        ...counters,
      });
      throw err;
    }
    const permanent =
      err instanceof PermanentError
        ? err
        : err instanceof PriorityBandFullError
          ? new PermanentError(err.message, 'priority-band-full')
          : err instanceof PlacementError
            ? new PermanentError(err.message, 'placement')
            : err instanceof FirewallApiError
              ? new PermanentError(err.detail, err.quotaExceeded ? 'capacity' : 'api-refused')
              : undefined;
    if (!permanent) throw err;
    log('ERROR', `apply failed: ${permanent.message}`, {
      failure: permanent.reason,
      plan: plan && summarizePlan(plan),
      rules: plan && planNames(plan),
      planDetail: plan,
      ...counters,
    });
    return await finish('apply-failed', { reason: permanent.reason, error: permanent.message });
  }
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
 * The `at` stamp of a revocation's tombstone: `now` when the project has an allow to remove (a revocation the rate
 * guard counts), else the stamp its tombstone already carries (revoking a revoked project again is no new revocation).
 */
function revocationStamp(states: readonly PolicyState[], project: string, now: number): number | undefined {
  const owned = states.flatMap((st) => ownedRules(st.snapshot.rules, project));
  if (owned.some((r) => !isTombstone(r))) return now;
  return owned.map((r) => parseMarker(r.description)).find((m) => m?.state === 'deleted')?.at;
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

/**
 * Sends the planned patches (writePlan.ts), in order, each waited on. Returns undefined when every patch succeeded, or
 * a fresh read when one was refused because the policy changed since the read it was planned from (412
 * conditionNotMet: re-plan from it). Throws RetryLaterError when transient failures outlast the retries, the original
 * error when a patch is refused for good.
 *
 * Each patch is atomic (Google rolls the whole list back on any error), so a crash at any point leaves each policy
 * with its old or its new rules. A move patches the new policy before the old one: in between the project is allowed
 * in both, never in neither; the redelivery (not stale: equal generation) finishes the job.
 */
async function execute(
  deps: ApplyDeps,
  fleet: FirewallPolicies,
  writes: readonly PolicyPatch[],
  counters: { writes: number },
  read: () => Promise<PolicyState[]>,
  log: (sev: Parameters<Logger['log']>[0], msg: string, fields?: Record<string, unknown>) => void,
): Promise<PolicyState[] | undefined> {
  for (const w of writes) {
    const what = describeWrite(w);
    const port = fleet.forPolicy(w.policy);
    // A failed operation is remembered under its requestId: the retry after one needs a new id, new also across
    // deliveries (the time of this attempt in it: a redelivery must not walk into the ids an earlier one failed with;
    // the fingerprint, not the id, keeps a patch from applying twice).
    let failedOps = 0;
    const startedAt = deps.clock.now();
    try {
      await withRetry(
        () =>
          port.patchPolicy(
            w.rules,
            w.fingerprint,
            failedOps ? deterministicRequestId(w.requestId, 'retry', startedAt, failedOps) : w.requestId,
          ),
        {
          ...deps.retry,
          clock: deps.clock,
          onRetry: (err, attempt, delayMs) => {
            if (err instanceof OperationFailedError) failedOps++;
            log('WARNING', `${what} failed, retrying`, { error: String(err), attempt, delayMs });
          },
        },
      );
      counters.writes++;
    } catch (err) {
      if (isTransient(err)) throw new RetryLaterError(`${what}: ${(err as Error).message}`, err);
      if (!(err instanceof FirewallApiError && err.precondition)) throw err;
      // The fingerprint moved: another writer changed the policy since our read. Nothing of ours was applied.
      log('NOTICE', `${what} raced with another writer`, { error: String(err) });
      return await read();
    }
  }
  return undefined;
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
