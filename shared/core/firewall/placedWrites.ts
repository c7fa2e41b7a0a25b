/**
 * The write planner over the policies of a placement (core/policy/placement.ts; global placement is the one-policy
 * placement): the project's rules are planned in its TARGET policy with the one write planner (writePlan.ts), and
 * every owned rule of the project found in ANOTHER policy (placement switched, or `spec.region` changed) is removed by
 * a second patch of that policy, sent after the first: a move patches the new policy first, then the old, so the
 * project never has less than before. At most one patch per policy. Pure.
 */
import type { EgressChangeEvent } from '../events/types';
import { type PlacementSettings, type PolicyRef, placeProject, policyRefKey, sameRef } from '../policy/placement';
import type { PlatformPolicy } from '../policy/types';
import { groupOwnedRules, ownedRules } from './plan';
import { PriorityBandFullError } from './priorities';
import { deterministicRequestId, readKey } from './requestId';
import type { ObservedRule, Plan } from './types';
import {
  EMPTY_PLAN,
  isRevocation,
  nothingToRevoke,
  type PolicyPatch,
  type PolicyView,
  type ProjectChange,
  patchFor,
  planChange,
  type planWrites,
  policyView,
  type RuleChange,
  staleFor,
  type WritePlan,
} from './writePlan';

/** One policy of the placement as one read saw it. */
export interface PolicyState {
  ref: PolicyRef;
  snapshot: { rules: readonly ObservedRule[]; fingerprint?: string | undefined; ruleTupleCount?: number | undefined };
}

/** What the applier does with an event over the policies of its placement. */
export interface PlacedWritePlan extends WritePlan {
  /** The policy that holds the project's rules after the writes. */
  target: PolicyRef;
  /** The other policies the project's rules are removed from (a move), in placement order. */
  movedFrom: PolicyRef[];
}

/** The event's project cannot be placed (regional placement, no usable spec.region, not a revocation). */
export class PlacementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlacementError';
  }
}

/** The apply-failed reason of a core planning error (a full priority band, no placement), or null for other errors. */
export function planningFailure(err: unknown): { reason: string; message: string } | null {
  if (err instanceof PriorityBandFullError) return { reason: 'priority-band-full', message: err.message };
  if (err instanceof PlacementError) return { reason: 'placement', message: err.message };
  return null;
}

/**
 * The policy an event's project belongs in. A revocation whose project cannot be placed (a delete carries no manifest,
 * so no region) goes where its rules are: the first policy of the placement holding owned rules of the project, else
 * the global one. An upsert that cannot be placed throws PlacementError (the validator refuses such manifests; this
 * happens only when the placement changed after validation).
 */
export function targetPolicy(
  settings: PlacementSettings,
  states: readonly PolicyState[],
  event: EgressChangeEvent,
): PolicyRef {
  const global = states[0]?.ref;
  if (!global) throw new PlacementError('no firewall policy to place the project in');
  const project = event.data.project;
  const placed = placeProject(settings, global.name, project);
  if ('ref' in placed) return placed.ref;
  if (!isRevocation(event)) throw new PlacementError(`${project.name}: ${placed.problem.message}`);
  return states.find((s) => ownedRules(s.snapshot.rules, project.name).length > 0)?.ref ?? global;
}

/** One policy of the placement as seen for one project: its ref and the project's view there (writePlan.ts). */
export interface PlacedView {
  ref: PolicyRef;
  view: PolicyView;
}

/** What an event changes over the policies of its placement: the target's change and the rules moved out of others. */
export interface PlacedChange extends ProjectChange {
  target: PolicyRef;
  /** The project's owned rules in each other policy (a move), removed after the target is written. */
  moves: { ref: PolicyRef; owned: readonly ObservedRule[] }[];
}

/** One policy of the placement indexed once for many projects: its owned rules by project, every priority taken. */
export interface IndexedPolicy {
  state: PolicyState;
  owned: Map<string, readonly ObservedRule[]>;
  taken: Set<number>;
}

/** Indexes the placement's policies (one marker parse per rule, not one per project and rule). */
export function indexPlacement(states: readonly PolicyState[]): IndexedPolicy[] {
  return states.map((state) => ({
    state,
    owned: groupOwnedRules(state.snapshot.rules),
    taken: new Set(state.snapshot.rules.map((r) => r.priority)),
  }));
}

/** Each indexed policy as one project sees it (writePlan.ts `PolicyView`). */
export function viewsOf(index: readonly IndexedPolicy[], project: string): PlacedView[] {
  return index.map((i) => ({
    ref: i.state.ref,
    view: { owned: i.owned.get(project) ?? [], fingerprint: i.state.snapshot.fingerprint, taken: i.taken },
  }));
}

/** The project's owned rules in every policy but the target (`here`): what a move removes. */
export function movesOf(views: readonly PlacedView[], here: PlacedView): PlacedChange['moves'] {
  return views.filter((v) => v !== here && v.view.owned.length > 0).map((v) => ({ ref: v.ref, owned: v.view.owned }));
}

/**
 * The one decision of an event over the placement's policies (`views`, in placement order): the stale-event guard over
 * the project's rules wherever they are (a half-done move leaves them in two policies), the change in the target
 * policy (writePlan.ts `planChange`), and the rules to move out of the others. Pure.
 */
export function placeChange(
  event: EgressChangeEvent,
  desired: Parameters<typeof planWrites>[1],
  views: readonly PlacedView[],
  target: PolicyRef,
  policy: Pick<PlatformPolicy, 'firewall'>,
): PlacedChange {
  const here = views.find((v) => sameRef(v.ref, target));
  if (!here) throw new PlacementError(`policy ${policyRefKey(target)} is not one of the placement's policies`);
  const moves = movesOf(views, here);
  const ownedAnywhere = views.reduce((n, v) => n + v.view.owned.length, 0);
  const skip =
    nothingToRevoke(event, ownedAnywhere) ??
    (moves.length === 0 ? null : staleFor([...moves.flatMap((o) => o.owned), ...here.view.owned], event));
  const change = skip
    ? { skip, plan: EMPTY_PLAN, priorities: [], appliedGeneration: null }
    : planChange(event, desired, here.view, policy);
  return { ...change, target, moves: change.skip ? [] : moves };
}

/** The project's plan over the placement: the target's change plus the deletes of its rules moved out of the others. */
export function withMoves(plan: Plan, moves: PlacedChange['moves']): Plan {
  return moves.length ? { ...plan, delete: [...plan.delete, ...moves.flatMap((m) => m.owned)] } : plan;
}

/**
 * The patches of one project's change (`change` in `target`, its rules in `moves` removed): the target policy's patch
 * first, then one per policy moved out of (a move never leaves the project allowed nowhere). `idFor` names each
 * request from the policy and the project's rules read there.
 */
export function projectPatches(
  states: readonly PolicyState[],
  target: PolicyRef,
  change: RuleChange,
  moves: PlacedChange['moves'],
  idFor: (ref: PolicyRef, snapshot: PolicyState['snapshot'], owned: readonly ObservedRule[]) => string,
  owned: readonly ObservedRule[],
): PolicyPatch[] {
  const patch = (ref: PolicyRef, c: RuleChange, rules: readonly ObservedRule[]) => {
    const st = states.find((s) => sameRef(s.ref, ref))!;
    return patchFor(ref, st.snapshot, [c], idFor(ref, st.snapshot, rules));
  };
  return [
    patch(target, change, owned),
    ...moves.map((m) =>
      patch(m.ref, { plan: { create: [], update: [], delete: [...m.owned] }, priorities: [] }, m.owned),
    ),
  ].filter((w): w is PolicyPatch => w !== null);
}

/** The patches for `event` over every policy of the placement (`states[0]` is the global policy). */
export function planPlacedWrites(
  event: EgressChangeEvent,
  desired: Parameters<typeof planWrites>[1],
  states: readonly PolicyState[],
  target: PolicyRef,
  policy: Pick<PlatformPolicy, 'firewall'>,
): PlacedWritePlan {
  const project = event.data.project.name;
  const views = states.map((s) => ({ ref: s.ref, view: policyView(s.snapshot, project) }));
  const c = placeChange(event, desired, views, target, policy);
  if (c.skip)
    return { skip: c.skip, plan: c.plan, writes: [], appliedGeneration: c.appliedGeneration, target, movedFrom: [] };
  const here = views.find((v) => sameRef(v.ref, target))!;
  // The id names (event, the policy state planned from, policy): see requestId.ts and docs/applier.md.
  const writes = projectPatches(
    states,
    target,
    c,
    c.moves,
    (ref, snapshot, owned) =>
      deterministicRequestId(event.id, readKey(snapshot.fingerprint, owned), 'patch', policyRefKey(ref)),
    here.view.owned,
  );
  return {
    skip: null,
    plan: withMoves(c.plan, c.moves),
    writes,
    appliedGeneration: c.appliedGeneration,
    target,
    movedFrom: c.moves.map((m) => m.ref),
  };
}
