/**
 * What `egress doctor` reads beside the network model and the limits: the Cloud DNS server policies of the host
 * project and the caller's permissions on each firewall policy. Adapter: adapters/doctorReads.ts.
 */
import type { DnsServerPolicy } from '../core/doctor/types';
import type { PolicyRef } from '../core/policy/placement';
import type { DnsPolicyList } from './network';

/** `dns/v1/projects/P/policies` (list): the network model's port (ports/network.ts), named policies. */
export interface DnsPolicyReader extends DnsPolicyList {
  list(project: string): Promise<DnsServerPolicy[]>;
}

/** `networkFirewallPolicies.testIamPermissions` / `regionNetworkFirewallPolicies.testIamPermissions`: the granted subset. */
export interface PermissionTester {
  test(project: string, ref: PolicyRef, permissions: readonly string[]): Promise<string[]>;
}
