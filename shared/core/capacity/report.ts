/**
 * `egress capacity` and the drift job's usage warning: each policy's rules, projects and usage against its quotas.
 * One result, rendered as JSON or text (the text says the same numbers). Pure.
 */
import { groupOwnedRules } from '../firewall/plan';
import { isTombstone } from '../firewall/tombstone';
import type { ObservedRule } from '../firewall/types';
import type { CapacitySettings } from '../policy/capacity';
import { policyUsage } from './count';
import type { LimitSource } from './limits';

/** `egress capacity` exits 1 when a policy uses more than this share of a quota. */
export const CAPACITY_FAIL_RATIO = 0.9;
/** The drift job reports usage above this share of a quota. */
export const CAPACITY_WARN_RATIO = 0.8;

/** One policy's figures (the JSON shape of `egress capacity`). */
export interface PolicyCapacity {
  policy: string;
  rules: number;
  /** Projects with live (non-tombstone) rules in the policy. */
  projects: number;
  attributes: { used: number; limit: number };
  fqdns: { used: number; limit: number };
  /** Where each limit came from (the quotas API or the policy file), when the caller resolved them (limits.ts). */
  limitSources?: { attributes: LimitSource; fqdns: LimitSource };
}

/** A region with workloads (subnets) but no regional policy of the placement: its egress is decided by no rule here. */
export interface UncoveredRegion {
  region: string;
  subnets: string[];
}

/** The report of `egress capacity --format json`. */
export interface CapacityReport {
  policies: PolicyCapacity[];
  /** Regional placement only, when some: regions whose workloads no regional policy covers (placement.ts). */
  regionsWithoutPolicy?: UncoveredRegion[];
}

/** The figures of one policy read (`ruleTupleCount`: the API's own attribute count, when reported). */
export function policyCapacity(
  policy: string,
  rules: readonly ObservedRule[],
  settings: CapacitySettings,
  ruleTupleCount?: number,
  limitSources?: PolicyCapacity['limitSources'],
): PolicyCapacity {
  const usage = policyUsage(rules, settings, ruleTupleCount);
  let projects = 0;
  for (const owned of groupOwnedRules(rules).values()) if (owned.some((r) => !isTombstone(r))) projects++;
  return {
    policy,
    rules: usage.rules,
    projects,
    attributes: { used: usage.attributes, limit: settings.attributesPerPolicy },
    fqdns: { used: usage.fqdns, limit: settings.fqdnsPerPolicy },
    ...(limitSources ? { limitSources } : {}),
  };
}

/** The quotas of `p` used above `ratio` (`attributes 1850/2000 (92.5%)`), empty when none. */
export function usageAbove(p: PolicyCapacity, ratio: number): string[] {
  const out: string[] = [];
  for (const [name, u] of [
    ['attributes', p.attributes],
    ['fqdns', p.fqdns],
  ] as const)
    if (u.used > u.limit * ratio) out.push(`${name} ${u.used}/${u.limit} (${percent(u.used, u.limit)})`);
  return out;
}

function percent(used: number, limit: number): string {
  return `${((100 * used) / Math.max(1, limit)).toFixed(1)}%`;
}

/** The text form: one line per policy, then the policies over the exit threshold. */
export function renderCapacityText(report: CapacityReport): string {
  const lines = report.policies.map(
    (p) =>
      `${p.policy}: ${p.rules} rules, ${p.projects} projects, attributes ${p.attributes.used}/${p.attributes.limit} ` +
      `(${percent(p.attributes.used, p.attributes.limit)}), fqdns ${p.fqdns.used}/${p.fqdns.limit} ` +
      `(${percent(p.fqdns.used, p.fqdns.limit)})` +
      (p.limitSources
        ? `; limits: attributes from ${p.limitSources.attributes}, fqdns from ${p.limitSources.fqdns}`
        : ''),
  );
  for (const p of report.policies) {
    const over = usageAbove(p, CAPACITY_FAIL_RATIO);
    if (over.length) lines.push(`over ${CAPACITY_FAIL_RATIO * 100}%: ${p.policy}: ${over.join(', ')}`);
  }
  for (const u of report.regionsWithoutPolicy ?? []) lines.push(uncoveredLine(u));
  return `${lines.join('\n')}\n`;
}

/** `no regional policy: asia-east1 (subnets a, b): …`, the text of an uncovered region (capacity and drift). */
export function uncoveredLine(u: UncoveredRegion): string {
  return (
    `no regional policy: ${u.region} (subnets ${u.subnets.join(', ')}): its egress falls through the global policy's ` +
    "goto_next to the implied allow (add the region to firewall.regions and terraform's regions)"
  );
}
