/**
 * The per-policy limits in effect and where each came from (docs/capacity.md, "Where the limits come from"): the
 * project's values as Google's Cloud Quotas API reports them (ports/limits.ts), else the policy file's `capacity`
 * settings. `egress capacity`, `egress doctor` and the applier's headroom check all take their limits from here. Pure.
 */
import type { CapacitySettings } from '../policy/capacity';

/** Where a limit came from. */
export type LimitSource = 'quotas API' | 'policy file';

/** The kind of network firewall policy a limit is for (the quota metrics differ). */
export type PolicyScope = 'global' | 'regional';

/** What the quotas API reported for one scope (a missing figure: not reported). */
export interface ReportedLimits {
  attributesPerPolicy?: number;
  fqdnsPerPolicy?: number;
}

/** The limits in effect with their sources. */
export interface EffectiveLimits {
  attributesPerPolicy: number;
  fqdnsPerPolicy: number;
  sources: { attributes: LimitSource; fqdns: LimitSource };
}

/**
 * The Cloud Quotas metrics of the per-policy limits (docs/capacity.md: the metric names are confirmed; the adapter
 * finds the quota by its `metric`, so the quota ID is not needed).
 */
export const LIMIT_METRICS: Record<PolicyScope, Record<keyof ReportedLimits, string>> = {
  global: {
    attributesPerPolicy: 'compute.googleapis.com/rule_attributes_per_global_network_firewall_policy',
    fqdnsPerPolicy: 'compute.googleapis.com/fqdns_per_global_network_firewall_policy',
  },
  regional: {
    attributesPerPolicy: 'compute.googleapis.com/rule_attributes_per_regional_network_firewall_policy',
    fqdnsPerPolicy: 'compute.googleapis.com/fqdns_per_regional_network_firewall_policy',
  },
};

const usable = (n: number | undefined): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;

/** The reported values where usable, else the policy file's settings. */
export function effectiveLimits(reported: ReportedLimits | undefined, settings: CapacitySettings): EffectiveLimits {
  const a = reported?.attributesPerPolicy;
  const f = reported?.fqdnsPerPolicy;
  return {
    attributesPerPolicy: usable(a) ? a : settings.attributesPerPolicy,
    fqdnsPerPolicy: usable(f) ? f : settings.fqdnsPerPolicy,
    sources: { attributes: usable(a) ? 'quotas API' : 'policy file', fqdns: usable(f) ? 'quotas API' : 'policy file' },
  };
}

/** The settings with the limits in effect: what the count and the headroom check take as data. */
export function withLimits(settings: CapacitySettings, limits: EffectiveLimits): CapacitySettings {
  return { ...settings, attributesPerPolicy: limits.attributesPerPolicy, fqdnsPerPolicy: limits.fqdnsPerPolicy };
}
