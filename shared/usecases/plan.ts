/**
 * The plan use case: validated manifests → desired rules per project → the current rules (a fake-Compute state file
 * or the live policy) → the plan. Only the projects named by the manifests are planned; other projects' rules and
 * foreign rules are never part of a plan. `egress plan` is its shell (shared/cli/commands/plan.ts).
 */
import { unappliable } from '../core/agreement/unappliable';
import {
  CompileError,
  desiredRules,
  groupOwnedRules,
  isTombstone,
  type PolicyState,
  type ProjectWrites,
  previewPlan,
  tombstoneRule,
} from '../core/firewall';
import type { DesiredRule, ObservedRule, Plan } from '../core/firewall/types';
import type { Workloads } from '../core/firewall/workloads';
import type { ManifestResult } from '../core/manifest/types';
import { subnetsOutsideRegion } from '../core/placementDrift';
import { type PolicyRef, placeProject } from '../core/policy/placement';
import type { PlatformPolicy } from '../core/policy/types';
import type { LimitsReader } from '../ports/limits';
import { capacitiesFor } from './capacity';
import { patchesRefusal } from './patches';
import { needsWorkloadRead, resolveWorkloads, type WorkloadDeps } from './workloads';

/** The current rules and where they were read (shown in the plan's footer). */
export interface CurrentRules {
  rules: ObservedRule[];
  source: string;
  /** The same rules by policy of the placement, the global one first (regional placement: several). */
  byPolicy?: { ref: PolicyRef; rules: ObservedRule[] }[];
  /** The host project the rules were read from (the limits are its quotas). */
  hostProject?: string;
}

/** What {@link planManifests} needs. */
export interface PlanInput {
  /** Validation results of the manifests (validateManifestFiles). */
  manifests: readonly ManifestResult[];
  policy: PlatformPolicy;
  hostProject?: string;
  /** Reads the current rules; called only when every manifest is valid and compiles. */
  currentRules: () => Promise<CurrentRules>;
  /**
   * `plan --all-live`: the manifests are the whole fleet. Every project with owned rules in the current rules but no
   * manifest here is planned as a revocation (its manifest is deleted in this change); a project already revoked
   * (only its tombstone left) plans nothing. A revoked project desires its tombstone, as its delete event does.
   */
  allLive?: boolean;
  /** The reads of the target mode (subnets, tag values), from the same source as the rules; built when needed. */
  workloads?: () => WorkloadDeps;
  /**
   * The host project's limits (Cloud Quotas), for the headroom check of each patch as the applier makes it
   * (capacity.ts `limitsFor`); absent: the policy file's limits.
   */
  limits?: (hostProject: string) => LimitsReader | undefined;
}

/** The outcome: refused (invalid or not compilable), the rules unreadable, or the plan. */
export type PlanOutcome =
  | { kind: 'invalid'; invalid: ManifestResult[] }
  | { kind: 'compile-error'; errors: string[] }
  | { kind: 'unreadable'; error: unknown }
  | {
      kind: 'planned';
      plan: Plan;
      /** The patches the applier would send, project by project (only projects that change or would be refused). */
      writes: ProjectWrites[];
      source: string;
      projects: string[];
      changed: boolean;
      revoked: string[];
      /** Entries that cannot apply to their project's sources (core/agreement/unappliable.ts), as `file: message`. */
      warnings: string[];
    };

/** The manifests' desired rules by project key; compile errors are collected per file. */
export function desiredByProject(
  results: readonly ManifestResult[],
  policy: PlatformPolicy,
  hostProject: string | undefined,
  workloads?: ReadonlyMap<string, Workloads>,
): { desired: Map<string, DesiredRule[]>; errors: string[] } {
  const desired = new Map<string, DesiredRule[]>();
  const errors: string[] = [];
  for (const r of results) {
    if (!r.project) continue;
    try {
      const w = workloads?.get(r.project.name);
      // A working copy has no object generation: '0'. Plans compare content, never the marker's generation.
      desired.set(
        r.project.name,
        desiredRules(r.project, r.egress, {
          policy,
          generation: '0',
          ...(hostProject ? { hostProject } : {}),
          ...(w ? { workloads: w } : {}),
        }),
      );
    } catch (err) {
      if (!(err instanceof CompileError)) throw err;
      errors.push(`${r.path}: ${err.message}`);
    }
  }
  return { desired, errors };
}

/**
 * The plan over the placement's policies with the applier's own preview of each project (core/firewall/previewPlan.ts):
 * its rules in the policy of its `spec.region` (regional placement), its owned rules in any other policy deleted (a
 * move: creates in one policy, deletes in the other), the patches it would send, each checked against its policy's
 * quotas as the applier checks it before writing.
 */
async function placedPlan(
  input: PlanInput,
  current: CurrentRules,
  desired: ReadonlyMap<string, DesiredRule[]>,
): Promise<{ plan: Plan; writes: ProjectWrites[]; notes: string[] }> {
  // Global placement is the one-policy placement: the rules read, as the global policy.
  const states: PolicyState[] = (current.byPolicy ?? [{ ref: { name: current.source }, rules: current.rules }]).map(
    (p) => ({ ref: p.ref, snapshot: { rules: p.rules } }),
  );
  const region = new Map(input.manifests.flatMap((m) => (m.project ? [[m.project.name, m.project.region]] : [])));
  const { plan, previews } = previewPlan(
    states,
    desired,
    (project) =>
      placeProject(input.policy.firewall, states[0]!.ref.name, { name: project, region: region.get(project) }),
    input.policy,
  );
  // The limits of the policies written (Cloud Quotas when a reader is given), for the applier's headroom check.
  const reader = current.hostProject ? input.limits?.(current.hostProject) : undefined;
  const written = previews.flatMap((p) => p.writes.map((w) => w.policy));
  const { capacities, notes } = await capacitiesFor(reader, input.policy.capacity, written);
  const writes: ProjectWrites[] = [];
  for (const p of previews) {
    const refused = p.failed
      ? `${p.failed.reason}: ${p.failed.message}`
      : patchesRefusal(states, p.writes, input.policy, capacities);
    if (refused) writes.push({ project: p.project, writes: [], refused });
    else if (p.writes.length) writes.push({ project: p.project, writes: p.writes });
  }
  return { plan, writes, notes };
}

/** True when the plan creates, updates or deletes anything. */
export function planHasChanges(plan: Plan): boolean {
  return plan.create.length + plan.update.length + plan.delete.length > 0;
}

/**
 * Plans the manifests against the current rules. Nothing is planned (and the rules are not read) when a manifest
 * is invalid or does not compile.
 */
export async function planManifests(input: PlanInput): Promise<PlanOutcome> {
  const invalid = input.manifests.filter((r) => !r.valid);
  if (invalid.length) return { kind: 'invalid', invalid };
  let workloads: Map<string, Workloads> | undefined;
  if (needsWorkloadRead(input.policy)) {
    const projects = input.manifests.flatMap((m) => (m.project && m.egress.length ? [m.project.name] : []));
    try {
      const read = await resolveWorkloads(input.policy, projects, {
        ...input.workloads?.(),
        ...(input.hostProject ? { hostProject: input.hostProject } : {}),
      });
      workloads = read.workloads;
      const failed = input.manifests.filter((m) => m.project && read.errors.has(m.project.name));
      if (failed.length)
        return {
          kind: 'compile-error',
          errors: failed.map((m) => `${m.path}: ${read.errors.get(m.project!.name)!.message}`),
        };
    } catch (error) {
      return { kind: 'unreadable', error };
    }
  }
  const { desired, errors } = desiredByProject(input.manifests, input.policy, input.hostProject, workloads);
  if (errors.length) return { kind: 'compile-error', errors };
  let current: CurrentRules;
  try {
    current = await input.currentRules();
  } catch (error) {
    return { kind: 'unreadable', error };
  }
  const revoked: string[] = [];
  if (input.allLive)
    for (const [project, rules] of groupOwnedRules(current.rules))
      if (!desired.has(project) && rules.some((r) => !isTombstone(r))) {
        // Its manifest's delete event: the applier replaces its rules with the project's tombstone (compiler.ts).
        desired.set(project, [tombstoneRule(project, '0')]);
        revoked.push(project);
      }
  const { plan, writes, notes } = await placedPlan(input, current, desired);
  return {
    kind: 'planned',
    plan,
    writes,
    source: current.source,
    projects: [...desired.keys()].sort(),
    changed: planHasChanges(plan),
    revoked: revoked.sort(),
    warnings: [
      ...input.manifests.flatMap((m) => {
        const w = m.project && workloads?.get(m.project.name);
        if (!m.project || !w) return [];
        // The subnets outside spec.region: drift's words (core/placementDrift.ts), said before the merge.
        const outside = w.mode === 'subnets' ? [{ project: m.project, subnets: w.subnets }] : [];
        return [
          ...unappliable({ project: m.project, entries: m.egress }, w, input.policy),
          ...subnetsOutsideRegion(input.policy.firewall, outside),
        ].map((x) => `${m.path}: ${x}`);
      }),
      ...notes,
    ],
  };
}
