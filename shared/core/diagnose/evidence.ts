/**
 * What evidence `egress denials` (and `explain --evidence`, MCP `list_denied_connections`) had: computed once from the
 * two log reads and the network model, rendered as the same notes in text and JSON (docs/diagnose.md, "What evidence
 * was available"). An empty answer is "nothing was logged", never "nothing was denied":
 *
 * - DNS query logs exist only when a Cloud DNS server policy with `enableLogging` is bound to the network
 *   (https://cloud.google.com/dns/docs/monitoring); without them a denied address cannot be named by its hostname. A
 *   policy with alternative name servers also disables Cloud NGFW FQDN objects
 *   (https://cloud.google.com/firewall/docs/fqdn-objects-overview).
 * - A rule logs only when its own logging is on
 *   (https://docs.cloud.google.com/firewall/docs/manage-firewall-policy-rules-logging): denials by a deny rule that
 *   does not log leave no entry. Implied rules cannot log (assumed); for egress the implied rule allows, so it hides
 *   no denial.
 * - Cloud Run with Direct VPC egress does not support VPC firewall rules logging
 *   (https://cloud.google.com/run/docs/configuring/vpc-direct-vpc, "Limitations"): whether a project runs such
 *   workloads is not read by the product, so it is said to be unknown, never absent.
 * - Reading log entries needs `logging.logEntries.list` on the host project (role `roles/logging.viewer`,
 *   https://cloud.google.com/iam/docs/roles-permissions/logging): a refused read is said with that permission.
 */
import { type DnsLogging, type NetworkModel, tiersInOrder } from '../network/model';

/** The permission and role a read of the logs needs. */
export const LOG_READ_PERMISSION = 'logging.logEntries.list';
export const LOG_READ_ROLE = 'roles/logging.viewer';

const DNS_DOCS = 'https://cloud.google.com/dns/docs/monitoring';
const DIRECT_VPC_DOCS = 'https://cloud.google.com/run/docs/configuring/vpc-direct-vpc';

/** One read of `entries.list`: how many entries, or that it was refused (PERMISSION_DENIED, the API's message). */
export type LogRead = { ok: true; entries: number } | { ok: false; message: string };

/** A rule that can deny egress and writes no log entry when it does. */
export interface UnloggedDenyRule {
  reference: string;
  ruleName: string;
  priority: number;
}

/** The evidence summary (the JSON field `available`; the text's `evidence:` lines are its `notes`). */
export interface EvidenceSummary {
  firewallLogs:
    | { status: 'read'; entries: number }
    | { status: 'denied'; message: string; permission: string; role: string };
  dnsLogs:
    | { status: 'read'; entries: number }
    | { status: 'not-enabled'; policyName: string | null }
    | { status: 'unknown'; entries: number }
    | { status: 'denied'; message: string; permission: string; role: string };
  /** Whether denied addresses can be named by hostname from the DNS query logs. */
  hostnames: 'can-be-named' | 'cannot-be-named' | 'unknown';
  /** The network's DNS server policy has alternative name servers (FQDN objects are then ignored). */
  alternativeNameServers: boolean | 'unknown';
  /** Deny rules that decide egress without logging; `unknown` without the network model. */
  unloggedDenyRules: UnloggedDenyRule[] | 'unknown';
  /** Cloud Run workloads with Direct VPC egress write no firewall logs; whether the project has any is not read. */
  directVpcEgress: 'unknown';
  /** The firewall logs were read and every deny rule known to decide egress logs. */
  firewallEvidence: 'available' | 'partial' | 'none';
  /** The same facts in words, one line each (the text output prints exactly these). */
  notes: string[];
}

/** The inputs: the two reads and what the network model says. */
export interface EvidenceInput {
  project: string;
  hostProject: string;
  network: string;
  firewall: LogRead;
  dns: LogRead;
  model?: NetworkModel;
}

/** Egress deny rules of every tier that do not log (disabled rules decide nothing). */
export function unloggedDenyRules(model: NetworkModel): UnloggedDenyRule[] {
  return tiersInOrder(model)
    .filter((t) => t.kind !== 'implied')
    .flatMap((t) =>
      t.rules
        .filter((r) => r.direction === 'EGRESS' && r.action === 'deny' && !r.disabled && !r.enableLogging)
        .map((r) => ({ reference: t.reference, ruleName: r.ruleName ?? '', priority: r.priority })),
    );
}

function refused(read: Extract<LogRead, { ok: false }>) {
  return { status: 'denied' as const, message: read.message, permission: LOG_READ_PERMISSION, role: LOG_READ_ROLE };
}

function dnsFacts(input: EvidenceInput): Pick<EvidenceSummary, 'dnsLogs' | 'hostnames' | 'alternativeNameServers'> {
  const fact: DnsLogging = input.model?.dnsLogging ?? 'unknown';
  const alternativeNameServers = fact === 'unknown' ? ('unknown' as const) : fact.alternativeNameServers;
  if (!input.dns.ok) return { dnsLogs: refused(input.dns), hostnames: 'cannot-be-named', alternativeNameServers };
  if (fact !== 'unknown' && !fact.enabled)
    return {
      dnsLogs: { status: 'not-enabled', policyName: fact.policyName },
      hostnames: 'cannot-be-named',
      alternativeNameServers,
    };
  if (fact === 'unknown' && input.dns.entries === 0)
    return { dnsLogs: { status: 'unknown', entries: 0 }, hostnames: 'unknown', alternativeNameServers };
  return { dnsLogs: { status: 'read', entries: input.dns.entries }, hostnames: 'can-be-named', alternativeNameServers };
}

function deniedWords(what: string, message: string, hostProject: string): string {
  return `${what}: reading them was denied (${message}); it needs ${LOG_READ_PERMISSION} on projects/${hostProject} (role ${LOG_READ_ROLE})`;
}

function notesOf(input: EvidenceInput, s: Omit<EvidenceSummary, 'notes'>): string[] {
  const { project, hostProject, network } = input;
  const notes: string[] = [];
  const fw = s.firewallLogs;
  if (fw.status === 'read')
    notes.push(`firewall logs: ${fw.entries} denied entr${fw.entries === 1 ? 'y' : 'ies'} read`);
  else notes.push(`${deniedWords('firewall logs', fw.message, hostProject)}: no evidence available`);
  const rules = s.unloggedDenyRules;
  if (rules === 'unknown') notes.push('deny rules without logging: unknown (no network model: give --state or --live)');
  else if (rules.length)
    notes.push(
      `no evidence available for denials by rules that do not log: ${rules.map((r) => `${r.ruleName || `priority ${r.priority}`} of ${r.reference}`).join(', ')} (enable their logging)`,
    );
  const dns = s.dnsLogs;
  const enable = `enable Cloud DNS query logging: a DNS server policy with enableLogging bound to network ${network} (${DNS_DOCS})`;
  if (dns.status === 'not-enabled')
    notes.push(
      `DNS query logs: ${dns.policyName ? `the DNS server policy ${dns.policyName} of network ${network} does not log` : `no DNS server policy is bound to network ${network}`}; hostnames cannot be named: ${enable}`,
    );
  else if (dns.status === 'unknown')
    notes.push(
      `DNS query logs: none read and whether network ${network} logs DNS queries is unknown; hostnames may not be named (to be sure: ${enable})`,
    );
  else if (dns.status === 'read')
    notes.push(`DNS query logs: ${dns.entries} entr${dns.entries === 1 ? 'y' : 'ies'} read`);
  else notes.push(`${deniedWords('DNS query logs', dns.message, hostProject)}; hostnames cannot be named`);
  if (s.alternativeNameServers === true)
    notes.push(
      `the DNS server policy of network ${network} has alternative name servers: Cloud NGFW FQDN objects do not work there (https://cloud.google.com/firewall/docs/fqdn-objects-overview)`,
    );
  notes.push(
    `Cloud Run with Direct VPC egress: unknown whether ${project} runs any; their egress writes no firewall logs, so their denials cannot appear here (${DIRECT_VPC_DOCS})`,
  );
  return notes;
}

/** The evidence summary of one denials answer. */
export function summarizeEvidence(input: EvidenceInput): EvidenceSummary {
  const firewallLogs: EvidenceSummary['firewallLogs'] = input.firewall.ok
    ? { status: 'read', entries: input.firewall.entries }
    : refused(input.firewall);
  const unlogged = input.model ? unloggedDenyRules(input.model) : ('unknown' as const);
  const firewallEvidence =
    firewallLogs.status !== 'read' ? 'none' : unlogged === 'unknown' || unlogged.length ? 'partial' : 'available';
  const facts = {
    firewallLogs,
    ...dnsFacts(input),
    unloggedDenyRules: unlogged,
    directVpcEgress: 'unknown' as const,
    firewallEvidence: firewallEvidence as EvidenceSummary['firewallEvidence'],
  };
  return { ...facts, notes: notesOf(input, facts) };
}
