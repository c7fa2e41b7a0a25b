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
  type IndexedPolicy,
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
        ? previewOne(index, states, project, desired.get(project)!, placed.ref, policy)
        : unplaced(project, placed.problem.message);
    plan.create.push(...p.plan.create);
    plan.update.push(...p.plan.update);
    plan.delete.push(...p.plan.delete);
    plan.unchanged = (plan.unchanged ?? 0) + (p.plan.unchanged ?? 0);
    previews.push(p);
  }
  return { plan, previews };
}

/** The preview of a project the applier cannot place: its apply-failed `placement`, no plan, no patch. */
function unplaced(project: string, message: string): PatchPreview {
  return { project, plan: emptyPlan(), writes: [], failed: planningFailure(new PlacementError(message))! };
}

/** One project's preview; a full priority band or an unread target policy is `failed` (no patch). */
function previewOne(
  index: readonly IndexedPolicy[],
  states: readonly PolicyState[],
  project: string,
  desired: readonly DesiredRule[],
  target: PolicyRef,
  policy: Pick<PlatformPolicy, 'firewall'>,
): PatchPreview {
  const views = viewsOf(index, project);
  const here = views.find((v) => sameRef(v.ref, target));
  // The applier refuses a project whose policy was not read (placeChange: `placement`); so does the preview.
  if (!here) return unplaced(project, `policy ${policyRefKey(target)} is not one of the placement's policies`);
  const moves = movesOf(views, here);
  try {
    const change = changeIn(desired, here.view, policy, project);
    const writes = projectPatches(states, target, change, moves, () => 'preview', here.view.owned);
    return { project, plan: withMoves(change.plan, moves), writes };
  } catch (err) {
    const failed = planningFailure(err);
    if (!failed) throw err;
    return { project, plan: withMoves(planProject(here.view.owned, desired, { project }), moves), writes: [], failed };
  }
}
