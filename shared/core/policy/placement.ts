/**
 * Placement: which network firewall policy holds a project's rules, decided here and nowhere else (docs/policy.md,
 * "Placement"). Pure.
 *
 * - `global` (the default): every project's rules live in the one global network firewall policy (`firewall.policy`).
 * - `regional`: a project's rules live in the regional network firewall policy of its manifest's `spec.region`
 *   (then required, and one of `firewall.regions`), named by `firewall.regionalPolicyName` (`{policy}-{region}`).
 *   Regional policies are evaluated after the global one, so terraform puts the deny-all baseline into each regional
 *   policy and ends the global one with `goto_next` for egress (terraform/firewall.tf, local/program/stack/baseline.ts).
 *
 * The policies of a placement (`placementPolicies`) are what plan, drift, explain, capacity and replay iterate; the
 * global policy is always among them (it holds the baseline hand-off, and the rules of a project placed before a
 * switch to regional, which a re-plan moves).
 */
import type { PlatformPolicy } from './types';

/** One network firewall policy of the host project: the global one (no region) or a regional one. */
export interface PolicyRef {
  name: string;
  region?: string;
}

/** The settings placement reads. */
export type PlacementSettings = Pick<PlatformPolicy['firewall'], 'placement' | 'regions' | 'regionalPolicyName'>;

/** The name of the regional policy of `region`: the template with `{policy}` and `{region}` filled. */
export function regionalPolicyName(
  settings: Pick<PlacementSettings, 'regionalPolicyName'>,
  base: string,
  region: string,
) {
  return settings.regionalPolicyName.replaceAll('{policy}', base).replaceAll('{region}', region);
}

/** Every policy of the placement: the global one first, then (regional) each listed region's, in the listed order. */
export function placementPolicies(settings: PlacementSettings, base: string): PolicyRef[] {
  const global: PolicyRef = { name: base };
  if (settings.placement !== 'regional') return [global];
  return [global, ...settings.regions.map((region) => ({ name: regionalPolicyName(settings, base, region), region }))];
}

/** A project that cannot be placed (regional placement without a usable `spec.region`). */
export interface PlacementProblem {
  /** `missing`: no spec.region; `unlisted`: a region without a regional policy. */
  kind: 'missing' | 'unlisted';
  message: string;
  hint: string;
}

/** Where project `name` (with its manifest's `region`) belongs, or why it cannot be placed. */
export function placeProject(
  settings: PlacementSettings,
  base: string,
  project: { name: string; region?: string | undefined },
): { ref: PolicyRef } | { problem: PlacementProblem } {
  if (settings.placement !== 'regional') return { ref: { name: base } };
  const listed = settings.regions.join(', ');
  if (!project.region)
    return {
      problem: {
        kind: 'missing',
        message: `spec.region is required: the platform places each project's rules in the regional firewall policy of its region (firewall.placement regional)`,
        hint: `add \`region: <region>\` under spec, one of: ${listed}`,
      },
    };
  if (!settings.regions.includes(project.region))
    return {
      problem: {
        kind: 'unlisted',
        message: `spec.region \`${project.region}\` has no regional firewall policy (firewall.regions: ${listed})`,
        hint: `use one of ${listed}, or ask the platform team to add ${project.region} to firewall.regions (and terraform's regions)`,
      },
    };
  return { ref: { name: regionalPolicyName(settings, base, project.region), region: project.region } };
}

/**
 * The rules that decide a project's egress, in Cloud NGFW's evaluation order: the global policy's (by priority), then,
 * under regional placement, its region's policy's (by priority): regional policies are evaluated after the global
 * one. `byPolicy[0]` is the global policy. Undefined when the project cannot be placed (no usable spec.region).
 */
export function evaluationOrder<R extends { priority: number }>(
  settings: PlacementSettings,
  byPolicy: readonly { ref: PolicyRef; rules: readonly R[] }[],
  project: { name: string; region?: string | undefined },
): { rules: R[]; policies: PolicyRef[] } | undefined {
  const global = byPolicy[0];
  if (!global) return undefined;
  const placed = placeProject(settings, global.ref.name, project);
  if (!('ref' in placed)) return undefined;
  const tiers = [global, ...byPolicy.filter((p, i) => i > 0 && sameRef(p.ref, placed.ref))];
  return {
    rules: tiers.flatMap((t) => [...t.rules].sort((a, b) => a.priority - b.priority)),
    policies: tiers.map((t) => t.ref),
  };
}

/** A stable key of a policy reference (`global/NAME`, `regions/R/NAME`), for maps and request ids. */
export function policyRefKey(ref: PolicyRef): string {
  return ref.region ? `regions/${ref.region}/${ref.name}` : `global/${ref.name}`;
}

/** The resource path of a policy, as reports name it (`projects/P/global/firewallPolicies/N`, or `…/regions/R/…`). */
export function policyRefPath(hostProject: string, ref: PolicyRef): string {
  return `projects/${hostProject}/${ref.region ? `regions/${ref.region}` : 'global'}/firewallPolicies/${ref.name}`;
}

/** True when the two references name the same policy. */
export function sameRef(a: PolicyRef, b: PolicyRef): boolean {
  return policyRefKey(a) === policyRefKey(b);
}

/**
 * The regions that hold workloads (e.g. subnets) but have no regional policy of the placement: their egress is not
 * decided by any regional policy and falls to the global one's `goto_next`, then to the implied egress allow (drift
 * and capacity report them). Empty under global placement. Sorted, distinct.
 */
export function regionsWithoutPolicy(settings: PlacementSettings, workloadRegions: Iterable<string>): string[] {
  if (settings.placement !== 'regional') return [];
  const listed = new Set(settings.regions);
  return [...new Set(workloadRegions)].filter((r) => r && !listed.has(r)).sort();
}
