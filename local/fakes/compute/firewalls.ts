/**
 * VPC firewall rules of the fake Compute (`projects/P/global/firewalls`: insert, get, list, patch, delete), kept in the
 * engine's state file as `firewalls` (contract C1). Sources, confirmed or assumed, are in docs/fake-compute.md
 * ("VPC firewall rules"); the wire forms follow the recorded traffic of k8s-config-connector's `computefirewall`
 * fixture (insert with a partial network URL, a get answering the full URL, the INGRESS default `0.0.0.0/0` source).
 */
import type { protos } from '@google-cloud/compute';
import { ComputeApiError, invalidField, notFound, requiredField } from './errors';
import type { OperationHost } from './types';
import { checkPorts, rangeFamily } from './validate';
import { clone, rfc3339, wireNormalize } from './wire';

/** A VPC firewall rule as the real client types it. */
export type IFirewall = protos.google.cloud.compute.v1.IFirewall;
/** A stored rule: the REST `Firewall` JSON plus its project (the state file's `firewalls[]` entry). */
export type StoredFirewall = { project: string } & IFirewall;
/** The persisted form (state file field `firewalls`, optional: a file without it has no VPC firewall rules). */
export interface FirewallState {
  firewalls?: StoredFirewall[];
}

const BASE = 'https://www.googleapis.com/compute/v1';
/** RFC 1035 resource names (compute.proto `Firewall.name`). */
export const RESOURCE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const PROTOCOLS = new Set(['tcp', 'udp', 'icmp', 'esp', 'ah', 'ipip', 'sctp', 'all']);
const PORT_PROTOCOLS = new Set(['tcp', 'udp', 'sctp', '6', '17', '132']);
const OUTPUT_ONLY = ['kind', 'id', 'creationTimestamp', 'selfLink'] as const;

/** `projects/P/global/firewalls/NAME`. */
export const firewallPath = (project: string, name: string): string => `projects/${project}/global/firewalls/${name}`;

/** The network's full URL from a full or partial one (`projects/P/global/networks/N`, `global/networks/N`, `N`). */
export function networkUrl(project: string, network: string | null | undefined): string {
  const n = network || 'global/networks/default';
  const m = /(?:^|\/)(?:projects\/([^/]+)\/)?global\/networks\/([^/]+)$/.exec(n);
  if (m) return `${BASE}/projects/${m[1] ?? project}/global/networks/${m[2]}`;
  if (RESOURCE_NAME.test(n)) return `${BASE}/projects/${project}/global/networks/${n}`;
  throw invalidField('resource.network', n, 'Not a network URL.');
}

function checkRules(field: 'allowed' | 'denied', list: IFirewall['allowed']): void {
  for (const [i, r] of (list ?? []).entries()) {
    const proto = r?.IPProtocol;
    if (!proto) throw requiredField(`resource.${field}[${i}].IPProtocol`);
    const num = /^\d{1,3}$/.test(proto) ? Number(proto) : Number.NaN;
    if (!PROTOCOLS.has(proto) && !(num >= 0 && num <= 255))
      throw invalidField(`resource.${field}[${i}].IPProtocol`, proto, 'Unknown IP protocol.');
    if ((r.ports?.length ?? 0) > 0 && !PORT_PROTOCOLS.has(proto))
      throw invalidField(`resource.${field}[${i}].ports`, r.ports, 'Ports may be given only for tcp, udp or sctp.');
    const err = checkPorts(`resource.${field}[${i}].ports`, r.ports);
    if (err) throw err;
  }
}

function checkRanges(fw: IFirewall): void {
  const families = new Set<string>();
  for (const field of ['sourceRanges', 'destinationRanges'] as const) {
    for (const r of fw[field] ?? []) {
      const f = rangeFamily(r);
      if (!f) throw invalidField(`resource.${field}`, r, 'Not a valid IP address or CIDR range.');
      families.add(f);
    }
  }
  if (families.size > 1)
    throw invalidField('resource.sourceRanges', fw.sourceRanges ?? [], 'A rule has IPv4 or IPv6 ranges, not both.');
}

/** Throws the first problem of a complete rule (after defaults and a patch's merge), as Compute reports it. */
export function validateFirewall(fw: IFirewall): void {
  if (!fw.name) throw requiredField('resource.name');
  if (!RESOURCE_NAME.test(fw.name))
    throw invalidField('resource.name', fw.name, "Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'");
  if (fw.direction !== 'INGRESS' && fw.direction !== 'EGRESS')
    throw invalidField('resource.direction', fw.direction, 'Allowed values: INGRESS, EGRESS.');
  const p = fw.priority;
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 65535)
    throw invalidField('resource.priority', p, 'Must be an integer between 0 and 65535.');
  const allowed = fw.allowed?.length ?? 0;
  const denied = fw.denied?.length ?? 0;
  if (allowed > 0 && denied > 0)
    throw invalidField('resource.denied', fw.denied, 'A firewall rule has either allowed or denied, not both.');
  if (allowed + denied === 0) throw requiredField('resource.allowed');
  checkRules('allowed', fw.allowed);
  checkRules('denied', fw.denied);
  checkRanges(fw);
  const has = (k: keyof IFirewall) => ((fw[k] as unknown[] | undefined)?.length ?? 0) > 0;
  if (fw.direction === 'EGRESS' && (has('sourceTags') || has('sourceServiceAccounts')))
    throw invalidField(
      has('sourceTags') ? 'resource.sourceTags' : 'resource.sourceServiceAccounts',
      fw.sourceTags ?? fw.sourceServiceAccounts,
      'Source tags and source service accounts apply only to INGRESS rules.',
    );
  if (has('sourceServiceAccounts') && (has('sourceTags') || has('targetTags')))
    throw invalidField(
      'resource.sourceServiceAccounts',
      fw.sourceServiceAccounts,
      'sourceServiceAccounts cannot be used with sourceTags or targetTags.',
    );
  if (has('targetServiceAccounts') && (has('targetTags') || has('sourceTags')))
    throw invalidField(
      'resource.targetServiceAccounts',
      fw.targetServiceAccounts,
      'targetServiceAccounts cannot be used with targetTags or sourceTags.',
    );
}

/** The defaults Compute fills in: direction INGRESS, priority 1000, an INGRESS rule without sources from 0.0.0.0/0. */
export function withDefaults(fw: IFirewall): IFirewall {
  const out: IFirewall = { direction: 'INGRESS', priority: 1000, description: '', disabled: false, ...fw };
  out.logConfig = { enable: false, ...fw.logConfig };
  const sources = [out.sourceRanges, out.sourceTags, out.sourceServiceAccounts].some((l) => (l?.length ?? 0) > 0);
  if (out.direction === 'INGRESS' && !sources) out.sourceRanges = ['0.0.0.0/0'];
  if (out.direction === 'EGRESS' && (out.destinationRanges?.length ?? 0) === 0) out.destinationRanges = ['0.0.0.0/0'];
  return out;
}

/** The project's VPC firewall rules (the fake's `global/firewalls`). Writes complete at once (docs/fake-compute.md). */
export class FirewallStore {
  private readonly rules = new Map<string, StoredFirewall>();

  constructor(
    private readonly host: OperationHost,
    /** The networks the rules may name (networks.ts); a rule on another network is 404 notFound. */
    private readonly networkExists: (project: string, url: string) => boolean,
  ) {}

  /** `firewalls.list`: every rule of the project, by name. */
  list(project: string) {
    const items = [...this.rules.values()].filter((f) => f.project === project).map((f) => this.view(f));
    items.sort((a, b) => (a.name! < b.name! ? -1 : 1));
    return {
      kind: 'compute#firewallList',
      id: `projects/${project}/global/firewalls`,
      items,
      selfLink: `${BASE}/projects/${project}/global/firewalls`,
    };
  }

  /** The rules on one network (its full URL), for getEffectiveFirewalls. */
  onNetwork(url: string): IFirewall[] {
    return [...this.rules.values()].filter((f) => f.network === url).map((f) => this.view(f));
  }

  /** `firewalls.get`. */
  get(project: string, name: string): IFirewall {
    return this.view(this.find(project, name));
  }

  /** `firewalls.insert`: 409 alreadyExists for a taken name (names are unique per project). */
  insert(project: string, body: IFirewall | undefined) {
    if (!body) throw requiredField('resource');
    const input = strip(wireNormalize(body));
    if (input.name && this.rules.has(firewallPath(project, input.name)))
      throw new ComputeApiError(
        409,
        'alreadyExists',
        `The resource '${firewallPath(project, input.name)}' already exists`,
      );
    const fw = withDefaults({ ...input, network: networkUrl(project, input.network) });
    validateFirewall(fw);
    this.checkNetwork(project, fw.network!);
    const stored: StoredFirewall = {
      project,
      kind: 'compute#firewall',
      id: this.host.newId(),
      creationTimestamp: rfc3339(this.host.now()),
      ...fw,
      selfLink: `${BASE}/${firewallPath(project, fw.name!)}`,
    };
    this.rules.set(firewallPath(project, fw.name!), stored);
    return this.host.done(project, firewallPath(project, fw.name!), String(stored.id), 'insert');
  }

  /** `firewalls.patch`: the fields present replace the rule's (lists whole); name and network cannot change. */
  patch(project: string, name: string, body: IFirewall | undefined) {
    const old = this.find(project, name);
    const input = strip(wireNormalize(body ?? {}));
    if (input.name !== undefined && input.name !== name)
      throw invalidField('resource.name', input.name, 'The name of a firewall rule cannot be changed.');
    if (input.network !== undefined && networkUrl(project, input.network) !== old.network)
      throw invalidField('resource.network', input.network, 'The network of a firewall rule cannot be changed.');
    const { project: _p, ...fields } = old;
    const merged: IFirewall = { ...fields, ...input, network: old.network };
    const fw = withDefaults(merged);
    validateFirewall(fw);
    this.rules.set(firewallPath(project, name), { project, ...fw });
    return this.host.done(project, firewallPath(project, name), String(old.id), 'patch');
  }

  /** `firewalls.delete`. */
  delete(project: string, name: string) {
    const old = this.find(project, name);
    this.rules.delete(firewallPath(project, name));
    return this.host.done(project, firewallPath(project, name), String(old.id), 'delete');
  }

  /** The state file's `firewalls` (absent when there are none, so old readers see an unchanged file). */
  toState(): FirewallState {
    return this.rules.size ? { firewalls: [...this.rules.values()].map(clone) } : {};
  }

  /** Loads `firewalls` of a state file (missing: none). */
  load(state: FirewallState): void {
    this.rules.clear();
    for (const f of state.firewalls ?? []) this.rules.set(firewallPath(f.project, f.name ?? ''), clone(f));
  }

  private find(project: string, name: string): StoredFirewall {
    const f = this.rules.get(firewallPath(project, name));
    if (!f) throw notFound(firewallPath(project, name));
    return f;
  }

  private checkNetwork(project: string, url: string): void {
    if (!this.networkExists(project, url)) throw notFound(url.replace(`${BASE}/`, ''));
  }

  private view(f: StoredFirewall): IFirewall {
    const { project: _p, ...fw } = clone(f);
    return fw;
  }
}

/** Drops the output-only fields a client may send back (a get → modify → patch round trip). */
function strip(fw: IFirewall): IFirewall {
  const out = { ...fw };
  for (const k of OUTPUT_ONLY) delete out[k];
  return out;
}
