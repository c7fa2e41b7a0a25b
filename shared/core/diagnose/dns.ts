/**
 * The local DNS table and how Cloud NGFW turns an FQDN object into addresses (docs/diagnose.md, "FQDN objects"):
 * at most 32 IPv4 and 32 IPv6 addresses per name (the first ones of the answer), and a name that answers NXDOMAIN or
 * with no address is ignored. A record may say what the firewall's resolver sees (`firewall`) when it differs from
 * what the application resolves (CDN rotation, a split-horizon zone): that is how a mismatch is modelled offline.
 */

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
  /** Set when the object is ignored: NXDOMAIN, or an answer without addresses, or a name the table lacks. */
  ignored?: 'NXDOMAIN' | 'NO_ADDRESSES';
  /** Addresses beyond the first 32 per family, not programmed. */
  truncated: string[];
}

/** Normalizes a DNS name: lower case, no trailing dot. */
export function dnsName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** The record of `name` in `table`, or undefined. */
export function lookup(table: DnsTable, name: string): DnsRecord | undefined {
  const n = dnsName(name);
  for (const [k, v] of Object.entries(table)) if (dnsName(k) === n) return v;
  return undefined;
}

/** What the application resolves `name` to (its own view; NXDOMAIN when the table has no such name). */
export function resolveForApp(table: DnsTable, name: string): DnsAnswer {
  const r = lookup(table, name);
  if (!r) return { nxdomain: true };
  return { ...(r.a ? { a: r.a } : {}), ...(r.aaaa ? { aaaa: r.aaaa } : {}), ...(r.nxdomain ? { nxdomain: true } : {}) };
}

/** What Cloud NGFW programs for the FQDN object `name`, resolved through `table` (its `firewall` view first). */
export function programFqdn(table: DnsTable, name: string): ProgrammedFqdn {
  const r = lookup(table, name);
  const seen: DnsAnswer = r?.firewall ?? r ?? { nxdomain: true };
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
