/**
 * NetworkReader over the fake Compute's state file (`.local/compute.json`, `version: 1`), read as JSON here (the file's
 * writer lives in local/; contract C1 in docs/fake-compute.md): `networks[]` (the enforcement order of the host
 * project's network; a missing entry means AFTER_CLASSIC_FIREWALL), `firewalls[]` (VPC firewall rules, Compute's
 * `Firewall` JSON with the owning `project`), `subnetworks[]`, and the firewall policies chosen by `choose`. The state
 * file holds no hierarchical policies.
 */
import { readFileSync } from 'node:fs';
import type { NetRule } from '../core/network/model';
import type { VpcFirewall } from '../core/network/source';
import type { NetworkReader, NetworkSnapshot, PolicyRead } from '../ports/network';
import { fromApiRule } from './compute';
import { toSubnetRanges } from './subnets';

/** A state file that cannot be read as one (the message names the file). */
export class NetworkStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkStateError';
  }
}

interface StateJson {
  version?: unknown;
  policies?: { project: string; name: string; region?: string; rules?: unknown[] }[];
  subnetworks?: ({ project: string } & Parameters<typeof toSubnetRanges>[0])[];
  networks?: { project: string; name: string; networkFirewallPolicyEnforcementOrder?: string }[];
  firewalls?: ({ project: string } & VpcFirewall)[];
}

/** Reads the state file's network picture of `hostProject`/`network`; `choose` picks the policies to evaluate. */
export function stateFileNetwork(
  file: string,
  args: { hostProject: string; network: string; choose: (p: { name: string; region?: string }) => boolean },
): NetworkReader {
  return {
    async read(): Promise<NetworkSnapshot> {
      let s: StateJson;
      try {
        s = JSON.parse(readFileSync(file, 'utf8')) as StateJson;
      } catch (e) {
        throw new NetworkStateError(`cannot read state file ${file}: ${(e as Error).message}`);
      }
      if (s?.version !== 1 || !Array.isArray(s.policies))
        throw new NetworkStateError(
          `${file} is not a fake-Compute state file (expected {"version": 1, "policies": […]})`,
        );
      const net = (s.networks ?? []).find((n) => n.project === args.hostProject && n.name === args.network);
      const order = net?.networkFirewallPolicyEnforcementOrder;
      const policies: PolicyRead[] = s.policies
        .filter((p) => p.project === args.hostProject && args.choose(p))
        .sort((a, b) => Number(!!a.region) - Number(!!b.region))
        .map((p) => ({
          name: p.name,
          ...(p.region ? { region: p.region } : {}),
          rules: (p.rules ?? []).map((r) => fromApiRule(r as Parameters<typeof fromApiRule>[0]) as NetRule),
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
        source: `state file ${file} (${args.hostProject}/${args.network})`,
      };
    },
  };
}
