/**
 * The VPC networks of the fake Compute (`projects/P/global/networks[/NET]`: list, get, patch) with their
 * `networkFirewallPolicyEnforcementOrder`, kept in the state file as `networks` (contract C1), and the two
 * `getEffectiveFirewalls` answers. Sources in docs/fake-compute.md ("Networks" and "Effective firewalls").
 */
import type { protos } from '@google-cloud/compute';
import type { Directory, DirectoryState } from './directory';
import { invalidField, notFound, requiredField } from './errors';
import { RESOURCE_NAME } from './firewalls';
import type { IRule, OperationHost } from './types';
import { rfc3339 } from './wire';

type INetwork = protos.google.cloud.compute.v1.INetwork;

/** Google's two enforcement orders; `AFTER_CLASSIC_FIREWALL` is the default (compute.proto `Network`). */
export type EnforcementOrder = 'AFTER_CLASSIC_FIREWALL' | 'BEFORE_CLASSIC_FIREWALL';
const ORDERS: readonly string[] = ['AFTER_CLASSIC_FIREWALL', 'BEFORE_CLASSIC_FIREWALL'];

/** One network as the state file keeps it (contract C1). */
export interface NetworkRecord {
  project: string;
  name: string;
  id: string;
  networkFirewallPolicyEnforcementOrder: EnforcementOrder;
}

/** The persisted form (state file field `networks`, optional). */
export interface NetworkState {
  networks?: NetworkRecord[];
}

/** One entry of `firewallPolicys` in a getEffectiveFirewalls answer. */
export interface EffectivePolicy {
  name: string;
  type: 'HIERARCHY' | 'NETWORK' | 'NETWORK_REGIONAL';
  rules: IRule[];
}

const BASE = 'https://www.googleapis.com/compute/v1';
const key = (project: string, name: string) => `projects/${project}/global/networks/${name}`;

/** The fake's networks. A network exists once `ensure`d (the local stack, `POST /__fake/networks`) or loaded. */
export class NetworkStore {
  private readonly networks = new Map<string, NetworkRecord & { createdAt: number }>();

  constructor(
    private readonly host: OperationHost,
    private readonly directory: Directory,
  ) {}

  /** Makes sure `project`'s network `name` exists (AFTER_CLASSIC_FIREWALL when new); returns whether it was created. */
  ensure(project: string, name: string): boolean {
    if (!RESOURCE_NAME.test(name)) throw new Error(`fake compute: '${name}' is not a network name (RFC 1035)`);
    if (this.networks.has(key(project, name))) return false;
    this.networks.set(key(project, name), {
      project,
      name,
      id: this.host.newId(),
      networkFirewallPolicyEnforcementOrder: 'AFTER_CLASSIC_FIREWALL',
      createdAt: this.host.now(),
    });
    return true;
  }

  /** True when the network with this full URL exists in `project`'s view (`networks.get` would answer it). */
  exists(url: string): boolean {
    const m = /\/projects\/([^/]+)\/global\/networks\/([^/]+)$/.exec(url);
    return !!m && this.record(m[1]!, m[2]!) !== undefined;
  }

  /** `networks.list`. */
  list(project: string) {
    const items = [...this.networks.values()].filter((n) => n.project === project).map((n) => this.view(n));
    return {
      kind: 'compute#networkList',
      id: `projects/${project}/global/networks`,
      items,
      selfLink: `${BASE}/projects/${project}/global/networks`,
    };
  }

  /** `networks.get`: 404 notFound for a network that does not exist. */
  get(project: string, name: string): INetwork {
    return this.view(this.find(project, name));
  }

  /** `networks.patch`: only `networkFirewallPolicyEnforcementOrder` is modelled; other fields are accepted unchanged. */
  patch(project: string, name: string, body: INetwork | undefined) {
    if (!body) throw requiredField('resource');
    const rec = this.find(project, name);
    const order = body.networkFirewallPolicyEnforcementOrder;
    if (order != null && !ORDERS.includes(order))
      throw invalidField(
        'resource.networkFirewallPolicyEnforcementOrder',
        order,
        `Allowed values: ${ORDERS.join(', ')}.`,
      );
    if (order != null) rec.networkFirewallPolicyEnforcementOrder = order as EnforcementOrder;
    return this.host.done(project, key(project, name), rec.id, 'patch');
  }

  /** The state file's `networks` (absent when there are none). */
  toState(): NetworkState {
    const networks = [...this.networks.values()].map(({ createdAt: _c, ...n }) => n);
    return networks.length ? { networks } : {};
  }

  /**
   * Loads `networks` of a state file. A network that only its subnetworks name (a file from before `networks` was
   * kept) exists with the default order, as contract C1 reads a missing entry.
   */
  load(state: NetworkState & DirectoryState): void {
    this.networks.clear();
    for (const n of state.networks ?? []) this.networks.set(key(n.project, n.name), { ...n, createdAt: 0 });
    for (const s of state.subnetworks ?? []) {
      const m = /\/projects\/([^/]+)\/global\/networks\/([^/]+)$/.exec(s.network);
      if (m && m[1] === s.project) this.ensure(s.project, m[2]!);
    }
  }

  private record(project: string, name: string) {
    return this.networks.get(key(project, name));
  }

  private find(project: string, name: string) {
    const rec = this.record(project, name);
    if (!rec) throw notFound(key(project, name));
    return rec;
  }

  private view(n: NetworkRecord & { createdAt: number }): INetwork {
    const url = `${BASE}/${key(n.project, n.name)}`;
    const subnetworks = Object.values(this.directory.aggregated(n.project).items)
      .flatMap((scope) => scope.subnetworks ?? [])
      .filter((s) => s.network === url)
      .map((s) => s.selfLink!)
      .sort();
    return {
      kind: 'compute#network',
      id: n.id,
      creationTimestamp: rfc3339(n.createdAt),
      name: n.name,
      description: '',
      autoCreateSubnetworks: false,
      mtu: 1460,
      networkFirewallPolicyEnforcementOrder: n.networkFirewallPolicyEnforcementOrder,
      routingConfig: { routingMode: 'REGIONAL' },
      selfLink: url,
      selfLinkWithId: `${BASE}/projects/${n.project}/global/networks/${n.id}`,
      subnetworks,
    };
  }
}
