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
import { ownedRules, staleEventReason } from './plan';
import { deterministicRequestId, readKey } from './requestId';
import type { ObservedRule } from './types';
import { EMPTY_PLAN, isRevocation, type PolicyPatch, patchFor, planWrites, type WritePlan } from './writePlan';

/** One policy of the placement as one read saw it. */
export interface PolicyState {
  ref: PolicyRef;
  snapshot: { rules: readonly ObservedRule[]; fingerprint?: string | undefined };
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

/** The patches for `event` over every policy of the placement (`states[0]` is the global policy). */
export function planPlacedWrites(
  event: EgressChangeEvent,
  desired: Parameters<typeof planWrites>[1],
  states: readonly PolicyState[],
  target: PolicyRef,
  policy: Pick<PlatformPolicy, 'firewall'>,
): PlacedWritePlan {
  const project = event.data.project.name;
  const targetState = states.find((s) => sameRef(s.ref, target));
  if (!targetState) throw new PlacementError(`policy ${policyRefKey(target)} is not one of the placement's policies`);
  const others = states
    .filter((s) => s !== targetState)
    .map((s) => ({ state: s, owned: ownedRules(s.snapshot.rules, project) }))
    .filter((o) => o.owned.length > 0);
  // The stale-event guard reads the project's rules wherever they are (a half-done move leaves them in two policies).
  const allOwned = [...others.flatMap((o) => o.owned), ...ownedRules(targetState.snapshot.rules, project)];
  const skip =
    others.length === 0
      ? null
      : staleEventReason(allOwned, project, {
          generation: event.data.source.generation,
          reason: event.data.reason,
          revocation: isRevocation(event),
          supersedes: event.data.supersedes?.generation,
        });
  const planned = skip ? undefined : planWrites(event, desired, target, targetState.snapshot, policy);
  if (!planned || planned.skip) {
    const base = planned ?? { skip, plan: EMPTY_PLAN, writes: [], appliedGeneration: null };
    return { ...base, writes: [], target, movedFrom: [] };
  }
  const removals = others.map((o): PolicyPatch => {
    const key = readKey(o.state.snapshot.fingerprint, o.owned);
    const requestId = deterministicRequestId(event.id, key, 'patch', policyRefKey(o.state.ref));
    const plan = { create: [], update: [], delete: o.owned };
    return patchFor(o.state.ref, o.state.snapshot, plan, [], requestId)!;
  });
  return {
    ...planned,
    plan: { ...planned.plan, delete: [...planned.plan.delete, ...others.flatMap((o) => o.owned)] },
    writes: [...planned.writes, ...removals],
    target,
    movedFrom: others.map((o) => o.state.ref),
  };
}
