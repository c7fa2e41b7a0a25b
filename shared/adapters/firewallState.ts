/**
 * The firewall read from a fake-Compute state file (`.local/compute.json`, `version: 1`), read-only: the one reader of
 * the format the fake writes (local/fakes/compute/state.ts; a unit test checks that the fake's `EngineState` fits
 * `StateFileJson`). The CLI's `--state FILE` and EGRESS_STATE_FILE come here; production code never imports local/.
 * Every write through these ports refuses.
 */
import { readFileSync } from 'node:fs';
import type { ObservedRule } from '../core/firewall/types';
import type { DnsServerPolicyJson } from '../core/network/model';
import type { FirewallPolicyPort } from '../ports/firewall';
import type { SubnetSource, TagValueResolver } from '../ports/workloads';
import { fromApiRule } from './compute';
import { toSubnetRanges } from './subnets';

/** The fields of the state file this reader uses (the fake writes more). */
export interface StateFileJson {
  version: 1;
  policies: { project: string; name: string; region?: string; rules?: Parameters<typeof fromApiRule>[0][] }[];
  subnetworks?: ({ project: string } & Parameters<typeof toSubnetRanges>[0])[];
  tagValues?: { name: string; namespacedName: string }[];
  /** Cloud DNS server policies of the fake (the DNS API's `Policy` JSON with the owning project). */
  dnsPolicies?: ({ project: string } & DnsServerPolicyJson)[];
}

/** A state file that cannot be read or is not in this format; the message names the file. */
export class StateFileError extends Error {
  override readonly name = 'StateFileError';
}

/** Reads and checks a state file (JSON with `version: 1` and a `policies` list). */
export function readStateFile(file: string): StateFileJson {
  let state: StateFileJson;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as StateFileJson;
  } catch (err) {
    throw new StateFileError(`cannot read state file ${file}: ${(err as Error).message}`);
  }
  if (state?.version !== 1 || !Array.isArray(state.policies))
    throw new StateFileError(
      `${file} is not a fake-Compute state file: unsupported state (expected {"version": 1, "policies": […]})`,
    );
  return state;
}

/** One policy of a state file, its rules as the core reads them. */
export interface StatePolicy {
  hostProject: string;
  policy: string;
  /** A regional policy's region (regional placement). */
  region?: string;
  rules: ObservedRule[];
  /** The sum of the stored rules' `ruleTupleCount` (the fake's `FirewallPolicy.ruleTupleCount`). */
  ruleTupleCount: number;
}

/** Every policy of the file, as the core reads it. */
export function statePolicies(state: StateFileJson): StatePolicy[] {
  return state.policies.map((p) => ({
    hostProject: p.project,
    policy: p.name,
    ...(p.region ? { region: p.region } : {}),
    rules: (p.rules ?? []).map((r) => fromApiRule(r)),
    ruleTupleCount: (p.rules ?? []).reduce((n, r) => n + (r.ruleTupleCount ?? 0), 0),
  }));
}

/** A read-only FirewallPolicyPort over one policy's rules; every write refuses naming `source`. */
export function readOnlyPort(p: Pick<StatePolicy, 'rules'> & { ruleTupleCount?: number }, source: string) {
  const refuse = async (): Promise<never> => {
    throw new Error(`${source} is read here only; nothing is written`);
  };
  return {
    getPolicy: async () => ({
      rules: p.rules,
      ...(p.ruleTupleCount !== undefined ? { ruleTupleCount: p.ruleTupleCount } : {}),
    }),
    patchPolicy: refuse,
  } satisfies FirewallPolicyPort;
}

/** The target mode's reads of `hostProject` from the file: its subnetworks and the tag values. */
export function stateWorkloads(
  state: StateFileJson,
  hostProject: string,
): { subnets: SubnetSource; tags: TagValueResolver } {
  return {
    subnets: {
      listSubnets: async () =>
        (state.subnetworks ?? []).filter((s) => s.project === hostProject).map((s) => toSubnetRanges(s)),
    },
    tags: {
      lookup: async (n) => (state.tagValues ?? []).find((t) => t.namespacedName === n)?.name ?? null,
    },
  };
}
