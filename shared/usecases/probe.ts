/**
 * `egress probe`: what Cloud NGFW would do with one new connection from a project's workload, and the log entries
 * Google would write for it (the DNS query, then the firewall log if the deciding rule logs), written to Logging.
 */
import { type DnsTable, resolveForApp } from '../core/diagnose/dns';
import { type Connection, type EvalPolicy, evaluate, type Verdict, type Workload } from '../core/diagnose/evaluate';
import {
  dnsQueryLogEntry,
  firewallLogEntry,
  type LogEntryJson,
  type NetworkContext,
} from '../core/diagnose/logEntries';
import type { Clock } from '../ports/clock';
import type { LogsPort } from '../ports/logs';

/** A probe destination that cannot be parsed (the CLI's usage error). */
export class ProbeDestinationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeDestinationError';
  }
}

/** `host`, `host:port`, `a.b.c.d[:port]`, `[v6]:port` or a bare IPv6 address; the port defaults to 443. */
export function parseProbeDestination(raw: string): { host?: string; ip?: string; port: number } {
  const v = raw.trim();
  let hostPart = v;
  let port = 443;
  const bracket = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(v);
  if (bracket) return { ip: bracket[1]!, port: bracket[2] ? Number(bracket[2]) : 443 };
  if (v.includes(':') && v.split(':').length > 2) return { ip: v, port };
  const m = /^(.+):(\d+)$/.exec(v);
  if (m) {
    hostPart = m[1]!;
    port = Number(m[2]);
  }
  if (!(port >= 1 && port <= 65535))
    throw new ProbeDestinationError(`${raw}: port must be 1-65535 (hint: api.example.com:443)`);
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(hostPart)) return { ip: hostPart, port };
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+\.?$/i.test(hostPart))
    throw new ProbeDestinationError(`${raw} is not a hostname, an address or host:port (hint: api.example.com:443)`);
  return { host: hostPart.toLowerCase().replace(/\.$/, ''), port };
}

/** What the probe found and wrote. */
export interface ProbeResult {
  schemaVersion: 1;
  project: string;
  destination: { host?: string; ip: string | null; port: number; protocol: 'tcp' };
  /** What the workload resolved (null for an address). */
  resolved: { a: string[]; aaaa: string[]; nxdomain: boolean } | null;
  /** UNRESOLVED: the name does not resolve for the workload, so no connection was attempted. */
  disposition: Verdict['disposition'] | 'UNRESOLVED';
  decidedBy: {
    policy: string;
    reference: string;
    priority: number;
    ruleName: string;
    action: string;
    how: string;
    matched?: string;
  } | null;
  passed: Verdict['passed'];
  /** The log names written to. */
  logged: { dns: boolean; firewall: boolean };
  summary: string;
}

/** Runs the probe and writes the entries Google would write. */
export async function probe(args: {
  project: string;
  destination: string;
  policies: EvalPolicy[];
  dns: DnsTable;
  workload: Workload;
  net: NetworkContext;
  logs: LogsPort;
  clock: Clock;
}): Promise<ProbeResult> {
  const d = parseProbeDestination(args.destination);
  const now = new Date(args.clock.now());
  const entries: LogEntryJson[] = [];
  let ip = d.ip ?? null;
  let resolved: ProbeResult['resolved'] = null;
  if (d.host) {
    const ans = resolveForApp(args.dns, d.host);
    resolved = { a: ans.a ?? [], aaaa: ans.aaaa ?? [], nxdomain: !!ans.nxdomain };
    const type = resolved.a.length || !resolved.aaaa.length ? 'A' : 'AAAA';
    ip = (type === 'A' ? resolved.a[0] : resolved.aaaa[0]) ?? null;
    // The query comes first: 50 ms before the connection.
    entries.push(
      dnsQueryLogEntry({
        net: args.net,
        workload: args.workload,
        queryName: d.host,
        queryType: type,
        answer: ans,
        timestamp: new Date(now.getTime() - 50).toISOString(),
      }),
    );
  }
  const destination = { ...(d.host ? { host: d.host } : {}), ip, port: d.port, protocol: 'tcp' as const };
  if (!ip) {
    await args.logs.write(entries);
    return {
      schemaVersion: 1,
      project: args.project,
      destination,
      resolved,
      disposition: 'UNRESOLVED',
      decidedBy: null,
      passed: [],
      logged: { dns: entries.length > 0, firewall: false },
      summary: `${d.host} does not resolve for ${args.project} (NXDOMAIN): no connection is made, so the firewall is not involved`,
    };
  }
  const conn: Connection = { destIp: ip, destPort: d.port, protocol: 'tcp' };
  const v = evaluate(args.policies, args.workload, conn, args.dns);
  const dec = v.decidedBy;
  if (dec?.enableLogging)
    entries.push(
      firewallLogEntry({
        net: args.net,
        workload: args.workload,
        connection: conn,
        decided: dec,
        disposition: v.disposition,
        timestamp: now.toISOString(),
      }),
    );
  if (entries.length) await args.logs.write(entries);
  const target = `${d.host ? `${d.host} (${ip})` : ip}:${d.port}`;
  const by = dec
    ? `rule ${dec.ruleName || '(unnamed)'} (priority ${dec.priority}, ${dec.action}${dec.matched ? ` ${dec.matched}` : ''}) of ${dec.policy}`
    : 'the implied egress rule (no rule matched)';
  return {
    schemaVersion: 1,
    project: args.project,
    destination,
    resolved,
    disposition: v.disposition,
    decidedBy: dec
      ? {
          policy: dec.policy,
          reference: dec.reference,
          priority: dec.priority,
          ruleName: dec.ruleName,
          action: dec.action,
          how: dec.how,
          ...(dec.matched ? { matched: dec.matched } : {}),
        }
      : null,
    passed: v.passed,
    logged: { dns: !!d.host, firewall: !!dec?.enableLogging },
    summary: `${v.disposition} ${args.project} → ${target} by ${by}${dec && !dec.enableLogging ? ' (the rule does not log: no firewall log entry)' : ''}`,
  };
}

/** The text form (same facts as the JSON). */
export function renderProbeText(r: ProbeResult): string {
  const lines = [r.summary];
  if (r.resolved && !r.resolved.nxdomain) lines.push(`  resolved: ${[...r.resolved.a, ...r.resolved.aaaa].join(', ')}`);
  for (const p of r.passed) lines.push(`  passed: goto_next ${p.ruleName || p.priority} of ${p.policy}`);
  lines.push(
    `  logged: ${[r.logged.dns ? 'DNS query' : '', r.logged.firewall ? 'firewall' : ''].filter(Boolean).join(', ') || 'nothing'}`,
  );
  return `${lines.join('\n')}\n`;
}
