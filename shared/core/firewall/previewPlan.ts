/**
 * `egress plan`'s preview of the applier's writes: for each project of the plan, the patches the applier would send
 * for its manifest's event over the policies as read, by content alone (a working copy has no generation, so no
 * stale-event guard and no marker stamp), through the applier's own steps: the change in the target policy
 * (writePlan.ts `changeIn`: plan, free priorities), the moves out of the other policies and one patch per policy
 * (placedWrites.ts). Each project is its own event: its patches are planned against the policies as read, not after
 * another project's. Pure.
 */
import { type PolicyRef, policyRefKey, sameRef } from '../policy/placement';
import type { PlatformPolicy } from '../policy/types';
import {
  indexPlacement,
  movesOf,
  PlacementError,
  type PolicyState,
  planningFailure,
  projectPatches,
  viewsOf,
  withMoves,
} from './placedWrites';
import { emptyPlan, planProject } from './plan';
import type { DesiredRule, Plan } from './types';
import { changeIn, type PolicyPatch } from './writePlan';

/** What the applier would write for one project: its patches, or why it would refuse (nothing written). */
export interface PatchPreview {
  project: string;
  plan: Plan;
  writes: PolicyPatch[];
  /** The apply-failed reason of a planning refusal (a full priority band, no placement); no patch then. */
  failed?: { reason: string; message: string };
}

/**
 * The preview of every project of `desired` (sorted by key) over the placement's `states`: `targetOf` names each
 * project's policy (or why it cannot be placed). Returns the whole plan (every project's changes) and each project's
 * preview. The placement is indexed once, so a plan of thousands of projects parses each rule's marker once.
 */
export function previewPlan(
  states: readonly PolicyState[],
  desired: ReadonlyMap<string, readonly DesiredRule[]>,
  targetOf: (project: string) => { ref: PolicyRef } | { problem: { message: string } },
  policy: Pick<PlatformPolicy, 'firewall'>,
): { plan: Plan; previews: PatchPreview[] } {
  const index = indexPlacement(states);
  const plan = emptyPlan();
  const previews: PatchPreview[] = [];
  for (const project of [...desired.keys()].sort()) {
    const placed = targetOf(project);
    const p =
      'ref' in placed
        ? previewOne(index, project, desired.get(project)!, placed.ref, policy)
        : { project, plan: emptyPlan(), writes: [], failed: { reason: 'placement', message: placed.problem.message } };
    plan.create.push(...p.plan.create);
    plan.update.push(...p.plan.update);
    plan.delete.push(...p.plan.delete);
    plan.unchanged = (plan.unchanged ?? 0) + (p.plan.unchanged ?? 0);
    previews.push(p);
  }
  return { plan, previews };
}

/** One project's preview; a full priority band or an unread target policy is `failed` (no patch). */
function previewOne(
  index: ReturnType<typeof indexPlacement>,
  project: string,
  desired: readonly DesiredRule[],
  target: PolicyRef,
  policy: Pick<PlatformPolicy, 'firewall'>,
): PatchPreview {
  const views = viewsOf(index, project);
  const here = views.find((v) => sameRef(v.ref, target));
  const moves = here ? movesOf(views, here) : [];
  try {
    // The applier refuses a project whose policy was not read (placeChange: `placement`); so does the preview.
    if (!here) throw new PlacementError(`policy ${policyRefKey(target)} is not one of the placement's policies`);
    const change = changeIn(desired, here.view, policy, project);
    const states = index.map((i) => i.state);
    const writes = projectPatches(states, target, change, moves, () => 'preview', here.view.owned);
    return { project, plan: withMoves(change.plan, moves), writes };
  } catch (err) {
    const failed = planningFailure(err);
    if (!failed) throw err;
    const plan = here ? withMoves(planProject(here.view.owned, desired, { project }), moves) : emptyPlan();
    return { project, plan, writes: [], failed };
  }
}
