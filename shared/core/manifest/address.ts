/**
 * The address half of the per-entry rule: IPv4/IPv6 addresses and CIDR ranges. A range is refused as "all
 * addresses", as non-public when it lies inside (or contains) special-purpose space, or as too broad below the
 * policy's minimum prefix; a hint never proposes a value that would itself be refused.
 */
import * as ipaddr from 'ipaddr.js';
import type { PlatformPolicy } from '../policy/types';
import { type Fail, fail, type NormalizeResult } from './result';

/** A prefix length as written: decimal without leading zeros. */
export const PREFIX_RE = /^(?:0|[1-9][0-9]{0,2})$/;

/** True for a standard IPv4 (four decimal octets) or IPv6 address text. */
export function isIpLiteral(s: string): boolean {
  if (s.includes(':')) return !s.includes('%') && ipaddr.IPv6.isValid(s);
  return ipaddr.IPv4.isValidFourPartDecimal(s);
}

/**
 * Why a numeric-looking string is not a standard IPv4 address. Leading zeros are ambiguous (`010` is 10 to some
 * readers and octal 8 to inet_aton), so they get no suggestion; other forms get ipaddr.js's (inet_aton) reading,
 * but only for four parts, hex, or a whole address as one number (`443` is a port, `8.8.8` a typo), and only when
 * that reading is itself an allowed entry.
 */
export function invalidIpv4(s: string, policy: PlatformPolicy): Fail {
  const parts = s.split('.');
  if (parts.length === 4 && parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255))
    return fail(
      'INVALID_IP',
      `\`${s}\` has octets with leading zeros, which are ambiguous (\`010\` is 10 to some software and octal 8 to inet_aton); refused`,
      'write each octet in plain decimal without leading zeros, as the address you mean',
    );
  const message = `\`${s}\` is not a valid IPv4 address (four decimal octets 0-255, no leading zeros)`;
  const plausible = parts.length === 4 || /0x/i.test(s) || (parts.length === 1 && Number(s) >= 2 ** 24);
  if (plausible && ipaddr.IPv4.isValid(s)) {
    const read = ipaddr.IPv4.parse(s).toString();
    if (normalizeCidr(read, undefined, read, policy).ok)
      return fail('INVALID_IP', message, `did you mean \`${read}\`?`);
  }
  return fail('INVALID_IP', message);
}

type Range<T> = [T, number];
type SpecialTable<T> = Record<string, Range<T> | Range<T>[]>;
type Special<T> = { name: string; net: T; bits: number };

function rangesOf<T>(table: SpecialTable<T>): Special<T>[] {
  const out: Special<T>[] = [];
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

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

/** Whether `a/p` lies inside `net/bits`. */
function inside(a: Addr, p: number, net: Addr, bits: number): boolean {
  return p >= bits && (a as ipaddr.IPv4).match(net as ipaddr.IPv4, bits);
}

/** Whether [a/p] overlaps [net/bits]: one contains the other's network address. */
function overlaps(a: Addr, p: number, net: Addr, bits: number): boolean {
  return p <= bits
    ? (net as ipaddr.IPv4).match(a as ipaddr.IPv4, p)
    : (a as ipaddr.IPv4).match(net as ipaddr.IPv4, bits);
}

function text(a: Addr): string {
  return a.kind() === 'ipv6' ? (a as ipaddr.IPv6).toRFC5952String() : a.toString();
}

/** Normalizes `addrText[/prefix]` (both already syntactically valid) for the manifest, or says why not. */
export function normalizeCidr(
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
  if (p === 0)
    return fail(
      'CIDR_ALL_ADDRESSES',
      `\`${original}\` matches every address and would open the zero-trust perimeter`,
      'list the specific hostnames or ranges you need',
    );
  const addrStr = text(addr);
  const network = networkOf(addr, p);
  if (network !== addrStr) return hostBits(addr, p, original, policy);
  const refused = rangeVerdict(addr, p, original, policy);
  return refused ?? { ok: true, entry: { value: `${network}/${p}`, type: 'cidr' } };
}

/** The refusal of a host-bits-free range, or undefined when it is an allowed destination. */
function rangeVerdict(addr: Addr, p: number, original: string, policy: PlatformPolicy): Fail | undefined {
  const v6 = addr.kind() === 'ipv6';
  const specials: Special<Addr>[] = v6 ? SPECIAL_V6 : SPECIAL_V4;
  // Wholly inside special-purpose space: that is what it is, however broad.
  for (const r of specials)
    if (inside(addr, p, r.net, r.bits))
      return nonPublic(
        original,
        `is ${describeRange(r.name)}`,
        r.name === 'ipv4Mapped' ? mappedSuggestion(addr as ipaddr.IPv6, p, policy) : undefined,
      );
  if (v6 && !overlaps(addr, p, GLOBAL_UNICAST_V6[0], GLOBAL_UNICAST_V6[1]))
    return nonPublic(original, 'is outside global unicast space (2000::/3)');
  const min = v6 ? policy.manifest.minPrefixV6 : policy.manifest.minPrefixV4;
  // Broader than the minimum: "too broad" first, even when it also contains special space (10.0.0.0/7, 0.0.0.0/1).
  if (p < min)
    return fail(
      'CIDR_TOO_BROAD',
      `\`${original}\` is broader than the platform's limit of /${min} for ${v6 ? 'IPv6' : 'IPv4'}`,
      `list narrower ranges (/${min} or longer) or the hostnames you need`,
    );
  if (v6 && p < GLOBAL_UNICAST_V6[1]) return nonPublic(original, 'contains space outside global unicast (2000::/3)');
  for (const r of specials)
    if (overlaps(addr, p, r.net, r.bits))
      return nonPublic(original, `contains ${describeRange(r.name)} (\`${text(r.net)}/${r.bits}\`)`);
  return undefined;
}

/** The refusal of a range with host bits set, proposing only ranges that would be accepted. */
function hostBits(addr: Addr, p: number, original: string, policy: PlatformPolicy): Fail {
  const v6 = addr.kind() === 'ipv6';
  const max = v6 ? 128 : 32;
  const min = v6 ? policy.manifest.minPrefixV6 : policy.manifest.minPrefixV4;
  const addrStr = text(addr);
  const network = `${networkOf(addr, p)}/${p}`;
  const accepted = (a: string, q: number) => normalizeCidr(a, q, `${a}/${q}`, policy).ok;
  const single = accepted(addrStr, max) ? ` (or \`${addrStr}\` for the single address)` : '';
  const message = `\`${original}\` has host bits set beyond /${p}`;
  if (accepted(networkOf(addr, p), p))
    return fail('CIDR_HOST_BITS', message, `use the network address \`${network}\`${single}`);
  // The network the prefix describes is refused itself (`8.8.8.0/8` → `8.0.0.0/8`, too broad): propose the
  // broadest octet (IPv6: 16-bit) aligned range that starts at the address as written and is allowed.
  const why = p < min ? `broader than the platform's minimum prefix /${min}` : 'not an allowed destination';
  const step = v6 ? 16 : 8;
  for (let q = Math.ceil(Math.max(p + 1, min) / step) * step; q < max; q += step)
    if (networkOf(addr, q) === addrStr && accepted(addrStr, q))
      return fail(
        'CIDR_HOST_BITS',
        `${message}; its network \`${network}\` is ${why}`,
        `did you mean \`${addrStr}/${q}\`?${single}`,
      );
  return fail(
    'CIDR_HOST_BITS',
    `${message}; its network \`${network}\` is ${why}`,
    single
      ? `use \`${addrStr}\` for the single address, or a range of /${min} or longer`
      : `write the public range you mean with a prefix of /${min} or longer`,
  );
}

/** The IPv4 form of an IPv4-mapped address or range, when that form is itself an allowed entry (for the hint). */
function mappedSuggestion(a6: ipaddr.IPv6, p: number, policy: PlatformPolicy): string | undefined {
  if (p < 96) return undefined;
  const v4 = a6.toIPv4Address().toString();
  const txt = p === 128 ? v4 : `${v4}/${p - 96}`;
  const r = normalizeCidr(v4, p - 96, txt, policy);
  return r.ok ? (p === 128 ? v4 : r.entry.value) : undefined;
}

/** The canonical text of the network address of `addr/p` (host bits cleared). */
function networkOf(addr: Addr, p: number): string {
  const bytes = addr.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, p - i * 8));
    bytes[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return text(ipaddr.fromByteArray(bytes));
}

function nonPublic(original: string, why: string, ipv4?: string): Fail {
  return fail(
    'NON_PUBLIC_ADDRESS',
    `\`${original}\` ${why}, not an external destination: egress rules only open the perimeter to public destinations (traffic inside the VPC is allowed by default; rules are additive)`,
    ipv4 ? `use \`${ipv4}\`` : 'remove it; list public destinations only',
  );
}

/** Parses and normalizes a CIDR or address for the platform policy (no public/size checks), or says why not. */
export function normalizeRangeSyntax(s: string): { value: string } | { error: string; hint?: string } {
  const t = s.trim();
  const slash = t.indexOf('/');
  const head = slash >= 0 ? t.slice(0, slash) : t;
  const tail = slash >= 0 ? t.slice(slash + 1) : undefined;
  if (!isIpLiteral(head))
    return {
      error: `\`${s}\` is not an IPv4/IPv6 address or CIDR range`,
      hint: 'write an address or network/prefix, such as `199.36.153.8/30`',
    };
  const v6 = head.includes(':');
  const max = v6 ? 128 : 32;
  if (tail !== undefined && (!PREFIX_RE.test(tail) || Number(tail) > max))
    return { error: `\`${s}\` has an invalid prefix length (0-${max})`, hint: `use a prefix from /1 to /${max}` };
  const p = tail === undefined ? max : Number(tail);
  const addr = v6 ? ipaddr.IPv6.parse(head) : ipaddr.IPv4.parse(head);
  const network = networkOf(addr, p);
  if (network !== text(addr)) return { error: `\`${s}\` has host bits set`, hint: `use \`${network}/${p}\`` };
  return { value: `${network}/${p}` };
}

/** The special-purpose tables and wording, shared with publicSpace.ts (is a destination wholly non-public?). */
export const SPECIAL_SPACE = { SPECIAL_V4, SPECIAL_V6, GLOBAL_UNICAST_V6, describeRange, overlaps };
