/**
 * The zero-trust baseline terraform creates (terraform/firewall.tf, `local.baseline_rules`), defined once for the
 * local stack: the same rules, priorities, names, actions, protocols, ports and logging, at terraform's variable
 * defaults (`baseline_priority` 2147483000, `internal_ranges_v4`/`_v6`, `enable_ipv6` true). The deploy test
 * test/deploy/baseline.test.ts reads terraform with @cdktf/hcl2json and compares it with this table, so `explain`,
 * `probe` and `denials` answer locally as they do in production.
 */
import type { FirewallPolicyRule } from '../../fakes/compute/engine';

/** terraform's `var.baseline_priority` default. */
export const BASELINE_PRIORITY = 2147483000;

/** terraform's `var.internal_ranges_v4` / `var.internal_ranges_v6` defaults. */
export const INTERNAL_RANGES_V4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'];
export const INTERNAL_RANGES_V6 = ['fc00::/7'];

/** One baseline rule as terraform's locals describe it (`baseline_rules_v4` / `_v6`). */
export interface BaselineRule {
  /** The map key in terraform (`pga-v4`, …). */
  key: string;
  /** Added to `baseline_priority`. */
  offset: number;
  action: 'allow' | 'goto_next' | 'deny';
  ranges: string[];
  protocol: 'tcp' | 'all';
  ports: string[];
  logging: boolean;
  ruleName: string;
  note: string;
}

/** terraform's baseline table, in priority order. */
export const BASELINE: readonly BaselineRule[] = [
  {
    key: 'pga-v4',
    offset: 0,
    action: 'allow',
    ranges: ['199.36.153.8/30'],
    protocol: 'tcp',
    ports: ['443'],
    logging: false,
    ruleName: 'egress-baseline-google-apis-v4',
    note: 'Private Google Access (private.googleapis.com), the *.googleapis.com expansion.',
  },
  {
    key: 'pga-v6',
    offset: 1,
    action: 'allow',
    ranges: ['2600:2d00:2:2000::/56'],
    protocol: 'tcp',
    ports: ['443'],
    logging: false,
    ruleName: 'egress-baseline-google-apis-v6',
    note: 'Private Google Access over IPv6 (private.googleapis.com).',
  },
  {
    key: 'internal-v4',
    offset: 2,
    action: 'goto_next',
    ranges: INTERNAL_RANGES_V4,
    protocol: 'all',
    ports: [],
    logging: false,
    ruleName: 'egress-baseline-internal-v4',
    note: "Internal destinations are not this product's: passed on (goto_next) to the VPC firewall rules under BEFORE_CLASSIC_FIREWALL.",
  },
  {
    key: 'internal-v6',
    offset: 3,
    action: 'goto_next',
    ranges: INTERNAL_RANGES_V6,
    protocol: 'all',
    ports: [],
    logging: false,
    ruleName: 'egress-baseline-internal-v6',
    note: "Internal IPv6 destinations are not this product's: passed on (goto_next) to the VPC firewall rules under BEFORE_CLASSIC_FIREWALL.",
  },
  {
    key: 'deny-v4',
    offset: 10,
    action: 'deny',
    ranges: ['0.0.0.0/0'],
    protocol: 'all',
    ports: [],
    logging: true,
    ruleName: 'egress-baseline-deny-all-v4',
    note: 'Zero-trust default: egress not allowed by a higher-priority rule is denied and logged.',
  },
  {
    key: 'deny-v6',
    offset: 11,
    action: 'deny',
    ranges: ['::/0'],
    protocol: 'all',
    ports: [],
    logging: true,
    ruleName: 'egress-baseline-deny-all-v6',
    note: 'Zero-trust default for IPv6 egress, logged.',
  },
];

/**
 * terraform's `local.handoff_rules_v4`/`_v6` (terraform/firewall.tf): under regional placement the global policy's
 * deny-all rules become these `goto_next` rules (regional policies are evaluated after the global one, so a deny
 * here would shadow their allows); each regional policy keeps the full BASELINE, deny-all included.
 */
export const HANDOFF: readonly BaselineRule[] = [
  {
    key: 'deny-v4',
    offset: 10,
    action: 'goto_next',
    ranges: ['0.0.0.0/0'],
    protocol: 'all',
    ports: [],
    logging: false,
    ruleName: 'egress-baseline-to-regional-v4',
    note: "Regional placement: egress not decided above goes on to the region's regional policy, which denies what it does not allow.",
  },
  {
    key: 'deny-v6',
    offset: 11,
    action: 'goto_next',
    ranges: ['::/0'],
    protocol: 'all',
    ports: [],
    logging: false,
    ruleName: 'egress-baseline-to-regional-v6',
    note: "Regional placement: IPv6 egress not decided above goes on to the region's regional policy.",
  },
];

/** The global policy's baseline table: BASELINE, with the deny-all rules handed off under regional placement. */
export function globalBaseline(placement: 'global' | 'regional' = 'global'): readonly BaselineRule[] {
  if (placement !== 'regional') return BASELINE;
  return BASELINE.map((b) => HANDOFF.find((h) => h.key === b.key) ?? b);
}

/** The baseline as firewall-policy rules, as `google_compute_network_firewall_policy_rule.baseline` writes them. */
export function baselineRules(
  basePriority = BASELINE_PRIORITY,
  table: readonly BaselineRule[] = BASELINE,
): FirewallPolicyRule[] {
  return table.map((b) => ({
    priority: basePriority + b.offset,
    ruleName: b.ruleName,
    description: `infrastream-egress baseline (terraform): ${b.note}`,
    direction: 'EGRESS',
    action: b.action,
    enableLogging: b.logging,
    match: {
      destIpRanges: [...b.ranges],
      layer4Configs: [{ ipProtocol: b.protocol, ...(b.ports.length ? { ports: [...b.ports] } : {}) }],
    },
  }));
}
