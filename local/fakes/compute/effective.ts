/**
 * `networks.getEffectiveFirewalls` and `regionNetworkFirewallPolicies.getEffectiveFirewalls` of the fake Compute.
 * What each returns (compute.proto v1 field docs, docs/fake-compute.md "Effective firewalls"):
 * - the network's: `firewalls` (the VPC firewall rules of the network) and `firewallPolicys` with the hierarchical and
 *   the GLOBAL network firewall policies (type `HIERARCHY`, `NETWORK`); regional policies are not in it;
 * - the region's: the same plus the regional network firewall policies of that region (type `NETWORK_REGIONAL`).
 * The fake has no hierarchical policies and no policy associations: every network firewall policy of the network's
 * project is taken as associated with the network (ASSUMED, the local stack's one network).
 */
import { invalidField, requiredField } from './errors';
import type { FirewallStore, IFirewall } from './firewalls';
import { networkUrl } from './firewalls';
import type { EffectivePolicy, NetworkStore } from './networks';
import type { PolicyRecord } from './types';
import { policyView } from './wire';

/** What the effective-firewall answers read. */
export interface EffectiveSources {
  networks: NetworkStore;
  firewalls: FirewallStore;
  policies: ReadonlyMap<string, PolicyRecord>;
}

/** The answer of both methods. */
export interface EffectiveFirewalls {
  firewalls: IFirewall[];
  firewallPolicys: EffectivePolicy[];
}

/**
 * The effective firewalls of `project`'s `network` (a name or URL); with `region`, the regional method's answer.
 * 404 notFound when the network does not exist.
 */
export function effectiveFirewalls(
  src: EffectiveSources,
  project: string,
  network: string | null | undefined,
  region?: string,
): EffectiveFirewalls {
  if (!network) throw requiredField('network');
  const url = networkUrl(project, network);
  const m = /\/projects\/([^/]+)\/global\/networks\/([^/]+)$/.exec(url);
  if (!m || m[1] !== project) throw invalidField('network', network, `Not a network of project ${project}.`);
  src.networks.get(project, m[2]!);
  const policies = [...src.policies.values()]
    .filter((p) => p.project === project && (!p.region || p.region === region))
    .sort((a, b) => Number(!!a.region) - Number(!!b.region) || (a.name < b.name ? -1 : 1));
  return {
    firewalls: src.firewalls.onNetwork(url),
    firewallPolicys: policies.map((p) => ({
      name: p.name,
      type: p.region ? 'NETWORK_REGIONAL' : 'NETWORK',
      rules: policyView(p).rules ?? [],
    })),
  };
}
