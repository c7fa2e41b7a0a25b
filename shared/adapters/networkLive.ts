/**
 * NetworkReader over the Compute API (@google-cloud/compute REST clients, or the fake at the same paths):
 * `networks.get` (networkFirewallPolicyEnforcementOrder), `firewalls.list` (the VPC firewall rules; the model keeps the
 * network's), `networks.getEffectiveFirewalls` (the hierarchical policies in effect: `firewallPolicys[]` of type
 * HIERARCHY), the product's policies through the FirewallPolicies port, the subnetworks through the SubnetSource and,
 * when a DnsPolicyList is given, the host project's Cloud DNS server policies (the network's DNS query logging; without
 * one, or when that read fails, the model says `unknown`).
 * https://cloud.google.com/compute/docs/reference/rest/v1/networks/getEffectiveFirewalls
 */
import type { protos } from '@google-cloud/compute';
import type { NetRule } from '../core/network/model';
import { dnsLoggingOf } from '../core/network/model';
import type { VpcFirewall } from '../core/network/source';
import type { FirewallPolicies } from '../ports/firewall';
import type { DnsPolicyList, NetworkReader, NetworkSnapshot } from '../ports/network';
import type { SubnetSource } from '../ports/workloads';
import { type ComputeClientOptions, fromApiRule, restClientOptions, toFirewallError } from './compute';

type IRule = protos.google.cloud.compute.v1.IFirewallPolicyRule;

/** The calls of NetworksClient and FirewallsClient the adapter uses (the real clients and test stubs both fit). */
export interface NetworkApi {
  getNetwork(project: string, network: string): Promise<{ networkFirewallPolicyEnforcementOrder?: string | null }>;
  listFirewalls(project: string): Promise<VpcFirewall[]>;
  getEffectiveFirewalls(
    project: string,
    network: string,
  ): Promise<{
    firewallPolicys?:
      | { name?: string | null; shortName?: string | null; type?: string | null; rules?: IRule[] | null }[]
      | null;
  }>;
}

/** Reads the picture of `network` in `hostProject`. */
export function liveNetwork(args: {
  hostProject: string;
  network: string;
  api: NetworkApi;
  policies: FirewallPolicies;
  subnets?: SubnetSource;
  dnsPolicies?: DnsPolicyList;
}): NetworkReader {
  const { hostProject, network, api } = args;
  return {
    async read(): Promise<NetworkSnapshot> {
      const missing: string[] = [];
      // A 404 (the network, or an endpoint a fake does not serve) is said in `source`, with Google's defaults.
      const step = async <T>(what: string, f: () => Promise<T>, notFound: T): Promise<T> => {
        try {
          return await f();
        } catch (err) {
          const e = toFirewallError(err, `${what} of ${hostProject}/${network}`);
          if (e.status !== 404) throw e;
          missing.push(what);
          return notFound;
        }
      };
      const [net, firewalls, effective, subnets, policies, dnsLogging] = await Promise.all([
        step('reading the network', () => api.getNetwork(hostProject, network), {}),
        step('listing the VPC firewall rules', () => api.listFirewalls(hostProject), []),
        step('reading the effective firewalls', () => api.getEffectiveFirewalls(hostProject, network), {}),
        args.subnets ? args.subnets.listSubnets() : Promise.resolve([]),
        Promise.all(
          args.policies.list().map(async (ref) => ({
            name: ref.name,
            ...(ref.region ? { region: ref.region } : {}),
            rules: (await args.policies.forPolicy(ref).getPolicy()).rules as NetRule[],
          })),
        ),
        // Evidence only: a DNS read that fails (no permission, API off) leaves the fact unknown, never "off".
        args.dnsPolicies?.list(hostProject).then(
          (ps) => dnsLoggingOf(ps, hostProject, network),
          () => undefined,
        ),
      ]);
      const order = net.networkFirewallPolicyEnforcementOrder;
      return {
        hostProject,
        network,
        ...(order === 'AFTER_CLASSIC_FIREWALL' || order === 'BEFORE_CLASSIC_FIREWALL'
          ? { enforcementOrder: order }
          : {}),
        subnets,
        firewalls,
        hierarchical: (effective.firewallPolicys ?? [])
          .filter((p) => p.type === 'HIERARCHY')
          .map((p) => ({
            name: p.shortName || p.name || '',
            rules: (p.rules ?? []).map((r) => fromApiRule(r) as NetRule),
          })),
        policies: policies.sort((a, b) => Number(!!a.region) - Number(!!b.region)),
        ...(dnsLogging ? { dnsLogging } : {}),
        ...(effective.firewallPolicys
          ? {
              associated: effective.firewallPolicys
                .filter((p) => p.type === 'NETWORK')
                .map((p) => p.shortName || p.name || ''),
            }
          : {}),
        source: `live network ${hostProject}/${network}${missing.length ? ` (not found: ${missing.join(', ')}; assumed AFTER_CLASSIC_FIREWALL and none)` : ''}`,
      };
    },
  };
}

/** The real NetworksClient and FirewallsClient (REST transport) as a NetworkApi. */
export function networkClients(opts: ComputeClientOptions = {}): { api: NetworkApi; close(): Promise<void> } {
  type Compute = typeof import('@google-cloud/compute');
  const { NetworksClient } = require('@google-cloud/compute/build/src/v1/networks_client') as Pick<
    Compute,
    'NetworksClient'
  >;
  const { FirewallsClient } = require('@google-cloud/compute/build/src/v1/firewalls_client') as Pick<
    Compute,
    'FirewallsClient'
  >;
  const o = restClientOptions(opts);
  const networks = new NetworksClient(o as ConstructorParameters<typeof NetworksClient>[0]);
  const firewalls = new FirewallsClient(o as ConstructorParameters<typeof FirewallsClient>[0]);
  const api: NetworkApi = {
    async getNetwork(project, network) {
      const [n] = await networks.get({ project, network });
      return { networkFirewallPolicyEnforcementOrder: n.networkFirewallPolicyEnforcementOrder ?? null };
    },
    async listFirewalls(project) {
      const out: VpcFirewall[] = [];
      for await (const f of firewalls.listAsync({ project }, { autoPaginate: false })) out.push(f as VpcFirewall);
      return out;
    },
    async getEffectiveFirewalls(project, network) {
      const [r] = await networks.getEffectiveFirewalls({ project, network });
      return r as Awaited<ReturnType<NetworkApi['getEffectiveFirewalls']>>;
    },
  };
  return { api, close: async () => void (await Promise.all([networks.close(), firewalls.close()])) };
}
