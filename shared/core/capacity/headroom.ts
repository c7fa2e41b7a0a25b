/**
 * The applier's headroom check (before its patch): the policy's new rule list must stay within the `capacity` quotas. A change that does not grow a figure always fits (a
 * revocation can go through a policy already over a lowered quota). Pure.
 */
import type { CapacitySettings } from '../policy/capacity';
import { type CountableRule, policyUsage } from './count';

/** One figure of the check: as read, at the peak of the write sequence, and its quota. */
export interface Headroom {
  used: number;
  peak: number;
  limit: number;
}

/** The check's result; `problems` name each quota the change would exceed (empty when it fits). */
export interface HeadroomCheck {
  fits: boolean;
  attributes: Headroom;
  fqdns: Headroom;
  problems: string[];
}

/** The policy as one read saw it. */
export interface CapacitySnapshot {
  rules: readonly (CountableRule & { priority: number })[];
  /** The API's `FirewallPolicy.ruleTupleCount`, when it reported one. */
  ruleTupleCount?: number | undefined;
}

/**
 * Checks the policy's complete new rule list (one patch, writePlan.ts) against the quotas of `settings`: the patch is
 * atomic, so the peak is the new list's usage (counted as the change of our own count over the API's figure).
 */
export function checkHeadroom(
  snapshot: CapacitySnapshot,
  after: readonly CountableRule[],
  settings: CapacitySettings,
  /** The policy's kind, for the quota names (`…_per_regional_network_firewall_policy`); default global. */
  scope: 'global' | 'regional' = 'global',
): HeadroomCheck {
  const used = policyUsage(snapshot.rules, settings, snapshot.ruleTupleCount);
  // Only the rules the patch changes are counted again: a kept rule is the very object read.
  const kept = new Set(after);
  const read = new Set(snapshot.rules);
  const gone = policyUsage(
    snapshot.rules.filter((r) => !kept.has(r)),
    settings,
  );
  const added = policyUsage(
    after.filter((r) => !read.has(r as (typeof snapshot.rules)[number])),
    settings,
  );
  const peakA = Math.max(used.attributes, used.attributes + added.attributes - gone.attributes);
  const peakF = Math.max(used.fqdns, used.fqdns + added.fqdns - gone.fqdns);
  const a: Headroom = { used: used.attributes, peak: peakA, limit: settings.attributesPerPolicy };
  const f: Headroom = { used: used.fqdns, peak: peakF, limit: settings.fqdnsPerPolicy };
  const problems: string[] = [];
  const over = (h: Headroom) => h.peak > h.limit && h.peak > h.used;
  if (over(a))
    problems.push(
      `rule attributes: ${h(a)} (quota rule_attributes_per_${scope}_network_firewall_policy; capacity.attributesPerPolicy)`,
    );
  if (over(f))
    problems.push(`FQDNs: ${h(f)} (quota fqdns_per_${scope}_network_firewall_policy; capacity.fqdnsPerPolicy)`);
  return { fits: problems.length === 0, attributes: a, fqdns: f, problems };
}

function h(x: Headroom): string {
  return `${x.used} used, ${x.peak} during this change, limit ${x.limit}`;
}

/** The `apply-failed` message of a change that does not fit, with the hint. */
export function headroomMessage(check: HeadroomCheck, policyName?: string): string {
  return (
    `the change does not fit the firewall policy${policyName ? ` ${policyName}` : ''}: ${check.problems.join('; ')}; nothing was written ` +
    '(hint: raise the quota with Google and set the new limit in the policy file, or move projects to another policy)'
  );
}
