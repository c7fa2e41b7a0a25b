/**
 * The host project's Shared VPC of the local stack, described in a YAML file (`npm start -- --network FILE`; the
 * default is examples/network.yaml, the subnets of the example projects): the network's name and its subnets, in the
 * fields of Compute v1's `Subnetwork` (https://cloud.google.com/compute/docs/reference/rest/v1/subnetworks). A
 * subnet names the project it is meant for; under target mode `subnets` the product assigns it by name (the template,
 * docs/policy.md), so the file is checked against the template. Projects the file leaves out get a subnet from the
 * local stack's pool (local/program/stack/subnetPool.ts). Errors name FILE:LINE with a hint.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ipaddr from 'ipaddr.js';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YNode } from 'yaml';
import { isValidProjectName } from '../../../shared/core/manifest/names';
import { REGION_PATTERN } from '../../../shared/core/manifest/schema';
import { subnetNameMatcher } from '../../../shared/core/policy/target';
import type { FakeSubnetwork } from './directory';
import type { FirewallPolicyEngine } from './engine';
import { networkUrl } from './firewalls';

/** The VPC network of the examples (the host project's Shared VPC), and of a file that names none. */
export const EXAMPLE_NETWORK = 'shared-vpc';
/** The example network's description (the example projects' subnets). */
export const EXAMPLE_NETWORK_FILE = join(
  __dirname,
  __filename.endsWith('.ts') ? '../../..' : '../../../..', // the repository root, from sources or from dist/
  'examples/network.yaml',
);

/** One subnet of the description: a Compute subnetwork without its network URL, and the project it is meant for. */
export type SubnetSpec = Omit<FakeSubnetwork, 'network' | 'selfLink'> & {
  project?: string;
  ipv6AccessType?: 'INTERNAL' | 'EXTERNAL';
  description?: string;
};

/** A described network. */
export interface NetworkDescription {
  /** The VPC network's name (`EGRESS_NETWORK` in cli.env). */
  network: string;
  subnets: SubnetSpec[];
  /** Where it was read from. */
  file: string;
}

/** A network file that cannot be used: every problem as `FILE:LINE: message (hint: …)`. */
export class NetworkFileError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid network file:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'NetworkFileError';
  }
}

/** Compute resource names (RFC 1035, 1-63 characters). */
const NAME_RE = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const REGION_RE = new RegExp(REGION_PATTERN);
/** Google's ULA range for internal IPv6 (a network's /48 comes from it; each subnet gets a /64). */
const GOOGLE_ULA = ipaddr.parseCIDR('fd20::/20');
const SUBNET_KEYS = [
  'name',
  'region',
  'project',
  'description',
  'ipCidrRange',
  'secondaryIpRanges',
  'stackType',
  'ipv6AccessType',
  'internalIpv6Prefix',
  'externalIpv6Prefix',
];
const STACK_TYPES = ['IPV4_ONLY', 'IPV4_IPV6', 'IPV6_ONLY'];

/** A CIDR with its host bits zero, of the family asked; the parsed range, or a message. */
function cidr(value: unknown, family: 4 | 6): { range: [ipaddr.IPv4 | ipaddr.IPv6, number] } | { error: string } {
  if (typeof value !== 'string' || !ipaddr.isValidCIDR(value))
    return { error: `\`${String(value)}\` is not an IPv${family} range ADDRESS/PREFIX` };
  const r = ipaddr.parseCIDR(value);
  if ((r[0].kind() === 'ipv4' ? 4 : 6) !== family) return { error: `\`${value}\` is not an IPv${family} range` };
  const net = (family === 4 ? ipaddr.IPv4 : ipaddr.IPv6).networkAddressFromCIDR(value).toString();
  if (net !== r[0].toString()) return { error: `\`${value}\` has host bits set (the range is ${net}/${r[1]})` };
  return { range: r };
}

/** True when two ranges of one family share an address. */
export function rangesOverlap(a: string, b: string): boolean {
  const [x, xp] = ipaddr.parseCIDR(a);
  const [y, yp] = ipaddr.parseCIDR(b);
  if (x.kind() !== y.kind()) return false;
  return xp <= yp ? y.match(x, xp) : x.match(y, yp);
}

/** Reads the network file; throws NetworkFileError (file:line problems) when it cannot be used. */
export function loadNetworkFile(file: string, subnetTemplate?: string): NetworkDescription {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new NetworkFileError([
      `${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    ]);
  }
  return parseNetworkFile(text, file, subnetTemplate);
}

/**
 * Parses a network description: `{network?: NAME, subnets: [SUBNET…]}` or a bare list of subnets. `subnetTemplate`
 * (the platform policy's firewall.target.subnets) checks that each subnet's name gives it to its `project`.
 */
export function parseNetworkFile(text: string, file: string, subnetTemplate?: string): NetworkDescription {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const problems: string[] = [];
  const at = (node: YNode | null | undefined, message: string, hint?: string) =>
    problems.push(
      `${file}:${node?.range ? lines.linePos(node.range[0]).line : 1}: ${message}${hint ? ` (hint: ${hint})` : ''}`,
    );
  for (const e of doc.errors)
    problems.push(`${file}:${e.linePos?.[0]?.line ?? 1}: YAML syntax: ${e.message.split('\n')[0]}`);
  if (problems.length) throw new NetworkFileError(problems);

  const root = doc.contents;
  let network = EXAMPLE_NETWORK;
  let list: YNode | null = root;
  if (isMap(root)) {
    list = null;
    for (const pair of root.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      const value = pair.value as YNode | null;
      if (key === 'subnets') list = value;
      else if (key === 'network') {
        if (isScalar(value) && typeof value.value === 'string' && NAME_RE.test(value.value)) network = value.value;
        else at(value, `network must be a VPC network name`, 'lowercase letters, digits and -, e.g. shared-vpc');
      } else at(pair.key as YNode, `\`${key}\` is not a field of the network file`, 'use network and subnets');
    }
  }
  if (!isSeq(list)) {
    at(
      list ?? root,
      'the network file needs a list of subnets',
      'subnets: [{name: P-usc1, region: us-central1, project: P, ipCidrRange: 10.1.0.0/24}]',
    );
    throw new NetworkFileError(problems);
  }

  const subnets: { spec: SubnetSpec; node: YNode }[] = [];
  for (const item of list.items as YNode[]) {
    if (!isMap(item)) {
      at(item, 'a subnet must be a mapping', 'name, region, project, ipCidrRange, …');
      continue;
    }
    const f = new Map<string, YNode>();
    for (const pair of item.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!SUBNET_KEYS.includes(key))
        at(pair.key as YNode, `\`${key}\` is not a subnet field`, `use ${SUBNET_KEYS.join(', ')}`);
      else f.set(key, pair.value as YNode);
    }
    const str = (k: string): string | undefined => {
      const n = f.get(k);
      if (!n) return undefined;
      if (isScalar(n) && typeof n.value === 'string') return n.value;
      at(n, `${k} must be a string`);
      return undefined;
    };
    const spec = { name: str('name') ?? '', region: str('region') ?? '' } as SubnetSpec;
    if (!spec.name || !NAME_RE.test(spec.name))
      at(
        f.get('name') ?? item,
        `subnet name \`${spec.name}\` is missing or not a Compute name`,
        'lowercase letters, digits and -, at most 63, e.g. checkout-usc1',
      );
    if (!REGION_RE.test(spec.region))
      at(
        f.get('region') ?? item,
        `subnet ${spec.name}: region \`${spec.region}\` is missing or not a region name`,
        'e.g. us-central1',
      );
    const project = str('project');
    if (project !== undefined) {
      if (!isValidProjectName(project))
        at(f.get('project'), `subnet ${spec.name}: \`${project}\` is not a project key`, 'the manifest metadata.name');
      else if (subnetTemplate && !subnetNameMatcher(subnetTemplate, project)(spec.name))
        at(
          f.get('name'),
          `subnet ${spec.name} is meant for ${project} but the naming template \`${subnetTemplate}\` does not give it to ${project}`,
          `name it after the template, e.g. ${subnetTemplate.replaceAll('{project}', project).replace('*', 'usc1')}`,
        );
      else spec.project = project;
    }
    const description = str('description');
    if (description !== undefined) spec.description = description;
    const stack = str('stackType') ?? 'IPV4_ONLY';
    if (!STACK_TYPES.includes(stack))
      at(f.get('stackType'), `subnet ${spec.name}: stackType \`${stack}\` is not one of ${STACK_TYPES.join(', ')}`);
    if (f.has('stackType')) spec.stackType = stack;
    const v4 = str('ipCidrRange');
    if (v4 !== undefined) {
      const c = cidr(v4, 4);
      if ('error' in c) at(f.get('ipCidrRange'), `subnet ${spec.name}: ipCidrRange ${c.error}`, 'e.g. 10.20.0.0/24');
      else spec.ipCidrRange = v4;
    } else if (stack !== 'IPV6_ONLY')
      at(item, `subnet ${spec.name} has no ipCidrRange`, 'add ipCidrRange: 10.20.0.0/24, or stackType: IPV6_ONLY');
    const sec = f.get('secondaryIpRanges');
    if (sec) {
      if (!isSeq(sec))
        at(
          sec,
          `subnet ${spec.name}: secondaryIpRanges must be a list`,
          '[{rangeName: pods, ipCidrRange: 10.64.0.0/14}]',
        );
      else {
        spec.secondaryIpRanges = [];
        for (const r of sec.items as YNode[]) {
          const m = isMap(r) ? (r.toJSON() as Record<string, unknown>) : {};
          const c = cidr(m.ipCidrRange, 4);
          if (
            typeof m.rangeName !== 'string' ||
            !NAME_RE.test(m.rangeName) ||
            'error' in c ||
            Object.keys(m).length !== 2
          )
            at(
              r,
              `subnet ${spec.name}: a secondary range is {rangeName, ipCidrRange}${'error' in c ? `; ipCidrRange ${c.error}` : ''}`,
              '{rangeName: pods, ipCidrRange: 10.64.0.0/14}',
            );
          else spec.secondaryIpRanges.push({ rangeName: m.rangeName, ipCidrRange: m.ipCidrRange as string });
        }
      }
    }
    for (const k of ['internalIpv6Prefix', 'externalIpv6Prefix'] as const) {
      const v6 = str(k);
      if (v6 === undefined) continue;
      const c = cidr(v6, 6);
      if ('error' in c) at(f.get(k), `subnet ${spec.name}: ${k} ${c.error}`, 'a /64, e.g. fd20:a:b:2000::/64');
      else if (c.range[1] !== 64)
        at(f.get(k), `subnet ${spec.name}: ${k} must be a /64 (Google gives each subnet one /64)`);
      else if (k === 'internalIpv6Prefix' && !c.range[0].match(GOOGLE_ULA))
        at(
          f.get(k),
          `subnet ${spec.name}: internalIpv6Prefix must be inside Google's ULA range fd20::/20`,
          'e.g. fd20:a:b:2000::/64',
        );
      else spec[k] = v6;
    }
    const access = str('ipv6AccessType');
    if (access !== undefined) {
      if (access !== 'INTERNAL' && access !== 'EXTERNAL')
        at(f.get('ipv6AccessType'), `subnet ${spec.name}: ipv6AccessType is INTERNAL or EXTERNAL`);
      else spec.ipv6AccessType = access;
    }
    const six = spec.internalIpv6Prefix ?? spec.externalIpv6Prefix;
    if (stack === 'IPV4_ONLY' && six)
      at(
        f.get('stackType') ?? item,
        `subnet ${spec.name} has an IPv6 prefix but stackType ${stack}`,
        'set stackType: IPV4_IPV6',
      );
    if (stack !== 'IPV4_ONLY' && !f.has('internalIpv6Prefix') && !f.has('externalIpv6Prefix'))
      at(item, `subnet ${spec.name} is ${stack} but has no IPv6 prefix`, 'add internalIpv6Prefix: fd20:a:b:2000::/64');
    subnets.push({ spec, node: item });
  }

  // Names are unique per region; no two ranges of the network overlap (Google refuses both).
  const seen: { range: string; subnet: string; line: number }[] = [];
  const names = new Map<string, number>();
  for (const { spec, node } of subnets) {
    const line = node.range ? lines.linePos(node.range[0]).line : 1;
    const key = `${spec.region}/${spec.name}`;
    if (names.has(key))
      at(node, `subnet ${spec.name} is described twice in ${spec.region} (first at line ${names.get(key)})`);
    else names.set(key, line);
    for (const r of subnetRanges(spec)) {
      const other = seen.find((s) => rangesOverlap(s.range, r));
      if (other)
        at(
          node,
          `subnet ${spec.name}: ${r} overlaps ${other.range} of subnet ${other.subnet} (line ${other.line})`,
          'ranges of one network must not overlap',
        );
      seen.push({ range: r, subnet: spec.name, line });
    }
  }
  if (problems.length) throw new NetworkFileError(problems);
  return { network, subnets: subnets.map((s) => s.spec), file };
}

/** Every range of a subnet: primary, secondary, IPv6 prefixes. */
export function subnetRanges(
  s: Pick<
    FakeSubnetwork,
    'ipCidrRange' | 'secondaryIpRanges' | 'internalIpv6Prefix' | 'externalIpv6Prefix' | 'ipv6CidrRange'
  >,
): string[] {
  return [
    ...(s.ipCidrRange ? [s.ipCidrRange] : []),
    ...(s.secondaryIpRanges ?? []).map((r) => r.ipCidrRange),
    ...[s.internalIpv6Prefix, s.externalIpv6Prefix, s.ipv6CidrRange].filter((x): x is string => !!x),
  ];
}

/** The described subnets as the fake's subnetworks of `hostProject` (the `project` hint is not a Compute field). */
export function subnetworksOf(
  desc: Pick<NetworkDescription, 'network' | 'subnets'>,
  hostProject: string,
): FakeSubnetwork[] {
  return desc.subnets.map(({ project: _, ...s }) => ({ ...s, network: networkUrl(hostProject, desc.network) }));
}

/** The example subnets of `hostProject` (examples/network.yaml). */
export function exampleSubnetworks(hostProject: string): FakeSubnetwork[] {
  return subnetworksOf(loadNetworkFile(EXAMPLE_NETWORK_FILE), hostProject);
}

/**
 * Seeds the described subnets. The default description (the examples) is seeded once, into an empty state (a state
 * dir keeps what a developer changed since); a `--network FILE` given explicitly replaces the host project's subnets
 * at each start (the projects it leaves out get their pool subnets again as the stack sees them).
 */
export function seedSubnetworks(
  engine: FirewallPolicyEngine,
  hostProject: string,
  desc: NetworkDescription,
  explicit: boolean,
): void {
  if (!explicit && Object.keys(engine.directory.aggregated(hostProject).items).length) return;
  engine.directory.putSubnetworks(hostProject, subnetworksOf(desc, hostProject), explicit);
  engine.persist();
}
