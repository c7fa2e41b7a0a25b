/**
 * The per-entry rule of `spec.allowedEgress`: one string becomes one normalized {value, type}. The validator and
 * the applier (re-checking entries from the wire) both call {@link normalizeEgressValue}, so there is one rule.
 */
import { domainToASCII } from 'node:url';
import * as ipaddr from 'ipaddr.js';
import { parse as parseDomain } from 'tldts';
import type { PlatformPolicy } from '../policy/types';
import type { EgressType } from './types';

/** Outcome of normalizing one entry: the canonical entry, or a stable code with an actionable message. */
export type NormalizeResult =
  | { ok: true; entry: { value: string; type: EgressType } }
  | { ok: false; code: string; message: string; hint?: string };

type Fail = Extract<NormalizeResult, { ok: false }>;

const fail = (code: string, message: string, hint?: string): Fail =>
  hint === undefined ? { ok: false, code, message } : { ok: false, code, message, hint };

const MAX_HOSTNAME = 253;
const MAX_LABEL = 63;
const LABEL_RE = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const NUMERIC_RE = /^[0-9]+$/;
const DOTTED_NUMERIC_RE = /^[0-9.]+$/;
const NUMERIC_START_RE = /^[0-9]/;
const PREFIX_RE = /^(?:0|[1-9][0-9]{0,2})$/;
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
    return fail(
      'INVALID_IP',
      `\`${s}\` is not a valid IPv4 address (four decimal octets 0-255, no leading zeros)`,
      ipv4Suggestion(s),
    );
  }
  const host = normalizeHostname(s);
  if (!host.ok) return host;
  return { ok: true, entry: { value: host.value, type: 'hostname' } };
}

/**
 * What a non-standard IPv4 spelling most likely meant: leading zeros dropped, else ipaddr.js's (inet_aton) reading,
 * but only for four parts, hex, or a whole address as one number: `443` is a port and `8.8.8` a typo, and
 * suggesting `0.0.1.187` or `8.8.0.8` would mislead.
 */
function ipv4Suggestion(s: string): string | undefined {
  const parts = s.split('.');
  if (parts.length === 4 && parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255))
    return `did you mean \`${parts.map(Number).join('.')}\`?`;
  const plausible = parts.length === 4 || /0x/i.test(s) || (parts.length === 1 && Number(s) >= 2 ** 24);
  return plausible && ipaddr.IPv4.isValid(s) ? `did you mean \`${ipaddr.IPv4.parse(s).toString()}\`?` : undefined;
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

function isIpLiteral(s: string): boolean {
  if (s.includes(':')) return !s.includes('%') && ipaddr.IPv6.isValid(s);
  return ipaddr.IPv4.isValidFourPartDecimal(s);
}

/** Normalizes a hostname: lowercase, trailing dot dropped, IDN to punycode, RFC 1123 labels. */
export function normalizeHostname(input: string): { ok: true; value: string } | Fail {
  let h = input.toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII range test
  if (!/^[\x00-\x7f]*$/.test(h) || h.includes('xn--')) {
    const ascii = domainToASCII(h);
    if (!ascii) return fail('INVALID_HOSTNAME', `\`${input}\` is not a valid internationalized domain name`, undefined);
    h = ascii;
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

type Range<T> = [T, number];
type SpecialTable<T> = Record<string, Range<T> | Range<T>[]>;

function rangesOf<T>(table: SpecialTable<T>): { name: string; net: T; bits: number }[] {
  const out: { name: string; net: T; bits: number }[] = [];
  for (const [name, v] of Object.entries(table)) {
    const list = (Array.isArray(v[0]) ? v : [v]) as Range<T>[];
    for (const [net, bits] of list) out.push({ name, net, bits });
  }
  return out;
}

// ipaddr.js keeps the IANA special-purpose registries current; we reuse its tables (not part of its typings).
const SPECIAL_V4 = rangesOf(
  (ipaddr.IPv4.prototype as unknown as { SpecialRanges: SpecialTable<ipaddr.IPv4> }).SpecialRanges,
);
const SPECIAL_V6 = rangesOf(
  (ipaddr.IPv6.prototype as unknown as { SpecialRanges: SpecialTable<ipaddr.IPv6> }).SpecialRanges,
);
const GLOBAL_UNICAST_V6: Range<ipaddr.IPv6> = [ipaddr.IPv6.parse('2000::'), 3];

const RANGE_WHY: Record<string, string> = {
  private: 'a private (RFC 1918) range',
  uniqueLocal: 'a unique-local (fc00::/7) range',
  loopback: 'loopback',
  linkLocal: 'link-local (this includes the metadata server 169.254.169.254)',
  carrierGradeNat: 'carrier-grade NAT space (100.64.0.0/10)',
  multicast: 'multicast',
  unspecified: 'the unspecified address range',
  broadcast: 'the broadcast address',
  reserved: 'reserved or documentation space',
  ipv4Mapped: 'IPv4-mapped IPv6 space (write the IPv4 address instead)',
};

function describeRange(name: string): string {
  return RANGE_WHY[name] ?? `special-purpose space (${name})`;
}

/** Whether [a/p] overlaps [net/bits]: one contains the other's network address. */
function overlaps<T extends ipaddr.IPv4 | ipaddr.IPv6>(a: T, p: number, net: T, bits: number): boolean {
  return p <= bits
    ? (net as ipaddr.IPv4).match(a as ipaddr.IPv4, p)
    : (a as ipaddr.IPv4).match(net as ipaddr.IPv4, bits);
}

function normalizeCidr(
  addrText: string,
  prefix: number | undefined,
  original: string,
  policy: PlatformPolicy,
): NormalizeResult {
  const v6 = addrText.includes(':');
  const max = v6 ? 128 : 32;
  const addr = v6 ? ipaddr.IPv6.parse(addrText) : ipaddr.IPv4.parse(addrText);
  const p = prefix ?? max;
  if (p > max)
    return fail(
      'INVALID_CIDR',
      `\`${original}\`: the prefix length ${p} is beyond /${max}`,
      `use a prefix from /1 to /${max}`,
    );
  const addrStr = v6 ? (addr as ipaddr.IPv6).toRFC5952String() : addr.toString();
  if (p === 0)
    return fail(
      'CIDR_ALL_ADDRESSES',
      `\`${original}\` matches every address and would open the zero-trust perimeter`,
      'list the specific hostnames or ranges you need',
    );
  const network = networkOf(addr, p);
  if (network !== addrStr)
    return fail(
      'CIDR_HOST_BITS',
      `\`${original}\` has host bits set beyond /${p}`,
      `use the network address \`${network}/${p}\` (or \`${addrStr}\` for the single address)`,
    );
  const value = `${network}/${p}`;
  if (v6) {
    const a6 = addr as ipaddr.IPv6;
    for (const r of SPECIAL_V6)
      if (overlaps(a6, p, r.net, r.bits))
        return nonPublic(
          original,
          describeRange(r.name),
          r.name === 'ipv4Mapped' ? mappedSuggestion(a6, p, policy) : undefined,
        );
    if (!overlaps(a6, p, GLOBAL_UNICAST_V6[0], GLOBAL_UNICAST_V6[1]) || p < 3)
      return nonPublic(original, 'outside global unicast space (2000::/3)');
  } else {
    for (const r of SPECIAL_V4)
      if (overlaps(addr as ipaddr.IPv4, p, r.net, r.bits)) return nonPublic(original, describeRange(r.name));
  }
  const min = v6 ? policy.manifest.minPrefixV6 : policy.manifest.minPrefixV4;
  if (p < min)
    return fail(
      'CIDR_TOO_BROAD',
      `\`${original}\` is broader than the platform's limit of /${min} for ${v6 ? 'IPv6' : 'IPv4'}`,
      `list narrower ranges (/${min} or longer) or the hostnames you need`,
    );
  return { ok: true, entry: { value, type: 'cidr' } };
}

/** The IPv4 form of an IPv4-mapped address or range, when that form is itself an allowed entry (for the hint). */
function mappedSuggestion(a6: ipaddr.IPv6, p: number, policy: PlatformPolicy): string | undefined {
  if (p < 96) return undefined;
  const v4 = a6.toIPv4Address().toString();
  const text = p === 128 ? v4 : `${v4}/${p - 96}`;
  const r = normalizeCidr(v4, p - 96, text, policy);
  return r.ok ? (p === 128 ? v4 : r.entry.value) : undefined;
}

/** The canonical text of the network address of `addr/p` (host bits cleared). */
function networkOf(addr: ipaddr.IPv4 | ipaddr.IPv6, p: number): string {
  const bytes = addr.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, p - i * 8));
    bytes[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  const net = ipaddr.fromByteArray(bytes);
  return net.kind() === 'ipv6' ? (net as ipaddr.IPv6).toRFC5952String() : net.toString();
}

function nonPublic(original: string, why: string, ipv4?: string): Fail {
  return fail(
    'NON_PUBLIC_ADDRESS',
    `\`${original}\` is ${why}, not an external destination: egress rules only open the perimeter to public destinations (traffic inside the VPC is allowed by default; rules are additive)`,
    ipv4 ? `use \`${ipv4}\`` : 'remove it; list public destinations only',
  );
}

/** Parses and normalizes a CIDR or address for the platform policy (no public/size checks), or says why not. */
export function normalizeRangeSyntax(s: string): { value: string } | { error: string; hint?: string } {
  const t = s.trim();
  const slash = t.indexOf('/');
  const head = slash >= 0 ? t.slice(0, slash) : t;
  const tail = slash >= 0 ? t.slice(slash + 1) : undefined;
  if (!isIpLiteral(head)) return { error: `\`${s}\` is not an IPv4/IPv6 address or CIDR range` };
  const v6 = head.includes(':');
  const max = v6 ? 128 : 32;
  if (tail !== undefined && (!PREFIX_RE.test(tail) || Number(tail) > max))
    return { error: `\`${s}\` has an invalid prefix length (0-${max})` };
  const p = tail === undefined ? max : Number(tail);
  const addr = v6 ? ipaddr.IPv6.parse(head).toRFC5952String() : ipaddr.IPv4.parse(head).toString();
  const network = networkOf(v6 ? ipaddr.IPv6.parse(head) : ipaddr.IPv4.parse(head), p);
  if (network !== addr) return { error: `\`${s}\` has host bits set`, hint: `use \`${network}/${p}\`` };
  return { value: `${network}/${p}` };
}

/** The special-purpose blocks and their descriptions, for `nonPublicSpace` (publicSpace.ts): one table, one wording. */
export const SPECIAL_SPACE = { SPECIAL_V4, SPECIAL_V6, GLOBAL_UNICAST_V6, describeRange, overlaps };
