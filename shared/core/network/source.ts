/**
 * Where a project's connections leave from, in the network model: its sources under the target mode (the subnets
 * assigned to it under `subnets`; its service accounts or tag values otherwise), the default probing address, the
 * check of a given `--source-ip`, and the conversion of the network's VPC firewall rules (Compute `Firewall`) into the
 * evaluator's rules. Pure.
 */
import ipaddr from 'ipaddr.js';
import type { NetRule, NetSubnet, NetworkModel } from './model';
import { firstUsable, projectSubnets, subnetOf, subnetRanges } from './model';

/** A Compute `Firewall` (VPC firewall rule) as the REST API returns it. */
export interface VpcFirewall {
  name: string;
  network?: string;
  direction?: string;
  priority?: number;
  sourceRanges?: string[];
  destinationRanges?: string[];
  allowed?: { IPProtocol?: string; ports?: string[] }[];
  denied?: { IPProtocol?: string; ports?: string[] }[];
  targetTags?: string[];
  targetServiceAccounts?: string[];
  disabled?: boolean;
  logConfig?: { enable?: boolean };
  description?: string;
}

/**
 * A VPC firewall rule as an evaluator rule: `allowed` → allow, `denied` → deny; priority 1000 when absent (Compute's
 * default); an EGRESS rule without `destinationRanges` matches every destination.
 */
export function vpcRuleOf(f: VpcFirewall): NetRule {
  const deny = (f.denied ?? []).length > 0;
  const l4 = (deny ? f.denied : f.allowed) ?? [];
  return {
    priority: f.priority ?? 1000,
    ruleName: f.name,
    ...(f.description ? { description: f.description } : {}),
    direction: (f.direction ?? 'INGRESS').toUpperCase(),
    action: deny ? 'deny' : 'allow',
    ...(f.disabled ? { disabled: true } : {}),
    enableLogging: !!f.logConfig?.enable,
    match: {
      ...(f.destinationRanges?.length ? { destIpRanges: [...f.destinationRanges] } : {}),
      ...(f.direction?.toUpperCase() === 'INGRESS' && f.sourceRanges?.length
        ? { srcIpRanges: [...f.sourceRanges] }
        : {}),
      layer4Configs: l4.map((x) => ({
        ipProtocol: (x.IPProtocol ?? 'all').toLowerCase(),
        ...(x.ports?.length ? { ports: [...x.ports] } : {}),
      })),
    },
    ...(f.targetServiceAccounts?.length ? { targetServiceAccounts: [...f.targetServiceAccounts] } : {}),
    ...(f.targetTags?.length ? { targetTags: [...f.targetTags] } : {}),
  };
}

/** A source address the evaluator cannot use (a usage error): the message names the value and the project's ranges. */
export class SourceIpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceIpError';
  }
}

/** The ranges of the project's subnets (under `subnets` mode), each once. */
export function projectRanges(model: Pick<NetworkModel, 'subnets'>, project: string): string[] {
  return [...new Set(projectSubnets(model, project).flatMap(subnetRanges))];
}

/** Where an address is in the network, in words: `subnet S (project P)`, `subnet S (unassigned)`, or outside. */
export function placeOf(model: Pick<NetworkModel, 'subnets'>, ip: string): { subnet?: NetSubnet; words: string } {
  const s = subnetOf(model, ip);
  if (!s) return { words: `${ip} is in no subnet of the network` };
  return {
    subnet: s,
    words: `${ip} is in subnet ${s.name} (${s.region}, ${s.project ? `project ${s.project}` : 'unassigned'})`,
  };
}

/**
 * The probing address of `project`: `given` checked (a valid address; under `subnets` mode inside the project's
 * ranges), else the first usable address of its first subnet (its first subnet of the network under other modes),
 * else `fallback` when the network's subnets are unknown. Throws {@link SourceIpError}.
 */
export function sourceIpFor(
  model: Pick<NetworkModel, 'subnets'>,
  project: string,
  subnetsMode: boolean,
  given: string | undefined,
  fallback: string,
  /** The destination's address family, when known: the default source is of the same family where the project has one. */
  family?: 4 | 6,
): { ip: string; subnet?: NetSubnet } {
  const own = projectSubnets(model, project);
  if (given !== undefined) {
    if (!ipaddr.isValid(given) || (!given.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(given)))
      throw new SourceIpError(`--source-ip ${given} is not an IP address (hint: an address of the project's subnets)`);
    const ip = ipaddr.process(given).toString();
    if (subnetsMode && model.subnets.length) {
      const ranges = projectRanges(model, project);
      if (!ranges.length)
        throw new SourceIpError(
          `--source-ip ${ip}: project ${project} has no subnet assigned in the network, so no address is its own`,
        );
      const s = subnetOf(model, ip);
      if (!s || s.project !== project)
        throw new SourceIpError(
          `--source-ip ${ip} is not an address of ${project}: its ranges are ${ranges.join(', ')} (${placeOf(model, ip).words})`,
        );
      return { ip, subnet: s };
    }
    const s = subnetOf(model, ip);
    return { ip, ...(s ? { subnet: s } : {}) };
  }
  const candidates = subnetsMode ? own : own.length ? own : model.subnets;
  const v6 = family === 6 ? candidates.find((c) => c.ipv6[0]) : undefined;
  if (v6) return { ip: firstUsable(v6.ipv6[0]!), subnet: v6 };
  const first = candidates[0];
  const range = first?.primary ?? first?.ipv6[0];
  if (first && range) return { ip: firstUsable(range), subnet: first };
  return { ip: fallback };
}
