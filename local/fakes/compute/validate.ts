/**
 * Validation of a `FirewallPolicyRule` body as Compute enforces it for global network firewall policies, and the
 * rule's attribute ("tuple") count. Pure; the engine calls it before accepting a write. Limits quoted from the
 * field docs of compute.proto (v1) of @google-cloud/compute@6; see docs/fake-compute.md for what is assumed.
 */
import type { protos } from '@google-cloud/compute';
import ipaddr from 'ipaddr.js';
import { type Counting, ruleAttributes } from '../../../shared/core/capacity/count';
import { DEFAULT_CAPACITY } from '../../../shared/core/policy/capacity';
import { type ComputeApiError, invalidField, requiredField } from './errors';

type Rule = protos.google.cloud.compute.v1.IFirewallPolicyRule;
type Matcher = protos.google.cloud.compute.v1.IFirewallPolicyRuleMatcher;

/** Priorities are int32 in [0, 2147483647]; 0 is evaluated first. */
export const MAX_PRIORITY = 2147483647;

/** Per-rule limits (compute.proto field comments) and the fake's assumptions (marked). */
export interface RuleLimits {
  maxDestFqdns: number;
  maxSrcFqdns: number;
  maxDestIpRanges: number;
  maxSrcIpRanges: number;
  maxTargetSecureTags: number;
  /** Assumed (not documented for rules): Compute's usual description bound. */
  maxDescriptionLength: number;
}

/** The documented limits. */
export const DEFAULT_RULE_LIMITS: RuleLimits = {
  maxDestFqdns: 100,
  maxSrcFqdns: 100,
  maxDestIpRanges: 5000,
  maxSrcIpRanges: 5000,
  maxTargetSecureTags: 256,
  maxDescriptionLength: 1024,
};

const ACTIONS = new Set(['allow', 'deny', 'goto_next', 'apply_security_profile_group']);
const DIRECTIONS = new Set(['INGRESS', 'EGRESS']);
const PROTOCOLS = new Set(['tcp', 'udp', 'icmp', 'esp', 'ah', 'ipip', 'sctp', 'all']);
const PORT_PROTOCOLS = new Set(['tcp', 'udp', 'sctp', '6', '17', '132']);
/** Fields of FirewallPolicyRule a client may send (output-only `kind`/`ruleTupleCount` are accepted and ignored). */
const RULE_FIELDS = new Set([
  'action',
  'description',
  'direction',
  'disabled',
  'enableLogging',
  'kind',
  'match',
  'priority',
  'ruleName',
  'ruleTupleCount',
  'securityProfileGroup',
  'targetForwardingRules',
  'targetResources',
  'targetSecureTags',
  'targetServiceAccounts',
  'targetType',
  'tlsInspect',
]);
const MATCH_FIELDS = new Set([
  'destAddressGroups',
  'destFqdns',
  'destIpRanges',
  'destNetworkContext',
  'destNetworkType',
  'destRegionCodes',
  'destThreatIntelligences',
  'layer4Configs',
  'srcAddressGroups',
  'srcFqdns',
  'srcIpRanges',
  'srcNetworkContext',
  'srcNetworkType',
  'srcNetworks',
  'srcRegionCodes',
  'srcSecureTags',
  'srcThreatIntelligences',
]);
const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** RFC 1035 name, as Compute requires for resource names (assumed to apply to `ruleName`). */
const RFC1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** Why `fqdn` is not a valid FQDN object, or undefined. Wildcards are refused: Cloud NGFW FQDN objects are exact names. */
export function fqdnProblem(fqdn: string): string | undefined {
  if (fqdn.includes('*')) return 'Wildcards are not supported in FQDN objects.';
  const name = fqdn.endsWith('.') ? fqdn.slice(0, -1) : fqdn;
  if (name.length === 0 || name.length > 253) return 'An FQDN must be 1-253 characters long.';
  const labels = name.split('.');
  if (labels.length < 2) return 'An FQDN must have at least two labels.';
  for (const l of labels) {
    if (!LABEL.test(l)) return `Label '${l}' is not a valid DNS label (1-63 letters, digits or hyphens).`;
  }
  return undefined;
}

/** The address family of an IP range (`10.0.0.0/8`, `2001:db8::/32`, or a bare address), or undefined if invalid. */
export function rangeFamily(range: string): 'ipv4' | 'ipv6' | undefined {
  try {
    if (range.includes('/')) return ipaddr.parseCIDR(range)[0].kind();
    return ipaddr.parse(range).kind();
  } catch {
    return undefined;
  }
}

function checkList(
  field: string,
  value: unknown,
  max: number,
  each?: (v: string) => string | undefined,
): ComputeApiError | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) return invalidField(field, value, 'Expected a list.');
  if (value.length > max) {
    return invalidField(field, `${value.length} items`, `The maximum number of entries is ${max}.`);
  }
  for (const v of value) {
    if (typeof v !== 'string') return invalidField(field, v, 'Expected a string.');
    const why = each?.(v);
    if (why) return invalidField(field, v, why);
  }
  return undefined;
}

/** 400 invalid unless every port is an integer or a range LOW-HIGH in 0-65535 (policy rules and VPC rules). */
export function checkPorts(field: string, ports: unknown): ComputeApiError | undefined {
  if (ports === undefined || ports === null) return undefined;
  if (!Array.isArray(ports)) return invalidField(field, ports, 'Expected a list.');
  for (const p of ports) {
    const m = typeof p === 'string' ? /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(p) : null;
    const lo = m ? Number(m[1]) : Number.NaN;
    const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
    if (!m || lo > 65535 || hi > 65535 || lo > hi) {
      return invalidField(field, p, 'A port must be an integer or a range LOW-HIGH within 0-65535.');
    }
  }
  return undefined;
}

function checkMatch(match: Matcher, direction: string, limits: RuleLimits): ComputeApiError | undefined {
  for (const k of Object.keys(match)) {
    if (!MATCH_FIELDS.has(k)) return invalidField(`resource.match.${k}`, k, 'Unknown field name.');
  }
  const l4 = match.layer4Configs;
  if (!Array.isArray(l4) || l4.length === 0) return requiredField('resource.match.layer4Configs');
  for (const [i, c] of l4.entries()) {
    const proto = c?.ipProtocol;
    if (!proto) return requiredField(`resource.match.layer4Configs[${i}].ipProtocol`);
    const num = /^\d{1,3}$/.test(proto) ? Number(proto) : Number.NaN;
    if (!PROTOCOLS.has(proto) && !(num >= 0 && num <= 255)) {
      return invalidField(`resource.match.layer4Configs[${i}].ipProtocol`, proto, 'Unknown IP protocol.');
    }
    if (c.ports && c.ports.length > 0 && !PORT_PROTOCOLS.has(proto)) {
      return invalidField(
        `resource.match.layer4Configs[${i}].ports`,
        c.ports,
        'Ports may be given only for tcp, udp or sctp.',
      );
    }
    const portErr = checkPorts(`resource.match.layer4Configs[${i}].ports`, c.ports);
    if (portErr) return portErr;
  }
  const fqdnErr =
    checkList('resource.match.destFqdns', match.destFqdns, limits.maxDestFqdns, fqdnProblem) ??
    checkList('resource.match.srcFqdns', match.srcFqdns, limits.maxSrcFqdns, fqdnProblem);
  if (fqdnErr) return fqdnErr;
  if (direction === 'INGRESS' && (match.destFqdns?.length ?? 0) > 0) {
    return invalidField('resource.match.destFqdns', match.destFqdns, 'Destination FQDNs apply only to EGRESS rules.');
  }
  if (direction === 'EGRESS' && (match.srcFqdns?.length ?? 0) > 0) {
    return invalidField('resource.match.srcFqdns', match.srcFqdns, 'Source FQDNs apply only to INGRESS rules.');
  }
  const families = new Set<string>();
  const rangeCheck = (r: string): string | undefined => {
    const f = rangeFamily(r);
    if (!f) return 'Not a valid IP address or CIDR range.';
    families.add(f);
    return undefined;
  };
  const rangeErr =
    checkList('resource.match.destIpRanges', match.destIpRanges, limits.maxDestIpRanges, rangeCheck) ??
    checkList('resource.match.srcIpRanges', match.srcIpRanges, limits.maxSrcIpRanges, rangeCheck);
  if (rangeErr) return rangeErr;
  if (families.size > 1) {
    return invalidField(
      'resource.match',
      [...(match.srcIpRanges ?? []), ...(match.destIpRanges ?? [])].slice(0, 4),
      'IPv4 and IPv6 ranges cannot be mixed in one rule.',
    );
  }
  return undefined;
}

/**
 * Validates a rule body for addRule/patchRule (after a patch has been merged onto the existing rule). Returns the
 * first problem as the API would report it, or undefined. `priority` is checked by the caller (it may come from the
 * query string or a min/max window).
 */
export function validateRule(rule: Rule, limits: RuleLimits = DEFAULT_RULE_LIMITS): ComputeApiError | undefined {
  for (const k of Object.keys(rule)) {
    if (!RULE_FIELDS.has(k)) return invalidField(`resource.${k}`, k, 'Unknown field name.');
  }
  if (!rule.action) return requiredField('resource.action');
  if (!ACTIONS.has(rule.action)) {
    return invalidField('resource.action', rule.action, `Allowed values: ${[...ACTIONS].join(', ')}.`);
  }
  if (!rule.direction) return requiredField('resource.direction');
  if (!DIRECTIONS.has(rule.direction)) {
    return invalidField('resource.direction', rule.direction, 'Allowed values: INGRESS, EGRESS.');
  }
  if (rule.action === 'apply_security_profile_group' && !rule.securityProfileGroup) {
    return requiredField('resource.securityProfileGroup');
  }
  if (rule.action !== 'apply_security_profile_group' && rule.securityProfileGroup) {
    return invalidField(
      'resource.securityProfileGroup',
      rule.securityProfileGroup,
      'Only allowed with action apply_security_profile_group.',
    );
  }
  if (rule.tlsInspect && rule.action !== 'apply_security_profile_group') {
    return invalidField('resource.tlsInspect', true, 'Only allowed with action apply_security_profile_group.');
  }
  if (rule.enableLogging && rule.action === 'goto_next') {
    return invalidField('resource.enableLogging', true, 'Logging cannot be enabled on goto_next rules.');
  }
  if (rule.description !== undefined && rule.description !== null) {
    if (typeof rule.description !== 'string') return invalidField('resource.description', rule.description, '');
    if (rule.description.length > limits.maxDescriptionLength) {
      return invalidField(
        'resource.description',
        `${rule.description.slice(0, 40)}…`,
        `Must be at most ${limits.maxDescriptionLength} characters (got ${rule.description.length}).`,
      );
    }
  }
  if (rule.ruleName !== undefined && rule.ruleName !== null && rule.ruleName !== '' && !RFC1035.test(rule.ruleName)) {
    return invalidField(
      'resource.ruleName',
      rule.ruleName,
      'Must be 1-63 characters matching [a-z]([-a-z0-9]*[a-z0-9])?.',
    );
  }
  const sas = rule.targetServiceAccounts ?? [];
  const tags = rule.targetSecureTags ?? [];
  if (sas.length > 0 && tags.length > 0) {
    return invalidField(
      'resource.targetSecureTags',
      tags.map((t) => t.name),
      'targetSecureTags may not be set at the same time as targetServiceAccounts.',
    );
  }
  const saErr = checkList('resource.targetServiceAccounts', sas, Number.MAX_SAFE_INTEGER, (s) =>
    EMAIL.test(s) ? undefined : 'Not a service account email.',
  );
  if (saErr) return saErr;
  if (tags.length > limits.maxTargetSecureTags) {
    return invalidField('resource.targetSecureTags', `${tags.length} items`, `At most ${limits.maxTargetSecureTags}.`);
  }
  for (const t of tags) {
    if (!t?.name || !/^tagValues\/\d+$/.test(t.name)) {
      return invalidField('resource.targetSecureTags.name', t?.name ?? '', "Must be 'tagValues/NUMBER'.");
    }
  }
  if (!rule.match) return requiredField('resource.match');
  return checkMatch(rule.match, rule.direction, limits);
}

/**
 * The rule's attribute count, the fake's `ruleTupleCount`: the core's one count (shared/core/capacity/count.ts: each
 * range, protocol and port range 1; target service accounts 1 together; FQDNs and tags per the capacity settings).
 */
export function ruleTupleCount(rule: Rule, counting: Counting = DEFAULT_CAPACITY): number {
  return ruleAttributes(rule, counting);
}
