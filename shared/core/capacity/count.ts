/**
 * The one count of rule attributes (Google's `ruleTupleCount`) and FQDNs: used by the applier's headroom check, by
 * `egress capacity`, by drift and by the fake Compute (which reports it as `ruleTupleCount`). Pure.
 *
 * Counted as Google documents and as recorded real API traffic shows (docs/capacity.md cites each value): each IP
 * range (source or destination) 1, each protocol (`layer4Configs` entry) 1, each port range 1 — so each of the four
 * default rules of a new policy costs 2 and a new policy starts at 8; a network context (`destNetworkContext` /
 * `srcNetworkContext`) 1; each threat-intelligence list 1; target service accounts cost `serviceAccountAttributes`
 * together (recorded: 0); an address group costs its capacity (recorded: one reference cost ~100, not 1), from
 * `addressGroupCapacities` when the caller knows it, else ASSUMED `UNKNOWN_ADDRESS_GROUP_CAPACITY`. ASSUMED, each a
 * setting: an FQDN costs `fqdnAttributes`, a secure tag `secureTagAttributes`; region codes and networks 1 per entry.
 */
import type { CapacitySettings } from '../policy/capacity';

type List = readonly unknown[] | null | undefined;

/** Any rule shape: the core's rules and the Compute client's (fields may be null). */
export interface CountableRule {
  match?: {
    destIpRanges?: List;
    srcIpRanges?: List;
    destFqdns?: List;
    srcFqdns?: List;
    srcSecureTags?: List;
    destRegionCodes?: List;
    srcRegionCodes?: List;
    destThreatIntelligences?: List;
    srcThreatIntelligences?: List;
    destAddressGroups?: List;
    srcAddressGroups?: List;
    srcNetworks?: List;
    destNetworkContext?: string | null;
    srcNetworkContext?: string | null;
    layer4Configs?: readonly { ipProtocol?: string | null; ports?: List }[] | null;
  } | null;
  targetServiceAccounts?: List;
  targetSecureTags?: List;
}

/**
 * The weights of the count (the `capacity` policy section has them all), and the capacities of the address groups the
 * rules reference when the caller has read them (full resource name -> `capacity`).
 */
export type Counting = Pick<CapacitySettings, 'fqdnAttributes' | 'secureTagAttributes' | 'serviceAccountAttributes'> & {
  addressGroupCapacities?: Readonly<Record<string, number>>;
};

/**
 * What an address group whose capacity the caller did not read costs. ASSUMED: the capacity in Google's own example
 * (`gcloud network-security address-groups create … --capacity=100`); the recorded reference cost about that much.
 */
export const UNKNOWN_ADDRESS_GROUP_CAPACITY = 100;

const len = (a: List): number => a?.length ?? 0;

/** A network context is one attribute when set (`UNSPECIFIED` or empty is no context). */
const context = (c: string | null | undefined): number => (c && c !== 'UNSPECIFIED' ? 1 : 0);

function addressGroups(groups: List, counting: Counting): number {
  let n = 0;
  for (const g of groups ?? []) {
    n += (typeof g === 'string' ? counting.addressGroupCapacities?.[g] : undefined) ?? UNKNOWN_ADDRESS_GROUP_CAPACITY;
  }
  return n;
}

/** The rule's attributes, as `ruleTupleCount` counts them. */
export function ruleAttributes(rule: CountableRule, counting: Counting): number {
  const m = rule.match ?? {};
  let n =
    len(m.destIpRanges) +
    len(m.srcIpRanges) +
    (len(m.destFqdns) + len(m.srcFqdns)) * counting.fqdnAttributes +
    (len(m.srcSecureTags) + len(rule.targetSecureTags)) * counting.secureTagAttributes +
    (len(rule.targetServiceAccounts) > 0 ? counting.serviceAccountAttributes : 0) +
    context(m.destNetworkContext) +
    context(m.srcNetworkContext) +
    len(m.destRegionCodes) +
    len(m.srcRegionCodes) +
    len(m.destThreatIntelligences) +
    len(m.srcThreatIntelligences) +
    addressGroups(m.destAddressGroups, counting) +
    addressGroups(m.srcAddressGroups, counting) +
    len(m.srcNetworks);
  for (const c of m.layer4Configs ?? []) n += 1 + len(c.ports);
  return n;
}

/** The rule's FQDNs (towards `fqdnsPerPolicy`; each occurrence counts). */
export function ruleFqdns(rule: CountableRule): number {
  return len(rule.match?.destFqdns) + len(rule.match?.srcFqdns);
}

/** What a policy's rules use. */
export interface PolicyUsage {
  rules: number;
  attributes: number;
  fqdns: number;
}

/**
 * The usage of `rules`. `ruleTupleCount`, when the API reported it (`FirewallPolicy.ruleTupleCount`), is the
 * attribute figure: Google's own count beats ours.
 */
export function policyUsage(
  rules: readonly CountableRule[],
  counting: Counting,
  ruleTupleCount?: number | null,
): PolicyUsage {
  let attributes = 0;
  let fqdns = 0;
  for (const r of rules) {
    attributes += ruleAttributes(r, counting);
    fqdns += ruleFqdns(r);
  }
  return { rules: rules.length, attributes: typeof ruleTupleCount === 'number' ? ruleTupleCount : attributes, fqdns };
}
