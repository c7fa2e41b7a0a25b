/**
 * The write planner: one event, the project's desired rules and the policy as read → the exact list of firewall
 * writes the applier makes, in order, with their priorities and request ids; or the stale-event decision (no writes,
 * and why). Pure. The applier executes this list (waiting on operations, retrying); `replay` and `drift --repair`
 * predict with the same function, so a prediction is what the applier then does (docs/applier.md, "Writes").
 *
 * Order: creates (new allowances first), then updates (a value moving between chunks is added before it is removed,
 * writeOrder.ts), then deletes. A rule whose target kind changes (service accounts <-> secure tags <-> source ranges) cannot be patched:
 * a patch cannot clear a list field (empty lists are dropped on the wire), so it is replaced: the new rule is created
 * with the creates, the old one removed with the deletes (two writes, not one).
 */
import type { EgressChangeEvent } from '../events/types';
import type { PlatformPolicy } from '../policy/types';
import { appliedGeneration, ownedRules, planProject, staleEventReason } from './plan';
import { allocatePriorities } from './priorities';
import { deterministicRequestId, readKey } from './requestId';
import type { DesiredRule, ObservedRule, Plan } from './types';
import { orderUpdates } from './writeOrder';

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

/** One write, as the firewall port takes it. */
export type PlannedWrite =
  | { verb: 'add'; priority: number; ruleName: string; rule: DesiredRule & { priority: number }; requestId: string }
  | { verb: 'patch'; priority: number; ruleName: string; rule: DesiredRule; requestId: string }
  | { verb: 'remove'; priority: number; ruleName: string; requestId: string };

/** What the applier does with an event. */
export interface WritePlan {
  /** Why the event is skipped (the stale-event guard), or null when it is applied. A skipped event writes nothing. */
  skip: string | null;
  /** The project's plan (empty when skipped); its summary is what status events report. */
  plan: Plan;
  /** The writes in execution order (empty when skipped or nothing changed). */
  writes: PlannedWrite[];
  /** Newest generation the owned rules record, for logs. */
  appliedGeneration: string | null;
}

/** `add p-fqdn-1@1200`, for logs. */
export function describeWrite(w: PlannedWrite): string {
  return `${w.verb} ${w.ruleName}@${w.priority}`;
}

/** How a rule selects its workloads: target accounts, target tags, source ranges (subnets mode), or nothing. */
export function workloadKind(r: DesiredRule): 'accounts' | 'tags' | 'sources' | 'none' {
  if (r.targetServiceAccounts?.length) return 'accounts';
  if (r.targetSecureTags?.length) return 'tags';
  return r.match.srcIpRanges?.length ? 'sources' : 'none';
}

/**
 * True when an update must be a replacement (create + remove): the way it selects workloads changes (a switch of
 * target mode), since a patch cannot clear the old mode's list field. From a rule selecting nothing, a patch adds.
 */
export function isReplacement(u: { old: DesiredRule; new: DesiredRule }): boolean {
  const before = workloadKind(u.old);
  return before !== 'none' && before !== workloadKind(u.new);
}

/** A revocation desires only the tombstone: a delete, or a manifest listing no entries. */
export function isRevocation(event: EgressChangeEvent): boolean {
  return event.data.reason === 'delete' || event.data.entries.length === 0;
}

/**
 * The writes the applier makes for `event` over `view`. `desired` is what the event compiles to (compiler.ts
 * `desiredRules`). Throws PriorityBandFullError when the band has too few free priorities for the creates.
 * `ownedElsewhere`: the project's rules held in other policies of the placement (placedWrites.ts).
 */
export function planWrites(
  event: EgressChangeEvent,
  desired: readonly DesiredRule[],
  view: PolicyView,
  policy: Pick<PlatformPolicy, 'firewall'>,
): WritePlan {
  const project = event.data.project.name;
  const generation = event.data.source.generation;
  const applied = appliedGeneration(view.owned);
  const skip = staleEventReason(view.owned, project, {
    generation,
    reason: event.data.reason,
    revocation: isRevocation(event),
    supersedes: event.data.supersedes?.generation,
  });
  if (skip)
    return { skip, plan: { create: [], update: [], delete: [], unchanged: 0 }, writes: [], appliedGeneration: applied };
  const plan = planProject(view.owned, desired, { project, generation });
  const replaced = plan.update.filter(isReplacement);
  const creates = [...plan.create, ...replaced.map((u) => u.new)];
  const patches = orderUpdates(plan.update.filter((u) => !replaced.includes(u)));
  const removals = [...plan.delete, ...replaced.map((u) => u.old)];
  const priorities = allocatePriorities(view.taken, creates.length, policy, project);
  // Ids name (event, the policy state planned from, write): see requestId.ts and docs/applier.md, "Request ids".
  const key = readKey(view.fingerprint, view.owned);
  const id = (verb: PlannedWrite['verb'], name: string, priority: number) =>
    deterministicRequestId(event.id, key, verb, name, priority);
  const writes: PlannedWrite[] = [
    ...creates.map((rule, i): PlannedWrite => {
      const priority = priorities[i]!;
      return {
        verb: 'add',
        priority,
        ruleName: rule.ruleName,
        rule: { ...rule, priority },
        requestId: id('add', rule.ruleName, priority),
      };
    }),
    ...patches.map((u): PlannedWrite => {
      const priority = u.old.priority;
      return {
        verb: 'patch',
        priority,
        ruleName: u.new.ruleName,
        rule: u.new,
        requestId: id('patch', u.new.ruleName, priority),
      };
    }),
    ...removals.map(
      (r): PlannedWrite => ({
        verb: 'remove',
        priority: r.priority,
        ruleName: r.ruleName,
        requestId: id('remove', r.ruleName, r.priority),
      }),
    ),
  ];
  return { skip: null, plan, writes, appliedGeneration: applied };
}
