/**
 * One picture of the Shared VPC network as Cloud NGFW sees an egress packet (docs/diagnose.md, "The network model"):
 * the subnets and the project each belongs to under the policy's target mode, every firewall tier that can decide a
 * packet, in Google's order for the network's `networkFirewallPolicyEnforcementOrder`, and the DNS the firewall
 * resolves FQDN objects through. Built once per command from the NetworkReader port; pure.
 *
 * Google's order (https://cloud.google.com/firewall/docs/firewall-policies-rule-eval-order):
 *   AFTER_CLASSIC_FIREWALL (default): hierarchical policies, VPC firewall rules, the global network firewall policy,
 *     the regional network firewall policies (of the packet's region), implied rules;
 *   BEFORE_CLASSIC_FIREWALL: hierarchical policies, the global policy, the regional policies, VPC rules, implied rules.
 */
import ipaddr from 'ipaddr.js';
import type { DnsTable } from '../diagnose/dns';
import { parseRange, rangeCovers } from '../firewall/ranges';
import type { SubnetRanges } from '../firewall/workloads';
import { assignedSubnets } from '../firewall/workloads';
import type { TargetMapping } from '../policy/types';

/** `networks.networkFirewallPolicyEnforcementOrder`; Google's default is AFTER_CLASSIC_FIREWALL. */
export type EnforcementOrder = 'AFTER_CLASSIC_FIREWALL' | 'BEFORE_CLASSIC_FIREWALL';
export const DEFAULT_ENFORCEMENT_ORDER: EnforcementOrder = 'AFTER_CLASSIC_FIREWALL';

/** A rule of any tier, in the Compute `FirewallPolicyRule` field names (VPC firewall rules are converted: vpcRules.ts). */
export interface NetRule {
  priority: number;
  ruleName?: string;
  description?: string;
  direction: string;
  /** `allow`, `deny` or `goto_next` (VPC rules: allow or deny). */
  action: string;
  disabled?: boolean;
  enableLogging?: boolean;
  match: {
    destIpRanges?: string[];
    destFqdns?: string[];
    srcIpRanges?: string[];
    layer4Configs?: { ipProtocol: string; ports?: string[] }[];
  };
  targetServiceAccounts?: string[];
  targetSecureTags?: { name: string }[];
  /** VPC firewall rules only: network tags of the instances the rule applies to. */
  targetTags?: string[];
}

/**
 * The network's Cloud DNS query logging, from the DNS server policy bound to it (Cloud DNS `Policy`: `enableLogging`,
 * default off, and `alternativeNameServerConfig`; https://cloud.google.com/dns/docs/reference/v1/policies). Query logs
 * exist only when such a policy with logging is bound to the network (https://cloud.google.com/dns/docs/monitoring);
 * a policy with alternative name servers disables Cloud NGFW FQDN objects
 * (https://cloud.google.com/firewall/docs/fqdn-objects-overview). `policyName` is null when no policy is bound.
 * `'unknown'` when the reader could not tell (never read as "off").
 */
export type DnsLogging = { enabled: boolean; alternativeNameServers: boolean; policyName: string | null } | 'unknown';

/** A Cloud DNS server policy as the DNS API returns it (the fields the product reads). */
export interface DnsServerPolicyJson {
  name?: string;
  enableLogging?: boolean;
  networks?: { networkUrl?: string }[];
  alternativeNameServerConfig?: { targetNameServers?: { ipv4Address?: string; ipv6Address?: string }[] };
}

/**
 * The one rule for "which server policies are bound to the network": a `networkUrl` naming
 * `projects/HOST/global/networks/NETWORK` (full or partial URL), or, when it is not such a path, its last segment.
 */
export function policiesOnNetwork<P extends DnsServerPolicyJson>(
  policies: readonly P[],
  hostProject: string,
  network: string,
): P[] {
  return policies.filter((p) =>
    (p.networks ?? []).some((n) => {
      const url = (n.networkUrl ?? '').replace(/\/+$/, '');
      const m = /projects\/([^/]+)\/global\/networks\/([^/]+)$/.exec(url);
      return m ? m[1] === hostProject && m[2] === network : url.split('/').at(-1) === network;
    }),
  );
}

/** The alternative name servers a policy sends queries to (addresses). */
export const alternativeTargets = (p: DnsServerPolicyJson): string[] =>
  (p.alternativeNameServerConfig?.targetNameServers ?? []).map((t) => t.ipv4Address || t.ipv6Address || '?');

/** The DNS logging fact of `network` from the server policies read (a network is bound to at most one). */
export function dnsLoggingOf(
  policies: readonly DnsServerPolicyJson[],
  hostProject: string,
  network: string,
): DnsLogging {
  const bound = policiesOnNetwork(policies, hostProject, network)[0];
  if (!bound) return { enabled: false, alternativeNameServers: false, policyName: null };
  return {
    enabled: bound.enableLogging === true,
    alternativeNameServers: alternativeTargets(bound).length > 0,
    policyName: bound.name ?? '',
  };
}

/** What kind of tier a rule lives in. */
export type TierKind = 'hierarchical' | 'vpc-rules' | 'global' | 'regional' | 'implied';

/** One place rules are evaluated in: a policy, the network's VPC firewall rules, or the implied rules. */
export interface Tier {
  kind: TierKind;
  /** The policy's name (`vpc-firewall-rules` for the VPC rules, `implied` for the implied rules). */
  name: string;
  /** How firewall logs name it (`network:{network}/firewallPolicy:{name}`, `{tier index}/firewallPolicy:{id}`). */
  reference: string;
  /** Regional policies: the region whose resources they apply to. */
  region?: string;
  rules: NetRule[];
}

/** A subnet of the network and, under the target mode `subnets`, the project it is assigned to. */
export interface NetSubnet extends SubnetRanges {
  project?: string;
}

/** The picture of the network. */
export interface NetworkModel {
  hostProject: string;
  network: string;
  enforcementOrder: EnforcementOrder;
  subnets: NetSubnet[];
  /** Hierarchical policies, organization first, then folders from the top (as getEffectiveFirewalls lists them). */
  hierarchical: Tier[];
  /** The network's VPC firewall rules (one tier). */
  vpcRules: NetRule[];
  /** The global network firewall policy associated with the network (none: undefined). */
  global?: Tier;
  /** Regional network firewall policies, each with its region. */
  regional: Tier[];
  /** The global network firewall policies the network's effective firewalls list (undefined: not read). */
  associatedPolicies?: string[];
  /** The firewall's resolver (FQDN objects); absent live, where it is not known. */
  dns?: DnsTable;
  /** Cloud DNS query logging on the network; absent means 'unknown' (the reader did not read it). */
  dnsLogging?: DnsLogging;
  /** Where the picture came from, in words. */
  source: string;
}

/** Implied rules (VPC firewall rules overview): egress allowed to any destination, priority 65535. */
export const IMPLIED_EGRESS: NetRule = {
  priority: 65535,
  ruleName: 'implied-allow-egress',
  direction: 'EGRESS',
  action: 'allow',
  match: { destIpRanges: ['0.0.0.0/0', '::/0'], layer4Configs: [{ ipProtocol: 'all' }] },
};

/** The VPC rules as a tier. */
export function vpcTier(model: Pick<NetworkModel, 'network' | 'vpcRules'>): Tier {
  return {
    kind: 'vpc-rules',
    name: 'vpc-firewall-rules',
    reference: `network:${model.network}/firewall`,
    rules: model.vpcRules,
  };
}

const IMPLIED_TIER: Tier = { kind: 'implied', name: 'implied', reference: 'implied', rules: [IMPLIED_EGRESS] };

/**
 * The tiers a packet from `region` meets, in Google's order for the network's enforcement order. Regional policies of
 * other regions do not apply; with the region unknown, every regional policy is listed (explain says so).
 */
export function tiersInOrder(model: NetworkModel, region?: string): Tier[] {
  const regional = model.regional.filter((t) => region === undefined || t.region === region);
  const policies = [...(model.global ? [model.global] : []), ...regional];
  const vpc = vpcTier(model);
  const middle = model.enforcementOrder === 'BEFORE_CLASSIC_FIREWALL' ? [...policies, vpc] : [vpc, ...policies];
  return [...model.hierarchical, ...middle, IMPLIED_TIER];
}

/** Assigns each subnet its project under the target mode (`subnets` only; other modes assign none). */
export function assignProjects(
  target: TargetMapping,
  subnets: readonly SubnetRanges[],
  projects: readonly string[],
): NetSubnet[] {
  if (target.mode !== 'subnets') return subnets.map((s) => ({ ...s }));
  const owner = new Map<SubnetRanges, string>();
  for (const p of projects) for (const s of assignedSubnets(target, p, subnets)) if (!owner.has(s)) owner.set(s, p);
  return subnets.map((s) => ({ ...s, ...(owner.has(s) ? { project: owner.get(s)! } : {}) }));
}

/** Every range of a subnet: primary, secondary, IPv6. */
export function subnetRanges(s: SubnetRanges): string[] {
  return [...(s.primary ? [s.primary] : []), ...s.secondary.map((x) => x.range), ...s.ipv6];
}

/** The subnet that holds `ip`, if any. */
export function subnetOf(model: Pick<NetworkModel, 'subnets'>, ip: string): NetSubnet | undefined {
  return model.subnets.find((s) => subnetRanges(s).some((r) => rangeCovers(r, ip)));
}

/** The subnets of the project (under `subnets` mode: assigned ones; otherwise none are the project's own). */
export function projectSubnets(model: Pick<NetworkModel, 'subnets'>, project: string): NetSubnet[] {
  return model.subnets.filter((s) => s.project === project);
}

/**
 * The first address of a subnet range a workload can hold: network + 2 (Google reserves the network address and the
 * default gateway, the first two addresses of a primary range: https://cloud.google.com/vpc/docs/subnets#reserved_ip_addresses_in_every_subnet).
 */
export function firstUsable(range: string): string {
  const p = parseRange(range);
  const bytes = p.bytes.slice();
  let carry = p.prefix >= (p.family === 4 ? 31 : 127) ? 0 : 2;
  for (let i = bytes.length - 1; i >= 0 && carry; i--) {
    const v = bytes[i]! + carry;
    bytes[i] = v & 0xff;
    carry = v >> 8;
  }
  const a = ipaddr.fromByteArray(bytes);
  return p.family === 4 ? a.toString() : (a as ipaddr.IPv6).toRFC5952String();
}
