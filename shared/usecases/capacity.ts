/**
 * The capacity use case behind `egress capacity` (and the drift job's warning): each policy read → its rules,
 * projects and quota usage (core/capacity/report.ts). A policy over 90% of a quota fails the command.
 */
import {
  CAPACITY_FAIL_RATIO,
  type CapacityReport,
  type PolicyCapacity,
  policyCapacity,
  usageAbove,
} from '../core/capacity/report';
import type { ObservedRule } from '../core/firewall/types';
import type { CapacitySettings } from '../core/policy/capacity';

/** One policy as read: its resource path, rules and (when the API reported it) `ruleTupleCount`. */
export interface PolicyRead {
  policy: string;
  rules: readonly ObservedRule[];
  ruleTupleCount?: number | undefined;
}

/** The resource path of a global network firewall policy, as reports name it. */
export function policyPath(hostProject: string, policy: string): string {
  return `projects/${hostProject}/global/firewallPolicies/${policy}`;
}

/** The report of every policy read. */
export function capacityReport(reads: readonly PolicyRead[], settings: CapacitySettings): CapacityReport {
  return { policies: reads.map((r) => policyCapacity(r.policy, r.rules, settings, r.ruleTupleCount)) };
}

/** The policies over `CAPACITY_FAIL_RATIO` of a quota (what makes `egress capacity` exit 1). */
export function overCapacity(report: CapacityReport): PolicyCapacity[] {
  return report.policies.filter((p) => usageAbove(p, CAPACITY_FAIL_RATIO).length > 0);
}
