/**
 * The arguments of explain: the destination as people paste it (reduced to what a firewall matches) and the project
 * key. Hostname and address rules are the manifest module's (one rule for what a valid host or a public address is).
 */
import ipaddr from 'ipaddr.js';
import { projectKeyOf } from '../bucket/layout';
import { parseRange } from '../firewall/ranges';
import { normalizeHostname } from '../manifest/egress';
import { idnToAscii } from '../manifest/idn';
import { explainProjectName, isValidProjectName } from '../manifest/names';
import { nonPublicSpace } from '../manifest/publicSpace';
import { DestinationError, ExplainArgumentError, type ParsedDestination } from './types';

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

/** Removes scheme, query, fragment, credentials, path and port (in that order); records what went. */
function stripUrlParts(input: string): { s: string; stripped: string[] } {
  const stripped: string[] = [];
  let s = input.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s);
  if (scheme) {
    stripped.push(`scheme "${scheme[0]}"`);
    s = s.slice(scheme[0].length);
  }
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
    // A range's /prefix stays; after a scheme a slash is always a path.
    const asRange = !scheme && /^\/\d{1,3}$/.test(tail) && (isIpv4(head) || isIpv6(head));
    if (!asRange) {
      if (tail !== '/') stripped.push(`path "${tail}"`);
      s = head;
    }
  }
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
  // Reported in the order the parts appear in a URL.
  const order = ['scheme', 'credentials', 'port', 'path', 'query', 'fragment'];
  stripped.sort((a, b) => order.indexOf(a.split(' ')[0]!) - order.indexOf(b.split(' ')[0]!));
  return { s, stripped };
}

/**
 * Parses a destination as typed by a user: a hostname, an address, a range, a URL (`https://api.x.com:8443/v1`),
 * `host:port`, `[v6]:port`, `user@host`. Throws {@link DestinationError} with a hint when nothing usable remains.
 */
export function parseDestination(input: string): ParsedDestination {
  if (!input.trim())
    throw new DestinationError('the destination is empty', 'give a hostname or an address, e.g. api.stripe.com');
  const { s, stripped } = stripUrlParts(input);
  if (s.includes('/')) {
    const [head, bits] = s.split('/') as [string, string];
    const family = isIpv4(head) ? 4 : 6;
    const max = family === 4 ? 32 : 128;
    if (Number(bits) > max)
      throw new DestinationError(`"${input}": /${bits} is not a valid IPv${family} prefix`, `use /0 to /${max}`);
    const r = parseRange(s);
    if (r.prefix === max) return { input, kind: 'ip', value: canonicalAddress(head).value, family, stripped };
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
  if (host.startsWith('*.'))
    throw new DestinationError(
      `"${input}" is a wildcard, not a destination`,
      'explain one concrete hostname, e.g. storage.googleapis.com',
    );
  const h = /\s/.test(host)
    ? ({ ok: false, code: 'INVALID_ENTRY', message: 'it contains whitespace' } as const)
    : normalizeHostname(host);
  // A special-use name (`metadata.google.internal`) is a valid host that egress rules do not govern (see internal).
  if (!h.ok && h.code !== 'NON_PUBLIC_HOSTNAME')
    throw new DestinationError(
      `"${input}" is not a hostname or an IP address: ${h.message}`,
      ('hint' in h && h.hint) || 'give a fully qualified hostname (api.example.com), an address (203.0.113.7) or a URL',
    );
  const idn = h.ok ? undefined : idnToAscii(host, input);
  const value = h.ok ? h.value : idn?.ok ? idn.value : host;
  if (value !== host) stripped.push(`IDN converted to "${value}"`);
  return { input, kind: 'hostname', value, stripped };
}

/**
 * Why the destination is not an external destination (egress rules do not govern it), or undefined when it is:
 * a special-use name, or an address or range that lies wholly in non-public space. A range that contains any public
 * address (`0.0.0.0/0`, `::/0`, `10.0.0.0/7`) is external.
 */
export function internalReason(dest: ParsedDestination): string | undefined {
  if (dest.kind !== 'hostname') return nonPublicSpace(dest.value);
  const h = normalizeHostname(dest.value);
  return !h.ok && h.code === 'NON_PUBLIC_HOSTNAME' ? h.message : undefined;
}

/**
 * Checks the project argument: a project key (metadata.name), not a path or a file name. Throws
 * {@link ExplainArgumentError} with the key to use when there is an obvious one.
 */
export function checkProjectKey(project: string): void {
  if (isValidProjectName(project)) return;
  if (/[/\\]|\.ya?ml$/i.test(project)) {
    const key = projectKeyOf(project).replace(/\.ya?ml$/i, '');
    const slash = Math.max(project.lastIndexOf('/'), project.lastIndexOf('\\'));
    const dir = slash > 0 ? project.slice(0, slash) : '';
    throw new ExplainArgumentError(
      `"${project}" is a path; explain takes the project key (the manifest's metadata.name)`,
      isValidProjectName(key)
        ? `use ${key}${dir ? ` --manifests ${dir}` : ''}`
        : 'give the metadata.name of the project, e.g. egress explain payment-gateway api.stripe.com',
    );
  }
  const why = explainProjectName(project);
  throw new ExplainArgumentError(
    `"${project}" is not a project key: ${why.message.replace(/^metadata\.name `[^`]*` /, '')}`,
    why.hint ?? 'give the metadata.name of the project, e.g. egress explain payment-gateway api.stripe.com',
  );
}
