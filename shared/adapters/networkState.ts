/**
 * NetworkReader over the fake Compute's state file (`.local/compute.json`, `version: 1`), read as JSON here (the file's
 * writer lives in local/; contract C1 in docs/fake-compute.md): `networks[]` (the enforcement order of the host
 * project's network; a missing entry means AFTER_CLASSIC_FIREWALL), `firewalls[]` (VPC firewall rules, Compute's
 * `Firewall` JSON with the owning `project`), `subnetworks[]`, the firewall policies chosen by `choose`, and, when the
 * file has the key, `dnsPolicies[]` (Cloud DNS server policies, the DNS API's `Policy` JSON with the owning `project`:
 * the network's DNS query logging; without the key it is unknown). The state file holds no hierarchical policies.
 */
import { type DnsServerPolicyJson, dnsLoggingOf, type NetRule } from '../core/network/model';
import type { VpcFirewall } from '../core/network/source';
import type { NetworkReader, NetworkSnapshot, PolicyRead } from '../ports/network';
import { fromApiRule } from './compute';
import { readStateFile, StateFileError, type StateFileJson } from './firewallState';
import { toSubnetRanges } from './subnets';

/** A state file that cannot be read as one (the message names the file). */
export class NetworkStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkStateError';
  }
}

/** The state file as the network model reads it: the firewall reader's fields and the VPC's. */
type StateJson = StateFileJson & {
  networks?: { project: string; name: string; networkFirewallPolicyEnforcementOrder?: string }[];
  firewalls?: ({ project: string } & VpcFirewall)[];
  dnsPolicies?: ({ project: string } & DnsServerPolicyJson)[];
};

/** Reads the state file's network picture of `hostProject`/`network`; `choose` picks the policies to evaluate. */
export function stateFileNetwork(
  file: string,
  args: { hostProject: string; network: string; choose: (p: { name: string; region?: string }) => boolean },
): NetworkReader {
  return {
    async read(): Promise<NetworkSnapshot> {
      let s: StateJson;
      try {
        s = readStateFile(file) as StateJson;
      } catch (e) {
        if (e instanceof StateFileError) throw new NetworkStateError(e.message);
        throw e;
      }
      const net = (s.networks ?? []).find((n) => n.project === args.hostProject && n.name === args.network);
      const order = net?.networkFirewallPolicyEnforcementOrder;
      const policies: PolicyRead[] = s.policies
        .filter((p) => p.project === args.hostProject && args.choose(p))
        .sort((a, b) => Number(!!a.region) - Number(!!b.region))
        .map((p) => ({
          name: p.name,
          ...(p.region ? { region: p.region } : {}),
          rules: (p.rules ?? []).map((r) => fromApiRule(r) as NetRule),
        }));
      return {
        hostProject: args.hostProject,
        network: args.network,
        ...(order === 'AFTER_CLASSIC_FIREWALL' || order === 'BEFORE_CLASSIC_FIREWALL'
          ? { enforcementOrder: order }
          : {}),
        subnets: (s.subnetworks ?? []).filter((x) => x.project === args.hostProject).map((x) => toSubnetRanges(x)),
        firewalls: (s.firewalls ?? []).filter((f) => f.project === args.hostProject),
        hierarchical: [],
        policies,
        ...(Array.isArray(s.dnsPolicies)
          ? {
              dnsLogging: dnsLoggingOf(
                s.dnsPolicies.filter((p) => p.project === args.hostProject),
                args.hostProject,
                args.network,
              ),
            }
          : {}),
        // The fake takes every network firewall policy of the host project as associated (docs/fake-compute.md).
        associated: s.policies.filter((p) => p.project === args.hostProject && !p.region).map((p) => p.name),
        source: `state file ${file} (${args.hostProject}/${args.network})`,
      };
    },
  };
}
