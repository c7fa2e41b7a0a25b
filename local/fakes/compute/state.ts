/**
 * The fake firewall's state file (`.local/compute.json`, `version: 1`): its one definition. The engine persists to it
 * (`stateFile`), `npm start` keeps it in its state dir, and the CLI's `--state FILE` reads it through `readStateFile`.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readStateFile as readState, StateFileError } from '../../../shared/adapters/firewallState';

export { StateFileError };

import type { Directory, DirectoryState } from './directory';
import type { DnsPolicyState, DnsPolicyStore } from './dnsPolicies';
import type { FirewallState, FirewallStore } from './firewalls';
import type { NetworkState, NetworkStore } from './networks';
import type { IRule, OperationRecord, PolicyRecord } from './types';
import { policyKey } from './wire';

/** The file name inside a state dir (`npm start --state-dir`, default `.local`). */
export const STATE_FILE_NAME = 'compute.json';

/** The state file of a state dir. */
export function stateFileIn(dir: string): string {
  return join(dir, STATE_FILE_NAME);
}

/**
 * The persisted JSON form (`version: 1`). Read with `readStateFile`. `subnetworks`/`tagValues`: directory.ts;
 * `networks` (networks.ts) and `firewalls` (firewalls.ts) are optional (contract C1): files without them still load.
 */
export interface EngineState extends DirectoryState, NetworkState, FirewallState, DnsPolicyState {
  version: 1;
  nextId: number;
  /** The policies, each with its rules as a list by ascending priority. */
  policies: (Omit<PolicyRecord, 'rules'> & { rules: IRule[] })[];
  operations: OperationRecord[];
  requestIds: { project: string; requestId: string; operation: string; at: number }[];
}

/** Reads and checks a state file: the product's one reader (shared/adapters/firewallState.ts), typed as the engine's. */
export function readStateFile(file: string): EngineState {
  return readState(file) as unknown as EngineState;
}

/** Throws StateFileError unless `state` has this format's version and policy list. */
export function checkState(state: EngineState, file = 'state'): void {
  if (state?.version !== 1 || !Array.isArray(state.policies))
    throw new StateFileError(
      `${file} is not a fake-Compute state file: unsupported state (expected {"version": 1, "policies": […]})`,
    );
}

/** Writes `state` to `file` atomically (temp file + rename). */
export function writeStateFile(file: string, state: EngineState): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
}

/** The engine's persisted fields. */
export interface EngineData {
  nextId: number;
  policies: ReadonlyMap<string, PolicyRecord>;
  operations: readonly OperationRecord[];
  requestIds: ReadonlyMap<string, { operation: string; at: number }>;
  directory?: Directory;
  networks?: NetworkStore;
  firewalls?: FirewallStore;
  dns?: DnsPolicyStore;
}

/** The engine's key of a remembered request id (per project). */
export function requestKey(project: string | null | undefined, requestId: string): string {
  return JSON.stringify([project ?? '', requestId]);
}

/** The engine's fields as the file's JSON. */
export function encodeState(d: EngineData): EngineState {
  return {
    version: 1,
    nextId: d.nextId,
    policies: [...d.policies.values()].map((p) => ({
      project: p.project,
      ...(p.region ? { region: p.region } : {}),
      name: p.name,
      id: p.id,
      description: p.description,
      createdAt: p.createdAt,
      generation: p.generation,
      rules: [...p.rules.values()].sort((a, b) => a.priority! - b.priority!),
    })),
    operations: [...d.operations],
    requestIds: [...d.requestIds.entries()].map(([k, v]) => {
      const [project, requestId] = JSON.parse(k) as [string, string];
      return { project, requestId, operation: v.operation, at: v.at };
    }),
    ...(d.directory ? d.directory.toState() : {}),
    ...(d.networks ? d.networks.toState() : {}),
    ...(d.firewalls ? d.firewalls.toState() : {}),
    ...(d.dns ? d.dns.toState() : {}),
  };
}

/** The file's JSON as the engine's fields (checked first). */
export function decodeState(state: EngineState): EngineData {
  checkState(state);
  return {
    nextId: state.nextId,
    policies: new Map(
      state.policies.map((p) => [
        policyKey(p.project, p.name, p.region),
        { ...p, rules: new Map(p.rules.map((r) => [r.priority!, r])) },
      ]),
    ),
    operations: state.operations,
    requestIds: new Map(
      state.requestIds.map((r) => [requestKey(r.project, r.requestId), { operation: r.operation, at: r.at }]),
    ),
  };
}
