/**
 * The project's per-policy limits as Google reports them (Cloud Quotas API, `quotaInfos` of compute.googleapis.com).
 * Adapter: adapters/quotas.ts (the official @google-cloud/cloudquotas client, or REST against the fake). What it does
 * not report falls back to the policy file (core/capacity/limits.ts `effectiveLimits`).
 */
import type { PolicyScope, ReportedLimits } from '../core/capacity/limits';

export type { PolicyScope, ReportedLimits } from '../core/capacity/limits';

/** Reads the limits of one policy scope (a regional policy: its region). */
export interface LimitsReader {
  read(scope: PolicyScope, region?: string): Promise<ReportedLimits>;
}
