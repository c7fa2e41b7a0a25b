/**
 * `egress denials`: read the project's DENIED firewall log entries and its workloads' DNS query logs from Cloud
 * Logging, and hand them to the pure classifier (core/diagnose/denials.ts).
 */

import { classifyDenials, type DenialContext, type DenialGroup } from '../core/diagnose/denials';
import { type EvidenceSummary, summarizeEvidence } from '../core/diagnose/evidence';
import {
  type DnsRecordSeen,
  dnsLogName,
  type FirewallRecord,
  firewallLogName,
  type LogEntryJson,
  parseDnsEntry,
  parseFirewallEntry,
} from '../core/diagnose/logEntries';
import { parseDestination } from '../core/explain/destination';
import { DestinationError } from '../core/explain/types';
import { type LogQuery, LogsApiError, type LogsPort } from '../ports/logs';

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
  /** What evidence was available (core/diagnose/evidence.ts): the logs read or refused, what cannot be logged. */
  available: EvidenceSummary;
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
    readRefusable(args.logs, { resourceNames: parents, filter: f.firewall, orderBy: 'timestamp desc' }),
    readRefusable(args.logs, { resourceNames: parents, filter: f.dns, orderBy: 'timestamp desc' }),
  ]);
  const records = (fw.entries ?? []).map(parseFirewallEntry).filter((r): r is FirewallRecord => r !== null);
  const answers = (dns.entries ?? []).map(parseDnsEntry).filter((r): r is DnsRecordSeen => r !== null);
  let groups = classifyDenials(records, answers, args.ctx);
  if (dest && !isIp) groups = groups.filter((g) => g.hostname === dest);
  const available = summarizeEvidence({
    project: args.project,
    hostProject: args.hostProject,
    network: args.ctx.model?.network ?? networkOfReference(args.ctx.product.reference),
    firewall: fw.entries ? { ok: true, entries: records.length } : { ok: false, message: fw.refused },
    dns: dns.entries ? { ok: true, entries: answers.length } : { ok: false, message: dns.refused },
    ...(args.ctx.model ? { model: args.ctx.model } : {}),
  });
  return {
    schemaVersion: 1,
    project: args.project,
    since: args.since.toISOString(),
    ...(args.destination ? { destination: args.destination } : {}),
    read: { firewall: records.length, dns: answers.length },
    groups,
    available,
  };
}

/** One read; a PERMISSION_DENIED is an answer (no evidence, said with the permission), any other failure throws. */
async function readRefusable(
  logs: LogsPort,
  q: LogQuery,
): Promise<{ entries: LogEntryJson[]; refused?: never } | { entries?: never; refused: string }> {
  try {
    return { entries: await logs.list(q) };
  } catch (e) {
    if (e instanceof LogsApiError && e.status === 'PERMISSION_DENIED') return { refused: e.message };
    throw e;
  }
}

/** The network a policy reference names (`network:NAME/firewallPolicy:P`), for the words of the evidence. */
const networkOfReference = (ref: string): string => /^network:([^/]+)\//.exec(ref)?.[1] ?? '(unknown network)';

/** The text form (same facts as the JSON): the groups, then the evidence notes. Never "nothing was denied". */
export function renderDenialsText(r: DenialsResult): string {
  const to = r.destination ? ` to ${r.destination}` : '';
  const evidence = ['evidence:', ...r.available.notes.map((n) => `  ${n}`)];
  if (!r.groups.length)
    return `${[
      r.available.firewallLogs.status === 'denied'
        ? `no evidence available for ${r.project}${to} since ${r.since}: the firewall logs could not be read`
        : `no denial logged for ${r.project}${to} since ${r.since} (${r.read.firewall} firewall log entries read)`,
      ...evidence,
    ].join('\n')}\n`;
  const lines = [`${r.groups.length} denied destination(s) of ${r.project} since ${r.since}:`];
  for (const g of r.groups) {
    const name = g.hostname ? `${g.hostname} (${g.destination.ip})` : g.destination.ip;
    lines.push(`  ${g.class}  ${name}:${g.destination.port}  ${g.count}× ${g.firstSeen} … ${g.lastSeen}`);
    lines.push(`    ${g.detail}`);
    if (g.fix) lines.push(`    add to ${g.fix.file}:  ${g.fix.line}`);
  }
  return `${[...lines, ...evidence].join('\n')}\n`;
}
