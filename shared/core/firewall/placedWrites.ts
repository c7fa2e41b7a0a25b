/**
 * The write planner over the policies of a placement (core/policy/placement.ts): the project's rules are planned in
 * its TARGET policy with the one write planner (writePlan.ts), and every owned rule of the project found in ANOTHER
 * policy of the placement (placement switched, or `spec.region` changed) is removed after them: a move is "create in
 * the new policy, then remove from the old" (adds before removes), so the project never has less than before. Pure.
 *
 * With one policy (global placement) this is exactly `planWrites` over it: same writes, same request ids.
 */
import type { EgressChangeEvent } from '../events/types';
import { type PlacementSettings, type PolicyRef, placeProject, policyRefKey, sameRef } from '../policy/placement';
import type { PlatformPolicy } from '../policy/types';
import { ownedRules, staleEventReason } from './plan';
import { deterministicRequestId, readKey } from './requestId';
import type { ObservedRule } from './types';
import { isRevocation, type PlannedWrite, planWrites, policyView, type WritePlan } from './writePlan';

/** One policy of the placement as one read saw it. */
export interface PolicyState {
  ref: PolicyRef;
  snapshot: { rules: readonly ObservedRule[]; fingerprint?: string };
}

/** A write and the policy it goes to. */
export type PlacedWrite = PlannedWrite & { policy: PolicyRef };

/** What the applier does with an event over several policies. */
export interface PlacedWritePlan extends Omit<WritePlan, 'writes'> {
  writes: PlacedWrite[];
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

/** The writes for `event` over every policy of the placement (`states[0]` is the global policy). */
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
    .map((s) => ({ ref: s.ref, view: policyView(s.snapshot, project) }))
    .filter((o) => o.view.owned.length > 0);
  // The stale-event guard reads the project's rules wherever they are (a half-done move leaves them in two policies).
  const allOwned = [...others.flatMap((o) => o.view.owned), ...policyView(targetState.snapshot, project).owned];
  const skip =
    others.length === 0
      ? null
      : staleEventReason(allOwned, project, {
          generation: event.data.source.generation,
          reason: event.data.reason,
          revocation: isRevocation(event),
          supersedes: event.data.supersedes?.generation,
        });
  const planned = skip ? undefined : planWrites(event, desired, policyView(targetState.snapshot, project), policy);
  if (!planned || planned.skip) {
    const base = planned ?? {
      skip,
      plan: { create: [], update: [], delete: [], unchanged: 0 },
      writes: [],
      appliedGeneration: null,
    };
    return { ...base, writes: [], target, movedFrom: [] };
  }
  const removes: PlacedWrite[] = others.flatMap((o) => {
    const key = readKey(o.view.fingerprint, o.view.owned);
    return o.view.owned.map(
      (r): PlacedWrite => ({
        verb: 'remove',
        priority: r.priority,
        ruleName: r.ruleName,
        requestId: deterministicRequestId(event.id, key, 'remove', r.ruleName, r.priority, policyRefKey(o.ref)),
        policy: o.ref,
      }),
    );
  });
  return {
    ...planned,
    plan: { ...planned.plan, delete: [...planned.plan.delete, ...others.flatMap((o) => o.view.owned)] },
    writes: [...planned.writes.map((w): PlacedWrite => ({ ...w, policy: target })), ...removes],
    target,
    movedFrom: others.map((o) => o.ref),
  };
}
