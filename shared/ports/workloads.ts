/**
 * The reads behind the target modes that need one (docs/policy.md, "Target modes"): the Shared VPC host project's
 * subnetworks (`subnets` mode) and the numeric ids of namespaced tag values (`secureTags` mode). Adapters:
 * adapters/subnets.ts (@google-cloud/compute SubnetworksClient), adapters/tags.ts (@google-cloud/resource-manager
 * TagValuesClient); both also talk to the local fakes.
 */
import type { SubnetRanges } from '../core/firewall/workloads';
import { PortError } from './errors';

/** The host project's subnetworks (every region), read at each call. */
export interface SubnetSource {
  listSubnets(): Promise<SubnetRanges[]>;
}

/** Namespaced tag value (`{parent}/{key}/{value}`) → `tagValues/N`, or null when it does not exist (or is not visible). */
export interface TagValueResolver {
  lookup(namespaced: string): Promise<string | null>;
}

/** A failure of either read, classified by its adapter (transient: retried, then the event is redelivered). */
export class WorkloadReadError extends PortError {
  constructor(message: string, transient: boolean) {
    super(message, transient);
    this.name = 'WorkloadReadError';
  }
}
