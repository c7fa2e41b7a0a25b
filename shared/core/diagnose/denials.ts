/**
 * Denied connections in the application team's terms: group the firewall's DENIED records by destination address and
 * port, name the hostname the workloads resolved to that address (from the DNS query logs), and classify each group:
 *   INTERNAL              the destination is an internal address: not an egress-allow-list question;
 *   SOURCE_NOT_COVERED    the connection left from an address outside the project's sources: name its subnet;
 *   DENIED_BEFORE_POLICY  a hierarchical rule or a VPC firewall rule evaluated before the policy denied it: name it;
 *   ALLOWED_BEFORE_POLICY the network model now allows it by such a rule (the denial predates it): name it;
 *   ALLOWED_NOW           the network model now allows it by a rule of the policies (the denial predates it);
 *   DENIED_ELSEWHERE      another rule this product does not own decided: name it;
 *   LISTED_DNS_MISMATCH   the manifest lists the hostname, but the firewall had not programmed this address: say why;
 *   LISTED_NOT_APPLIED    the manifest allows the address (a listed range or address), the rules do not (yet);
 *   NOT_LISTED            the baseline denied a destination the manifest does not allow: the exact line to add.
 * "Listed" is explain's manifest matching (one rule); the firewall's side is the one evaluator over the network model.
 */
import { parseDestination } from '../explain/destination';
import { matchEntries } from '../explain/matching';
import { rangeCovers } from '../firewall/ranges';
import { normalizeEgressValue } from '../manifest/egress';
import type { EgressEntry, EgressLayout } from '../manifest/types';
import { decidedBeforePolicy, describeDecision, evaluate } from '../network/evaluate';
import type { NetRule, NetworkModel } from '../network/model';
import { placeOf, projectRanges } from '../network/source';
import type { PlatformPolicy } from '../policy/types';
import { type DnsTable, FQDN_MAX_IPV4, FQDN_MAX_IPV6, lookup, programFqdn } from './dns';
import type { DnsRecordSeen, FirewallRecord } from './logEntries';

/** The classes, in the order they are decided. */
export type DenialClass =
  | 'INTERNAL'
  | 'SOURCE_NOT_COVERED'
  | 'DENIED_BEFORE_POLICY'
  | 'ALLOWED_BEFORE_POLICY'
  | 'ALLOWED_NOW'
  | 'DENIED_ELSEWHERE'
  | 'LISTED_DNS_MISMATCH'
  | 'LISTED_NOT_APPLIED'
  | 'NOT_LISTED';

/** Why a listed hostname was still denied. */
export type MismatchReason = 'NOT_APPLIED' | 'MORE_THAN_32' | 'NXDOMAIN_AT_FIREWALL' | 'ROTATION' | 'WILDCARD_RANGES';

/** One group of denials. */
export interface DenialGroup {
  destination: { ip: string; port: number; protocol: number };
  count: number;
  firstSeen: string;
  lastSeen: string;
  sources: string[];
  /** The hostname a workload resolved to this address just before, or null when no DNS query log names it. */
  hostname: string | null;
  rule: { reference: string; priority: number; ruleName: string };
  class: DenialClass;
  /** One sentence: what happened and what to do. */
  detail: string;
  /** `valid: false` with `problem` when the validator would refuse the line (e.g. a special-use domain). */
  fix?: { file: string; line: string; entry: string; valid: boolean; problem?: string };
  mismatch?: { reason: MismatchReason; programmed?: string[] };
}

/** Everything the classifier needs besides the logs. */
export interface DenialContext {
  /** The product's policy (as firewall logs reference it) and its rules when known; the baseline sits below the band. */
  product: { reference: string; priorityMax: number; rules?: NetRule[] };
  /** The project's manifest (file as the user knows it), its normalized entries and their lines. */
  manifest: { file: string; entries: EgressEntry[]; layout?: EgressLayout } | null;
  /** The network model (state file or live): the project's sources and the evaluator's tiers. */
  model?: NetworkModel;
  /** Whether the target mode is `subnets` (the project's sources are its subnets). */
  subnetsMode?: boolean;
  /** The firewall resolver's view (local mode); absent live, where only the logs are known. */
  firewallDns?: DnsTable;
  /** Destinations that are not egress questions (RFC 1918 and friends by default). */
  internalRanges: readonly string[];
  /** The platform policy: a suggested line is checked with the manifest validator's own rule. */
  policy?: PlatformPolicy;
  /** Owned rules of the project, to tell "listed but not applied yet" (hostnames in their destFqdns). */
  appliedFqdns?: readonly string[];
}

/** Internal ranges by default: RFC 1918, shared address space, link-local, ULA. */
export const DEFAULT_INTERNAL_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7'];

function wildcardCovers(w: string, host: string): boolean {
  const suffix = w.replace(/^\*/, '');
  return host.endsWith(suffix) && host.length > suffix.length;
}

function ruleLabel(ctx: DenialContext, ref: string, priority: number): { ruleName: string; baseline: boolean } {
  if (ref !== ctx.product.reference) return { ruleName: '', baseline: false };
  const rule = ctx.product.rules?.find((r) => r.priority === priority);
  const ruleName = rule?.ruleName ?? '';
  if (priority <= ctx.product.priorityMax) return { ruleName, baseline: false };
  // Below the band: the baseline, unless the rules are known and this one is not a deny of everything.
  const all = rule?.match.destIpRanges?.some((r) => r === '0.0.0.0/0' || r === '::/0') ?? true;
  return { ruleName, baseline: !rule || (rule.action === 'deny' && all) };
}

function mismatchOf(
  host: string,
  ip: string,
  seen: DnsRecordSeen | undefined,
  ctx: DenialContext,
): { reason: MismatchReason; programmed?: string[]; why: string } {
  if (ctx.appliedFqdns && !ctx.appliedFqdns.includes(host))
    return { reason: 'NOT_APPLIED', why: 'the manifest lists it but no rule of the project carries it yet (see plan)' };
  if (ctx.firewallDns) {
    const p = programFqdn(ctx.firewallDns, host);
    if ([...p.v4, ...p.v6].includes(ip))
      return {
        reason: 'NOT_APPLIED',
        programmed: [...p.v4, ...p.v6],
        why: `the firewall programmed ${ip} for ${host}, yet no rule of the project allowed the connection: the rule does not cover this workload or was not applied (see egress explain)`,
      };
  }
  if (ctx.firewallDns) {
    const p = programFqdn(ctx.firewallDns, host);
    const programmed = [...p.v4, ...p.v6];
    if (p.ignored === 'NXDOMAIN')
      return {
        reason: 'NXDOMAIN_AT_FIREWALL',
        programmed,
        why: `the firewall's resolver gets NXDOMAIN for ${host}, so Cloud NGFW ignores the name`,
      };
    if (p.truncated.includes(ip))
      return {
        reason: 'MORE_THAN_32',
        programmed,
        why: `${host} has more than ${FQDN_MAX_IPV4} IPv4 / ${FQDN_MAX_IPV6} IPv6 addresses; Cloud NGFW programs only the first ones and ${ip} is not among them`,
      };
    const app = lookup(ctx.firewallDns, host);
    return {
      reason: 'ROTATION',
      programmed,
      why: `the application resolved ${host} to ${ip}, the firewall programmed ${programmed.join(', ') || 'nothing'}${app?.firewall ? ' (the answers rotate)' : ''}`,
    };
  }
  if (seen && seen.addresses.length > Math.min(FQDN_MAX_IPV4, FQDN_MAX_IPV6))
    return {
      reason: 'MORE_THAN_32',
      why: `${host} answered ${seen.addresses.length} addresses; at most 32 per family are programmed`,
    };
  return {
    reason: 'ROTATION',
    why: `the firewall had not programmed ${ip} for ${host}: its periodic resolution got other addresses (CDN rotation), or NXDOMAIN (the logs cannot tell which)`,
  };
}

/** The DNS answer naming `ip` that a source got last before `at` (or, failing that, any answer naming it). */
function nameFor(
  ip: string,
  sources: Set<string>,
  at: string,
  dns: readonly DnsRecordSeen[],
): DnsRecordSeen | undefined {
  const naming = dns.filter((d) => d.addresses.includes(ip)).sort((a, b) => b.timestamp.localeCompare(a.timestamp));
  return (
    naming.find((d) => sources.has(d.sourceIp) && d.timestamp <= at) ??
    naming.find((d) => sources.has(d.sourceIp)) ??
    naming[0]
  );
}

/** The manifest entry that allows the address (explain's matching: a listed range or address), in words. */
function listedAddress(ctx: DenialContext, ip: string): string | undefined {
  if (!ctx.manifest) return undefined;
  const wildcards = { wildcards: ctx.policy?.wildcards ?? {} } as Pick<PlatformPolicy, 'wildcards'>;
  const m = matchEntries(parseDestination(ip), ctx.manifest.entries, wildcards as PlatformPolicy, ctx.manifest.layout)
    .matches[0];
  return m ? `entry ${m.entry}${m.line ? ` on line ${m.line}` : ''}` : undefined;
}

/**
 * What the network model says of the group: a source outside the project's sources (subnets mode), or a decision
 * before the product's policies (a hierarchical or VPC rule). Undefined when the model is unknown or says neither.
 */
function firewallSide(
  ctx: DenialContext,
  sources: string[],
  r: FirewallRecord,
): Pick<DenialGroup, 'class' | 'detail'> | undefined {
  const m = ctx.model;
  const target = `${r.destIp}:${r.destPort}`;
  if (!m) {
    // Without the model, the log's reference still tells a VPC firewall rule (`network:N/firewall:R`) or a
    // hierarchical policy (`{tier}/firewallPolicy:{id}`) from the network's policies.
    const vpc = /^network:[^/]+\/firewall:(.+)$/.exec(r.reference);
    const hierarchical = !r.reference.startsWith('network:');
    if (!vpc && !hierarchical) return undefined;
    return {
      class: 'DENIED_BEFORE_POLICY',
      detail: `${target} was denied by ${vpc ? `VPC firewall rule ${vpc[1]}` : `hierarchical policy ${r.reference} (priority ${r.priority})`}, before this product's policy; a manifest line will not help: ask the network team`,
    };
  }
  if (ctx.subnetsMode && m.subnets.length) {
    const outside = sources.filter((ip) => placeOf(m, ip).subnet?.project !== r.project);
    if (outside.length === sources.length) {
      const where = outside.map((ip) => placeOf(m, ip).words).join('; ');
      const own = projectRanges(m, r.project);
      return {
        class: 'SOURCE_NOT_COVERED',
        detail: `${target} was denied for a connection from outside ${r.project}'s sources (${where}); the project's rules cover ${own.join(', ') || 'no subnet (none is assigned to it)'}: run the workload in the project's subnets, or ask the platform team to assign its subnet`,
      };
    }
  }
  const v = evaluate(
    m,
    { project: r.project, ip: sources[0] ?? r.srcIp },
    { kind: 'ip', value: r.destIp },
    { packet: { protocol: r.protocol === 17 ? 'udp' : 'tcp', port: r.destPort } },
  );
  if (!decidedBeforePolicy(v))
    return v.disposition === 'ALLOWED'
      ? {
          class: 'ALLOWED_NOW',
          detail: `${target} is allowed now by ${describeDecision(v.decidedBy)}: these denials predate the current rules (nothing to add)`,
        }
      : undefined;
  const place = describeDecision(v.decidedBy, true);
  return v.disposition === 'DENIED'
    ? {
        class: 'DENIED_BEFORE_POLICY',
        detail: `${target} is denied by ${place}; this product's policy is not reached, so a manifest line will not help: ask the network team`,
      }
    : {
        class: 'ALLOWED_BEFORE_POLICY',
        detail: `${target} is now allowed by ${place}, whatever the manifest says (the denial predates it); the perimeter is open there: ask the network team`,
      };
}

/** Groups and classifies DENIED firewall records. Groups come most frequent first, then by address. */
export function classifyDenials(
  records: readonly FirewallRecord[],
  dns: readonly DnsRecordSeen[],
  ctx: DenialContext,
): DenialGroup[] {
  const groups = new Map<string, FirewallRecord[]>();
  for (const r of records) {
    if (r.disposition !== 'DENIED') continue;
    const k = `${r.destIp}|${r.destPort}|${r.protocol}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out: DenialGroup[] = [];
  for (const rs of groups.values()) {
    const sorted = [...rs].sort((a, b) => a.timestamp.localeCompare(b.timestamp));
    const first = sorted[0]!;
    const last = sorted[sorted.length - 1]!;
    const sources = new Set(sorted.map((r) => r.srcIp));
    const seen = nameFor(first.destIp, sources, last.timestamp, dns);
    const hostname = seen?.name ?? null;
    const { ruleName, baseline } = ruleLabel(ctx, last.reference, last.priority);
    const rule = { reference: last.reference, priority: last.priority, ruleName };
    const base = {
      destination: { ip: first.destIp, port: first.destPort, protocol: first.protocol },
      count: sorted.length,
      firstSeen: first.timestamp,
      lastSeen: last.timestamp,
      sources: [...sources].sort(),
      hostname,
      rule,
    };
    const target = `${hostname ?? first.destIp}:${first.destPort}`;
    const ruleText = `rule ${ruleName || `priority ${rule.priority}`} of ${rule.reference}${ruleName ? ` (priority ${rule.priority})` : ''}`;
    if (ctx.internalRanges.some((r) => rangeCovers(r, first.destIp))) {
      out.push({
        ...base,
        class: 'INTERNAL',
        detail: `${target} is an internal address, denied by ${ruleText}: not an egress allow-list question (ask the network team)`,
      });
      continue;
    }
    const firewall = firewallSide(ctx, [...sources], first);
    if (firewall) {
      out.push({ ...base, ...firewall });
      continue;
    }
    if (!baseline) {
      out.push({
        ...base,
        class: 'DENIED_ELSEWHERE',
        detail: `${target} was denied by ${ruleText}, which this product does not own; adding it to the manifest will not help: ask the owner of that policy`,
      });
      continue;
    }
    const entries = ctx.manifest?.entries ?? [];
    const listedExact = hostname ? entries.some((e) => e.type === 'hostname' && e.value === hostname) : false;
    const listedWildcard = hostname
      ? entries.find((e) => e.type === 'wildcard' && wildcardCovers(e.value, hostname))
      : undefined;
    if (hostname && (listedExact || listedWildcard)) {
      const m =
        listedWildcard && !listedExact
          ? {
              reason: 'WILDCARD_RANGES' as const,
              why: `${listedWildcard.value} is enforced as address ranges and ${first.destIp} is outside them (is the host resolved through the platform's DNS zone?)`,
            }
          : mismatchOf(hostname, first.destIp, seen, ctx);
      out.push({
        ...base,
        class: 'LISTED_DNS_MISMATCH',
        detail: `${target} is listed, but the firewall denied ${first.destIp}: ${m.why}`,
        mismatch: { reason: m.reason, ...(m.programmed ? { programmed: m.programmed } : {}) },
      });
      continue;
    }
    const byAddress = listedAddress(ctx, first.destIp);
    if (byAddress) {
      out.push({
        ...base,
        class: 'LISTED_NOT_APPLIED',
        detail: `${target}: the manifest allows ${first.destIp} (${byAddress}), but the project's rules did not: the apply is pending or failed, or the rule does not cover this workload (see egress status and egress explain)`,
      });
      continue;
    }
    const entry = hostname ?? first.destIp;
    const file = ctx.manifest?.file ?? `manifests/<project>.yaml`;
    const line = `- "${entry}"`;
    const check = ctx.policy ? normalizeEgressValue(entry, ctx.policy) : undefined;
    const problem = check && !check.ok ? check.message : undefined;
    out.push({
      ...base,
      class: 'NOT_LISTED',
      detail: `${target} is not in the manifest; add ${line} to spec.allowedEgress in ${file}${hostname ? '' : ' (no DNS query log names this address; prefer the service hostname)'}${problem ? ` (but the validator would refuse it: ${problem})` : ''}`,
      fix: { file, line, entry, valid: !problem, ...(problem ? { problem } : {}) },
    });
  }
  return out.sort(
    (a, b) =>
      b.count - a.count || a.destination.ip.localeCompare(b.destination.ip) || a.destination.port - b.destination.port,
  );
}
