/**
 * The fleet reconcile's planner: many events (one per project: `replay --all`, `drift --repair`) over the policies of
 * the placement as read → ONE patch per policy changed, holding every project's change at once. Each project is
 * decided by the applier's own functions (placedWrites.ts `placeChange`: stale-event guard, plan, priorities, moves);
 * the changes of one policy are folded into one complete new rule list (writePlan.ts `patchFor`): every rule no
 * project of the run owns, and the default rules, kept as the very objects read; unchanged rules keep their priority.
 * Projects are planned one after the other against the priorities the earlier ones took, so no two creates share a
 * slot. Pure.
 */
import type { EgressChangeEvent } from '../events/types';
import { type PolicyRef, policyRefKey } from '../policy/placement';
import type { PlatformPolicy } from '../policy/types';
import {
  type IndexedPolicy,
  indexPlacement,
  type PolicyState,
  placeChange,
  planningFailure,
  targetPolicy,
  viewsOf,
  withMoves,
} from './placedWrites';
import { deterministicRequestId, readKey } from './requestId';
import { isTombstone } from './tombstone';
import type { DesiredRule, Plan } from './types';
import { isRevocation, type PolicyPatch, patchFor, type RuleChange } from './writePlan';

/** One project of the run: its event and the rules it desires (planEvent.ts `desiredForEvent`). */
export interface FleetItem {
  event: EgressChangeEvent;
  desired: readonly DesiredRule[];
}

/** What the fleet patch does for one project. */
export interface FleetProject {
  project: string;
  eventId: string;
  /** Why the applier would skip this project's event (the stale-event guard): nothing of it is in the patches. */
  skip: string | null;
  /** The project cannot be planned (a full band, no placement): `reason: message`; nothing of it is written. */
  failed?: { reason: string; message: string };
  plan: Plan;
  target?: PolicyRef;
  /** The change removes access: a revocation deleting an owned rule other than a tombstone (the blast-radius guards). */
  revokes: boolean;
}

/** One patch per policy changed, and each project's part. */
export interface FleetPlan {
  projects: FleetProject[];
  /** Policies receiving rules first, then those only losing rules (a move never leaves a project allowed nowhere). */
  writes: PolicyPatch[];
}

interface PolicyIndex extends IndexedPolicy {
  changes: RuleChange[];
}

/** The project's change over the indexed policies, folded into them (its creates' priorities taken). */
function planOne(index: PolicyIndex[], item: FleetItem, policy: Pick<PlatformPolicy, 'firewall'>): FleetProject {
  const { event, desired } = item;
  const project = event.data.project.name;
  const base = { project, eventId: event.id, plan: { create: [], update: [], delete: [], unchanged: 0 } };
  try {
    const states = index.map((i) => i.state);
    const target = targetPolicy(policy.firewall, states, event);
    const c = placeChange(event, desired, viewsOf(index, project), target, policy);
    if (c.skip) return { ...base, skip: c.skip, target, revokes: false };
    const at = index.find((i) => policyRefKey(i.state.ref) === policyRefKey(target))!;
    at.changes.push(c);
    for (const p of c.priorities) at.taken.add(p);
    for (const m of c.moves)
      index
        .find((i) => policyRefKey(i.state.ref) === policyRefKey(m.ref))!
        .changes.push({ plan: { create: [], update: [], delete: [...m.owned] }, priorities: [] });
    const plan = withMoves(c.plan, c.moves);
    const revokes = isRevocation(event) && plan.delete.some((r) => !isTombstone(r));
    return { ...base, skip: null, plan, target, revokes };
  } catch (err) {
    const failed = planningFailure(err);
    if (!failed) throw err;
    return { ...base, skip: null, failed, revokes: false };
  }
}

/**
 * The fleet's patches: `items` planned over `states` (placement order) one project after the other, each policy's
 * changes in one patch guarded by the fingerprint of its read. `runKey` names the run in the request ids (with the
 * read's fingerprint: a retry of the same patch repeats its id, a re-plan after a 412 gets a new one).
 */
export function planFleet(
  states: readonly PolicyState[],
  items: readonly FleetItem[],
  policy: Pick<PlatformPolicy, 'firewall'>,
  runKey: string,
): FleetPlan {
  const index: PolicyIndex[] = indexPlacement(states).map((i) => ({ ...i, changes: [] }));
  const projects = items.map((item) => planOne(index, item, policy));
  const writes = index.flatMap((i) => {
    const key = readKey(i.state.snapshot.fingerprint, i.state.snapshot.fingerprint ? [] : i.state.snapshot.rules);
    const id = deterministicRequestId('fleet', runKey, key, 'patch', policyRefKey(i.state.ref));
    const patch = patchFor(i.state.ref, i.state.snapshot, i.changes, id);
    return patch ? [patch] : [];
  });
  const adds = (w: PolicyPatch) => (w.changes.add.length + w.changes.update.length > 0 ? 0 : 1);
  return { projects, writes: [...writes].sort((a, b) => adds(a) - adds(b)) };
}
