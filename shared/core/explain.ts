/**
 * `egress explain`: "may project P reach destination D?", answered from the manifest (what the team asked for) and
 * the firewall (what is enforced), with the entry and rule that decide, whether the two disagree, and the exact YAML
 * line to add when D is not allowed. Pure: the caller reads the manifest and the policy snapshot; no DNS lookups (a
 * hostname is never resolved here, so "does this host fall inside that range" is reported as unknown, never guessed).
 *
 * The JSON shape of {@link ExplainResult} is a documented contract (docs/operations.md, `schemaVersion` 1) for
 * programs and AI assistants: fields may be added, never renamed or removed.
 */
import { domainToASCII } from 'node:url';
import ipaddr from 'ipaddr.js';
import { desiredHash } from './events/codec';
import { compileProject } from './firewall/compiler';
import { parseMarker } from './firewall/marker';
import { isEmptyPlan, planProject } from './firewall/plan';
import { parseRange } from './firewall/ranges';
import type { DesiredRule, ObservedRule, OwnershipMarker } from './firewall/types';
import { normalizeEgressValue } from './manifest/egress';
import type { EgressEntry, ProjectMeta } from './manifest/types';
import type { PlatformPolicy } from './policy/types';

/** Explain's JSON contract version. */
export const EXPLAIN_SCHEMA_VERSION = 1;

/** The destination could not be read as a host, an address or a range: the message names it and gives a hint. */
export class DestinationError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'DestinationError';
  }
}

/** What the user typed, reduced to what a firewall matches. */
export interface ParsedDestination {
  input: string;
  kind: 'hostname' | 'ip' | 'range';
  /** Lowercase punycode hostname, canonical address, or canonical network/prefix. */
  value: string;
  /** 4 or 6 for addresses and ranges. */
  family?: 4 | 6;
  /** What was removed to get `value` (`scheme "https://"`, `port 8443`, `path "/v1"`…): firewalls match hosts only. */
  stripped: string[];
}

/** The manifest side of the input: a parsed manifest (valid or not) or null when the project has none. */
export interface ExplainManifest {
  /** File or object the manifest was read from (the file the fix goes into). */
  path: string;
  /** Raw text, used to point at entry lines and to indent the suggested line like its neighbours. */
  text?: string;
  valid: boolean;
  project: ProjectMeta | null;
  entries: EgressEntry[];
  /** The bucket object's generation when read from a bucket (absent for a local directory). */
  generation?: string;
  /** Error codes of an invalid manifest (shown, since the pipeline ignores an invalid upload). */
  errors?: string[];
}

/** The firewall side of the input: every rule of the policy (owned or not), from the live policy or a state file. */
export interface ExplainFirewall {
  /** Human label of where the rules came from (`live policy P in H`, `state file x.json`). */
  source: string;
  rules: ObservedRule[];
}

/** Input of {@link explain}. */
export interface ExplainInput {
  project: string;
  destination: string;
  policy: PlatformPolicy;
  /** null: no manifest for the project was found (the fix then names `suggestedPath`). */
  manifest: ExplainManifest | null;
  /** Absent: the firewall was not consulted (manifest-only answer). */
  firewall?: ExplainFirewall;
  /** Where a new manifest for the project would go, when there is none. */
  suggestedPath?: string;
  /** Fills `{hostProject}` of the target template (to recognise platform rules that target the project). */
  hostProject?: string;
  /** The comment of the suggested line. */
  why?: string;
}

/** How a manifest entry covers the destination. */
export type EntryMatchHow = 'exact-hostname' | 'wildcard' | 'wildcard-expansion' | 'address-in-range';

/** A manifest entry that allows the destination. */
export interface EntryMatch {
  entry: string;
  type: EgressEntry['type'];
  how: EntryMatchHow;
  /** For wildcards: the ranges the platform expands it to (and the policy's note). */
  expandsTo?: string[];
  note?: string;
  /** The range of a cidr entry or expansion that contains the destination. */
  range?: string;
  description?: string;
  /** 1-based line of the entry in the manifest text, when known. */
  line?: number;
}

/** How a firewall rule matches the destination. */
export type RuleMatchHow = 'fqdn' | 'address-in-range' | 'wildcard-expansion' | 'any-destination';

/** A firewall rule that applies to the project's workloads and matches the destination. */
export interface RuleMatch {
  priority: number;
  ruleName: string;
  action: string;
  how: RuleMatchHow;
  /** The destFqdns value or destIpRanges range that matched. */
  matched?: string;
  /** True when the rule carries this product's marker for the project. */
  owned: boolean;
  /** The marker's generation and hash, for owned rules. */
  generation?: string;
  hash?: string;
}

/** Whether the manifest and the firewall tell the same story for the project as a whole. */
export type AgreementStatus =
  /** The owned rules are exactly what the manifest compiles to. */
  | 'in-sync'
  /** The manifest is newer than the rules: the apply is pending, or failed (check the status topic). */
  | 'pending'
  /** Same generation and hash, but the rules differ from what the pipeline writes: edited outside the pipeline. */
  | 'drift'
  /** The firewall reflects a newer manifest than the one given (a local copy not merged, or a stale read). */
  | 'firewall-newer'
  /** The rules reflect different entries and the manifest has no generation to order them (a local directory). */
  | 'differs'
  /** Rules remain for a project whose manifest is gone: the revoke is pending or failed. */
  | 'revoke-pending'
  /** The project's only owned rule is its tombstone: revoked (manifest deleted at generation N), nothing allowed. */
  | 'revoked'
  /** Not determinable: the firewall was not consulted, or the manifest is invalid or missing and no rules exist. */
  | 'unknown';

/** The fix when the destination is not allowed: the line to add and where. */
export interface ExplainFix {
  file: string;
  /** The exact YAML line, indented like its neighbours: `    - "api.example.com"  # why`. */
  line: string;
  /** Insert after this 1-based line (the last entry, or the `allowedEgress:` key); absent when a block must be added. */
  afterLine?: number;
  /** A block to add when the manifest has no `allowedEgress` (or no file exists yet). */
  block?: string;
  /** The entry value (normalized) the line adds. */
  entry: string;
  note?: string;
}

/** The answer; see docs/operations.md for the contract. */
export interface ExplainResult {
  schemaVersion: typeof EXPLAIN_SCHEMA_VERSION;
  project: string;
  destination: ParsedDestination;
  /**
   * The effective answer: the firewall's when it was consulted and decided, otherwise the manifest's; null when
   * undeterminable (e.g. a hostname against range rules only: it depends on DNS).
   */
  allowed: boolean | null;
  /**
   * True when `allowed` holds for the hostname by name only: range rules (or, with the firewall not consulted, range
   * entries) that would answer otherwise match if the host resolves into {@link ExplainResult.dnsRanges}. explain
   * never resolves DNS, so it reports the condition instead of guessing. Always false for addresses and ranges.
   */
  dependsOnDns: boolean;
  /** The ranges that would turn the answer around if the hostname resolves into one of them (empty when none). */
  dnsRanges: string[];
  /** One of: allowed, not-allowed, allowed-pending, revoke-pending, unknown, internal. */
  status: 'allowed' | 'not-allowed' | 'allowed-pending' | 'revoke-pending' | 'unknown' | 'internal';
  summary: string;
  manifest: {
    path: string | null;
    found: boolean;
    valid: boolean;
    generation?: string;
    allowed: boolean;
    matches: EntryMatch[];
    /** Entries whose match depends on DNS (hostnames for an address, ranges for a hostname). */
    undetermined: string[];
  };
  firewall: {
    consulted: boolean;
    source?: string;
    /** null when not consulted or no rule decides. */
    allowed: boolean | null;
    /** The first matching rule in priority order (Cloud NGFW evaluates lowest priority number first). */
    decidedBy: RuleMatch | null;
    matches: RuleMatch[];
    /** Rules whose match depends on DNS (range rules for a hostname, FQDN rules for an address). */
    undetermined: { priority: number; ruleName: string; action: string }[];
  };
  agreement: {
    status: AgreementStatus;
    detail: string;
    manifestGeneration?: string;
    manifestHash?: string;
    firewallGeneration?: string;
    firewallHash?: string;
  };
  /** True when the manifest's answer and the firewall's answer differ for this destination. */
  disagree: boolean;
  fix: ExplainFix | null;
  notes: string[];
}

// ---------------------------------------------------------------------------------------------------------------
// Destination parsing

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function isIpv4(s: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(s);
}
function isIpv6(s: string): boolean {
  return s.includes(':') && ipaddr.IPv6.isValid(s);
}

function canonicalAddress(s: string): { value: string; family: 4 | 6 } {
  const a = ipaddr.parse(s);
  if (a.kind() === 'ipv6') {
    const v6 = a as ipaddr.IPv6;
    // An IPv4-mapped IPv6 address is the IPv4 address on the wire.
    if (v6.isIPv4MappedAddress()) return { value: v6.toIPv4Address().toString(), family: 4 };
    return { value: v6.toRFC5952String(), family: 6 };
  }
  return { value: a.toString(), family: 4 };
}

/**
 * Parses a destination as typed by a user: a hostname, an address, a range, a URL (`https://api.x.com:8443/v1`),
 * `host:port`, `[v6]:port`, `user@host`. Throws {@link DestinationError} with a hint when nothing usable remains.
 */
export function parseDestination(input: string): ParsedDestination {
  const stripped: string[] = [];
  let s = input.trim();
  if (!s) throw new DestinationError('the destination is empty', 'give a hostname or an address, e.g. api.stripe.com');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s);
  if (scheme) {
    stripped.push(`scheme "${scheme[0]}"`);
    s = s.slice(scheme[0].length);
  }
  // Path, query and fragment: the first / ? # after the authority (a range's /prefix is handled below).
  for (const [ch, what] of [
    ['#', 'fragment'],
    ['?', 'query'],
  ] as const) {
    const i = s.indexOf(ch);
    if (i >= 0) {
      stripped.push(`${what} "${s.slice(i)}"`);
      s = s.slice(0, i);
    }
  }
  const at = s.lastIndexOf('@', s.indexOf('/') >= 0 ? s.indexOf('/') : s.length);
  if (at >= 0) {
    stripped.push('credentials');
    s = s.slice(at + 1);
  }
  const slash = s.indexOf('/');
  if (slash >= 0) {
    const head = s.slice(0, slash);
    const tail = s.slice(slash);
    const asRange = !scheme && /^\/\d{1,3}$/.test(tail) && (isIpv4(head) || isIpv6(head));
    if (!asRange) {
      if (tail !== '/') stripped.push(`path "${tail}"`);
      s = head;
    }
  }
  // [v6]:port or [v6]
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracket) {
    s = bracket[1]!;
    if (bracket[2]) stripped.push(`port ${bracket[2]}`);
  } else if (!s.includes('/')) {
    const hp = /^([^:]+):(\d*)$/.exec(s);
    if (hp) {
      if (hp[2]) stripped.push(`port ${hp[2]}`);
      s = hp[1]!;
    }
  }

  // Report in the order the parts appear in a URL.
  const order = ['scheme', 'credentials', 'port', 'path', 'query', 'fragment'];
  stripped.sort((a, b) => order.indexOf(a.split(' ')[0]!) - order.indexOf(b.split(' ')[0]!));
  if (s.includes('/')) {
    const [head, bits] = s.split('/') as [string, string];
    const family = isIpv4(head) ? 4 : 6;
    const max = family === 4 ? 32 : 128;
    if (Number(bits) > max)
      throw new DestinationError(`"${input}": /${bits} is not a valid IPv${family} prefix`, `use /0 to /${max}`);
    const r = parseRange(s);
    if (r.prefix === max) {
      return { input, kind: 'ip', value: canonicalAddress(head).value, family, stripped };
    }
    return { input, kind: 'range', value: r.text, family, stripped };
  }
  if (isIpv4(s) || isIpv6(s)) {
    const a = canonicalAddress(s);
    return { input, kind: 'ip', value: a.value, family: a.family, stripped };
  }
  let host = s.toLowerCase();
  if (host.endsWith('.')) {
    host = host.slice(0, -1);
    stripped.push('trailing dot');
  }
  if (host.startsWith('*.')) {
    throw new DestinationError(
      `"${input}" is a wildcard, not a destination`,
      'explain one concrete hostname, e.g. storage.googleapis.com',
    );
  }
  const ascii = domainToASCII(host);
  const labels = ascii.split('.');
  if (
    !ascii ||
    labels.length < 2 ||
    !labels.every((l) => LABEL.test(l)) ||
    ascii.length > 253 ||
    /^\d+$/.test(labels.at(-1)!)
  ) {
    throw new DestinationError(
      `"${input}" is not a hostname or an IP address`,
      'give a fully qualified hostname (api.example.com), an address (203.0.113.7) or a URL',
    );
  }
  if (ascii !== host) stripped.push(`IDN converted to "${ascii}"`);
  return { input, kind: 'hostname', value: ascii, stripped };
}

// ---------------------------------------------------------------------------------------------------------------
// Range helpers

/** True when range (or address) `inner` lies entirely inside range `outer`; false across families. */
export function rangeContains(outer: string, inner: string): boolean {
  let o: ReturnType<typeof parseRange>;
  let i: ReturnType<typeof parseRange>;
  try {
    o = parseRange(outer);
    i = parseRange(inner);
  } catch {
    return false;
  }
  if (o.family !== i.family || o.prefix > i.prefix) return false;
  for (let bit = 0; bit < o.prefix; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((o.bytes[byte]! & mask) !== (i.bytes[byte]! & mask)) return false;
  }
  return true;
}

function isCatchAll(range: string): boolean {
  try {
    return parseRange(range).prefix === 0;
  } catch {
    return false;
  }
}

/** The policy wildcard that covers `host` (longest suffix first), if any. */
export function policyWildcardFor(host: string, policy: PlatformPolicy): string | undefined {
  return Object.keys(policy.wildcards)
    .filter((w) => w.startsWith('*.') && host.endsWith(w.slice(1)))
    .sort((a, b) => b.length - a.length)[0];
}

// ---------------------------------------------------------------------------------------------------------------
// Manifest side

/** The raw allowedEgress items of a manifest text with their lines (for pointing at entries and placing the fix). */
interface ListLayout {
  keyLine?: number;
  keyIndent?: number;
  itemIndent?: number;
  items: { line: number; raw: string }[];
  flow: boolean;
  specLine?: number;
  specIndent?: number;
}

/** Line-level scan of the manifest text: enough to point at entries without depending on the validator's parser. */
function scanLayout(text: string): ListLayout {
  const lines = text.split(/\r?\n/);
  const out: ListLayout = { items: [], flow: false };
  let inList = false;
  lines.forEach((l, idx) => {
    const lineNo = idx + 1;
    const indent = l.length - l.trimStart().length;
    const body = l.trim();
    if (body === '' || body.startsWith('#')) return;
    if (/^spec:\s*(#.*)?$/.test(body) && out.specLine === undefined) {
      out.specLine = lineNo;
      out.specIndent = indent;
    }
    const key = /^allowedEgress:\s*(.*)$/.exec(body);
    if (key && out.keyLine === undefined) {
      out.keyLine = lineNo;
      out.keyIndent = indent;
      const rest = key[1]!.replace(/\s+#.*$/, '');
      out.flow = rest.startsWith('[');
      inList = rest === '';
      return;
    }
    if (!inList) return;
    const item = /^-\s*(.*)$/.exec(body);
    if (item && indent >= (out.keyIndent ?? 0)) {
      out.itemIndent ??= indent;
      if (indent === out.itemIndent) {
        const raw = item[1]!.replace(/\s+#.*$/, '').replace(/^["']|["']$/g, '');
        out.items.push({ line: lineNo, raw });
        return;
      }
    }
    if (indent <= (out.keyIndent ?? 0)) inList = false;
  });
  return out;
}

/** Loose equality of a raw YAML item and a normalized entry (case, trailing dot, bare address vs /32). */
function sameEntry(raw: string, entry: EgressEntry): boolean {
  const r = raw.trim().toLowerCase().replace(/\.$/, '');
  if (r === entry.value) return true;
  if (entry.type === 'cidr') {
    try {
      return parseRange(r).text === parseRange(entry.value).text;
    } catch {
      return false;
    }
  }
  return domainToASCII(r) === entry.value;
}

function matchEntries(dest: ParsedDestination, entries: EgressEntry[], policy: PlatformPolicy) {
  const matches: EntryMatch[] = [];
  const undetermined: string[] = [];
  for (const e of entries) {
    const base = e.description ? { description: e.description } : {};
    if (e.type === 'hostname') {
      if (dest.kind === 'hostname' && dest.value === e.value)
        matches.push({ entry: e.value, type: e.type, how: 'exact-hostname', ...base });
      else if (dest.kind !== 'hostname') undetermined.push(e.value);
    } else if (e.type === 'wildcard') {
      const exp = policy.wildcards[e.value];
      const extra = exp ? { expandsTo: exp.ranges, ...(exp.note ? { note: exp.note } : {}) } : {};
      if (dest.kind === 'hostname') {
        if (dest.value.endsWith(e.value.slice(1)))
          matches.push({ entry: e.value, type: e.type, how: 'wildcard', ...extra, ...base });
      } else {
        const r = exp?.ranges.find((x) => rangeContains(x, dest.value));
        if (r) matches.push({ entry: e.value, type: e.type, how: 'wildcard-expansion', range: r, ...extra, ...base });
      }
    } else if (dest.kind === 'hostname') {
      undetermined.push(e.value);
    } else if (rangeContains(e.value, dest.value)) {
      matches.push({ entry: e.value, type: e.type, how: 'address-in-range', range: e.value, ...base });
    }
  }
  return { matches, undetermined };
}

// ---------------------------------------------------------------------------------------------------------------
// Firewall side

function targetsOf(rule: ObservedRule): string[] {
  return [...(rule.targetServiceAccounts ?? []), ...(rule.targetSecureTags ?? []).map((t) => t.name)];
}

/** The project's own target (service account or tag) from the policy template, when it can be filled. */
function projectTarget(project: string, policy: PlatformPolicy, hostProject?: string): string | undefined {
  let v = policy.firewall.target.template.replaceAll('{project}', project);
  const hp = hostProject ?? policy.firewall.hostProject;
  if (v.includes('{hostProject}')) {
    if (!hp) return undefined;
    v = v.replaceAll('{hostProject}', hp);
  }
  return /\{[^}]*\}/.test(v) ? undefined : v;
}

function matchRule(
  rule: ObservedRule,
  dest: ParsedDestination,
  policy: PlatformPolicy,
): { how: RuleMatchHow; matched?: string } | 'dns' | null {
  const fqdns = rule.match.destFqdns ?? [];
  const ranges = rule.match.destIpRanges ?? [];
  if (fqdns.length === 0 && ranges.length === 0) return { how: 'any-destination' };
  let dependsOnDns = false;
  if (dest.kind === 'hostname') {
    if (fqdns.includes(dest.value)) return { how: 'fqdn', matched: dest.value };
    const all = ranges.find(isCatchAll);
    if (all) return { how: 'any-destination', matched: all };
    const w = policyWildcardFor(dest.value, policy);
    const exp = w ? policy.wildcards[w] : undefined;
    if (exp) {
      // Under the platform's DNS zone the host resolves into the expansion: the rule matches if it covers it.
      const hit = ranges.find((r) => exp.ranges.some((x) => rangeContains(r, x)));
      if (hit) return { how: 'wildcard-expansion', matched: hit };
    }
    if (ranges.length) dependsOnDns = true;
  } else {
    const hit = ranges.find((r) => rangeContains(r, dest.value));
    if (hit) return { how: isCatchAll(hit) ? 'any-destination' : 'address-in-range', matched: hit };
    if (fqdns.length) dependsOnDns = true;
  }
  return dependsOnDns ? 'dns' : null;
}

// ---------------------------------------------------------------------------------------------------------------
// Agreement

function compareGen(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The agreement when the project's only owned rule is its tombstone (firewall/tombstone.ts); undefined when there is
 * no tombstone, live rules remain next to it (judged as usual), or the manifest is invalid.
 */
function revokedAgreement(
  m: ExplainManifest | null,
  owned: { rule: ObservedRule; marker: OwnershipMarker }[],
): ExplainResult['agreement'] | undefined {
  const revokedAt = owned
    .filter((o) => o.marker.state === 'deleted')
    .map((o) => o.marker.generation)
    .sort(compareGen)
    .at(-1);
  if (!revokedAt || owned.some((o) => o.marker.state !== 'deleted')) return undefined;
  const at = { firewallGeneration: revokedAt };
  const detail = `revoked (manifest deleted at generation ${revokedAt})`;
  if (!m) return { status: 'revoked', detail, ...at };
  if (!m.valid || !m.project) return undefined;
  const mf = { ...(m.generation ? { manifestGeneration: m.generation } : {}) };
  if (m.entries.length === 0)
    return {
      status: 'in-sync',
      detail: `the manifest allows nothing; its tombstone records generation ${revokedAt}`,
      ...mf,
      ...at,
    };
  if (m.generation && compareGen(m.generation, revokedAt) <= 0)
    return {
      status: 'revoked',
      detail: `${detail}; the manifest read (generation ${m.generation}) is not newer, so the pipeline ignores it: upload it again`,
      ...mf,
      ...at,
    };
  return {
    status: 'pending',
    detail: `${detail}; this manifest is not applied yet: the apply is pending or failed (check the status topic)`,
    ...mf,
    ...at,
  };
}

function agreementOf(
  input: ExplainInput,
  withTombstones: { rule: ObservedRule; marker: OwnershipMarker }[],
): ExplainResult['agreement'] {
  const m = input.manifest;
  if (!input.firewall)
    return { status: 'unknown', detail: 'the firewall was not consulted (use --live or --state FILE)' };
  // A tombstone records a revocation; the agreement of live rules is judged without it.
  const revoked = revokedAgreement(m, withTombstones);
  if (revoked) return revoked;
  const owned = withTombstones.filter((o) => o.marker.state !== 'deleted');
  const fwGen = owned
    .map((o) => o.marker.generation)
    .sort(compareGen)
    .at(-1);
  const fwHashes = [...new Set(owned.map((o) => o.marker.hash))];
  const fw = {
    ...(fwGen ? { firewallGeneration: fwGen } : {}),
    ...(fwHashes.length ? { firewallHash: fwHashes.join(',') } : {}),
  };
  if (!m) {
    if (owned.length)
      return {
        status: 'revoke-pending',
        detail: `no manifest for ${input.project}, but ${owned.length} owned rule(s) remain: the revoke is pending or failed (see \`egress drift\`)`,
        ...fw,
      };
    return { status: 'unknown', detail: `no manifest and no owned rules for ${input.project}` };
  }
  if (!m.valid || !m.project) {
    return {
      status: 'unknown',
      detail: `the manifest ${m.path} is invalid, so the pipeline ignores it; the firewall keeps the last valid generation`,
      ...fw,
    };
  }
  const mHash = desiredHash(m.project.name, m.entries);
  const mf = { ...(m.generation ? { manifestGeneration: m.generation } : {}), manifestHash: mHash };
  if (owned.length === 0) {
    if (m.entries.length === 0)
      return { status: 'in-sync', detail: 'the manifest allows nothing and no rules exist', ...mf };
    return {
      status: 'pending',
      detail:
        'the manifest lists entries but no owned rules exist: the apply is pending or failed (check the status topic, `egress drift`)',
      ...mf,
    };
  }
  if (fwHashes.length === 1 && fwHashes[0] === mHash) {
    let desired: DesiredRule[] | null = null;
    try {
      desired = compileProject(m.project, m.entries, {
        policy: input.policy,
        generation: fwGen ?? m.generation ?? '0',
        ...(input.hostProject ? { hostProject: input.hostProject } : {}),
      });
    } catch {
      desired = null;
    }
    if (
      desired &&
      !isEmptyPlan(
        planProject(
          owned.map((o) => o.rule),
          desired,
          { project: m.project.name },
        ),
      )
    )
      return {
        status: 'drift',
        detail:
          'the rules carry the manifest hash but differ from what the pipeline writes: edited outside the pipeline (`egress drift --repair`)',
        ...mf,
        ...fw,
      };
    return { status: 'in-sync', detail: 'the owned rules match the manifest', ...mf, ...fw };
  }
  if (m.generation && fwGen) {
    const c = compareGen(fwGen, m.generation);
    if (c < 0)
      return {
        status: 'pending',
        detail: `the rules reflect generation ${fwGen}, the manifest is generation ${m.generation}: the apply is pending or failed (check the status topic)`,
        ...mf,
        ...fw,
      };
    if (c > 0)
      return {
        status: 'firewall-newer',
        detail: `the rules reflect generation ${fwGen}, newer than the manifest read (${m.generation})`,
        ...mf,
        ...fw,
      };
    return {
      status: 'drift',
      detail: `the rules claim generation ${fwGen} but a different desired state: changed outside the pipeline (\`egress drift --repair\`)`,
      ...mf,
      ...fw,
    };
  }
  return {
    status: 'differs',
    detail: `the rules (generation ${fwGen ?? '?'}) reflect different entries than ${m.path}: the change is not merged or not applied yet`,
    ...mf,
    ...fw,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Fix

function quoteYaml(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function buildFix(input: ExplainInput, dest: ParsedDestination, notes: string[]): ExplainFix | null {
  let entry = dest.value;
  let note: string | undefined;
  if (dest.kind === 'hostname') {
    const w = policyWildcardFor(dest.value, input.policy);
    if (w) {
      entry = w;
      const exp = input.policy.wildcards[w]!;
      note = `${dest.value} is covered by the platform wildcard ${w} (enforced as ${exp.ranges.join(', ')}${exp.note ? `: ${exp.note}` : ''})`;
    }
  } else if (dest.kind === 'ip') {
    note =
      'an address allows only that address; prefer the service hostname when it has one (provider addresses rotate)';
  }
  const check = normalizeEgressValue(entry, input.policy);
  if (!check.ok) {
    notes.push(`${entry} cannot be listed: ${check.message}${check.hint ? ` (${check.hint})` : ''}`);
    return null;
  }
  entry = check.entry.type === 'cidr' && dest.kind === 'ip' ? dest.value : check.entry.value;
  const why = (input.why ?? 'why this project needs it').replace(/[\r\n]+/g, ' ').trim();
  const m = input.manifest;
  const file = m?.path ?? input.suggestedPath ?? `${input.project}.yaml`;
  const layout = m?.text !== undefined ? scanLayout(m.text) : undefined;
  const itemIndent = layout?.itemIndent ?? (layout?.keyIndent !== undefined ? layout.keyIndent + 2 : 4);
  const line = `${' '.repeat(itemIndent)}- ${quoteYaml(entry)}  # ${why}`;
  const base = { file, line, entry, ...(note ? { note } : {}) };
  if (!m || !layout) {
    const block = `spec:\n  allowedEgress:\n    - ${quoteYaml(entry)}  # ${why}`;
    if (!m)
      notes.push(`no manifest found for ${input.project}: create ${file} (a full Project manifest) with this block`);
    return { ...base, line: `    - ${quoteYaml(entry)}  # ${why}`, block };
  }
  if (layout.keyLine !== undefined && !layout.flow) {
    const last = layout.items.at(-1)?.line ?? layout.keyLine;
    return { ...base, afterLine: last };
  }
  if (layout.keyLine !== undefined && layout.flow) {
    const ind = (layout.keyIndent ?? 2) + 2;
    return {
      ...base,
      line: `${' '.repeat(ind)}- ${quoteYaml(entry)}  # ${why}`,
      block: `${' '.repeat(layout.keyIndent ?? 2)}allowedEgress:\n${' '.repeat(ind)}- ${quoteYaml(entry)}  # ${why}`,
      note: [note, `replace the flow-style "allowedEgress: [...]" on line ${layout.keyLine} with a block list`]
        .filter(Boolean)
        .join('; '),
    };
  }
  const specIndent = layout.specIndent ?? 0;
  const ind = specIndent + 4;
  return {
    ...base,
    line: `${' '.repeat(ind)}- ${quoteYaml(entry)}  # ${why}`,
    ...(layout.specLine !== undefined ? { afterLine: layout.specLine } : {}),
    block: `${layout.specLine === undefined ? 'spec:\n' : ''}${' '.repeat(specIndent + 2)}allowedEgress:\n${' '.repeat(ind)}- ${quoteYaml(entry)}  # ${why}`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The answer

/** Answers "may `input.project` reach `input.destination`?". Throws {@link DestinationError} for an unusable destination. */
export function explain(input: ExplainInput): ExplainResult {
  const dest = parseDestination(input.destination);
  const notes: string[] = [];
  if (dest.stripped.length)
    notes.push(
      `firewall rules match hosts and addresses only: stripped ${dest.stripped.join(', ')} from "${dest.input}"`,
    );

  // Non-public addresses are not governed by egress rules (the VPC allows internal traffic; others are not routable).
  if (dest.kind !== 'hostname') {
    const addr = ipaddr.parse(dest.value.split('/')[0]!);
    const range = addr.range();
    if (range !== 'unicast') {
      const res = emptyResult(input, dest);
      res.status = 'internal';
      res.summary = `${dest.value} is not an external destination (${range}): egress rules do not govern it; traffic inside the Shared VPC is allowed by default`;
      return res;
    }
  }

  const m = input.manifest;
  const usable = m?.valid ? m : null;
  const mm = usable ? matchEntries(dest, usable.entries, input.policy) : { matches: [], undetermined: [] };
  if (m?.text !== undefined) {
    const layout = scanLayout(m.text);
    for (const x of mm.matches) {
      const e = usable!.entries.find((en) => en.value === x.entry);
      const it = e ? layout.items.find((i) => sameEntry(i.raw, e)) : undefined;
      if (it) x.line = it.line;
    }
  }
  if (m && !m.valid)
    notes.push(
      `${m.path} is invalid (${(m.errors ?? []).join(', ') || 'see egress validate'}): the pipeline ignores it until fixed`,
    );
  // DNS notes only for hostnames: "151.101.0.0/20 is allowed if … resolves to it" tells a reader nothing.
  if (mm.undetermined.length && dest.kind === 'hostname')
    notes.push(
      `the manifest allows ${dest.value} if it resolves into ${mm.undetermined.join(', ')} (explain does not resolve DNS)`,
    );
  const manifestAllowed = mm.matches.length > 0;

  // Firewall: rules that apply to the project's workloads, first match by priority decides.
  const fwMatches: RuleMatch[] = [];
  const fwUndetermined: ExplainResult['firewall']['undetermined'] = [];
  const owned: { rule: ObservedRule; marker: OwnershipMarker }[] = [];
  let decidedBy: RuleMatch | null = null;
  /** The DNS-dependent rules with their ranges (for a hostname: range rules), in priority order. */
  const dnsRules: { priority: number; action: string; ranges: string[] }[] = [];
  if (input.firewall) {
    const target = projectTarget(input.project, input.policy, input.hostProject);
    const sorted = [...input.firewall.rules].sort((a, b) => a.priority - b.priority);
    for (const rule of sorted) {
      const marker = parseMarker(rule.description);
      const ours = marker?.project === input.project;
      if (ours && marker) owned.push({ rule, marker });
      if (rule.direction !== 'EGRESS' || rule.disabled) continue;
      const targets = targetsOf(rule);
      const applies = ours || (!marker && (targets.length === 0 || (target !== undefined && targets.includes(target))));
      if (!applies) continue;
      const hit = matchRule(rule, dest, input.policy);
      if (hit === null) continue;
      if (hit === 'dns') {
        fwUndetermined.push({ priority: rule.priority, ruleName: rule.ruleName ?? '', action: rule.action });
        dnsRules.push({ priority: rule.priority, action: rule.action, ranges: rule.match.destIpRanges ?? [] });
        continue;
      }
      const rm: RuleMatch = {
        priority: rule.priority,
        ruleName: rule.ruleName ?? '',
        action: rule.action,
        how: hit.how,
        ...(hit.matched ? { matched: hit.matched } : {}),
        owned: ours,
        ...(ours && marker ? { generation: marker.generation, hash: marker.hash } : {}),
      };
      fwMatches.push(rm);
      if (!decidedBy && rm.action !== 'goto_next') decidedBy = rm;
    }
    if (!target && input.policy.firewall.target.template.includes('{hostProject}'))
      notes.push(
        'host project unknown: platform rules that target the project by service account were not considered (--host-project)',
      );
    // A DNS-dependent rule before the decider could decide instead: say so rather than pretend.
    const firstDns = fwUndetermined[0];
    if (dest.kind === 'hostname' && firstDns && (!decidedBy || firstDns.priority < decidedBy.priority))
      notes.push(
        `rule ${firstDns.ruleName || firstDns.priority} (priority ${firstDns.priority}, ${firstDns.action}) may match first, depending on what ${dest.value} resolves to`,
      );
  }
  const firewallAllowed = decidedBy ? decidedBy.action !== 'deny' : null;
  if (input.firewall && !decidedBy)
    notes.push(
      'no rule of the policy matched: the baseline deny-all egress rule was not found or does not cover this destination',
    );

  const agreement = agreementOf(input, owned);
  const consulted = !!input.firewall;
  const effective = consulted ? firewallAllowed : manifestAllowed;
  const ownedAllows = fwMatches.some((r) => r.owned && r.action === 'allow');
  // The answer holds by name; ranges that would answer otherwise decide if the host resolves into them.
  const wildcardRanges = new Set(Object.values(input.policy.wildcards).flatMap((w) => w.ranges));
  let dnsRanges: string[] = [];
  if (dest.kind === 'hostname' && effective !== null) {
    if (consulted)
      dnsRanges = dnsRules
        .filter((d) => (!decidedBy || d.priority < decidedBy.priority) && d.action !== 'goto_next')
        .filter((d) => (d.action !== 'deny') !== effective)
        .flatMap((d) => d.ranges)
        // A wildcard's expansion (Private Google Access) is reached through the platform's DNS zone for that
        // wildcard's hosts only, which matchRule already credits; it is not a "maybe" for any other host.
        .filter((x) => !wildcardRanges.has(x));
    else if (!manifestAllowed) dnsRanges = mm.undetermined;
  }
  dnsRanges = [...new Set(dnsRanges)];
  const dependsOnDns = dnsRanges.length > 0;
  let status: ExplainResult['status'];
  if (effective === null) status = 'unknown';
  else if (effective) status = !manifestAllowed && ownedAllows && decidedBy?.owned ? 'revoke-pending' : 'allowed';
  else status = manifestAllowed ? 'allowed-pending' : 'not-allowed';
  const disagree =
    consulted && firewallAllowed !== null && manifestAllowed !== firewallAllowed && (ownedAllows || manifestAllowed);

  const fix = effective === true || manifestAllowed ? null : buildFix(input, dest, notes);

  const what = dest.kind === 'hostname' ? dest.value : dest.value;
  const byEntry = mm.matches[0]
    ? `entry ${mm.matches[0].entry}${mm.matches[0].line ? ` (line ${mm.matches[0].line})` : ''}`
    : '';
  const byRule = decidedBy
    ? `rule ${decidedBy.ruleName || '(unnamed)'} (priority ${decidedBy.priority}, ${decidedBy.action})`
    : '';
  const dnsCond = `${what} resolves into ${dnsRanges.join(', ')} (explain does not resolve DNS)`;
  let summary: string;
  switch (status) {
    case 'allowed':
      summary = `${input.project} may reach ${what}${byEntry ? `: manifest ${byEntry}` : ''}${byRule ? `${byEntry ? ',' : ':'} firewall ${byRule}` : ''}`;
      if (!manifestAllowed && decidedBy && !decidedBy.owned) summary += ' (a platform rule, not the project manifest)';
      if (dependsOnDns) summary += `; by name only: denied if ${dnsCond}`;
      break;
    case 'allowed-pending':
      summary = `${input.project} lists ${what} (${byEntry}) but the firewall does not allow it yet${byRule ? ` (${byRule} decides)` : ''}: ${agreement.detail}`;
      break;
    case 'revoke-pending':
      summary = `${input.project} may still reach ${what} through ${byRule}, but the manifest no longer allows it: ${agreement.detail}`;
      break;
    case 'not-allowed':
      summary =
        agreement.status === 'revoked'
          ? `${input.project} is ${agreement.detail}: it may not reach ${what}${byRule ? ` (${byRule})` : ''}; to allow it, add ${fix?.line.trim() ?? 'an entry'} to ${fix?.file ?? 'the manifest'} and upload it`
          : dependsOnDns
            ? `${input.project} may not reach ${what} by name${byRule ? ` (${byRule})` : ''}; it may only if ${dnsCond}; to allow it by name, add ${fix?.line.trim() ?? 'an entry'} to ${fix?.file ?? 'the manifest'}`
            : `${input.project} may not reach ${what}${byRule ? ` (${byRule})` : ''}; add ${fix?.line.trim() ?? 'an entry'} to ${fix?.file ?? 'the manifest'}`;
      break;
    default:
      summary = `cannot tell whether ${input.project} may reach ${what}: it depends on DNS resolution (see notes)`;
  }
  return {
    schemaVersion: EXPLAIN_SCHEMA_VERSION,
    project: input.project,
    destination: dest,
    allowed: effective,
    dependsOnDns,
    dnsRanges,
    status,
    summary,
    manifest: {
      path: m?.path ?? null,
      found: !!m,
      valid: !!m?.valid,
      ...(m?.generation ? { generation: m.generation } : {}),
      allowed: manifestAllowed,
      matches: mm.matches,
      undetermined: mm.undetermined,
    },
    firewall: {
      consulted,
      ...(input.firewall ? { source: input.firewall.source } : {}),
      allowed: firewallAllowed,
      decidedBy,
      matches: fwMatches,
      undetermined: fwUndetermined,
    },
    agreement,
    disagree,
    fix,
    notes,
  };
}

function emptyResult(input: ExplainInput, dest: ParsedDestination): ExplainResult {
  const m = input.manifest;
  return {
    schemaVersion: EXPLAIN_SCHEMA_VERSION,
    project: input.project,
    destination: dest,
    allowed: true,
    dependsOnDns: false,
    dnsRanges: [],
    status: 'internal',
    summary: '',
    manifest: {
      path: m?.path ?? null,
      found: !!m,
      valid: !!m?.valid,
      allowed: false,
      matches: [],
      undetermined: [],
    },
    firewall: { consulted: !!input.firewall, allowed: null, decidedBy: null, matches: [], undetermined: [] },
    agreement: { status: 'unknown', detail: 'not an external destination' },
    disagree: false,
    fix: null,
    notes: [],
  };
}

/** Renders a result for a terminal: the summary first, then the evidence, then the fix. */
export function renderExplainText(r: ExplainResult): string {
  const out: string[] = [];
  let mark =
    r.status === 'allowed' || r.status === 'internal' ? 'ALLOWED' : r.status === 'unknown' ? 'UNKNOWN' : 'NOT ALLOWED';
  // A verdict that holds by name only must not read as final: the condition goes into the headline.
  if (r.dependsOnDns && (r.status === 'allowed' || r.status === 'not-allowed'))
    mark = `${mark} by name; ${r.allowed ? 'denied' : 'allowed'} only if ${r.destination.value} resolves into ${r.dnsRanges.join(', ')}`;
  out.push(`${mark}: ${r.summary}`);
  out.push('');
  out.push(
    `destination  ${r.destination.value} (${r.destination.kind})${r.destination.value !== r.destination.input ? ` from "${r.destination.input}"` : ''}`,
  );
  if (r.status === 'internal') return `${out.join('\n')}\n`;
  if (!r.manifest.found) out.push('manifest     none found');
  else {
    out.push(
      `manifest     ${r.manifest.path}${r.manifest.generation ? ` (generation ${r.manifest.generation})` : ''}: ${!r.manifest.valid ? 'INVALID' : r.manifest.allowed ? 'allows it' : 'does not allow it'}`,
    );
    for (const x of r.manifest.matches) {
      const how =
        x.how === 'exact-hostname'
          ? 'exact hostname'
          : x.how === 'wildcard'
            ? `wildcard, enforced as ${(x.expandsTo ?? []).join(', ')}`
            : x.how === 'wildcard-expansion'
              ? `inside ${x.range} of the ${x.entry} expansion`
              : `inside ${x.range}`;
      out.push(
        `  - ${x.entry}${x.line ? ` (line ${x.line})` : ''}: ${how}${x.description ? `  # ${x.description}` : ''}`,
      );
    }
  }
  if (!r.firewall.consulted) out.push('firewall     not consulted (add --live or --state FILE)');
  else {
    out.push(
      `firewall     ${r.firewall.source}: ${r.firewall.allowed === null ? 'no rule decides' : r.firewall.allowed ? 'allows it' : 'denies it'}`,
    );
    for (const x of r.firewall.matches) {
      const how =
        x.how === 'fqdn'
          ? `destFqdns ${x.matched}`
          : x.how === 'wildcard-expansion'
            ? `destIpRanges ${x.matched} (wildcard expansion)`
            : x.how === 'any-destination'
              ? `any destination${x.matched ? ` (${x.matched})` : ''}`
              : `destIpRanges ${x.matched}`;
      const star = x === r.firewall.decidedBy ? '*' : '-';
      out.push(
        `  ${star} priority ${x.priority} ${x.ruleName || '(unnamed)'} ${x.action}: ${how}${x.owned ? ` [owned, generation ${x.generation}]` : ''}`,
      );
    }
    out.push(`agreement    ${r.agreement.status}: ${r.agreement.detail}`);
  }
  if (r.fix) {
    out.push('');
    out.push(`fix: add to ${r.fix.file}${r.fix.afterLine ? ` after line ${r.fix.afterLine}` : ''}:`);
    out.push(r.fix.block ?? r.fix.line);
    if (r.fix.note) out.push(`note: ${r.fix.note}`);
  }
  if (r.notes.length) {
    out.push('');
    for (const n of r.notes) out.push(`note: ${n}`);
  }
  return `${out.join('\n')}\n`;
}
