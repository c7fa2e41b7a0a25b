/**
 * The log entries Google writes for one connection, in the documented formats (docs/diagnose.md cites each field):
 * the Cloud NGFW firewall policy rule log (`compute.googleapis.com%2Ffirewall`, resource `gce_subnetwork`) and the
 * Cloud DNS query log (`dns.googleapis.com%2Fdns_queries`, resource `dns_query`); and their parsers, which read back
 * only the fields diagnosis needs and ignore the rest.
 */
import type { NetRule } from '../network/model';
import type { DnsAnswer } from './dns';

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

/** The rule that decided, as its log entry names it (`reference`: the policy, or `network:N/firewall:R`). */
export interface DecidingRule {
  reference: string;
  priority: number;
  action: string;
  rule: Pick<NetRule, 'match' | 'targetSecureTags'>;
}

/** A Cloud Logging LogEntry as the REST API spells it (the fields used here). */
export interface LogEntryJson {
  logName: string;
  resource: { type: string; labels: Record<string, string> };
  timestamp: string;
  severity?: string;
  insertId?: string;
  jsonPayload: Record<string, unknown>;
}

/** The firewall log name in a project. */
export const firewallLogName = (project: string) => `projects/${project}/logs/compute.googleapis.com%2Ffirewall`;
/** The DNS query log name in a project. */
export const dnsLogName = (project: string) => `projects/${project}/logs/dns.googleapis.com%2Fdns_queries`;

const IP_PROTOCOL: Record<Connection['protocol'], number> = { tcp: 6, udp: 17 };

/** Where the connection happened: the Shared VPC host project and network. */
export interface NetworkContext {
  hostProject: string;
  network: string;
}

/** The firewall policy rule log entry for a connection decided by a logging rule. */
export function firewallLogEntry(args: {
  net: NetworkContext;
  workload: Workload;
  connection: Connection;
  decided: DecidingRule;
  disposition: 'ALLOWED' | 'DENIED';
  timestamp: string;
}): LogEntryJson {
  const { net, workload: w, connection: c, decided: d } = args;
  const l4 = d.rule.match.layer4Configs ?? [];
  const region = w.region ?? w.zone?.replace(/-[a-z]$/, '') ?? '';
  return {
    logName: firewallLogName(net.hostProject),
    // Assumed: firewall logs are stored in the host project of a Shared VPC, with the subnetwork as the resource.
    resource: {
      type: 'gce_subnetwork',
      labels: {
        project_id: net.hostProject,
        subnetwork_name: w.subnetwork ?? '',
        location: region,
      },
    },
    timestamp: args.timestamp,
    jsonPayload: {
      connection: {
        src_ip: w.ip,
        src_port: c.srcPort ?? 40000,
        dest_ip: c.destIp,
        dest_port: c.destPort,
        protocol: IP_PROTOCOL[c.protocol],
      },
      disposition: args.disposition,
      rule_details: {
        reference: `${d.reference}`,
        priority: d.priority,
        // Documented values ALLOWED / DENIED; the casing of `direction` is assumed.
        action: d.action === 'allow' ? 'ALLOWED' : 'DENIED',
        direction: 'EGRESS',
        // Documented: for firewall policy rules ip_protocol is never ALL, so an `all` match lists nothing.
        ip_port_info: l4
          .filter((x) => x.ipProtocol.toLowerCase() !== 'all')
          .map((x) => ({
            ip_protocol: x.ipProtocol.toUpperCase(),
            ...(x.ports?.length ? { port_range: x.ports } : {}),
          })),
        ...(d.rule.match.destIpRanges?.length ? { destination_range: d.rule.match.destIpRanges } : {}),
        ...(d.rule.targetSecureTags?.length ? { target_secure_tag: d.rule.targetSecureTags.map((t) => t.name) } : {}),
      },
      instance: {
        project_id: w.project,
        vm_name: w.vmName ?? '',
        region,
        zone: w.zone ?? '',
      },
      vpc: { project_id: net.hostProject, vpc_name: net.network, subnetwork_name: w.subnetwork ?? '' },
    },
  };
}

/** `rdata` in presentation format, one record per line (RFC 1035 5.1), trimmed to 260 bytes as documented. */
function rdataOf(name: string, answer: DnsAnswer, type: 'A' | 'AAAA'): string {
  const addrs = (type === 'A' ? answer.a : answer.aaaa) ?? [];
  const text = addrs.map((a) => `${name}.\t300\tIN\t${type.toLowerCase()}\t${a}`).join('\n');
  const bytes = new TextEncoder().encode(text);
  return bytes.length <= 260 ? text : new TextDecoder().decode(bytes.subarray(0, 260));
}

/** The Cloud DNS query log entry for the query a workload made (source type `gce-vm`). */
export function dnsQueryLogEntry(args: {
  net: NetworkContext;
  workload: Workload;
  queryName: string;
  queryType: 'A' | 'AAAA';
  answer: DnsAnswer;
  timestamp: string;
}): LogEntryJson {
  const { net, workload: w } = args;
  const name = args.queryName.replace(/\.$/, '');
  const code = args.answer.nxdomain ? 'NXDOMAIN' : 'NOERROR';
  return {
    logName: dnsLogName(net.hostProject),
    resource: {
      type: 'dns_query',
      labels: {
        project_id: net.hostProject,
        location: w.region ?? 'global',
        source_type: 'gce-vm',
        target_type: 'external',
        target_name: '',
      },
    },
    timestamp: args.timestamp,
    severity: args.answer.nxdomain ? 'NOTICE' : 'INFO',
    jsonPayload: {
      queryName: `${name}.`,
      queryType: args.queryType,
      responseCode: code,
      rdata: args.answer.nxdomain ? '' : rdataOf(name, args.answer, args.queryType),
      authAnswer: false,
      protocol: 'UDP',
      sourceIP: w.ip,
      sourceNetwork: net.network,
      vmProjectId: w.project,
      vmInstanceName: w.vmName ?? '',
      vmZoneName: w.zone ?? '',
    },
  };
}

/** A denial read back from a firewall log entry. */
export interface FirewallRecord {
  timestamp: string;
  disposition: string;
  srcIp: string;
  destIp: string;
  destPort: number;
  protocol: number;
  reference: string;
  priority: number;
  project: string;
}

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** Parses a firewall log entry; null when it lacks the connection or the rule. */
export function parseFirewallEntry(e: LogEntryJson): FirewallRecord | null {
  const p = e.jsonPayload;
  const c = obj(p.connection);
  const r = obj(p.rule_details);
  if (typeof c.dest_ip !== 'string' || r.priority === undefined) return null;
  return {
    timestamp: e.timestamp,
    disposition: String(p.disposition ?? ''),
    srcIp: String(c.src_ip ?? ''),
    destIp: c.dest_ip,
    destPort: Number(c.dest_port ?? 0),
    protocol: Number(c.protocol ?? 0),
    reference: String(r.reference ?? ''),
    priority: Number(r.priority),
    project: String(obj(p.instance).project_id ?? ''),
  };
}

/** A DNS answer read back from a query log entry. */
export interface DnsRecordSeen {
  timestamp: string;
  name: string;
  responseCode: string;
  addresses: string[];
  sourceIp: string;
}

/** Parses a DNS query log entry: the addresses are the A/AAAA values of `rdata`. */
export function parseDnsEntry(e: LogEntryJson): DnsRecordSeen | null {
  const p = e.jsonPayload;
  if (typeof p.queryName !== 'string') return null;
  const addresses = String(p.rdata ?? '')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 5 && /^(a|aaaa)$/i.test(f[3] ?? ''))
    .map((f) => f[4]!);
  return {
    timestamp: e.timestamp,
    name: p.queryName.replace(/\.$/, '').toLowerCase(),
    responseCode: String(p.responseCode ?? ''),
    addresses,
    sourceIp: String(p.sourceIP ?? ''),
  };
}
