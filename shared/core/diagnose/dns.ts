/**
 * The local DNS table and how Cloud NGFW turns an FQDN object into addresses (docs/diagnose.md, "FQDN objects"):
 * at most 32 IPv4 and 32 IPv6 addresses per name (the first ones of the answer), and a name that answers NXDOMAIN or
 * with no address is ignored. A record may say what the firewall's resolver sees (`firewall`) when it differs from
 * what the application resolves (CDN rotation, a split-horizon zone): that is how a mismatch is modelled offline.
 *
 * A name the table lacks is answered as the internet would (docs/local.md, "The local resolver"): NXDOMAIN for a
 * special-use name (the validator's one list, manifest/egress.ts), otherwise one A and one AAAA derived from the name
 * in benchmarking space, so a new partner host resolves, and is denied until a manifest lists it.
 */
import { normalizeHostname } from '../manifest/egress';

/** One name's answer. Hostnames are matched case-insensitively, without the trailing dot. */
export interface DnsAnswer {
  a?: string[];
  aaaa?: string[];
  /** The name does not exist (the answer is NXDOMAIN). */
  nxdomain?: boolean;
}

/** A record of the local DNS table: what applications resolve, and optionally what the firewall resolved. */
export interface DnsRecord extends DnsAnswer {
  /** The answer Cloud NGFW's periodic resolution got, when it differs from the application's. */
  firewall?: DnsAnswer;
}

/** name → record. */
export type DnsTable = Record<string, DnsRecord>;

/** Per-name limits of an FQDN object (Cloud NGFW FQDN objects overview). */
export const FQDN_MAX_IPV4 = 32;
export const FQDN_MAX_IPV6 = 32;

/** The addresses a firewall rule is programmed with for one FQDN, and why some were left out. */
export interface ProgrammedFqdn {
  name: string;
  v4: string[];
  v6: string[];
  /** Set when the object is ignored: NXDOMAIN (a special-use name too), or an answer without addresses. */
  ignored?: 'NXDOMAIN' | 'NO_ADDRESSES';
  /** Addresses beyond the first 32 per family, not programmed. */
  truncated: string[];
}

/** Normalizes a DNS name: lower case, no trailing dot. */
export function dnsName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** The IPv4 block of the local resolver's synthesized answers: benchmarking space (RFC 2544, RFC 6890). */
export const SYNTHESIZED_V4_BLOCK = '198.18.0.0/15';
/** The IPv6 block of the synthesized answers: IPv6 benchmarking space (RFC 5180, RFC 6890). */
export const SYNTHESIZED_V6_BLOCK = '2001:2::/48';
/** Offsets 1 … 2^17 - 2 of the /15 (neither its first nor its last address). */
const SYNTHESIZED_SLOTS = 2 ** 17 - 2;

/** FNV-1a, 32 bits: a stable hash of a name (no crypto needed, only spread). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * What the local resolver answers for a name its table lacks: NXDOMAIN for a special-use or malformed name (the
 * validator's rule, normalizeHostname), otherwise the A `198.18.0.0 + k` and the AAAA `2001:2::k`, k = 1 + FNV-1a of
 * the name modulo 2^17 - 2. Deterministic: the firewall's view and the application's are the same answer.
 */
export function synthesizedAnswer(name: string): DnsAnswer {
  const h = normalizeHostname(dnsName(name));
  if (!h.ok) return { nxdomain: true };
  const k = 1 + (fnv1a(h.value) % SYNTHESIZED_SLOTS);
  const hi = k >>> 16;
  const lo = k & 0xffff;
  return {
    a: [`198.${18 + hi}.${lo >>> 8}.${lo & 255}`],
    aaaa: [`2001:2::${hi ? `${hi.toString(16)}:` : ''}${lo.toString(16)}`],
  };
}

/**
 * The record of `name`: the table's (it always wins), else the synthesized answer. The one place both views read
 * (resolveForApp, programFqdn, denials), so the workload and the firewall agree on every name.
 */
export function lookup(table: DnsTable, name: string): DnsRecord {
  const n = dnsName(name);
  for (const [k, v] of Object.entries(table)) if (dnsName(k) === n) return v;
  return synthesizedAnswer(n);
}

/** What the application resolves `name` to (its own view). */
export function resolveForApp(table: DnsTable, name: string): DnsAnswer {
  const r = lookup(table, name);
  return { ...(r.a ? { a: r.a } : {}), ...(r.aaaa ? { aaaa: r.aaaa } : {}), ...(r.nxdomain ? { nxdomain: true } : {}) };
}

/** What Cloud NGFW programs for the FQDN object `name`, resolved through `table` (its `firewall` view first). */
export function programFqdn(table: DnsTable, name: string): ProgrammedFqdn {
  const r = lookup(table, name);
  const seen: DnsAnswer = r.firewall ?? r;
  const base = { name: dnsName(name), v4: [] as string[], v6: [] as string[], truncated: [] as string[] };
  if (seen.nxdomain) return { ...base, ignored: 'NXDOMAIN' };
  const a = seen.a ?? [];
  const aaaa = seen.aaaa ?? [];
  if (!a.length && !aaaa.length) return { ...base, ignored: 'NO_ADDRESSES' };
  return {
    ...base,
    v4: a.slice(0, FQDN_MAX_IPV4),
    v6: aaaa.slice(0, FQDN_MAX_IPV6),
    truncated: [...a.slice(FQDN_MAX_IPV4), ...aaaa.slice(FQDN_MAX_IPV6)],
  };
}

/** The default table for the example hosts (docs/diagnose.md); documentation addresses (RFC 5737 / RFC 3849). */
export const DEFAULT_DNS_TABLE: DnsTable = {
  'api.stripe.com': { a: ['203.0.113.10', '203.0.113.11'] },
  'hooks.slack.com': { a: ['203.0.113.20'] },
  'smtp.sendgrid.net': { a: ['203.0.113.30'] },
  'api.unlisted.example': { a: ['198.51.100.7'], aaaa: ['2001:db8::7'] },
  // A public-looking partner API no example manifest lists: the README's probe -> denials walk-through (a `.example`
  // name is special-use, so the validator would refuse the line denials proposes for it).
  'api.newpartner.com': { a: ['198.51.100.8'] },
  // A CDN host whose answers rotate: the firewall's resolution got another address than the application's.
  'cdn.example.com': { a: ['198.51.100.40'], firewall: { a: ['198.51.100.41'] } },
  // A name the firewall's resolver cannot resolve (split horizon): Cloud NGFW ignores it.
  'partner.example.com': { a: ['198.51.100.50'], firewall: { nxdomain: true } },
  'private.googleapis.com': { a: ['199.36.153.8', '199.36.153.9', '199.36.153.10', '199.36.153.11'] },
  'storage.googleapis.com': { a: ['199.36.153.8', '199.36.153.9', '199.36.153.10', '199.36.153.11'] },
};
