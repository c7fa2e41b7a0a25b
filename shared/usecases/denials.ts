/**
 * `egress denials`: read the project's DENIED firewall log entries and its workloads' DNS query logs from Cloud
 * Logging, and hand them to the pure classifier (core/diagnose/denials.ts).
 */

import { classifyDenials, type DenialContext, type DenialGroup } from '../core/diagnose/denials';
import {
  type DnsRecordSeen,
  dnsLogName,
  type FirewallRecord,
  firewallLogName,
  parseDnsEntry,
  parseFirewallEntry,
} from '../core/diagnose/logEntries';
import { parseDestination } from '../core/explain/destination';
import { DestinationError } from '../core/explain/types';
import type { LogsPort } from '../ports/logs';

/** How far before `since` DNS answers are still looked up (a connection may reuse an answer; assumed, a setting). */
export const DNS_LOOKBACK_MS = 60 * 60 * 1000;

/** The result (JSON contract, docs/diagnose.md). */
export interface DenialsResult {
  schemaVersion: 1;
  project: string;
  since: string;
  destination?: string;
  read: { firewall: number; dns: number };
  groups: DenialGroup[];
}

const q = (s: string) => JSON.stringify(s);

/** The entries.list filters the command sends (exported for the docs and tests). */
export function denialFilters(project: string, hostProject: string, since: Date, destIp?: string) {
  const firewall = [
    `logName=${q(firewallLogName(hostProject))}`,
    `jsonPayload.disposition="DENIED"`,
    `jsonPayload.instance.project_id=${q(project)}`,
    `timestamp>=${q(since.toISOString())}`,
    ...(destIp ? [`jsonPayload.connection.dest_ip=${q(destIp)}`] : []),
  ].join(' AND ');
  const dns = [
    `logName=${q(dnsLogName(hostProject))}`,
    `jsonPayload.vmProjectId=${q(project)}`,
    `timestamp>=${q(new Date(since.getTime() - DNS_LOOKBACK_MS).toISOString())}`,
  ].join(' AND ');
  return { firewall, dns };
}

/** Reads, joins and classifies. `destination` (hostname or address) narrows the groups. */
export async function listDenials(args: {
  project: string;
  hostProject: string;
  since: Date;
  destination?: string;
  logs: LogsPort;
  ctx: DenialContext;
}): Promise<DenialsResult> {
  // One normaliser with explain and probe: a URL or host:port names its host (core/explain/destination.ts).
  const parsed = args.destination ? parseDestination(args.destination) : undefined;
  if (parsed?.kind === 'range')
    throw new DestinationError(`--destination ${parsed.value} is a range`, 'give one hostname or address');
  const dest = parsed?.value;
  const isIp = parsed?.kind === 'ip';
  const f = denialFilters(args.project, args.hostProject, args.since, isIp ? dest : undefined);
  const parents = [`projects/${args.hostProject}`];
  const [fw, dns] = await Promise.all([
    args.logs.list({ resourceNames: parents, filter: f.firewall, orderBy: 'timestamp desc' }),
    args.logs.list({ resourceNames: parents, filter: f.dns, orderBy: 'timestamp desc' }),
  ]);
  const records = fw.map(parseFirewallEntry).filter((r): r is FirewallRecord => r !== null);
  const answers = dns.map(parseDnsEntry).filter((r): r is DnsRecordSeen => r !== null);
  let groups = classifyDenials(records, answers, args.ctx);
  if (dest && !isIp) groups = groups.filter((g) => g.hostname === dest);
  return {
    schemaVersion: 1,
    project: args.project,
    since: args.since.toISOString(),
    ...(args.destination ? { destination: args.destination } : {}),
    read: { firewall: records.length, dns: answers.length },
    groups,
  };
}

/** The text form (same facts as the JSON). */
export function renderDenialsText(r: DenialsResult): string {
  if (!r.groups.length)
    return `no denied connections from ${r.project} since ${r.since}${r.destination ? ` to ${r.destination}` : ''} (${r.read.firewall} firewall log entries read)\n`;
  const lines = [`${r.groups.length} denied destination(s) of ${r.project} since ${r.since}:`];
  for (const g of r.groups) {
    const name = g.hostname ? `${g.hostname} (${g.destination.ip})` : g.destination.ip;
    lines.push(`  ${g.class}  ${name}:${g.destination.port}  ${g.count}× ${g.firstSeen} … ${g.lastSeen}`);
    lines.push(`    ${g.detail}`);
    if (g.fix) lines.push(`    add to ${g.fix.file}:  ${g.fix.line}`);
  }
  return `${lines.join('\n')}\n`;
}
