/**
 * The per-entry rule of `spec.allowedEgress`: one string becomes one normalized {value, type}. The validator and
 * the applier (re-checking entries from the wire) both call {@link normalizeEgressValue}, so there is one rule.
 */
import * as ipaddr from 'ipaddr.js';
import { parse as parseDomain } from 'tldts';
import type { PlatformPolicy } from '../policy/types';
import { invalidIpv4, isIpLiteral, normalizeCidr, PREFIX_RE } from './address';
import { idnToAscii } from './idn';
import { type Fail, fail, type NormalizeResult } from './result';

export { normalizeRangeSyntax } from './address';
export type { NormalizeResult } from './result';

const MAX_HOSTNAME = 253;
const MAX_LABEL = 63;
const LABEL_RE = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const NUMERIC_RE = /^[0-9]+$/;
const DOTTED_NUMERIC_RE = /^[0-9.]+$/;
const NUMERIC_START_RE = /^[0-9]/;
/** Special-use names (RFC 6761, 6762, 7686, 8375, 9476, and GCP's `.internal`): never external destinations. */
const SPECIAL_USE_SUFFIXES = ['localhost', 'local', 'internal', 'test', 'invalid', 'example', 'onion', 'alt', 'arpa'];
const SPECIAL_USE_SET = new Set(SPECIAL_USE_SUFFIXES);
/** Lowercase RFC 1123 labels of 1-63 characters, at least two of them. */
const CANONICAL_HOST_RE = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const SCHEME_RE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Normalizes one allowedEgress value (see docs/manifest.md for the rules and codes). Never throws. */
export function normalizeEgressValue(raw: unknown, policy: PlatformPolicy): NormalizeResult {
  if (typeof raw !== 'string') {
    const got =
      raw === null ? 'null' : Array.isArray(raw) ? 'a list' : typeof raw === 'object' ? 'a mapping' : typeof raw;
    return fail(
      'ENTRY_NOT_STRING',
      `an allowedEgress entry must be a string (a hostname, wildcard or IP range), got ${got}`,
      typeof raw === 'number' || typeof raw === 'boolean' ? `quote it: "${String(raw)}"` : undefined,
    );
  }
  // Fast path for the common case: an already-canonical hostname (the slow path below gives the same answer).
  if (CANONICAL_HOST_RE.test(raw) && raw.length <= MAX_HOSTNAME && !raw.includes('xn--')) {
    const tld = raw.slice(raw.lastIndexOf('.') + 1);
    if (!NUMERIC_RE.test(tld) && !SPECIAL_USE_SET.has(tld))
      return { ok: true, entry: { value: raw, type: 'hostname' } };
  }
  const s = raw.trim();
  if (s === '') return fail('ENTRY_EMPTY', 'an allowedEgress entry is empty', 'remove the empty item');
  if (/\s/.test(s))
    return fail(
      'INVALID_ENTRY',
      `\`${s}\` contains whitespace; an entry is one hostname, wildcard or IP range`,
      'put each destination in its own list item',
    );
  if (SCHEME_RE.test(s)) return urlFailure(s);
  if (s.startsWith('//')) {
    // A scheme-relative URL (`//api.x.com/v1`).
    const host = bareHost(s.slice(2));
    return fail(
      'ENTRY_URL',
      `\`${s}\` is a URL; list the bare host (firewall rules match destinations, not schemes, paths or ports)`,
      host ? `use \`${host}\`` : undefined,
    );
  }
  if (s.includes('@')) {
    const host = bareHost(s.slice(s.lastIndexOf('@') + 1));
    return fail(
      'ENTRY_CREDENTIALS',
      `\`${s}\` contains credentials; list only the destination host`,
      host ? `use \`${host}\`` : undefined,
    );
  }
  const slash = s.indexOf('/');
  if (slash >= 0) {
    const head = s.slice(0, slash);
    const tail = s.slice(slash + 1);
    if (isIpLiteral(head)) {
      if (PREFIX_RE.test(tail)) return normalizeCidr(head, Number(tail), s, policy);
      return fail(
        'INVALID_CIDR',
        `\`${s}\` is not a valid CIDR range: the prefix length must be a number`,
        `use \`${head}\` or \`${head}/<prefix>\``,
      );
    }
    if ((DOTTED_NUMERIC_RE.test(head) || head.includes(':')) && PREFIX_RE.test(tail))
      return fail('INVALID_CIDR', `\`${s}\` is not a valid CIDR range: \`${head}\` is not an IP address`);
    const host = bareHost(head);
    return fail(
      'ENTRY_PATH',
      `\`${s}\` contains a path; firewall rules match destinations, not URLs`,
      host ? `use \`${host}\`` : undefined,
    );
  }
  if (/[?#]/.test(s)) {
    const host = bareHost(s);
    return fail(
      'ENTRY_PATH',
      `\`${s}\` contains a query or fragment; firewall rules match destinations, not URLs`,
      host ? `use \`${host}\`` : undefined,
    );
  }
  if (s.startsWith('[')) {
    const m = /^\[([^\]]*)\](?::([0-9]*))?$/.exec(s);
    const inner = m?.[1] ?? '';
    if (m?.[2] !== undefined)
      return fail(
        'ENTRY_PORT',
        `\`${s}\` contains a port; rules allow all ports to a destination`,
        inner ? `use \`${inner}\`` : undefined,
      );
    return fail(
      'INVALID_IP',
      `\`${s}\`: write IPv6 addresses without brackets`,
      inner ? `use \`${inner}\`` : undefined,
    );
  }
  if (s.includes(':')) {
    if (isIpLiteral(s)) return normalizeCidr(s, undefined, s, policy);
    // A port by number or by service name (`api.x.com:https`); IPv6 text has more than one colon.
    const m = /^(.*):([0-9]*|[a-z][a-z0-9-]*)$/i.exec(s);
    if (m && !m[1]!.includes(':')) {
      const host = bareHost(m[1]!);
      return fail(
        'ENTRY_PORT',
        `\`${s}\` contains a port; rules allow all ports to a destination`,
        host ? `use \`${host}\`` : undefined,
      );
    }
    if (s.includes('%'))
      return fail(
        'INVALID_IP',
        `\`${s}\`: IPv6 zone indexes are not allowed (link-local addresses are not egress destinations)`,
      );
    return fail('INVALID_IP', `\`${s}\` is not a valid IPv6 address`);
  }
  if (s.includes('*')) return normalizeWildcard(s, policy);
  // ipaddr.js validates by throwing; only numeric-looking strings (`0x7f.1`) are worth asking it about.
  if (DOTTED_NUMERIC_RE.test(s) || (NUMERIC_START_RE.test(s) && ipaddr.IPv4.isValid(s))) {
    if (ipaddr.IPv4.isValidFourPartDecimal(s)) return normalizeCidr(s, undefined, s, policy);
    return invalidIpv4(s, policy);
  }
  const host = normalizeHostname(s);
  if (!host.ok) return host;
  return { ok: true, entry: { value: host.value, type: 'hostname' } };
}

function urlFailure(s: string): Fail {
  let host = '';
  try {
    const u = new URL(s);
    host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    host = bareHost(s.replace(SCHEME_RE, ''));
  }
  return fail(
    'ENTRY_URL',
    `\`${s}\` is a URL; list the bare host (firewall rules match destinations, not schemes, paths or ports)`,
    host ? `use \`${host}\`` : undefined,
  );
}

/** Best-effort bare host of something that looked like `user@host:port/path`, for hints only. */
function bareHost(s: string): string {
  let h = s;
  const at = h.lastIndexOf('@');
  if (at >= 0) h = h.slice(at + 1);
  const cut = h.search(/[/?#]/);
  if (cut >= 0) h = h.slice(0, cut);
  const v6 = /^\[([^\]]*)\]/.exec(h);
  if (v6) return v6[1]!;
  if ((h.match(/:/g) ?? []).length === 1) h = h.slice(0, h.indexOf(':'));
  return h.toLowerCase().replace(/\.$/, '');
}

/** Normalizes a hostname: lowercase, trailing dot dropped, IDN to punycode, RFC 1123 labels. */
export function normalizeHostname(input: string): { ok: true; value: string } | Fail {
  let h = input.toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII range test
  if (!/^[\x00-\x7f]*$/.test(h) || h.includes('xn--')) {
    const idn = idnToAscii(h, input);
    if (!idn.ok) return idn;
    h = idn.value;
    if (ipaddr.IPv4.isValid(h))
      return fail('INVALID_HOSTNAME', `\`${input}\` is an IP address in a non-standard form`, `use \`${h}\``);
  }
  if (h.length > MAX_HOSTNAME)
    return fail('INVALID_HOSTNAME', `hostname \`${input}\` is ${h.length} characters; the limit is ${MAX_HOSTNAME}`);
  const labels = h.split('.');
  if (labels.length < 2)
    return fail(
      'INVALID_HOSTNAME',
      `\`${input}\` is a single-label name; egress needs a fully qualified hostname such as \`api.example.com\``,
    );
  for (const label of labels) {
    if (label === '') return fail('INVALID_HOSTNAME', `hostname \`${input}\` has an empty label (\`..\`)`);
    if (label.length > MAX_LABEL)
      return fail(
        'INVALID_HOSTNAME',
        `hostname \`${input}\` has a label of ${label.length} characters; the limit is ${MAX_LABEL}`,
      );
    if (!LABEL_RE.test(label)) {
      if (label.includes('_'))
        return fail(
          'INVALID_HOSTNAME',
          `hostname \`${input}\` contains \`_\`, which RFC 1123 hostnames (and Cloud NGFW FQDN objects) do not allow`,
        );
      return fail(
        'INVALID_HOSTNAME',
        `hostname \`${input}\` has an invalid label \`${label}\` (letters, digits and '-' only, not starting or ending with '-')`,
      );
    }
  }
  const special = SPECIAL_USE_SUFFIXES.find((x) => h === x || h.endsWith(`.${x}`));
  if (special)
    return fail(
      'NON_PUBLIC_HOSTNAME',
      `\`${input}\` is under the special-use domain \`.${special}\`, which is not an external destination${special === 'internal' ? ' (metadata.google.internal and VPC-internal names are reachable without egress rules)' : ''}`,
      'list public hostnames only',
    );
  if (NUMERIC_RE.test(labels[labels.length - 1]!))
    return fail(
      'INVALID_HOSTNAME',
      `\`${input}\` is neither a valid IP address nor a hostname (all-numeric top-level label)`,
    );
  return { ok: true, value: h };
}

/** Checks the syntax of `*.suffix` and returns it normalized; also says whether the suffix is a public suffix. */
export function normalizeWildcardSyntax(
  s: string,
): { ok: true; value: string; suffix: 'icann' | 'private' | null } | Fail {
  if (!s.startsWith('*.') || s.indexOf('*', 1) >= 0)
    return fail(
      'INVALID_WILDCARD',
      `\`${s}\` is not a valid wildcard: \`*\` may only be the whole leftmost label, as in \`*.example.com\``,
    );
  const bare = s.slice(2).toLowerCase().replace(/\.$/, '');
  // `*.com`: a single label after `*.` is a top-level domain, i.e. always a public suffix.
  if (LABEL_RE.test(bare) && !NUMERIC_RE.test(bare)) return { ok: true, value: `*.${bare}`, suffix: 'icann' };
  const rest = normalizeHostname(s.slice(2));
  if (!rest.ok) return fail('INVALID_WILDCARD', `\`${s}\` is not a valid wildcard: ${rest.message}`, rest.hint);
  const info = parseDomain(rest.value, { allowPrivateDomains: true });
  let suffix: 'icann' | 'private' | null = null;
  if (info.publicSuffix === rest.value) suffix = info.isIcann ? 'icann' : 'private';
  else if (parseDomain(rest.value).publicSuffix === rest.value) suffix = 'icann';
  return { ok: true, value: `*.${rest.value}`, suffix };
}

function normalizeWildcard(s: string, policy: PlatformPolicy): NormalizeResult {
  const w = normalizeWildcardSyntax(s);
  if (!w.ok) return w;
  const supported = Object.keys(policy.wildcards);
  const listHint = `list the exact hostnames you need instead (e.g. \`api.${w.value.slice(2)}\`)`;
  if (w.suffix === 'icann')
    return fail(
      'WILDCARD_PUBLIC_SUFFIX',
      `\`${w.value}\` would match every domain under the public suffix \`${w.value.slice(2)}\``,
      listHint,
    );
  if (Object.hasOwn(policy.wildcards, w.value)) return { ok: true, entry: { value: w.value, type: 'wildcard' } };
  const why = `Cloud NGFW FQDN objects cannot match wildcards, so only wildcards the platform policy maps to address ranges are allowed (${supported.length ? supported.join(', ') : 'none'})`;
  if (w.suffix === 'private')
    return fail(
      'WILDCARD_SHARED_SUFFIX',
      `\`${w.value}\` would match every tenant of the shared domain \`${w.value.slice(2)}\` (a public-suffix-list private section entry); ${why}`,
      listHint,
    );
  return fail('WILDCARD_NOT_SUPPORTED', `\`${w.value}\` is not supported: ${why}`, listHint);
}
