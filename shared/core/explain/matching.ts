/**
 * Which manifest entries and which firewall rules match a destination. Hostnames are never resolved: a match that
 * depends on DNS (a range for a hostname, a hostname for an address) is reported as undetermined, never guessed.
 */
import { parseMarker } from '../firewall/marker';
import { parseRange, rangeCovers } from '../firewall/ranges';
import type { ObservedRule, OwnershipMarker } from '../firewall/types';
import type { EgressEntry, EgressLayout } from '../manifest/types';
import { fillTemplate } from '../policy/target';
import type { PlatformPolicy } from '../policy/types';
import type { EntryMatch, ExplainResult, ParsedDestination, RuleMatch, RuleMatchHow } from './types';

function isCatchAll(range: string): boolean {
  try {
    return parseRange(range).prefix === 0;
  } catch {
    return false;
  }
}

/** The policy wildcard that covers `host` (longest suffix first), if any. */
export function policyWildcardFor(host: string, policy: PlatformPolicy): string | undefined {
  return Object.keys(policy.wildcards)
    .filter((w) => w.startsWith('*.') && host.endsWith(w.slice(1)))
    .sort((a, b) => b.length - a.length)[0];
}

/** The policy wildcard whose expansion contains the address or range `value`, with that range (first by name). */
export function wildcardExpansionOf(
  value: string,
  policy: PlatformPolicy,
): { wildcard: string; range: string } | undefined {
  for (const w of Object.keys(policy.wildcards).sort()) {
    const range = policy.wildcards[w]!.ranges.find((x) => rangeCovers(x, value));
    if (range) return { wildcard: w, range };
  }
  return undefined;
}

/** The manifest's entries that allow the destination (with their lines), and those whose match depends on DNS. */
export function matchEntries(
  dest: ParsedDestination,
  entries: EgressEntry[],
  policy: PlatformPolicy,
  layout?: EgressLayout,
): { matches: EntryMatch[]; undetermined: string[] } {
  const matches: EntryMatch[] = [];
  const undetermined: string[] = [];
  entries.forEach((e, i) => {
    const line = layout?.entries[i]?.line;
    const base = { ...(e.description ? { description: e.description } : {}), ...(line ? { line } : {}) };
    if (e.type === 'hostname') {
      if (dest.kind === 'hostname' && dest.value === e.value)
        matches.push({ entry: e.value, type: e.type, how: 'exact-hostname', ...base });
      else if (dest.kind !== 'hostname') undetermined.push(e.value);
    } else if (e.type === 'wildcard') {
      const exp = policy.wildcards[e.value];
      const extra = exp ? { expandsTo: exp.ranges, ...(exp.note ? { note: exp.note } : {}) } : {};
      if (dest.kind === 'hostname') {
        if (dest.value.endsWith(e.value.slice(1)))
          matches.push({ entry: e.value, type: e.type, how: 'wildcard', ...extra, ...base });
      } else {
        const r = exp?.ranges.find((x) => rangeCovers(x, dest.value));
        if (r) matches.push({ entry: e.value, type: e.type, how: 'wildcard-expansion', range: r, ...extra, ...base });
      }
    } else if (dest.kind === 'hostname') {
      undetermined.push(e.value);
    } else if (rangeCovers(e.value, dest.value)) {
      matches.push({ entry: e.value, type: e.type, how: 'address-in-range', range: e.value, ...base });
    }
  });
  return { matches, undetermined };
}

function targetsOf(rule: ObservedRule): string[] {
  return [...(rule.targetServiceAccounts ?? []), ...(rule.targetSecureTags ?? []).map((t) => t.name)];
}

/**
 * The project's own targets under the policy's target mode, as rules name them: the service accounts (undefined when
 * `{hostProject}` is needed but unknown); none for `subnets` (its rules match sources) and `secureTags` (numeric tag
 * values are known only through Resource Manager).
 */
export function projectTargets(project: string, policy: PlatformPolicy, hostProject?: string): string[] | undefined {
  const t = policy.firewall.target;
  if (t.mode !== 'serviceAccounts') return [];
  const out: string[] = [];
  for (const tpl of t.templates) {
    const r = fillTemplate(tpl, { project, hostProject: hostProject ?? policy.firewall.hostProject });
    if ('missing' in r) return undefined;
    out.push(r.value);
  }
  return out;
}

/** Which workloads a rule covers, in words: its sources (subnets mode), its targets, or every workload. */
export function ruleCoverage(rule: ObservedRule): string {
  const src = rule.match.srcIpRanges ?? [];
  if (src.length) return `workloads with source addresses in ${src.join(', ')}`;
  if (rule.targetServiceAccounts?.length) return `instances running as ${rule.targetServiceAccounts.join(', ')}`;
  if (rule.targetSecureTags?.length) return `instances tagged ${rule.targetSecureTags.map((t) => t.name).join(', ')}`;
  return 'every workload of the network';
}

function matchRule(
  rule: ObservedRule,
  dest: ParsedDestination,
  policy: PlatformPolicy,
): { how: RuleMatchHow; matched?: string } | 'dns' | null {
  const fqdns = rule.match.destFqdns ?? [];
  const ranges = rule.match.destIpRanges ?? [];
  if (fqdns.length === 0 && ranges.length === 0) return { how: 'any-destination' };
  let dependsOnDns = false;
  if (dest.kind === 'hostname') {
    if (fqdns.includes(dest.value)) return { how: 'fqdn', matched: dest.value };
    const all = ranges.find(isCatchAll);
    if (all) return { how: 'any-destination', matched: all };
    const w = policyWildcardFor(dest.value, policy);
    const exp = w ? policy.wildcards[w] : undefined;
    if (exp) {
      // Under the platform's DNS zone the host resolves into the expansion: the rule matches if it covers it.
      const hit = ranges.find((r) => exp.ranges.some((x) => rangeCovers(r, x)));
      if (hit) return { how: 'wildcard-expansion', matched: hit };
    }
    if (ranges.length) dependsOnDns = true;
  } else {
    const hit = ranges.find((r) => rangeCovers(r, dest.value));
    if (hit) return { how: isCatchAll(hit) ? 'any-destination' : 'address-in-range', matched: hit };
    if (fqdns.length) dependsOnDns = true;
  }
  return dependsOnDns ? 'dns' : null;
}

/** The firewall's evidence for the destination: matching rules in priority order and the first that decides. */
export interface FirewallEvidence {
  matches: RuleMatch[];
  undetermined: ExplainResult['firewall']['undetermined'];
  decidedBy: RuleMatch | null;
  /** The project's owned rules, tombstones included (for the agreement). */
  owned: { rule: ObservedRule; marker: OwnershipMarker }[];
  /** The DNS-dependent rules with their ranges (for a hostname: range rules), in priority order. */
  dnsRules: { priority: number; action: string; ranges: string[] }[];
  /** Whether the project's own target could be filled (platform rules that target it are considered only then). */
  targetKnown: boolean;
  /** For a range: narrower ranges inside it that allow rules open (the range as a whole is not allowed). */
  partial: { ruleName: string; priority: number; range: string }[];
}

/** Evaluates the rules that apply to the project's workloads in priority order; the first match decides. */
export function evaluateFirewall(
  rules: ObservedRule[],
  project: string,
  dest: ParsedDestination,
  policy: PlatformPolicy,
  hostProject?: string,
  /** `rules` are in evaluation order already (ExplainFirewall.ordered): keep it. */
  ordered = false,
): FirewallEvidence {
  const ev: FirewallEvidence = {
    matches: [],
    undetermined: [],
    decidedBy: null,
    owned: [],
    dnsRules: [],
    targetKnown: true,
    partial: [],
  };
  const own = projectTargets(project, policy, hostProject);
  ev.targetKnown = own !== undefined;
  for (const rule of ordered ? rules : [...rules].sort((a, b) => a.priority - b.priority)) {
    const marker = parseMarker(rule.description);
    const ours = marker?.project === project;
    if (ours && marker) ev.owned.push({ rule, marker });
    if (rule.direction !== 'EGRESS' || rule.disabled) continue;
    const targets = targetsOf(rule);
    const applies = ours || (!marker && (targets.length === 0 || (own ?? []).some((t) => targets.includes(t))));
    if (!applies) continue;
    const hit = matchRule(rule, dest, policy);
    if (dest.kind === 'range' && rule.action === 'allow')
      for (const range of rule.match.destIpRanges ?? [])
        if (range !== dest.value && rangeCovers(dest.value, range))
          ev.partial.push({ ruleName: rule.ruleName ?? '', priority: rule.priority, range });
    if (hit === null) continue;
    if (hit === 'dns') {
      ev.undetermined.push({ priority: rule.priority, ruleName: rule.ruleName ?? '', action: rule.action });
      ev.dnsRules.push({ priority: rule.priority, action: rule.action, ranges: rule.match.destIpRanges ?? [] });
      continue;
    }
    const rm: RuleMatch = {
      priority: rule.priority,
      ruleName: rule.ruleName ?? '',
      action: rule.action,
      how: hit.how,
      ...(hit.matched ? { matched: hit.matched } : {}),
      owned: ours,
      ...(ours && marker ? { generation: marker.generation, hash: marker.hash } : {}),
      covers: ruleCoverage(rule),
    };
    ev.matches.push(rm);
    if (!ev.decidedBy && rm.action !== 'goto_next') ev.decidedBy = rm;
  }
  return ev;
}
