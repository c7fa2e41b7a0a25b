/**
 * The read of one picture of the network (core/network): its enforcement order, subnets, VPC firewall rules and every
 * firewall policy that can decide an egress packet. Read once per command. Adapters: adapters/networkLive.ts (Compute
 * API: networks.get, firewalls.list, networks.getEffectiveFirewalls, the policies, subnetworks) and
 * adapters/networkState.ts (the fake Compute's state file).
 */
import type { NetworkSnapshot } from '../core/network/build';

export type { NetworkSnapshot, PolicyRead } from '../core/network/build';

/** Reads the picture of the network. */
export interface NetworkReader {
  read(): Promise<NetworkSnapshot>;
}
