/**
 * Address-range arithmetic for the compiler: canonical network/prefix form, family split, deduplication and removal
 * of ranges covered by a broader one (allow rules only, so a covered range adds nothing).
 */
import ipaddr from 'ipaddr.js';

/** A parsed range: network bytes (host bits cleared), prefix length and canonical text. Never mutated. */
export interface ParsedRange {
  family: 4 | 6;
  bytes: number[];
  prefix: number;
  text: string;
}

/** Parses `a.b.c.d/n`, `x::/n` or a bare address (as /32 or /128) to its canonical network form; throws when invalid. */
export function parseRange(value: string): ParsedRange {
  const v = value.trim();
  const withPrefix = v.includes('/') ? v : `${v}/${v.includes(':') ? 128 : 32}`;
  if (!ipaddr.isValidCIDR(withPrefix)) throw new Error(`not an address range: ${value}`);
  const [addr, prefix] = ipaddr.parseCIDR(withPrefix);
  const bytes = addr.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    bytes[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  const net = ipaddr.fromByteArray(bytes);
  const family = addr.kind() === 'ipv4' ? 4 : 6;
  const text = `${family === 6 ? (net as ipaddr.IPv6).toRFC5952String() : net.toString()}/${prefix}`;
  return { family, bytes, prefix, text };
}

function covers(outer: ParsedRange, inner: ParsedRange): boolean {
  if (outer.family !== inner.family || outer.prefix > inner.prefix) return false;
  const full = outer.prefix >> 3;
  for (let i = 0; i < full; i++) if (outer.bytes[i] !== inner.bytes[i]) return false;
  const rest = outer.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (outer.bytes[full]! & mask) === (inner.bytes[full]! & mask);
}

function compareBytes(a: ParsedRange, b: ParsedRange): number {
  for (let i = 0; i < a.bytes.length; i++) {
    const d = a.bytes[i]! - b.bytes[i]!;
    if (d !== 0) return d;
  }
  return a.prefix - b.prefix;
}

/** True when range `outer` contains range `inner` (both texts as in `parseRange`); false when either is not a range. */
export function rangeCovers(outer: string, inner: string): boolean {
  try {
    return covers(parseRange(outer), parseRange(inner));
  } catch {
    return false;
  }
}

const parsedLists = new WeakMap<readonly string[], readonly ParsedRange[]>();

/**
 * `list` parsed, once per list object: a policy's wildcard expansion is one array shared by every project that uses
 * the wildcard, so 5,000 projects parse it once, not 5,000 times. Lists must not be mutated after their first parse.
 */
export function parseRangeList(list: readonly string[]): readonly ParsedRange[] {
  let parsed = parsedLists.get(list);
  if (!parsed) {
    parsed = list.map(parseRange);
    parsedLists.set(list, parsed);
  }
  return parsed;
}

/** Splits ranges by family, canonicalizes, deduplicates, drops covered ranges, sorts by address. */
export function mergeRanges(values: readonly string[]): { v4: string[]; v6: string[] } {
  return mergeParsed(values.map(parseRange));
}

/** `mergeRanges` over ranges already parsed. */
export function mergeParsed(values: readonly ParsedRange[]): { v4: string[]; v6: string[] } {
  const byFamily: Record<4 | 6, ParsedRange[]> = { 4: [], 6: [] };
  const seen = new Set<string>();
  for (const r of values) {
    if (seen.has(r.text)) continue;
    seen.add(r.text);
    byFamily[r.family].push(r);
  }
  const reduce = (list: ParsedRange[]): string[] => {
    // By address, broader first on ties. CIDR ranges nest or are disjoint, and kept ranges are disjoint, so a range
    // covered by any kept range is covered by the last one kept: one comparison per range.
    const sorted = [...list].sort(compareBytes);
    const kept: ParsedRange[] = [];
    for (const r of sorted) {
      const last = kept[kept.length - 1];
      if (last && covers(last, r)) continue;
      kept.push(r);
    }
    return kept.map((r) => r.text);
  };
  return { v4: reduce(byFamily[4]), v6: reduce(byFamily[6]) };
}
