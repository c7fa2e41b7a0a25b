/**
 * Deterministic rule names: `egress-<project>-fqdn-<n>`, `egress-<project>-fqdn6-<n>`, `egress-<project>-v4-<n>`, `egress-<project>-v6-<n>`
 * (n from 1, in chunk order), and `egress-<project>-tombstone` for the record of a deletion. Names are RFC 1035 labels of at most 63 characters, as the API requires of `ruleName`;
 * a project key too long to fit is cut and suffixed with 6 hex chars of its hash so names stay distinct.
 * `ruleName` is not unique in the API: identity is (marker project, ruleName), see plan.ts.
 */
import { createHash } from 'node:crypto';

/**
 * Kinds of rules per project: FQDN objects, IPv4 ranges, IPv6 ranges (never mixed in one rule), and in the `subnets`
 * target mode FQDN objects for the IPv6 sources (`fqdn6`; `fqdn` rules then carry the IPv4 sources).
 */
export type RuleKind = 'fqdn' | 'fqdn6' | 'v4' | 'v6';

/** Maximum length of a `ruleName` (RFC 1035 label). */
export const MAX_RULE_NAME = 63;

const PREFIX = 'egress-';

/** Lowercases and replaces anything outside `[a-z0-9-]` so the label stays valid whatever the key. */
function sanitize(key: string): string {
  return key
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
}

/** The name of chunk `n` (1-based) of `kind` for `project`. */
export function ruleName(project: string, kind: RuleKind, n: number): string {
  return withSuffix(project, `-${kind}-${n}`);
}

/** The name of the project's tombstone (tombstone.ts): `egress-<project>-tombstone`, cut like the other names. */
export function tombstoneRuleName(project: string): string {
  return withSuffix(project, '-tombstone');
}

function withSuffix(project: string, suffix: string): string {
  const key = sanitize(project) || 'x';
  const full = `${PREFIX}${key}${suffix}`;
  if (full.length <= MAX_RULE_NAME) return full;
  const hash = createHash('sha256').update(project).digest('hex').slice(0, 6);
  const room = MAX_RULE_NAME - PREFIX.length - suffix.length - hash.length - 1;
  const cut = key.slice(0, room).replace(/-+$/, '');
  return `${PREFIX}${cut}-${hash}${suffix}`;
}

/** True when `name` is a valid RFC 1035 label of at most 63 characters. */
export function isValidRuleName(name: string): boolean {
  return name.length <= MAX_RULE_NAME && /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name);
}
