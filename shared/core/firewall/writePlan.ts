/**
 * The write planner: one event, the project's desired rules and one policy as read → the policy's complete new rule
 * list, written in ONE fingerprinted patch (Google's batch update: https://cloud.google.com/firewall/docs/batch-update-overview);
 * or the stale-event decision (no writes, and why). Pure. The applier sends this patch; `replay` and `drift --repair`
 * predict with the same function, so a prediction is what the applier then does (docs/applier.md, "Writes").
 *
 * The new list is the list as read with only the project's rules changed: every rule the project does not own (other
 * projects', unmanaged ones, the default `goto_next` rules) is kept as the very object read; an updated rule keeps its
 * priority; a new rule takes a free priority of the band. The patch replaces the whole list atomically, so the policy
 * holds the old list or the new one, never a mix (a target-mode switch is an in-place replacement too).
 */
import type { EgressChangeEvent } from '../events/types';
import { type PolicyRef, policyRefKey } from '../policy/placement';
import type { PlatformPolicy } from '../policy/types';
import { appliedGeneration, ownedRules, planProject, staleEventReason } from './plan';
import { allocatePriorities } from './priorities';
import { deterministicRequestId, readKey } from './requestId';
import type { DesiredRule, ObservedRule, Plan } from './types';

/** The policy as one read saw it, for one project. */
export interface PolicyView {
  /** The project's owned rules. */
  owned: readonly ObservedRule[];
  /** The policy fingerprint of the read, when the port returned one (request ids, requestId.ts). */
  fingerprint?: string | undefined;
  /** Every priority in use in the policy (owned or not): new rules take free ones. */
  taken: ReadonlySet<number>;
}

/** The view of one project in a snapshot of the whole policy. */
export function policyView(snapshot: { rules: readonly ObservedRule[]; fingerprint?: string }, project: string) {
  return {
    owned: ownedRules(snapshot.rules, project),
    fingerprint: snapshot.fingerprint,
    taken: new Set(snapshot.rules.map((r) => r.priority)),
  } satisfies PolicyView;
}

/** What one patch changes, as `ruleName@priority` (logs, predictions). */
export interface PatchChanges {
  add: string[];
  update: string[];
  remove: string[];
}

/** One write: the complete new rule list of one policy, guarded by the fingerprint of the read it was planned from. */
export interface PolicyPatch {
  policy: PolicyRef;
  /** Every rule of the policy after the patch, by ascending priority; rules not changed are the objects read. */
  rules: ObservedRule[];
  /** The fingerprint of the read (Compute refuses the patch with 412 conditionNotMet if the policy moved since). */
  fingerprint?: string | undefined;
  requestId: string;
  changes: PatchChanges;
}

/** What the applier does with an event. */
export interface WritePlan {
  /** Why the event is skipped (the stale-event guard), or null when it is applied. A skipped event writes nothing. */
  skip: string | null;
  /** The project's plan (empty when skipped); its summary is what status events report. */
  plan: Plan;
  /** The patches in execution order, at most one per policy (empty when skipped or nothing changed). */
  writes: PolicyPatch[];
  /** Newest generation the owned rules record, for logs. */
  appliedGeneration: string | null;
}

/** Rule changes a patch's description names before counting the rest. */
export const DESCRIBED_CHANGES = 12;

/** `patch global: add p-fqdn-1@1200, remove p-cidr-1@1201`, for logs and predictions. */
export function describeWrite(w: PolicyPatch): string {
  const parts = [
    ...w.changes.add.map((n) => `add ${n}`),
    ...w.changes.update.map((n) => `update ${n}`),
    ...w.changes.remove.map((n) => `remove ${n}`),
  ];
  const where = w.policy.region ? `${w.policy.name} (${w.policy.region})` : w.policy.name;
  // A fleet patch can change thousands of rules: the first ones named, the rest counted (`changes` has them all).
  const shown =
    parts.length > DESCRIBED_CHANGES
      ? [...parts.slice(0, DESCRIBED_CHANGES), `+${parts.length - DESCRIBED_CHANGES} more`]
      : parts;
  return `patch${where ? ` ${where}` : ''}: ${shown.join(', ') || 'no change'}`;
}

/** How a rule selects its workloads: target accounts, target tags, source ranges (subnets mode), or nothing. */
export function workloadKind(r: DesiredRule): 'accounts' | 'tags' | 'sources' | 'none' {
  if (r.targetServiceAccounts?.length) return 'accounts';
  if (r.targetSecureTags?.length) return 'tags';
  return r.match.srcIpRanges?.length ? 'sources' : 'none';
}

/** A revocation desires only the tombstone: a delete, or a manifest listing no entries. */
export function isRevocation(event: EgressChangeEvent): boolean {
  return event.data.reason === 'delete' || event.data.entries.length === 0;
}

/** The empty plan of an event that writes nothing. */
export const EMPTY_PLAN: Plan = { create: [], update: [], delete: [], unchanged: 0 };

/** One project's change in one policy: its plan and the priorities of its creates (in `plan.create` order). */
export interface RuleChange {
  plan: Pick<Plan, 'create' | 'update' | 'delete'>;
  priorities: readonly number[];
}

/**
 * The patch that makes `snapshot`'s rules hold every change of `changes` (one per project, disjoint): deletes dropped,
 * updates in place (priority kept), creates at their priorities; every other rule is the object read, byte-for-byte.
 * Null when nothing changes. The applier sends it with one change, the fleet reconcile (fleetPlan.ts) with many.
 */
export function patchFor(
  ref: PolicyRef,
  snapshot: { rules: readonly ObservedRule[]; fingerprint?: string | undefined },
  changes: readonly RuleChange[],
  requestId: string,
): PolicyPatch | null {
  const plans = changes.map((c) => c.plan);
  if (plans.every((p) => p.create.length + p.update.length + p.delete.length === 0)) return null;
  const removed = new Set(plans.flatMap((p) => p.delete.map((r) => r.priority)));
  const updated = new Map(
    plans.flatMap((p) => p.update.map((u) => [u.old.priority, { ...u.new, priority: u.old.priority }] as const)),
  );
  const created = changes.flatMap((c) => c.plan.create.map((r, i) => ({ ...r, priority: c.priorities[i]! })));
  const rules = [
    ...snapshot.rules.filter((r) => !removed.has(r.priority)).map((r) => updated.get(r.priority) ?? r),
    ...created,
  ].sort((a, b) => a.priority - b.priority);
  const at = (r: ObservedRule) => `${r.ruleName}@${r.priority}`;
  return {
    policy: ref,
    rules,
    fingerprint: snapshot.fingerprint,
    requestId,
    changes: {
      add: created.map(at),
      update: [...updated.values()].map(at),
      remove: plans.flatMap((p) => p.delete.map(at)),
    },
  };
}

/** The skip reason of a deleted manifest whose project has no rule at all in the firewall: no tombstone is written. */
export const NOTHING_TO_REVOKE = 'nothing to revoke';

/**
 * Why a `delete` writes nothing: its project has no owned rule in any policy (its manifest never had rules, e.g. it
 * was only ever rejected), so there is nothing to revoke and no tombstone is written; null otherwise. An older upsert
 * of that project delivered after the delete is then turned away by `notLiveReason` (the bucket's live generation),
 * not by a tombstone. docs/applier.md, "Revocation".
 */
export function nothingToRevoke(event: EgressChangeEvent, ownedAnywhere: number): string | null {
  if (event.data.reason !== 'delete' || ownedAnywhere > 0) return null;
  return `${NOTHING_TO_REVOKE}: ${event.data.project.name} has no rules in the firewall (its manifest never had rules); no tombstone written`;
}

/**
 * The first apply of a project (no owned rule anywhere, so no tombstone or generation to compare with) happens only
 * for the generation that is live in the bucket: `live` is the object's live generation (null: no live object).
 * Returns why the event is stale, or null. Pure.
 */
export function notLiveReason(event: EgressChangeEvent, live: string | null): string | null {
  const { bucket, object, generation } = event.data.source;
  if (live === generation) return null;
  return `stale: generation ${generation} of gs://${bucket}/${object} is not the live one (${live === null ? 'the object is deleted' : `live: ${live}`}) and ${event.data.project.name} has no rules yet: nothing applied`;
}

/** Why `event` is stale against the project's owned rules `owned` (plan.ts `staleEventReason`), or null. */
export function staleFor(owned: readonly ObservedRule[], event: EgressChangeEvent): string | null {
  return staleEventReason(owned, event.data.project.name, {
    generation: event.data.source.generation,
    reason: event.data.reason,
    revocation: isRevocation(event),
    supersedes: event.data.supersedes?.generation,
  });
}

/** The stale-event decision, else the project's plan and its creates' priorities, over one policy's view. */
export interface ProjectChange extends RuleChange {
  skip: string | null;
  plan: Plan;
  appliedGeneration: string | null;
}

/**
 * What `event` changes in one policy (`view`: the project's owned rules there, every priority taken): the stale-event
 * guard, the plan, free priorities for the creates. Throws PriorityBandFullError when the band is full. Pure.
 */
export function planChange(
  event: EgressChangeEvent,
  desired: readonly DesiredRule[],
  view: PolicyView,
  policy: Pick<PlatformPolicy, 'firewall'>,
): ProjectChange {
  const applied = appliedGeneration(view.owned);
  const skip = staleFor(view.owned, event);
  if (skip) return { skip, plan: EMPTY_PLAN, priorities: [], appliedGeneration: applied };
  const change = changeIn(desired, view, policy, event.data.project.name, event.data.source.generation);
  return { skip: null, ...change, appliedGeneration: applied };
}

/**
 * The project's change in one policy (`view`) and free priorities for its creates, by content; with `generation`, a
 * newer generation with the same content refreshes one rule's marker (plan.ts `planProject`). No stale-event guard:
 * `planChange` adds it for an event; `egress plan` previews by content alone. Throws PriorityBandFullError. Pure.
 */
export function changeIn(
  desired: readonly DesiredRule[],
  view: PolicyView,
  policy: Pick<PlatformPolicy, 'firewall'>,
  project: string,
  generation?: string,
): RuleChange & { plan: Plan } {
  const plan = planProject(view.owned, desired, generation === undefined ? { project } : { project, generation });
  return { plan, priorities: allocatePriorities(view.taken, plan.create.length, policy, project) };
}

/**
 * The patch the applier sends for `event` over one policy as read (`ref`, `snapshot`). `desired` is what the event
 * compiles to (compiler.ts `desiredRules`). Throws PriorityBandFullError when the band has too few free priorities.
 */
export function planWrites(
  event: EgressChangeEvent,
  desired: readonly DesiredRule[],
  ref: PolicyRef,
  snapshot: { rules: readonly ObservedRule[]; fingerprint?: string | undefined },
  policy: Pick<PlatformPolicy, 'firewall'>,
): WritePlan {
  const view = policyView(snapshot, event.data.project.name);
  const change = planChange(event, desired, view, policy);
  if (change.skip)
    return { skip: change.skip, plan: change.plan, writes: [], appliedGeneration: change.appliedGeneration };
  // The id names (event, the policy state planned from, policy): see requestId.ts and docs/applier.md, "Request ids".
  const requestId = deterministicRequestId(event.id, readKey(view.fingerprint, view.owned), 'patch', policyRefKey(ref));
  const patch = patchFor(ref, snapshot, [change], requestId);
  return { skip: null, plan: change.plan, writes: patch ? [patch] : [], appliedGeneration: change.appliedGeneration };
}
