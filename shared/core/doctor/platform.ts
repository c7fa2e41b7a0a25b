/**
 * The checks beside the firewall tiers: the DNS evidence (a server policy with logging, no alternative name servers),
 * the projects' sources under the target mode, capacity against the limits in effect, and the caller's permissions on
 * the policies. Pure. Sources: docs/doctor.md.
 */
import { CAPACITY_FAIL_RATIO, CAPACITY_WARN_RATIO, usageAbove } from '../capacity/report';
import { assignedSubnets } from '../firewall/workloads';
import { alternativeTargets, type NetworkModel, policiesOnNetwork } from '../network/model';
import type { TargetMapping } from '../policy/types';
import {
  type CapacityFact,
  type Check,
  check,
  type DnsServerPolicy,
  isUnread,
  type PermissionFact,
  type Unread,
} from './types';

/** Cloud DNS query logging on the network: a server policy with `enableLogging` bound to it. */
export function dnsLoggingCheck(model: NetworkModel, dns: DnsServerPolicy[] | Unread): Check {
  const fix =
    "set create_dns_server_policy = true in terraform (terraform/network.tf), or enable logging on the network's " +
    'server policy: gcloud dns policies update POLICY --enable-logging';
  if (isUnread(dns)) return check('dns-logging', 'WARN', `DNS server policies not read: ${dns.unread}`, fix);
  const on = policiesOnNetwork(dns, model.hostProject, model.network);
  const logging = on.filter((p) => p.enableLogging === true);
  if (logging.length)
    return check(
      'dns-logging',
      'PASS',
      `DNS server policy ${logging.map((p) => p.name).join(', ')} logs the queries of network ${model.network}`,
    );
  return check(
    'dns-logging',
    'WARN',
    on.length
      ? `DNS server policy ${on.map((p) => p.name).join(', ')} on network ${model.network} does not log queries: denials cannot name the hostname a workload asked for`
      : `no DNS server policy on network ${model.network}: Cloud DNS logs no queries, so denials cannot name the hostname a workload asked for`,
    fix,
  );
}

/** No alternative name servers on the network: they disable Cloud NGFW FQDN objects. */
export function dnsAlternativeServersCheck(model: NetworkModel, dns: DnsServerPolicy[] | Unread): Check {
  if (isUnread(dns))
    return check(
      'dns-alternative-name-servers',
      'WARN',
      `DNS server policies not read: ${dns.unread}`,
      'read access to Cloud DNS policies (roles/dns.reader)',
    );
  const alt = policiesOnNetwork(dns, model.hostProject, model.network).filter((p) => alternativeTargets(p).length > 0);
  if (!alt.length)
    return check('dns-alternative-name-servers', 'PASS', `no alternative name servers on network ${model.network}`);
  const named = alt.map((p) => `${p.name} (${alternativeTargets(p).join(', ')})`);
  return check(
    'dns-alternative-name-servers',
    'FAIL',
    `DNS server policy ${named.join(', ')} sends network ${model.network}'s queries to alternative name servers: Cloud NGFW FQDN objects do not work with them, so every hostname rule matches nothing`,
    'remove the alternative name servers (gcloud dns policies update POLICY --alternative-name-servers="") and forward through Cloud DNS forwarding zones instead',
  );
}

/** Every project with a manifest has sources under the target mode, and no subnet belongs to two projects. */
export function projectSourcesCheck(model: NetworkModel, target: TargetMapping, projects: string[] | Unread): Check {
  if (isUnread(projects))
    return check(
      'project-sources',
      'WARN',
      `manifests not read: ${projects.unread}`,
      'pass --manifests DIR or set EGRESS_MANIFEST_BUCKET',
    );
  if (target.mode !== 'subnets')
    return check(
      'project-sources',
      'WARN',
      `target mode ${target.mode}: a project's sources are its ${target.mode === 'serviceAccounts' ? 'service accounts' : 'tag values'}, which doctor does not read (${projects.length} projects)`,
      "check that every project's workloads run as the identities of firewall.target.templates (docs/policy.md)",
    );
  const owners = new Map<string, string[]>();
  const without: string[] = [];
  for (const p of [...projects].sort()) {
    const mine = assignedSubnets(target, p, model.subnets);
    if (!mine.length) without.push(p);
    for (const s of mine) owners.set(`${s.region}/${s.name}`, [...(owners.get(`${s.region}/${s.name}`) ?? []), p]);
  }
  const shared = [...owners].filter(([, ps]) => ps.length > 1).map(([s, ps]) => `${s} (${ps.join(', ')})`);
  if (!without.length && !shared.length)
    return check(
      'project-sources',
      'PASS',
      `each of ${projects.length} projects has its own subnets on network ${model.network}`,
    );
  return check(
    'project-sources',
    'FAIL',
    [
      ...(without.length
        ? [`no subnet matches ${target.subnets} for: ${without.join(', ')} (their rules apply to no workload)`]
        : []),
      ...(shared.length ? [`subnets of two projects (each gets the other's egress): ${shared.join('; ')}`] : []),
    ].join('; '),
    "create the project's subnet named as firewall.target.subnets says, or rename the subnets so each matches one project (docs/policy.md)",
  );
}

/** Each policy's usage against the limits in effect (and where each limit came from). */
export function capacityCheck(facts: readonly CapacityFact[], note?: string): Check {
  const line = (f: CapacityFact) =>
    `${f.usage.policy}: attributes ${f.usage.attributes.used}/${f.usage.attributes.limit} (${f.sources.attributes}), ` +
    `fqdns ${f.usage.fqdns.used}/${f.usage.fqdns.limit} (${f.sources.fqdns})`;
  const fix = 'raise the quota with Google (Cloud Quotas), or move projects to regional placement (docs/capacity.md)';
  const over = facts.filter((f) => usageAbove(f.usage, CAPACITY_FAIL_RATIO).length);
  if (over.length)
    return check('capacity', 'FAIL', `over ${CAPACITY_FAIL_RATIO * 100}%: ${over.map(line).join('; ')}`, fix);
  const near = facts.filter((f) => usageAbove(f.usage, CAPACITY_WARN_RATIO).length);
  if (near.length)
    return check('capacity', 'WARN', `over ${CAPACITY_WARN_RATIO * 100}%: ${near.map(line).join('; ')}`, fix);
  return check('capacity', 'PASS', `${facts.map(line).join('; ') || 'no policy read'}${note ? ` (${note})` : ''}`);
}

/** The caller's permissions on each policy (`testIamPermissions`). */
export function permissionsCheck(facts: PermissionFact[] | Unread): Check {
  const fix =
    "grant the applier's service account roles/compute.securityAdmin on the host project (terraform/iam.tf), and run doctor as it";
  if (isUnread(facts)) return check('applier-permissions', 'WARN', `permissions not tested: ${facts.unread}`, fix);
  const missing = facts
    .map((f) => ({ policy: f.policy, missing: f.required.filter((p) => !f.granted.includes(p)) }))
    .filter((m) => m.missing.length);
  if (missing.length)
    return check(
      'applier-permissions',
      'FAIL',
      `missing on ${missing.map((m) => `${m.policy}: ${m.missing.join(', ')}`).join('; ')}`,
      fix,
    );
  return check(
    'applier-permissions',
    'PASS',
    `${[...new Set(facts.flatMap((f) => f.required))].join(', ')} granted on ${facts.map((f) => f.policy).join(', ')}`,
  );
}
