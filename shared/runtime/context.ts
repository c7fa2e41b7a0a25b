/**
 * The command context: what a command or an MCP tool reads, built once per invocation from its parsed flags and the
 * environment (read once, here), through the one option table (runtime/options.ts). Every client is built on first
 * use and closed by `close()`; nothing is read from `process.env` deeper down.
 */

import type { QuotasApi } from '../adapters/quotas';
import type { PlatformPolicy } from '../core/policy/types';
import { type Clock, systemClock } from '../ports/clock';
import type { LimitsReader } from '../ports/limits';
import type { LogsPort } from '../ports/logs';
import type { EventPublisher } from '../ports/publisher';
import type { ManifestStore } from '../ports/storage';
import {
  bucketStore,
  callDeadlineMs,
  publisherFor,
  resolveBucket,
  resolvePolicy,
  storageEndpointOf,
} from './cliClients';
import { type RuntimeConfig, readConfig } from './config';
import { logsFor } from './diagnose';
import { lazy } from './lazy';
import { OPTION_TABLE, type OptionKey, type OptionSpec, setting } from './options';
import { type FirewallSource, firewallSource, type SourceFlags, withCliDefaults } from './sources';

export interface CommandContext<F extends SourceFlags = SourceFlags> {
  /** The parsed flags, with npm start's cli.env defaults (EGRESS_STATE_FILE, EGRESS_DNS_TABLE) applied. */
  readonly flags: F;
  /** The environment, read once for this invocation. */
  readonly cfg: RuntimeConfig;
  /** One setting: the flag, then the environment, then the policy file. */
  setting(key: OptionKey): string;
  /** The platform policy (`--policy`, EGRESS_POLICY_FILE, else the defaults), loaded on first use. */
  readonly policy: PlatformPolicy;
  /** The manifest bucket and prefix (`--bucket`, else EGRESS_MANIFEST_BUCKET + EGRESS_MANIFEST_PREFIX). */
  bucket(): { bucket: string; prefix: string };
  /** The manifest store of that bucket (`--storage-endpoint`, else the client's own emulator handling, else Google). */
  store(): ManifestStore;
  /** The firewall: a state file (`--state`), the live policies (`--live`), or none. */
  firewall(): FirewallSource;
  /** A publisher to the Pub/Sub project (`--pubsub-project`, EGRESS_PUBSUB_PROJECT, GOOGLE_CLOUD_PROJECT). */
  publisher(): EventPublisher & { project: string };
  /** The Cloud Logging reader of a host project (`--logging-endpoint`, EGRESS_LOGGING_ENDPOINT, else Google). */
  logs(hostProject: string): LogsPort;
  /** The Cloud Quotas client (REST): at the Compute endpoint when one is set (npm start's fake serves it), else Google. */
  quotas(): { api: QuotasApi };
  /**
   * The host project's per-policy limits for a headroom check, as the applier reads them: the Cloud Quotas API when
   * the firewall is read live (`--live`) or from npm start's fake (a compute endpoint set); undefined otherwise (the
   * policy file's limits then apply).
   */
  limits(hostProject: string): LimitsReader | undefined;
  readonly clock: Clock;
  /** Closes every client this context built. */
  close(): Promise<void>;
}

/**
 * The firewall of a context, in one small function: today a state file or the live policies through
 * runtime/sources.ts; the single place to adapt when the firewall ports change shape.
 */
export function firewallOf(flags: SourceFlags, cfg: RuntimeConfig, policy: PlatformPolicy): FirewallSource {
  return firewallSource(flags, policy, cfg);
}

/** `make`, called on first use only; later calls return the same value. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}

type Closable = { close(): Promise<void> };

/** The Cloud Quotas client of `flags` / `cfg`: the Compute endpoint when one is set, the call deadline of the CLI. */
function quotasClient(flags: SourceFlags, cfg: RuntimeConfig) {
  const endpoint = setting('computeEndpoint', flags, cfg);
  return lazy.quotas().cloudQuotasClient({ ...(endpoint ? { endpoint } : {}), deadlineMs: callDeadlineMs(cfg) });
}

/** Builds the context of one invocation; `env` is read here once (tests pass their own). */
export function commandContext<F extends SourceFlags>(
  given: F,
  env: NodeJS.ProcessEnv = process.env,
): CommandContext<F> {
  const cfg = readConfig(env);
  const flags = withCliDefaults(given, cfg);
  const closers: (() => Promise<void>)[] = [];
  /** A client built on first use and closed by `close()`. */
  const client = <T extends Closable>(make: () => T): (() => T) =>
    once(() => {
      const made = make();
      closers.push(() => made.close());
      return made;
    });
  const policy = once(() => resolvePolicy(flags, cfg));
  const bucket = once(() => resolveBucket(flags, cfg));
  const logs = new Map<string, () => LogsPort>();
  const quotas = client(() => quotasClient(flags, cfg));
  return {
    flags,
    cfg,
    // The policy file is read only for a setting that falls back to it.
    setting: (key) => setting(key, flags, cfg, (OPTION_TABLE[key] as OptionSpec).policyKey ? policy() : undefined),
    get policy() {
      return policy();
    },
    bucket,
    store: once(() => bucketStore(bucket().bucket, storageEndpointOf(flags))),
    firewall: client(() => firewallOf(flags, cfg, policy())),
    publisher: client(() => publisherFor(flags, cfg)),
    logs: (hostProject) => {
      if (!logs.has(hostProject))
        logs.set(
          hostProject,
          client(() => logsFor(hostProject, flags.loggingEndpoint, cfg)),
        );
      return logs.get(hostProject)!();
    },
    quotas,
    limits: (hostProject) =>
      flags.live || setting('computeEndpoint', flags, cfg)
        ? lazy.quotas().cloudQuotasLimits(hostProject, quotas().api)
        : undefined,
    clock: systemClock,
    close: async () => {
      logs.clear();
      await Promise.all(closers.splice(0).map((c) => c()));
    },
  };
}
