/**
 * The network model from one read (ports/network.ts): subnets of the network with their project under the target
 * mode, the network's VPC firewall rules, the hierarchical, global and regional policies as tiers, the DNS. Pure.
 */
import type { DnsTable } from '../diagnose/dns';
import type { SubnetRanges } from '../firewall/workloads';
import type { TargetMapping } from '../policy/types';
import {
  assignProjects,
  DEFAULT_ENFORCEMENT_ORDER,
  type EnforcementOrder,
  type NetRule,
  type NetworkModel,
  type Tier,
} from './model';
import { type VpcFirewall, vpcRuleOf } from './source';

/** A firewall policy's rules as read. */
export interface PolicyRead {
  name: string;
  /** Regional network firewall policies: their region. */
  region?: string;
  /** The reference firewall logs use; default `network:{network}/firewallPolicy:{name}`. */
  reference?: string;
  rules: NetRule[];
}

/** What the reader returns: raw, as the API names it; buildModel turns it into the model. */
export interface NetworkSnapshot {
  hostProject: string;
  network: string;
  /** Absent when the network was not found or does not say: Google's default (AFTER_CLASSIC_FIREWALL). */
  enforcementOrder?: EnforcementOrder;
  subnets: SubnetRanges[];
  /** The network's VPC firewall rules (every direction; the model keeps those of this network). */
  firewalls: VpcFirewall[];
  /** Hierarchical policies in effect on the network, organization first. */
  hierarchical: PolicyRead[];
  /** The global network firewall policy (first) and the regional ones the product evaluates. */
  policies: PolicyRead[];
  /** Where it was read from, in words. */
  source: string;
}

const last = (s: string) => s.replace(/\/+$/, '').split('/').at(-1) ?? s;

/** True when a subnet's or firewall's `network` (a URL or a name; empty: unknown) names `network`. */
export function onNetwork(value: string | undefined, network: string): boolean {
  return !value || last(value) === network;
}

/** Builds the model. `projects`: the projects to assign subnets to (the fleet's keys). */
export function buildModel(
  snap: NetworkSnapshot,
  opts: { target: TargetMapping; projects: readonly string[]; dns?: DnsTable },
): NetworkModel {
  // One order whatever the reader (the state file keeps its own, the API lists by region): by region, then name.
  const subnets = snap.subnets
    .filter((s) => onNetwork(s.network, snap.network))
    .sort((a, b) => a.region.localeCompare(b.region) || a.name.localeCompare(b.name));
  const ref = (p: { name: string; reference?: string }) =>
    p.reference ?? `network:${snap.network}/firewallPolicy:${p.name}`;
  const tier = (p: NetworkSnapshot['policies'][number], kind: Tier['kind']): Tier => ({
    kind,
    name: p.name,
    reference: ref(p),
    ...(p.region ? { region: p.region } : {}),
    rules: p.rules,
  });
  const global = snap.policies.find((p) => !p.region);
  return {
    hostProject: snap.hostProject,
    network: snap.network,
    enforcementOrder: snap.enforcementOrder ?? DEFAULT_ENFORCEMENT_ORDER,
    subnets: assignProjects(opts.target, subnets, opts.projects),
    hierarchical: snap.hierarchical.map((p, i) => ({
      ...tier(p, 'hierarchical'),
      reference: p.reference ?? `${i}/firewallPolicy:${p.name}`,
    })),
    vpcRules: snap.firewalls.filter((f: VpcFirewall) => onNetwork(f.network, snap.network)).map(vpcRuleOf),
    ...(global ? { global: tier(global, 'global') } : {}),
    regional: snap.policies.filter((p) => p.region).map((p) => tier(p, 'regional')),
    ...(opts.dns ? { dns: opts.dns } : {}),
    source: snap.source,
  };
}
