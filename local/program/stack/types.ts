/** The local stack's options and the running stack's handle. */
import type { Storage } from '@google-cloud/storage';
import type { StatusEvent } from '../../../shared/core/events/types';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import type { PolicyRef } from '../../../shared/core/policy/placement';
import type { LogSeverity } from '../../../shared/ports/logger';
import type { ManifestStore } from '../../../shared/ports/storage';
import type { RetryOptions } from '../../../shared/usecases/retry';
import type { FirewallPolicyEngine } from '../../fakes/compute/engine';
import type { FakeComputeServer } from '../../fakes/compute/server';
import type { FakeGcs } from '../../fakes/gcs';
import type { FakeLoggingServer } from '../../fakes/logging';
import type { EmulatorPubsub } from '../../harness/pubsub';
import type { PubsubEmulator } from '../emulator';
import type { Delivery } from '../functionHost';
import type { StackNetwork } from './network';

/** Where the functions run (see the file comment). */
export type FunctionsMode = 'in-process' | 'child';

/** Options of `startLocalStack`; every field has a local default. */
export interface LocalStackOptions {
  mode?: FunctionsMode;
  /** Pub/Sub project of the topics (default LOCAL_PROJECT). */
  projectId?: string;
  /** Appended to topic and subscription names, so several stacks can share one emulator (parallel test files). */
  suffix?: string;
  bucket?: string;
  /** Object-name prefix of manifests (EGRESS_MANIFEST_PREFIX). */
  prefix?: string;
  hostProject?: string;
  firewallPolicy?: string;
  /** Persist the fake firewall in `<stateDir>/compute.json` (reloaded on the next start); in memory when omitted. */
  stateDir?: string;
  /** Child mode: function output goes to `<logDir>/<validator|applier>.log`. In-process: JSON lines appended there too. */
  logDir?: string;
  /** In-process only: the applier's in-process retry tuning (e.g. fewer, shorter retries in tests). */
  applierRetry?: RetryOptions;
  /** Child mode: the functions entry (default `dist/functions/index.js`, or `functions/index.ts` from sources). */
  functionsSource?: string;
  /** Extra environment of the function processes (child mode) or of their composition (in-process). */
  env?: Record<string, string>;
  /**
   * The platform policy file of the functions (EGRESS_POLICY_FILE); its firewall.placement decides the seeded policies
   * (regional: the global one with the goto_next hand-off and one per listed region with the deny-all baseline).
   */
  policyFile?: string;
  /**
   * The network's description (`npm start -- --network FILE`, local/fakes/compute/subnets.ts): its subnets replace the
   * host project's at start. Default: examples/network.yaml, seeded into an empty state only.
   */
  networkFile?: string;
  /** Called with one line per start-up step (for `npm start --verbose`). */
  onStep?: (message: string) => void;
}

/** One log entry of an in-process function. */
export interface LogEntry {
  component: 'validator' | 'applier';
  severity: LogSeverity;
  message: string;
  fields: Record<string, unknown>;
}

/** The files of a stack with a state dir. */
export interface StackFiles {
  /** The fake firewall (`compute.json`; `--state`). */
  state: string;
  /** The local DNS table (`dns.json`; `--dns`), seeded from the default table. */
  dns: string;
  /** The fake Cloud Logging's entries (`logging.json`). */
  logging: string;
}

/** A running local stack. */
export interface LocalStack {
  mode: FunctionsMode;
  projectId: string;
  bucket: string;
  prefix: string;
  hostProject: string;
  firewallPolicy: string;
  /** Every policy of the placement (the global one first; regional placement adds one per listed region). */
  policies: PolicyRef[];
  topics: { changes: string; status: string };
  /** `status` is consumed by waitForStatus; `operators` is never acknowledged (read by `egress status`). */
  subscriptions: { push: string; status: string; operators: string };
  emulator: PubsubEmulator;
  pubsub: EmulatorPubsub;
  gcs: FakeGcs;
  compute: FakeComputeServer;
  /** The fake Cloud Logging (its entries in `files.logging` with a state dir). */
  logging: FakeLoggingServer;
  /** With a state dir: its files. */
  files?: StackFiles;
  engine: FirewallPolicyEngine;
  /** The host project's VPC network: its name, its described subnets, and the pool subnets of the projects seen. */
  network: StackNetwork;
  /** The manifest store over the fake bucket (the same adapter the validator uses). */
  store: ManifestStore;
  storage: Storage;
  validatorUrl: string;
  applierUrl: string;
  /** The EGRESS_* (and emulator) environment the functions were given. */
  env: Record<string, string>;
  /** Every CloudEvent each function received, in arrival order (with outcome once finished). */
  deliveries: { validator: Delivery[]; applier: Delivery[] };
  /** In-process mode: the functions' log entries (child mode: see `logDir`). */
  logs: LogEntry[];
  /** Child mode: the functions' PIDs. */
  pids: number[];
  /** The owned (marker-carrying) rules of `project` (or of every project) in the fake policy, by priority. */
  rules(project?: string): ObservedRule[];
  /** All rules of the policy, foreign and baseline included. */
  allRules(): ObservedRule[];
  /** Waits for a status event matching `predicate` on the status pull subscription. */
  waitForStatus(predicate: (event: StatusEvent) => boolean, timeoutMs?: number): Promise<StatusEvent>;
  /** Stops deliveries first, then the functions, the fakes and (if started here) the emulator. Idempotent. */
  stop(): Promise<void>;
}
