/**
 * The write step shared by the applier (applyChange.ts, one event) and the fleet reconcile (fleet.ts, many): read
 * every policy of the placement, check each patch's new rule list against the policy's quotas, send the patches in
 * order (each fingerprinted, waited on, transient failures retried) and hand back a fresh read when one was refused
 * because the policy moved (412 conditionNotMet), so the caller re-plans. See docs/applier.md, "Writes".
 */
import { checkHeadroom, headroomMessage } from '../core/capacity/headroom';
import { describeWrite, type PolicyPatch, type PolicyState } from '../core/firewall';
import { deterministicRequestId } from '../core/firewall/requestId';
import { type PolicyRef, policyRefKey, sameRef } from '../core/policy/placement';
import type { PlatformPolicy } from '../core/policy/types';
import type { Clock } from '../ports/clock';
import { isTransient, RetryLaterError } from '../ports/errors';
import { FirewallApiError, type FirewallPolicies, OperationFailedError, type PolicySnapshot } from '../ports/firewall';
import type { Logger } from '../ports/logger';
import type { PolicyCapacities } from './capacity';
import { PermanentError } from './planEvent';
import { type RetryOptions, withRetry } from './retry';

/** Re-read-and-re-plan rounds after a patch was refused for a stale fingerprint (412), before giving up for now. */
export const MAX_CONFLICT_ROUNDS = 4;

/** A logger bound to one run's context. */
export type LogFn = (sev: Parameters<Logger['log']>[0], msg: string, fields?: Record<string, unknown>) => void;

/** What the write step needs. */
export interface PatchDeps {
  policies: FirewallPolicies;
  clock: Clock;
  retry?: RetryOptions;
}

/** Reads one policy, retrying transient failures; throws RetryLaterError when they outlast the retries. */
async function readOne(deps: PatchDeps, ref: PolicyRef, counters: { reads: number }, log: LogFn) {
  try {
    return await withRetry(
      (): Promise<PolicySnapshot> => {
        counters.reads++;
        return deps.policies.forPolicy(ref).getPolicy();
      },
      {
        ...deps.retry,
        clock: deps.clock,
        onRetry: (err, attempt, delayMs) =>
          log('WARNING', 'policy read failed, retrying', { error: String(err), attempt, delayMs }),
      },
    );
  } catch (err) {
    if (isTransient(err)) throw new RetryLaterError(`reading the policy: ${(err as Error).message}`, err);
    throw err;
  }
}

/**
 * Every policy of the placement, read once each, in placement order (one read under global placement); transient
 * failures retried. The one reader of the applier, the fleet reconcile and the operator commands.
 */
export async function readPlacement(
  deps: PatchDeps,
  counters: { reads: number } = { reads: 0 },
  log: LogFn = () => undefined,
): Promise<PolicyState[]> {
  const states: PolicyState[] = [];
  for (const ref of deps.policies.list()) states.push({ ref, snapshot: await readOne(deps, ref, counters, log) });
  return states;
}

/**
 * Throws PermanentError `capacity` when a patch's new rule list does not fit its policy's quotas
 * (core/capacity/headroom.ts): checked before the first write, so a change that does not fit writes nothing. Each
 * policy's limits are `capacities`' (the Cloud Quotas values read for it, capacity.ts `capacitiesFor`), else the policy
 * file's.
 */
export function checkPatchesFit(
  states: readonly PolicyState[],
  writes: readonly PolicyPatch[],
  policy: Pick<PlatformPolicy, 'capacity'>,
  capacities?: PolicyCapacities,
): void {
  for (const w of writes) {
    const st = states.find((s) => sameRef(s.ref, w.policy))!;
    const settings = capacities?.get(policyRefKey(st.ref)) ?? policy.capacity;
    const room = checkHeadroom(st.snapshot, w.rules, settings, st.ref.region ? 'regional' : 'global');
    if (!room.fits)
      throw new PermanentError(headroomMessage(room, states.length > 1 ? policyRefKey(st.ref) : undefined), 'capacity');
  }
}

/** `capacity: message` when a patch does not fit its policy's quotas (nothing is then written), else undefined. */
export function patchesRefusal(
  states: readonly PolicyState[],
  writes: readonly PolicyPatch[],
  policy: Pick<PlatformPolicy, 'capacity'>,
  capacities?: PolicyCapacities,
): string | undefined {
  try {
    checkPatchesFit(states, writes, policy, capacities);
    return undefined;
  } catch (err) {
    if (!(err instanceof PermanentError)) throw err;
    return `${err.reason}: ${err.message}`;
  }
}

/** Sends one patch, waited on, transient failures retried (a failed operation's retry takes a new request id). */
async function sendOne(deps: PatchDeps, w: PolicyPatch, log: LogFn): Promise<void> {
  const what = describeWrite(w);
  const port = deps.policies.forPolicy(w.policy);
  // A failed operation is remembered under its requestId: the retry after one needs a new id, new also across
  // deliveries (the time of this attempt in it: a redelivery must not walk into the ids an earlier one failed with;
  // the fingerprint, not the id, keeps a patch from applying twice).
  let failedOps = 0;
  const startedAt = deps.clock.now();
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
}

/**
 * Sends the planned patches in order, each waited on. Returns undefined when every patch succeeded, or a fresh read
 * when one was refused because the policy changed since the read it was planned from (412 conditionNotMet: re-plan
 * from it). Throws RetryLaterError when transient failures outlast the retries, the original error when a patch is
 * refused for good. Each patch is atomic (Google rolls the whole list back on any error): a crash at any point leaves
 * each policy with its old or its new rules.
 */
export async function sendPatches(
  deps: PatchDeps,
  writes: readonly PolicyPatch[],
  counters: { reads: number; writes: number },
  log: LogFn,
): Promise<PolicyState[] | undefined> {
  for (const w of writes) {
    try {
      await sendOne(deps, w, log);
      counters.writes++;
    } catch (err) {
      const what = describeWrite(w);
      if (isTransient(err)) throw new RetryLaterError(`${what}: ${(err as Error).message}`, err);
      if (!(err instanceof FirewallApiError && err.precondition)) throw err;
      // The fingerprint moved: another writer changed the policy since our read. Nothing of this patch was applied.
      log('NOTICE', `${what} raced with another writer`, { error: String(err) });
      return await readPlacement(deps, counters, log);
    }
  }
  return undefined;
}
