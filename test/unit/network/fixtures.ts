/** Network-model fixtures shared by the evaluator, probe and denials tests. */
import type { NetRule, NetSubnet, NetworkModel } from '../../../shared/core/network/model';

/** An EGRESS rule named `{action}-{priority}` to `ranges`, any protocol, logging on. */
export const egressRule = (
  priority: number,
  action: string,
  ranges: string[],
  extra: Partial<NetRule> = {},
): NetRule => ({
  priority,
  ruleName: `${action}-${priority}`,
  direction: 'EGRESS',
  action,
  enableLogging: true,
  match: { destIpRanges: ranges, layer4Configs: [{ ipProtocol: 'all' }] },
  ...extra,
});

/** A subnet of `network` in us-central1 with one primary range (assigned to `project` when given). */
export const subnet = (name: string, primary: string, project?: string, network = 'vpc'): NetSubnet => ({
  name,
  region: 'us-central1',
  network,
  primary,
  secondary: [],
  ipv6: [],
  ...(project ? { project } : {}),
});

/** A model of `subnets` whose global policy `egress` holds `rules`, AFTER_CLASSIC_FIREWALL; `over` replaces parts. */
export function testModel(subnets: NetSubnet[], rules: NetRule[], over: Partial<NetworkModel> = {}): NetworkModel {
  const network = subnets[0]?.network ?? 'vpc';
  return {
    hostProject: 'host',
    network,
    enforcementOrder: 'AFTER_CLASSIC_FIREWALL',
    subnets,
    hierarchical: [],
    vpcRules: [],
    global: { kind: 'global', name: 'egress', reference: `network:${network}/firewallPolicy:egress`, rules },
    regional: [],
    source: 'test',
    ...over,
  };
}
