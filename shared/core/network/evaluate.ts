/**
 * The one evaluator of an egress connection over the network model (docs/diagnose.md, "The network model"): the tiers
 * in Google's order (model.ts `tiersInOrder`); within a tier the enabled EGRESS rules that apply to the source, lowest
 * priority number first (VPC firewall rules: a deny wins a tie with an allow); the first matching rule decides, except
 * `goto_next`, which ends its tier and hands the connection to the next one; the implied egress allow ends the list.
 *
 * The destination is an address, a range or a hostname. A hostname is never resolved here: a rule whose match depends
 * on what the name resolves to is reported as undetermined, never guessed. An address meets FQDN rules through what the
 * firewall programmed for the name (`dns`, when known). explain, probe, denials and the MCP tools all answer from here.
 */
import { type DnsTable, type ProgrammedFqdn, programFqdn } from '../diagnose/dns';
import { parseRange, rangeCovers } from '../firewall/ranges';
import { type NetRule, type NetworkModel, subnetOf, type Tier, tiersInOrder } from './model';

/** The workload the connection leaves from. Unknown parts are undefined (then `ownerOf` decides, see `applies`). */
export interface Source {
  project: string;
  ip?: string;
  serviceAccounts?: string[];
  /** Numeric `tagValues/N` of the workload. */
  secureTags?: string[];
  /** Network tags (VPC firewall rules' `targetTags`); none by default. */
  networkTags?: string[];
  /** The region of the workload (regional policies of other regions do not apply); default: its subnet's. */
  region?: string;
  /**
   * The project a rule is labelled for (this product's ownership marker), used only where the source's identity is
   * unknown: a rule labelled for this project applies, one labelled for another does not.
   */
  ownerOf?: (rule: NetRule) => string | undefined;
}

/** The destination as explain parses it (core/explain/destination.ts): a hostname, an address or a range. */
export interface NetDestination {
  kind: 'hostname' | 'ip' | 'range';
  value: string;
}

/** The layer-4 part of the connection; absent: any protocol and port (explain's question). */
export interface Packet {
  protocol: 'tcp' | 'udp';
  port: number;
}

/** How a rule matched the destination. */
export type MatchHow = 'fqdn' | 'address-in-range' | 'wildcard-expansion' | 'any-destination';

/** A rule met on the way, with the tier it lives in. */
export interface RuleHit {
  tier: Tier;
  rule: NetRule;
  how: MatchHow;
  /** The FQDN or range that matched. */
  matched?: string;
}

/** The verdict and everything needed to explain it. */
export interface NetVerdict {
  disposition: 'ALLOWED' | 'DENIED';
  /** The rule that decided (the implied egress allow when nothing else did). */
  decidedBy: RuleHit;
  /** goto_next rules passed on the way, in order. */
  passed: RuleHit[];
  /** Every matching rule met (the decider and those after it, for the record), tier by tier. */
  matches: RuleHit[];
  /** Rules whose match depends on DNS (range rules for a hostname, FQDN rules for an address without DNS). */
  undetermined: { tier: Tier; rule: NetRule; beforeDecision: boolean }[];
  /** For a range: narrower ranges inside it that allow rules met before the decision open. */
  partial: { tier: Tier; rule: NetRule; range: string }[];
  /** What each FQDN met was programmed as (with `dns`). */
  fqdns: ProgrammedFqdn[];
  /** The tiers evaluated, in order. */
  tiers: Tier[];
}

/** Options: the firewall's DNS view for FQDN rules (addresses), the policy wildcards' expansions (hostnames). */
export interface EvalOptions {
  dns?: DnsTable;
  wildcards?: Record<string, { ranges: string[] }>;
  packet?: Packet;
}

function isCatchAll(range: string): boolean {
  try {
    return parseRange(range).prefix === 0;
  } catch {
    return false;
  }
}

function portMatches(l4: NetRule['match']['layer4Configs'], p: Packet | undefined): boolean {
  if (!p || !l4 || l4.length === 0) return true;
  return l4.some((x) => {
    const proto = x.ipProtocol.toLowerCase();
    if (proto === 'all') return true;
    const same =
      proto === p.protocol || (proto === '6' && p.protocol === 'tcp') || (proto === '17' && p.protocol === 'udp');
    if (!same) return false;
    if (!x.ports?.length) return true;
    return x.ports.some((r) => {
      const [lo, hi] = r.split('-').map(Number);
      return p.port >= (lo ?? 0) && p.port <= (hi ?? lo ?? 0);
    });
  });
}

/** Whether the rule applies to the source: its targets and source ranges (unknown parts: by the rule's label). */
export function applies(rule: NetRule, src: Source): boolean {
  const owner = src.ownerOf?.(rule);
  const byLabel = owner === undefined ? undefined : owner === src.project;
  const sas = rule.targetServiceAccounts ?? [];
  if (sas.length) {
    if (src.serviceAccounts) {
      if (!sas.some((s) => src.serviceAccounts!.includes(s))) return false;
    } else if (!byLabel) return false;
  }
  const tags = rule.targetSecureTags ?? [];
  if (tags.length) {
    if (src.secureTags) {
      if (!tags.some((t) => src.secureTags!.includes(t.name))) return false;
    } else if (!byLabel) return false;
  }
  const netTags = rule.targetTags ?? [];
  if (netTags.length && !netTags.some((t) => (src.networkTags ?? []).includes(t))) return false;
  const ranges = rule.match.srcIpRanges ?? [];
  if (ranges.length) {
    if (src.ip) {
      if (!ranges.some((r) => rangeCovers(r, src.ip!))) return false;
    } else if (byLabel === false) return false;
  }
  return true;
}

type DestHit = { how: MatchHow; matched?: string } | 'dns' | null;

function destMatch(
  rule: NetRule,
  dest: NetDestination,
  opts: EvalOptions,
  program: (name: string) => ProgrammedFqdn,
): DestHit {
  const ranges = rule.match.destIpRanges ?? [];
  const fqdns = rule.match.destFqdns ?? [];
  if (!ranges.length && !fqdns.length) return { how: 'any-destination' };
  if (dest.kind === 'hostname') {
    if (fqdns.includes(dest.value)) return { how: 'fqdn', matched: dest.value };
    const all = ranges.find(isCatchAll);
    if (all) return { how: 'any-destination', matched: all };
    // Under the platform's DNS zone a wildcard's host resolves into its expansion: a rule covering it matches.
    const w = Object.keys(opts.wildcards ?? {})
      .filter((k) => k.startsWith('*.') && dest.value.endsWith(k.slice(1)))
      .sort((a, b) => b.length - a.length)[0];
    const exp = w ? opts.wildcards![w] : undefined;
    const hit = exp ? ranges.find((r) => exp.ranges.some((x) => rangeCovers(r, x))) : undefined;
    if (hit) return { how: 'wildcard-expansion', matched: hit };
    return ranges.length ? 'dns' : null;
  }
  const hit = ranges.find((r) => rangeCovers(r, dest.value));
  if (hit) return { how: isCatchAll(hit) ? 'any-destination' : 'address-in-range', matched: hit };
  if (!fqdns.length) return null;
  if (dest.kind === 'range' || !opts.dns) return 'dns';
  for (const f of fqdns) {
    const p = program(f);
    if ([...p.v4, ...p.v6].some((a) => rangeCovers(a, dest.value))) return { how: 'fqdn', matched: f };
  }
  return null;
}

/** The rules of a tier in evaluation order: priority, then (VPC rules) deny before allow at the same priority. */
export function tierOrder(tier: Tier): NetRule[] {
  const denyFirst = (r: NetRule) => (tier.kind === 'vpc-rules' && r.action.toLowerCase() === 'deny' ? 0 : 1);
  return [...tier.rules].sort((a, b) => a.priority - b.priority || denyFirst(a) - denyFirst(b));
}

/** Evaluates the connection from `src` to `dest` through `tiers` (in order; the last one should be the implied tier). */
export function evaluateTiers(tiers: Tier[], src: Source, dest: NetDestination, opts: EvalOptions = {}): NetVerdict {
  const programmed = new Map<string, ProgrammedFqdn>();
  const program = (name: string) => {
    let p = programmed.get(name);
    if (!p) {
      p = programFqdn(opts.dns ?? {}, name);
      programmed.set(name, p);
    }
    return p;
  };
  const out: Omit<NetVerdict, 'disposition' | 'decidedBy'> = {
    passed: [],
    matches: [],
    undetermined: [],
    partial: [],
    fqdns: [],
    tiers,
  };
  let decidedBy: RuleHit | undefined;
  for (const tier of tiers) {
    for (const rule of tierOrder(tier)) {
      if (rule.direction !== 'EGRESS' || rule.disabled || !applies(rule, src)) continue;
      if (!portMatches(rule.match.layer4Configs, opts.packet)) continue;
      const action = rule.action.toLowerCase();
      if (!decidedBy && dest.kind === 'range' && action === 'allow')
        for (const r of rule.match.destIpRanges ?? [])
          if (r !== dest.value && rangeCovers(dest.value, r)) out.partial.push({ tier, rule, range: r });
      const hit = destMatch(rule, dest, opts, program);
      if (hit === null) continue;
      if (hit === 'dns') {
        out.undetermined.push({ tier, rule, beforeDecision: !decidedBy });
        continue;
      }
      const h: RuleHit = { tier, rule, ...hit };
      out.matches.push(h);
      if (action === 'goto_next') {
        if (!decidedBy) out.passed.push(h);
        break;
      }
      if (!decidedBy) decidedBy = h;
    }
  }
  if (!decidedBy) throw new Error('no tier decided: the tier list must end with the implied rules');
  out.fqdns = [...programmed.values()];
  return { disposition: decidedBy.rule.action.toLowerCase() === 'deny' ? 'DENIED' : 'ALLOWED', decidedBy, ...out };
}

/** Evaluates over the model: the tiers for the source's region (its subnet's when not given), its DNS. */
export function evaluate(
  model: NetworkModel,
  src: Source,
  dest: NetDestination,
  opts: Omit<EvalOptions, 'dns'> = {},
): NetVerdict {
  const region = src.region ?? (src.ip ? subnetOf(model, src.ip)?.region : undefined);
  return evaluateTiers(tiersInOrder(model, region), src, dest, { ...opts, ...(model.dns ? { dns: model.dns } : {}) });
}

/** A met rule as reports name it: priority, name, action, how it matched. */
export function hitFields(h: RuleHit): {
  priority: number;
  ruleName: string;
  action: string;
  how: MatchHow;
  matched?: string;
} {
  return {
    priority: h.rule.priority,
    ruleName: h.rule.ruleName ?? '',
    action: h.rule.action,
    how: h.how,
    ...(h.matched ? { matched: h.matched } : {}),
  };
}

/**
 * Whether the decision fell before the product's policies: a hierarchical rule, or a VPC firewall rule evaluated
 * before the global and regional policies (AFTER_CLASSIC_FIREWALL).
 */
export function decidedBeforePolicy(v: NetVerdict): boolean {
  const kind = v.decidedBy.tier.kind;
  if (kind !== 'hierarchical' && kind !== 'vpc-rules') return false;
  const at = v.tiers.indexOf(v.decidedBy.tier);
  const policyAt = v.tiers.findIndex((t) => t.kind === 'global' || t.kind === 'regional');
  return policyAt < 0 || at < policyAt;
}

/** The deciding rule in words: `rule R (priority N, deny) of policy P (regional, us-central1)`, a VPC rule, implied. */
export function describeDecision(h: RuleHit, before = false): string {
  const r = h.rule;
  const what = `${r.action}${h.matched ? ` ${h.matched}` : ''}`;
  switch (h.tier.kind) {
    case 'implied':
      return 'the implied egress allow rule (priority 65535: no rule matched)';
    case 'vpc-rules':
      return `VPC firewall rule ${r.ruleName || r.priority} (priority ${r.priority}, ${what})${before ? ', evaluated before the policy' : ', evaluated after the policies'}`;
    case 'hierarchical':
      return `rule ${r.ruleName || r.priority} (priority ${r.priority}, ${what}) of hierarchical policy ${h.tier.name}, evaluated before the network's`;
    case 'regional':
      return `rule ${r.ruleName || '(unnamed)'} (priority ${r.priority}, ${what}) of regional policy ${h.tier.name} (${h.tier.region})`;
    default:
      return `rule ${r.ruleName || '(unnamed)'} (priority ${r.priority}, ${what}) of global policy ${h.tier.name}`;
  }
}
