/**
 * Whether a destination lies wholly in non-public space, from the same special-purpose tables and wording as the
 * entry rule (egress.ts). An entry is refused when it merely overlaps such space; a destination is "internal" (not
 * governed by egress rules) only when it lies wholly inside it: `0.0.0.0/0`, `::/0` and `10.0.0.0/7` contain public
 * addresses.
 */
import * as ipaddr from 'ipaddr.js';
import { normalizeRangeSyntax, SPECIAL_SPACE } from './address';

const { SPECIAL_V4, SPECIAL_V6, GLOBAL_UNICAST_V6, describeRange, overlaps } = SPECIAL_SPACE;

/** Why all of `range` (an address or network/prefix) is non-public, or undefined when any part of it is public. */
export function nonPublicSpace(range: string): string | undefined {
  const r = normalizeRangeSyntax(range);
  if (!('value' in r)) return undefined;
  const [addr, p] = ipaddr.parseCIDR(r.value);
  if (addr.kind() === 'ipv6') {
    const a6 = addr as ipaddr.IPv6;
    const inside = SPECIAL_V6.find((s) => s.bits <= p && a6.match(s.net, s.bits));
    if (inside) return describeRange(inside.name);
    return overlaps(a6, p, GLOBAL_UNICAST_V6[0], GLOBAL_UNICAST_V6[1])
      ? undefined
      : 'outside global unicast space (2000::/3)';
  }
  const a4 = addr as ipaddr.IPv4;
  const inside = SPECIAL_V4.find((s) => s.bits <= p && a4.match(s.net, s.bits));
  return inside ? describeRange(inside.name) : undefined;
}
