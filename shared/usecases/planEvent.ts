/**
 * The applier's planning step, shared with the predictions of `replay` and `drift --repair`: re-check the event's
 * entries (never trust the wire), compile the desired rules (a revocation desires only the project's tombstone), then
 * the pure write planner (core/firewall/writePlan.ts). What this returns for a policy read is exactly what the applier
 * writes after the same read.
 */
import type { EgressChangeEvent } from '../core/events/types';
import {
  CompileError,
  desiredRules,
  isRevocation,
  isTombstone,
  type PolicyState,
  parseMarker,
  planningFailure,
  planPlacedWrites,
  targetPolicy,
  type WritePlan,
} from '../core/firewall';
import type { DesiredRule, ObservedRule } from '../core/firewall/types';
import type { Workloads } from '../core/firewall/workloads';
import { type EgressEntry, isValidProjectName, normalizeEgressValue } from '../core/manifest';
import type { PlatformPolicy } from '../core/policy/types';
import { FirewallApiError } from '../ports/firewall';

/** A failure no retry can fix (bad entries, policy refusal): the applier reports and acknowledges it. */
export class PermanentError extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
    this.name = 'PermanentError';
  }
}

/** Re-checks the entries with the manifest core; throws PermanentError listing every bad entry. */
export function recheckEntries(event: EgressChangeEvent, policy: PlatformPolicy): EgressEntry[] {
  const d = event.data;
  const problems: string[] = [];
  if (!isValidProjectName(d.project.name))
    problems.push(`project key \`${d.project.name}\` is not a valid project name`);
  if (d.reason === 'delete') {
    if (problems.length) throw new PermanentError(problems.join('; '), 'invalid-event');
    return [];
  }
  if (d.entries.length > policy.manifest.maxEntries)
    problems.push(`${d.entries.length} entries exceed the policy limit of ${policy.manifest.maxEntries}`);
  const out: EgressEntry[] = [];
  d.entries.forEach((e, i) => {
    const r = normalizeEgressValue(e.value, policy);
    if (!r.ok) problems.push(`entries[${i}] \`${e.value}\`: ${r.code}: ${r.message}`);
    else if (r.entry.type !== e.type)
      problems.push(`entries[${i}] \`${e.value}\` is a ${r.entry.type}, not a ${e.type}`);
    else out.push(e.description === undefined ? r.entry : { ...r.entry, description: e.description });
  });
  if (problems.length) throw new PermanentError(problems.join('; '), 'invalid-entries');
  return out;
}

/**
 * The rules the event desires (`at`: the project's workloads as read now; a revocation's tombstone stamp). Throws
 * PermanentError for bad entries or a manifest the policy cannot compile.
 */
export function desiredForEvent(
  event: EgressChangeEvent,
  policy: PlatformPolicy,
  hostProject?: string,
  at: { workloads?: Workloads; revokedAt?: number } = {},
): DesiredRule[] {
  const entries = recheckEntries(event, policy);
  try {
    return desiredRules(event.data.project, entries, {
      policy,
      generation: event.data.source.generation,
      reason: event.data.reason,
      ...(hostProject ? { hostProject } : {}),
      ...(at.revokedAt !== undefined ? { revokedAt: at.revokedAt } : {}),
      ...(at.workloads ? { workloads: at.workloads } : {}),
    });
  } catch (err) {
    // `no-subnets`, `tag-value-missing`, `workloads-unread` or `compile-failed`: nothing is written.
    if (err instanceof CompileError) throw new PermanentError(err.message, err.reason);
    throw err;
  }
}

/** The applier's answer to `event` over `view`, for a prediction: its writes, or why it writes nothing. */
export type WritePrediction = WritePlan | { failed: string; reason: string };

/**
 * What the applier will do with `event` if it reads the placement's policies as `states` (core/firewall/placedWrites.ts):
 * the same recheck, compile and planner: the project's policy, its patch there, and the patches removing its rules
 * from the others (a move). A permanent failure (bad entries, a full priority band) predicts no writes and says why.
 */
export function predictWrites(
  event: EgressChangeEvent,
  states: readonly PolicyState[],
  policy: PlatformPolicy,
  hostProject?: string,
  workloads?: Workloads,
): WritePrediction {
  try {
    const target = targetPolicy(policy.firewall, states, event);
    const desired = desiredForEvent(event, policy, hostProject, workloads ? { workloads } : {});
    return planPlacedWrites(event, desired, states, target, policy);
  } catch (err) {
    const f = failureOf(err);
    if (!f) throw err;
    return { failed: f.message, reason: f.reason };
  }
}

/**
 * The one mapping of errors to an `apply-failed` reason (applier, predictions, fleet reconcile): bad entries and
 * compile errors (PermanentError), a full priority band or no placement (core), a refusal of the API (`capacity` for a
 * quota, else `api-refused`). Undefined for any other error (transient ones are retried, bugs propagate).
 */
export function failureOf(err: unknown): PermanentError | undefined {
  if (err instanceof PermanentError) return err;
  const core = planningFailure(err);
  if (core) return new PermanentError(core.message, core.reason);
  if (err instanceof FirewallApiError)
    return new PermanentError(err.detail, err.quotaExceeded ? 'capacity' : 'api-refused');
  return undefined;
}

/** True when the applier, given `prediction` for `event`, revokes access: removes an owned rule other than a tombstone. */
export function revokesAccess(event: EgressChangeEvent, prediction: WritePrediction): boolean {
  if (!isRevocation(event) || 'failed' in prediction || prediction.skip) return false;
  return prediction.plan.delete.some((r) => !isTombstone(r));
}

/**
 * The `at` stamp of a revocation's tombstone, from the project's owned rules in every policy: `now` when it has an
 * allow to remove (a revocation the rate guard counts), else the stamp its tombstone already carries (revoking a
 * revoked project again is no new revocation).
 */
export function revocationStamp(owned: readonly ObservedRule[], now: number): number | undefined {
  if (owned.some((r) => !isTombstone(r))) return now;
  return owned.map((r) => parseMarker(r.description)).find((m) => m?.state === 'deleted')?.at;
}
