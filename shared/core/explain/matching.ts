/**
 * Which manifest entries and which firewall rules match a destination. Hostnames are never resolved: a match that
 * depends on DNS (a range for a hostname, a hostname for an address) is reported as undetermined, never guessed.
 */
import { parseMarker } from '../firewall/marker';
import { rangeCovers } from '../firewall/ranges';
import type { ObservedRule, OwnershipMarker } from '../firewall/types';
import type { EgressEntry, EgressLayout } from '../manifest/types';
import {
  decidedBeforePolicy,
  describeDecision,
  evaluateTiers as evaluate,
  hitFields,
  type NetVerdict,
  type RuleHit,
} from '../network/evaluate';
import { IMPLIED_EGRESS, type NetRule, type Tier } from '../network/model';
import { fillTemplate } from '../policy/target';
import type { PlatformPolicy } from '../policy/types';
import type { EntryMatch, ExplainResult, ParsedDestination, RuleMatch } from './types';

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
export function ruleCoverage(rule: NetRule): string {
  const src = rule.match.srcIpRanges ?? [];
  if (src.length) return `workloads with source addresses in ${src.join(', ')}`;
  if (rule.targetServiceAccounts?.length) return `instances running as ${rule.targetServiceAccounts.join(', ')}`;
  if (rule.targetSecureTags?.length) return `instances tagged ${rule.targetSecureTags.map((t) => t.name).join(', ')}`;
  if (rule.targetTags?.length) return `instances with network tags ${rule.targetTags.join(', ')}`;
  return 'every workload of the network';
}

/** The firewall's evidence for the destination: matching rules in priority order and the first that decides. */
export interface FirewallEvidence {
  matches: RuleMatch[];
  undetermined: ExplainResult['firewall']['undetermined'];
  decidedBy: RuleMatch | null;
  /** The project's owned rules, tombstones included (for the agreement). */
  owned: { rule: ObservedRule; marker: OwnershipMarker }[];
  /** The DNS-dependent rules with their ranges (for a hostname: range rules), in evaluation order. */
  dnsRules: { priority: number; action: string; ranges: string[]; beforeDecision: boolean }[];
  /** Whether the project's own target could be filled (platform rules that target it are considered only then). */
  targetKnown: boolean;
  /** For a range: narrower ranges inside it that allow rules met before the decision open. */
  partial: { ruleName: string; priority: number; range: string }[];
}

/** The tiers of a plain rule list: one policy (sorted by priority), then the implied rules. */
export function singlePolicyTiers(rules: ObservedRule[], name = 'policy'): Tier[] {
  return [
    { kind: 'global', name, reference: name, rules },
    { kind: 'implied', name: 'implied', reference: 'implied', rules: [IMPLIED_EGRESS] },
  ];
}

/** Where the deciding rule lives, for rules outside the network's global policy (absent for it, as before tiers). */
function placeOf(h: RuleHit, v: NetVerdict): Pick<RuleMatch, 'tier' | 'place'> {
  if (h.tier.kind === 'global') return {};
  return {
    tier: { kind: h.tier.kind, name: h.tier.name, ...(h.tier.region ? { region: h.tier.region } : {}) },
    place: describeDecision(h, decidedBeforePolicy({ ...v, decidedBy: h })),
  };
}

/**
 * The firewall's evidence for the destination, from the one evaluator (core/network/evaluate.ts) over `tiers` (in
 * Google's order): matching rules, the first that decides, the DNS-dependent ones; decorated with this product's
 * ownership (marker) and coverage. `sourceIp`: the project's probing address when the network's subnets are known.
 */
export function evaluateFirewall(
  rules: ObservedRule[],
  tiers: Tier[],
  project: string,
  dest: ParsedDestination,
  policy: PlatformPolicy,
  hostProject?: string,
  sourceIp?: string,
): FirewallEvidence & { verdict: NetVerdict } {
  const own = projectTargets(project, policy, hostProject);
  const owned: FirewallEvidence['owned'] = [];
  for (const rule of [...rules].sort((a, b) => a.priority - b.priority)) {
    const marker = parseMarker(rule.description);
    if (marker?.project === project) owned.push({ rule, marker });
  }
  const mode = policy.firewall.target.mode;
  const v = evaluate(
    tiers,
    {
      project,
      ...(sourceIp ? { ip: sourceIp } : {}),
      ...(mode === 'serviceAccounts' && own ? { serviceAccounts: own } : {}),
      ownerOf: (r) => parseMarker(r.description)?.project,
    },
    dest,
    { wildcards: policy.wildcards },
  );
  const toMatch = (h: RuleHit): RuleMatch => {
    const marker = parseMarker(h.rule.description);
    const ours = marker?.project === project;
    return {
      ...hitFields(h),
      owned: ours,
      ...(ours && marker ? { generation: marker.generation, hash: marker.hash } : {}),
      covers: ruleCoverage(h.rule),
      ...placeOf(h, v),
    };
  };
  const matches = v.matches.filter((h) => h.tier.kind !== 'implied' || h === v.decidedBy).map(toMatch);
  const decidedBy =
    matches[v.matches.filter((h) => h.tier.kind !== 'implied' || h === v.decidedBy).indexOf(v.decidedBy)] ?? null;
  const undetermined = v.undetermined.map((u) => ({
    priority: u.rule.priority,
    ruleName: u.rule.ruleName ?? '',
    action: u.rule.action,
  }));
  return {
    verdict: v,
    matches,
    undetermined,
    decidedBy,
    owned,
    dnsRules: v.undetermined.map((u) => ({
      priority: u.rule.priority,
      action: u.rule.action,
      ranges: u.rule.match.destIpRanges ?? [],
      beforeDecision: u.beforeDecision,
    })),
    targetKnown: own !== undefined,
    partial: v.partial.map((p) => ({ ruleName: p.rule.ruleName ?? '', priority: p.rule.priority, range: p.range })),
  };
}
