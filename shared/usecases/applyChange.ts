/**
 * The apply-change use case: one egress-change event → the project's owned rules made equal to its manifest.
 * Shared by the applier function and the CLI (replay, drift --fix). The recipe:
 *
 *   re-check the entries (never trust the wire) → desired rules (a revocation desires only the project's tombstone)
 *   → read the policy once → stale-event guard (tombstones included) → plan → write (creates, then updates, then
 *   deletes; requestIds derived from the event and the policy fingerprint read; each write waited on) → status event.
 *
 * Failure policy: transient API errors are retried in-process (retry.ts) and then rethrown as RetryLaterError, so
 * Pub/Sub redelivers; permanent ones are logged at ERROR with the plan, reported as `apply-failed`, and acknowledged
 * (returning normally). A write that fails because the policy changed under us (a concurrent writer took the
 * priority, or removed the rule) is not an error: we re-read and re-plan, a few rounds at most. See docs/applier.md.
 */
import { decodeEgressChange, encodeEvent, type IncomingMessage, makeStatus } from '../core/events/codec';
import type { EgressChangeEvent, StatusData } from '../core/events/types';
import {
  allocatePriorities,
  appliedGeneration,
  CompileError,
  desiredRules,
  deterministicRequestId,
  isEmptyPlan,
  orderUpdates,
  ownedRules,
  PriorityBandFullError,
  planProject,
  readKey,
  ruleContent,
  staleEventReason,
  summarizePlan,
} from '../core/firewall';
import type { DesiredRule, ObservedRule, Plan, PlanSummary } from '../core/firewall/types';
import { type EgressEntry, isValidProjectName, normalizeEgressValue } from '../core/manifest';
import type { PlatformPolicy } from '../core/policy/types';
import type { Clock } from '../ports/clock';
import {
  FirewallApiError,
  type FirewallPolicyPort,
  OperationFailedError,
  type PolicySnapshot,
} from '../ports/firewall';
import type { Logger } from '../ports/logger';
import type { EventPublisher } from '../ports/publisher';
import { isTransient, type RetryOptions, withRetry } from './retry';

/** `ce-source` of the status events the applier publishes. */
export const APPLIER_SOURCE = '//infrastream-egress/applier';

/** Re-read-and-re-plan rounds after a write lost a race with a concurrent writer, before asking for a redelivery. */
export const MAX_CONFLICT_ROUNDS = 4;

/** What `applyChange` needs; everything with side effects is a port. */
export interface ApplyDeps {
  firewall: FirewallPolicyPort;
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
}

/** The result of one event. `apply-failed` is acknowledged (no redelivery); transient failures throw instead. */
export interface ApplyOutcome {
  outcome: 'applied' | 'skipped' | 'apply-failed';
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

/** A transient failure outlasted the in-process retries (or the races did): throw it so Pub/Sub redelivers. */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

/** A failure no retry can fix (bad entries, policy refusal): reported and acknowledged. */
class PermanentError extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
    this.name = 'PermanentError';
  }
}

const ZERO: PlanSummary = { create: 0, update: 0, delete: 0, unchanged: 0 };

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

/** Rule names of a plan, for logs (the full plan is in the ERROR log of a failure). */
function planNames(plan: Plan): Record<string, string[]> {
  return {
    create: plan.create.map((r) => r.ruleName),
    update: plan.update.map((u) => `${u.new.ruleName}@${u.old.priority}`),
    delete: plan.delete.map((r) => `${r.ruleName}@${r.priority}`),
  };
}

const sameAt = (a: ObservedRule | undefined, b: ObservedRule | undefined): boolean =>
  a === b || (!!a && !!b && a.description === b.description && ruleContent(a) === ruleContent(b));

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

  const read = async (): Promise<PolicySnapshot> => {
    try {
      return await withRetry(
        () => {
          counters.reads++;
          return deps.firewall.getPolicy();
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

  try {
    const entries = recheckEntries(event, deps.policy);
    let desired: DesiredRule[];
    try {
      // A revocation (delete, or no entries) desires the tombstone that records this generation (tombstone.ts).
      desired = desiredRules(event.data.project, entries, {
        policy: deps.policy,
        generation,
        reason: event.data.reason,
        ...(deps.hostProject ? { hostProject: deps.hostProject } : {}),
      });
    } catch (err) {
      if (err instanceof CompileError) throw new PermanentError(err.message, 'compile-failed');
      throw err;
    }

    let snapshot = await read();
    for (let round = 1; ; round++) {
      const owned = ownedRules(snapshot.rules, project);
      const reason = staleEventReason(owned, project, {
        generation,
        reason: event.data.reason,
        revocation: event.data.reason === 'delete' || entries.length === 0,
      });
      if (reason) {
        log('INFO', reason, { appliedGeneration: appliedGeneration(owned) });
        return await finish('skipped', { reason });
      }
      plan = planProject(owned, desired, { project, generation });
      if (isEmptyPlan(plan)) {
        log('INFO', 'no changes', { plan: summarizePlan(plan), ...counters });
        return await finish('applied');
      }
      log('INFO', 'applying plan', { plan: summarizePlan(plan), rules: planNames(plan), round });
      const conflict = await execute(deps, event, snapshot, plan, counters, read, log);
      if (!conflict) break;
      if (round >= MAX_CONFLICT_ROUNDS)
        throw new RetryLaterError(`the policy kept changing during ${round} apply rounds`, undefined);
      log('NOTICE', 'the policy changed under us; re-planning', { round });
      snapshot = conflict;
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
          : err instanceof FirewallApiError
            ? new PermanentError(`${err.status} ${err.reason}: ${err.message}`, 'api-refused')
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

/**
 * Executes a plan against `snapshot`'s state. Returns undefined when every write succeeded, or a fresh snapshot when
 * a write failed because the policy changed under us (re-plan from it). Throws RetryLaterError when transient
 * failures outlast the retries, the original error when a write is refused for good.
 *
 * Order: creates (new allowances first), then updates (a value moving between chunks is added before it is removed,
 * writeOrder.ts), then deletes. A failure at any point leaves the old allowances plus part of the new ones, never less
 * than the intersection of old and new, and every rule written carries this generation, so a redelivery (not stale:
 * equal generation) finishes the job.
 */
async function execute(
  deps: ApplyDeps,
  event: EgressChangeEvent,
  snapshot: PolicySnapshot,
  plan: Plan,
  counters: { writes: number },
  read: () => Promise<PolicySnapshot>,
  log: (sev: Parameters<Logger['log']>[0], msg: string, fields?: Record<string, unknown>) => void,
): Promise<PolicySnapshot | undefined> {
  const project = event.data.project.name;
  const at = (s: PolicySnapshot, p: number) => s.rules.find((r) => r.priority === p);
  // A patch cannot clear a list field (empty lists are dropped on the wire), so a rule whose target kind changes
  // (service accounts <-> secure tags) is replaced: the new rule is created first, the old one removed last.
  const replaced = plan.update.filter((u) => !!u.old.targetServiceAccounts !== !!u.new.targetServiceAccounts);
  const creates = [...plan.create, ...replaced.map((u) => u.new)];
  const patches = plan.update.filter((u) => !replaced.includes(u));
  const removals = [...plan.delete, ...replaced.map((u) => u.old)];
  const taken = new Set(snapshot.rules.map((r) => r.priority));
  const priorities = allocatePriorities(taken, creates.length, deps.policy, project);
  // Ids name (event, the policy state planned from, write): see requestId.ts and docs/applier.md, "Request ids".
  const key = readKey(snapshot.fingerprint, ownedRules(snapshot.rules, project));

  const writes: { priority: number; run: (requestId: string) => Promise<void>; id: string; what: string }[] = [];
  creates.forEach((rule, i) => {
    const priority = priorities[i]!;
    writes.push({
      priority,
      what: `add ${rule.ruleName}@${priority}`,
      id: deterministicRequestId(event.id, key, 'add', rule.ruleName, priority),
      run: (rid) => deps.firewall.addRule({ ...rule, priority }, rid),
    });
  });
  // A value moving between chunks is added to its new rule before it is removed from its old one (writeOrder.ts).
  const updates = orderUpdates(patches);
  for (const u of updates)
    writes.push({
      priority: u.old.priority,
      what: `patch ${u.new.ruleName}@${u.old.priority}`,
      id: deterministicRequestId(event.id, key, 'patch', u.new.ruleName, u.old.priority),
      run: (rid) => deps.firewall.patchRule(u.old.priority, u.new, rid),
    });
  for (const r of removals)
    writes.push({
      priority: r.priority,
      what: `remove ${r.ruleName}@${r.priority}`,
      id: deterministicRequestId(event.id, key, 'remove', r.ruleName, r.priority),
      run: (rid) => deps.firewall.removeRule(r.priority, rid),
    });

  for (const w of writes) {
    // A failed operation is remembered under its requestId: the retry after one needs a new id (still deterministic).
    let failedOps = 0;
    try {
      await withRetry(() => w.run(failedOps ? deterministicRequestId(w.id, 'retry', failedOps) : w.id), {
        ...deps.retry,
        clock: deps.clock,
        onRetry: (err, attempt, delayMs) => {
          if (err instanceof OperationFailedError) failedOps++;
          deps.logger.log('WARNING', `${w.what} failed, retrying`, {
            eventId: event.id,
            project,
            error: String(err),
            attempt,
            delayMs,
          });
        },
      });
      counters.writes++;
    } catch (err) {
      if (isTransient(err)) throw new RetryLaterError(`${w.what}: ${(err as Error).message}`, err);
      // Was the premise of this write still true? If the slot changed under us, it is a race, not a refusal. A 412
      // (conditionNotMet: Compute's optimistic-locking answer, e.g. the policy fingerprint moved) is a race by
      // definition, wherever the change landed; so is a refusal about the slot itself (taken, or holding no rule),
      // even when the read does not show it yet (another writer's operation still in flight): re-read and re-plan,
      // then ask for a redelivery if it persists.
      const fresh = await read();
      if (raceAnswer(err) || !sameAt(at(snapshot, w.priority), at(fresh, w.priority))) {
        log('NOTICE', `${w.what} raced with another writer`, { error: String(err) });
        return fresh;
      }
      throw err;
    }
  }
  return undefined;
}

/** Compute's "does not contain a rule at priority N" (400 invalid on getRule/patchRule/removeRule). */
const NO_RULE_AT = /does not contain a rule at priority/;

/** True for answers that mean the policy moved under us: 412 conditionNotMet, 409 alreadyExists, no rule at the slot. */
function raceAnswer(err: unknown): boolean {
  if (!(err instanceof FirewallApiError)) return false;
  return err.status === 412 || err.status === 409 || (err.status === 400 && NO_RULE_AT.test(err.message));
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
