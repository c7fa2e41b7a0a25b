/**
 * `egress probe`: what Cloud NGFW would do with one new connection from a project's workload, evaluated by the one
 * evaluator over the network model (core/network: hierarchical, VPC, global, regional and implied tiers in Google's
 * order), and the log entries Google would write for it (the DNS query, then the firewall log if the deciding rule
 * logs), written to Logging. The source is an address of the project (core/network/source.ts).
 */
import { resolveForApp } from '../core/diagnose/dns';
import {
  type Connection,
  dnsQueryLogEntry,
  firewallLogEntry,
  type LogEntryJson,
  type Workload,
} from '../core/diagnose/logEntries';
import { parseDestination } from '../core/explain/destination';
import { DestinationError } from '../core/explain/types';
import { parseMarker } from '../core/firewall/marker';
import {
  decidedBeforePolicy,
  describeDecision,
  evaluate,
  hitFields,
  type MatchHow,
  type NetVerdict,
  type RuleHit,
} from '../core/network/evaluate';
import { type NetworkModel, projectSubnets, type TierKind } from '../core/network/model';
import { placeOf, sourceIpFor } from '../core/network/source';
import type { Clock } from '../ports/clock';
import type { LogsPort } from '../ports/logs';

/** A probe destination that cannot be used (the CLI's usage error). */
export class ProbeDestinationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeDestinationError';
  }
}

/** The source address when the network's subnets are unknown (the old default; assumed, documented). */
export const FALLBACK_SOURCE_IP = '10.128.0.2';

/**
 * The destination as explain reads it (one normaliser: URL, `host:port`, `[v6]:port`, user@host…), plus the port the
 * input named (default 443). A range is refused: a connection goes to one address.
 */
export function parseProbeDestination(raw: string): { host?: string; ip?: string; port: number } {
  let d: ReturnType<typeof parseDestination>;
  try {
    d = parseDestination(raw);
  } catch (e) {
    if (e instanceof DestinationError) throw new ProbeDestinationError(`${e.message} (hint: ${e.hint})`);
    throw e;
  }
  const given = d.stripped.map((x) => /^port (\d+)$/.exec(x)?.[1]).find(Boolean);
  const port = given ? Number(given) : 443;
  if (!(port >= 1 && port <= 65535))
    throw new ProbeDestinationError(`${raw}: port must be 1-65535 (hint: api.example.com:443)`);
  if (d.kind === 'range')
    throw new ProbeDestinationError(
      `${raw} is a range; a connection goes to one address (hint: probe one address of it)`,
    );
  return d.kind === 'hostname' ? { host: d.value, port } : { ip: d.value, port };
}

/** The deciding rule as probe reports it. */
export interface ProbeDecision {
  /** The policy (or `vpc-firewall-rules`, `implied`) the rule lives in. */
  policy: string;
  tier: TierKind;
  region?: string;
  reference: string;
  priority: number;
  ruleName: string;
  action: string;
  how: MatchHow;
  matched?: string;
  /** A hierarchical or VPC rule decided before the product's policies. */
  beforePolicy: boolean;
  /** Where the rule lives, in words. */
  place: string;
}

/** What the probe found and wrote. */
export interface ProbeResult {
  schemaVersion: 1;
  project: string;
  /** The probing address, its subnet and region, and where it is in words. */
  source: { ip: string; subnet?: string; region?: string; where: string };
  enforcementOrder: NetworkModel['enforcementOrder'];
  destination: { host?: string; ip: string | null; port: number; protocol: 'tcp' };
  /** What the workload resolved (null for an address). */
  resolved: { a: string[]; aaaa: string[]; nxdomain: boolean } | null;
  /** UNRESOLVED: the name does not resolve for the workload, so no connection was attempted. */
  disposition: NetVerdict['disposition'] | 'UNRESOLVED';
  decidedBy: ProbeDecision | null;
  passed: { policy: string; priority: number; ruleName: string }[];
  /** The log names written to. */
  logged: { dns: boolean; firewall: boolean };
  summary: string;
}

/** How firewall logs reference the rule: its policy, or the VPC firewall rule by name. */
function referenceOf(h: RuleHit, network: string): string {
  return h.tier.kind === 'vpc-rules' ? `network:${network}/firewall:${h.rule.ruleName ?? ''}` : h.tier.reference;
}

function decisionOf(v: NetVerdict, network: string): ProbeDecision {
  const h = v.decidedBy;
  const before = decidedBeforePolicy(v);
  return {
    policy: h.tier.name,
    tier: h.tier.kind,
    ...(h.tier.region ? { region: h.tier.region } : {}),
    reference: referenceOf(h, network),
    ...hitFields(h),
    beforePolicy: before,
    place: describeDecision(h, before),
  };
}

/** What `probe` takes. */
export interface ProbeArgs {
  project: string;
  destination: string;
  model: NetworkModel;
  /** Whether the target mode is `subnets` (then `sourceIp` must be the project's). */
  subnetsMode: boolean;
  sourceIp?: string;
  /** The workload's identity under the target mode (service account, tag), without its address. */
  identity: Omit<Workload, 'ip'>;
  logs: LogsPort;
  clock: Clock;
}

/**
 * Runs the probe and writes the entries Google would write. The recipe: resolve the destination (the name first,
 * whatever the source: the answer decides the address family) → the project's source address of that family → the
 * DNS query's log entry → no address: UNRESOLVED; else the one evaluator decides, and the firewall entry is logged when
 * the deciding rule logs.
 */
export async function probe(args: ProbeArgs): Promise<ProbeResult> {
  const target = resolveTarget(args);
  const from = probeSource(args, target.ip);
  const now = new Date(args.clock.now());
  const entries = dnsEntries(args, target, from.workload, now);
  const base = {
    schemaVersion: 1 as const,
    project: args.project,
    source: from.source,
    enforcementOrder: args.model.enforcementOrder,
    destination: {
      ...(target.d.host ? { host: target.d.host } : {}),
      ip: target.ip,
      port: target.d.port,
      protocol: 'tcp' as const,
    },
    resolved: target.ans
      ? { a: target.ans.a ?? [], aaaa: target.ans.aaaa ?? [], nxdomain: !!target.ans.nxdomain }
      : null,
  };
  if (!target.ip) {
    await args.logs.write(entries);
    return {
      ...base,
      disposition: 'UNRESOLVED',
      decidedBy: null,
      passed: [],
      logged: { dns: entries.length > 0, firewall: false },
      summary: `${target.d.host} does not resolve for ${args.project} (NXDOMAIN): no connection is made, so the firewall is not involved`,
    };
  }
  return { ...base, ...(await connect(args, { ...target, ip: target.ip }, from, entries, now)) };
}

/** The destination as the workload's resolver answers it, and the address connected to (null: NXDOMAIN). */
function resolveTarget(args: ProbeArgs) {
  const d = parseProbeDestination(args.destination);
  const m = args.model;
  const ans = d.host ? resolveForApp(m.dns ?? {}, d.host) : undefined;
  // The default source is an address of the project of the answer's family (an IPv6 destination leaves from its
  // IPv6 range): a dual-stack answer is taken as IPv4 when the project has IPv4 sources.
  const hasV6 = projectSubnets(m, args.project).some((s) => s.ipv6.length > 0);
  const hasV4 = projectSubnets(m, args.project).some((s) => !!s.primary);
  const type: 'A' | 'AAAA' =
    ans?.a?.length && (hasV4 || !hasV6 || !ans.aaaa?.length) ? 'A' : ans?.aaaa?.length ? 'AAAA' : 'A';
  const ip = d.ip ?? (ans ? ((type === 'A' ? ans.a?.[0] : ans.aaaa?.[0]) ?? null) : null);
  return { d, ans, type, ip };
}

/** The project's source address (of the destination's family), the workload the logs name, and its words. */
function probeSource(args: ProbeArgs, ip: string | null) {
  const m = args.model;
  const family = ip ? (ip.includes(':') ? 6 : 4) : undefined;
  const src = sourceIpFor(m, args.project, args.subnetsMode, args.sourceIp, FALLBACK_SOURCE_IP, family);
  const workload: Workload = {
    ...args.identity,
    ip: src.ip,
    ...(src.subnet ? { subnetwork: src.subnet.name, region: src.subnet.region, zone: `${src.subnet.region}-a` } : {}),
  };
  const source = {
    ip: src.ip,
    ...(src.subnet ? { subnet: src.subnet.name, region: src.subnet.region } : {}),
    where: placeOf(m, src.ip).words,
  };
  return { src, workload, source };
}

/** The DNS query's log entry (50 ms before the connection), when a name was resolved. */
function dnsEntries(
  args: ProbeArgs,
  t: ReturnType<typeof resolveTarget>,
  workload: Workload,
  now: Date,
): LogEntryJson[] {
  if (!t.d.host || !t.ans) return [];
  const net = { hostProject: args.model.hostProject, network: args.model.network };
  const timestamp = new Date(now.getTime() - 50).toISOString();
  return [dnsQueryLogEntry({ net, workload, queryName: t.d.host, queryType: t.type, answer: t.ans, timestamp })];
}

/** The connection: the one evaluator's verdict, the firewall entry when the deciding rule logs, and the words. */
async function connect(
  args: ProbeArgs,
  t: ReturnType<typeof resolveTarget> & { ip: string },
  from: ReturnType<typeof probeSource>,
  entries: LogEntryJson[],
  now: Date,
) {
  const m = args.model;
  const { d, ip } = t;
  const v = evaluate(
    m,
    {
      project: args.project,
      ip: from.src.ip,
      ...(args.identity.serviceAccount ? { serviceAccounts: [args.identity.serviceAccount] } : {}),
      ownerOf: (r) => parseMarker(r.description)?.project,
    },
    { kind: 'ip', value: ip },
    { packet: { protocol: 'tcp', port: d.port } },
  );
  const dec = decisionOf(v, m.network);
  const logs = v.decidedBy.tier.kind !== 'implied' && !!v.decidedBy.rule.enableLogging;
  if (logs) {
    const connection: Connection = { destIp: ip, destPort: d.port, protocol: 'tcp' };
    entries.push(
      firewallLogEntry({
        net: { hostProject: m.hostProject, network: m.network },
        workload: from.workload,
        connection,
        decided: { reference: dec.reference, priority: dec.priority, action: dec.action, rule: v.decidedBy.rule },
        disposition: v.disposition,
        timestamp: now.toISOString(),
      }),
    );
  }
  if (entries.length) await args.logs.write(entries);
  const target = `${d.host ? `${d.host} (${ip})` : ip}:${d.port}`;
  const notOwn =
    args.subnetsMode && !from.src.subnet?.project ? ` (${from.source.where}: not an address of ${args.project})` : '';
  return {
    disposition: v.disposition,
    decidedBy: dec,
    passed: v.passed.map((p) => ({ policy: p.tier.name, priority: p.rule.priority, ruleName: p.rule.ruleName ?? '' })),
    logged: { dns: !!d.host, firewall: logs },
    summary: `${v.disposition} ${args.project} (${from.src.ip}) → ${target} by ${dec.place}${dec.tier !== 'implied' && !logs ? ' (the rule does not log: no firewall log entry)' : ''}${notOwn}`,
  };
}

/** The text form (same facts as the JSON). */
export function renderProbeText(r: ProbeResult): string {
  const lines = [r.summary, `  source: ${r.source.where}`, `  enforcement order: ${r.enforcementOrder}`];
  if (r.resolved && !r.resolved.nxdomain) lines.push(`  resolved: ${[...r.resolved.a, ...r.resolved.aaaa].join(', ')}`);
  for (const p of r.passed) lines.push(`  passed: goto_next ${p.ruleName || p.priority} of ${p.policy}`);
  lines.push(
    `  logged: ${[r.logged.dns ? 'DNS query' : '', r.logged.firewall ? 'firewall' : ''].filter(Boolean).join(', ') || 'nothing'}`,
  );
  return `${lines.join('\n')}\n`;
}
