/**
 * The read of one picture of the network (core/network): its enforcement order, subnets, VPC firewall rules and every
 * firewall policy that can decide an egress packet. Read once per command. Adapters: adapters/networkLive.ts (Compute
 * API: networks.get, firewalls.list, networks.getEffectiveFirewalls, the policies, subnetworks) and
 * adapters/networkState.ts (the fake Compute's state file).
 */
import type { NetworkSnapshot } from '../core/network/build';
import type { DnsServerPolicyJson } from '../core/network/model';

export type { NetworkSnapshot, PolicyRead } from '../core/network/build';

/** Reads the picture of the network. */
export interface NetworkReader {
  read(): Promise<NetworkSnapshot>;
}

/**
 * Cloud DNS server policies of a project (`GET dns/v1/projects/P/policies`,
 * https://cloud.google.com/dns/docs/reference/rest/v1/policies/list): the network's DNS query logging in the model.
 */
export interface DnsPolicyList {
  list(project: string): Promise<DnsServerPolicyJson[]>;
}
