/**
 * The capacity use case behind `egress capacity` (and the drift job's warning): each policy read → its rules,
 * projects and quota usage (core/capacity/report.ts). A policy over 90% of a quota fails the command.
 */

import { type EffectiveLimits, effectiveLimits, withLimits } from '../core/capacity/limits';
import {
  CAPACITY_FAIL_RATIO,
  type CapacityReport,
  type PolicyCapacity,
  policyCapacity,
  type UncoveredRegion,
  usageAbove,
} from '../core/capacity/report';
import type { ObservedRule } from '../core/firewall/types';
import type { CapacitySettings } from '../core/policy/capacity';
import {
  type PlacementSettings,
  type PolicyRef,
  policyRefKey,
  policyRefPath,
  regionsWithoutPolicy,
} from '../core/policy/placement';
import type { LimitsReader } from '../ports/limits';

/** One policy as read: its resource path, rules and (when the API reported it) `ruleTupleCount`. */
export interface PolicyRead {
  policy: string;
  rules: readonly ObservedRule[];
  ruleTupleCount?: number | undefined;
  /** The limits in effect for this policy and their sources (limitsFor); absent: the settings' own. */
  limits?: EffectiveLimits;
}

/** The resource path of a network firewall policy (regional with `region`), as reports name it. */
export function policyPath(hostProject: string, policy: string, region?: string): string {
  return policyRefPath(hostProject, region ? { name: policy, region } : { name: policy });
}

/**
 * The report of every policy read. Under regional placement, `subnets` (the host project's, when read) gives the
 * regions that hold workloads but have no regional policy of the placement.
 */
export function capacityReport(
  reads: readonly PolicyRead[],
  settings: CapacitySettings,
  placement?: { settings: PlacementSettings; subnets?: readonly { name: string; region: string }[] },
): CapacityReport {
  const report: CapacityReport = {
    policies: reads.map((r) =>
      r.limits
        ? policyCapacity(r.policy, r.rules, withLimits(settings, r.limits), r.ruleTupleCount, r.limits.sources)
        : policyCapacity(r.policy, r.rules, settings, r.ruleTupleCount),
    ),
  };
  const uncovered = placement ? uncoveredRegions(placement.settings, placement.subnets ?? []) : [];
  if (uncovered.length) report.regionsWithoutPolicy = uncovered;
  return report;
}

/** The regions of `subnets` without a regional policy (regional placement), each with its subnets' names. */
export function uncoveredRegions(
  settings: PlacementSettings,
  subnets: readonly { name: string; region: string }[],
): UncoveredRegion[] {
  return regionsWithoutPolicy(
    settings,
    subnets.map((s) => s.region),
  ).map((region) => ({
    region,
    subnets: subnets
      .filter((s) => s.region === region)
      .map((s) => s.name)
      .sort(),
  }));
}

/** The policies over `CAPACITY_FAIL_RATIO` of a quota (what makes `egress capacity` exit 1). */
export function overCapacity(report: CapacityReport): PolicyCapacity[] {
  return report.policies.filter((p) => usageAbove(p, CAPACITY_FAIL_RATIO).length > 0);
}

/** The limits of one policy in effect, the settings carrying them, and why the quotas API was not used (if it was not). */
export interface PolicyLimits {
  limits: EffectiveLimits;
  settings: CapacitySettings;
  note?: string;
}

/** The first line of a failed quota read's message; an HTTP error without one (a proxy's bare 404) by its status. */
function whyNotRead(e: unknown): string {
  const line = ((e as Error)?.message ?? '').split('\n')[0];
  if (line) return line;
  const status = (e as { status?: number; code?: number | string })?.status ?? (e as { code?: number | string })?.code;
  return status !== undefined ? `HTTP ${status}, no message` : String(e);
}

/**
 * The limits of `ref` (docs/capacity.md, "Where the limits come from"): the Cloud Quotas API's values through
 * `reader` (none: not asked), else the policy file's. A failed read falls back too, and `note` says why. `egress
 * capacity`, doctor and the applier's headroom check call this one function.
 */
export async function limitsFor(
  reader: LimitsReader | undefined,
  settings: CapacitySettings,
  ref: PolicyRef,
): Promise<PolicyLimits> {
  let reported: Awaited<ReturnType<LimitsReader['read']>> | undefined;
  let note: string | undefined;
  if (reader)
    try {
      reported = await reader.read(ref.region ? 'regional' : 'global', ref.region);
    } catch (e) {
      note = `quotas API not read (${whyNotRead(e)}): limits from the policy file`;
    }
  const limits = effectiveLimits(reported, settings);
  return { limits, settings: withLimits(settings, limits), ...(note ? { note } : {}) };
}

/** The capacity settings in effect for each policy, by `policyRefKey` (patches.ts `checkPatchesFit`). */
export type PolicyCapacities = ReadonlyMap<string, CapacitySettings>;

/**
 * The limits in effect for each policy of `refs` ({@link limitsFor} each, one quota read per policy scope): what the
 * applier, the fleet reconcile and `egress plan` check patches against. `notes` say when the policy file's limits were
 * used because the quotas could not be read.
 */
export async function capacitiesFor(
  reader: LimitsReader | undefined,
  settings: CapacitySettings,
  refs: readonly PolicyRef[],
): Promise<{ capacities: Map<string, CapacitySettings>; limits: Map<string, EffectiveLimits>; notes: string[] }> {
  const capacities = new Map<string, CapacitySettings>();
  const limits = new Map<string, EffectiveLimits>();
  const notes = new Set<string>();
  for (const ref of refs) {
    const key = policyRefKey(ref);
    if (capacities.has(key)) continue;
    const l = await limitsFor(reader, settings, ref);
    capacities.set(key, l.settings);
    limits.set(key, l.limits);
    if (l.note) notes.add(l.note);
  }
  return { capacities, limits, notes: [...notes] };
}
