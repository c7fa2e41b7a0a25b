/**
 * Drift over the policies of a placement (core/policy/placement.ts), pure: each manifest project's owned rules are
 * compared where they belong (its target policy), and its owned rules found in another policy of the placement
 * (the placement switched, or `spec.region` changed, and no event has moved them yet) are `misplaced` findings. A
 * `--repair` replay moves them (the applier creates in the target policy, then removes from the old one).
 */
import type { DriftFinding } from './agreement/types';
import { parseMarker } from './firewall/marker';
import type { ObservedRule } from './firewall/types';
import type { ProjectMeta } from './manifest/types';
import { type PlacementSettings, type PolicyRef, placeProject, policyRefKey, sameRef } from './policy/placement';

/**
 * Regional placement: the projects whose assigned subnets lie outside their `spec.region`. Their rules live in the
 * policy of that one region, which is enforced only there, so their workloads elsewhere get no allowance (that
 * region's deny-all applies). One warning per project, naming the subnets.
 */
export function subnetsOutsideRegion(
  settings: PlacementSettings,
  projects: readonly {
    project: Pick<ProjectMeta, 'name' | 'region'>;
    subnets: readonly { name: string; region: string }[];
  }[],
): string[] {
  if (settings.placement !== 'regional') return [];
  return projects.flatMap(({ project, subnets }) => {
    const outside = subnets.filter((s) => project.region && s.region !== project.region);
    if (!outside.length) return [];
    const list = outside.map((s) => `${s.name} (${s.region})`).join(', ');
    return [
      `${project.name}: subnets ${list} are outside its spec.region ${project.region}: its rules are in that region's ` +
        'policy only, so egress from them is denied (one region per project under regional placement)',
    ];
  });
}

/** One policy as read. */
export interface PlacedRules {
  ref: PolicyRef;
  rules: readonly ObservedRule[];
}

/**
 * The rules drift compares (every policy's, minus the owned rules of manifest projects outside their target policy)
 * and the misplaced findings per project. `placed[0]` is the global policy.
 */
export function placeForDrift(
  settings: PlacementSettings,
  placed: readonly PlacedRules[],
  manifests: readonly { project: ProjectMeta }[],
): { rules: ObservedRule[]; misplaced: Map<string, DriftFinding[]> } {
  const base = placed[0]?.ref.name ?? '';
  const targets = new Map<string, PolicyRef>();
  for (const m of manifests) {
    const p = placeProject(settings, base, m.project);
    if ('ref' in p) targets.set(m.project.name, p.ref);
  }
  const rules: ObservedRule[] = [];
  const misplaced = new Map<string, DriftFinding[]>();
  for (const { ref, rules: rs } of placed) {
    for (const r of rs) {
      const m = parseMarker(r.description);
      const target = m ? targets.get(m.project) : undefined;
      if (!m || !target || sameRef(target, ref)) {
        rules.push(r);
        continue;
      }
      const list = misplaced.get(m.project) ?? [];
      list.push({
        kind: 'misplaced',
        ruleName: r.ruleName,
        priority: r.priority,
        detail: `in ${policyRefKey(ref)}, belongs in ${policyRefKey(target)} (firewall.placement ${settings.placement})`,
      });
      misplaced.set(m.project, list);
    }
  }
  return { rules, misplaced };
}
