/**
 * The one count of rule attributes (Google's `ruleTupleCount`) and FQDNs: used by the applier's headroom check, by
 * `egress capacity`, by drift and by the fake Compute (which reports it as `ruleTupleCount`). Pure.
 *
 * Counted as Google documents (docs/capacity.md): each IP range (source or destination) 1, each protocol
 * (`layer4Configs` entry) 1, each port range 1 — so each of the four default rules of a new policy costs 2 and a new
 * policy starts at 8. A rule's target service accounts cost `serviceAccountAttributes` together (a real API recording:
 * two accounts cost what one does). ASSUMED, each a setting: an FQDN costs `fqdnAttributes`, a secure tag
 * `secureTagAttributes`; other match lists (region codes, threat lists, address groups, networks) 1 per entry.
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
    layer4Configs?: readonly { ipProtocol?: string | null; ports?: List }[] | null;
  } | null;
  targetServiceAccounts?: List;
  targetSecureTags?: List;
}

/** The weights of the count (the `capacity` policy section has them all). */
export type Counting = Pick<CapacitySettings, 'fqdnAttributes' | 'secureTagAttributes' | 'serviceAccountAttributes'>;

const len = (a: List): number => a?.length ?? 0;

/** The rule's attributes, as `ruleTupleCount` counts them. */
export function ruleAttributes(rule: CountableRule, counting: Counting): number {
  const m = rule.match ?? {};
  let n =
    len(m.destIpRanges) +
    len(m.srcIpRanges) +
    (len(m.destFqdns) + len(m.srcFqdns)) * counting.fqdnAttributes +
    (len(m.srcSecureTags) + len(rule.targetSecureTags)) * counting.secureTagAttributes +
    (len(rule.targetServiceAccounts) > 0 ? counting.serviceAccountAttributes : 0) +
    len(m.destRegionCodes) +
    len(m.srcRegionCodes) +
    len(m.destThreatIntelligences) +
    len(m.srcThreatIntelligences) +
    len(m.destAddressGroups) +
    len(m.srcAddressGroups) +
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
