/**
 * Evaluates one new egress connection the way Cloud NGFW does (docs/diagnose.md, "Evaluation order"): policies in
 * enforcement order (hierarchical first, then the network's), within a policy the enabled EGRESS rules that apply to
 * the source by priority (lowest number first); the first matching rule decides, except `goto_next`, which ends that
 * policy and hands the connection to the next one. When nothing decides, the implied egress rule allows it.
 * FQDN destinations match the addresses the firewall programmed for the name (dns.ts), not what the source resolved.
 */
import { rangeCovers } from '../firewall/ranges';
import { type DnsTable, type ProgrammedFqdn, programFqdn } from './dns';

/** A rule as the evaluator needs it (Compute `FirewallPolicyRule` field names). */
export interface EvalRule {
  priority: number;
  ruleName?: string;
  description?: string;
  direction: string;
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
}

/** A firewall policy in enforcement order. `reference` is how firewall logs name it (`rule_details.reference`). */
export interface EvalPolicy {
  kind: 'hierarchical' | 'network' | 'vpc-rules';
  /** `network:{network}/firewallPolicy:{policy}` or `{folder tier index}/firewallPolicy:{id}`. */
  reference: string;
  /** Display name (the policy's name). */
  name: string;
  rules: EvalRule[];
}

/** The source of the connection: one workload of a project. */
export interface Workload {
  project: string;
  ip: string;
  serviceAccount?: string;
  secureTags?: string[];
  vmName?: string;
  zone?: string;
  region?: string;
  subnetwork?: string;
}

/** The destination: an address, a port, an IP protocol name. */
export interface Connection {
  destIp: string;
  destPort: number;
  protocol: 'tcp' | 'udp';
  srcPort?: number;
}

/** The rule that decided, and how it matched. */
export interface DecidingRule {
  policy: string;
  policyKind: EvalPolicy['kind'];
  reference: string;
  priority: number;
  ruleName: string;
  action: string;
  enableLogging: boolean;
  how: 'fqdn' | 'range' | 'any-destination';
  /** The FQDN or range that matched. */
  matched?: string;
  rule: EvalRule;
}

/** The verdict and everything needed to explain it. */
export interface Verdict {
  disposition: 'ALLOWED' | 'DENIED';
  /** null: no rule decided; the implied egress rule allowed the connection (it writes no log). */
  decidedBy: DecidingRule | null;
  /** goto_next rules passed on the way, in order. */
  passed: { policy: string; priority: number; ruleName: string }[];
  /** What each FQDN seen on the way was programmed as. */
  fqdns: ProgrammedFqdn[];
}

function portMatches(l4: EvalRule['match']['layer4Configs'], c: Connection): boolean {
  if (!l4 || l4.length === 0) return true;
  return l4.some((x) => {
    const p = x.ipProtocol.toLowerCase();
    if (p === 'all') return true;
    if (p !== c.protocol && !(p === '6' && c.protocol === 'tcp') && !(p === '17' && c.protocol === 'udp')) return false;
    if (!x.ports?.length) return true;
    return x.ports.some((r) => {
      const [lo, hi] = r.split('-').map(Number);
      return c.destPort >= (lo ?? 0) && c.destPort <= (hi ?? lo ?? 0);
    });
  });
}

function applies(rule: EvalRule, w: Workload): boolean {
  const sas = rule.targetServiceAccounts ?? [];
  const tags = rule.targetSecureTags ?? [];
  if (sas.length && !(w.serviceAccount && sas.includes(w.serviceAccount))) return false;
  if (tags.length && !tags.some((t) => w.secureTags?.includes(t.name))) return false;
  const src = rule.match.srcIpRanges ?? [];
  if (src.length && !src.some((r) => rangeCovers(r, w.ip))) return false;
  return true;
}

/** Whether `rule` matches the destination; FQDNs go through `program` (memoized by the caller). */
function destMatch(
  rule: EvalRule,
  c: Connection,
  program: (name: string) => ProgrammedFqdn,
): Pick<DecidingRule, 'how' | 'matched'> | null {
  const ranges = rule.match.destIpRanges ?? [];
  const fqdns = rule.match.destFqdns ?? [];
  if (!ranges.length && !fqdns.length) return { how: 'any-destination' };
  for (const r of ranges) if (rangeCovers(r, c.destIp)) return { how: 'range', matched: r };
  for (const f of fqdns) {
    const p = program(f);
    if ([...p.v4, ...p.v6].some((a) => rangeCovers(a, c.destIp))) return { how: 'fqdn', matched: f };
  }
  return null;
}

/** Evaluates the connection from `w` through `policies` (in enforcement order) with the firewall's DNS view `dns`. */
export function evaluate(policies: readonly EvalPolicy[], w: Workload, c: Connection, dns: DnsTable): Verdict {
  const programmed = new Map<string, ProgrammedFqdn>();
  const program = (name: string) => {
    let p = programmed.get(name);
    if (!p) {
      p = programFqdn(dns, name);
      programmed.set(name, p);
    }
    return p;
  };
  const passed: Verdict['passed'] = [];
  for (const policy of policies) {
    const rules = [...policy.rules].sort((a, b) => a.priority - b.priority);
    for (const rule of rules) {
      if (
        rule.direction !== 'EGRESS' ||
        rule.disabled ||
        !applies(rule, w) ||
        !portMatches(rule.match.layer4Configs, c)
      )
        continue;
      const hit = destMatch(rule, c, program);
      if (!hit) continue;
      const action = rule.action.toLowerCase();
      if (action === 'goto_next') {
        passed.push({ policy: policy.name, priority: rule.priority, ruleName: rule.ruleName ?? '' });
        break;
      }
      return {
        disposition: action === 'allow' ? 'ALLOWED' : 'DENIED',
        decidedBy: {
          policy: policy.name,
          policyKind: policy.kind,
          reference: policy.reference,
          priority: rule.priority,
          ruleName: rule.ruleName ?? '',
          action,
          enableLogging: !!rule.enableLogging,
          ...hit,
          rule,
        },
        passed,
        fqdns: [...programmed.values()],
      };
    }
  }
  return { disposition: 'ALLOWED', decidedBy: null, passed, fqdns: [...programmed.values()] };
}
