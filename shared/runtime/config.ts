/**
 * The environment, read once: every variable of the one option table (runtime/options.ts). Terraform sets the same
 * names (a test checks that they agree). `readConfig(env)` is called once per invocation, by the function entry points
 * (validator.ts, applier.ts) and by the CLI's command context (runtime/context.ts); nothing reads it implicitly.
 */

import { OPTION_TABLE, type OptionSpec } from './options';

export interface RuntimeConfig {
  /** Project that owns the topics (defaults to the runtime's project). */
  pubsubProject: string;
  /** Egress-change topic (short name). */
  changesTopic: string;
  /** Status topic (short name). */
  statusTopic: string;
  /** Object-name prefix under which manifests live in the bucket (e.g. `manifests/`). */
  manifestPrefix: string;
  /** Shared VPC host project holding the firewall policy. */
  hostProject: string;
  /** Global network firewall policy name. */
  firewallPolicy: string;
  /** Path to the platform policy file (YAML/JSON); empty means the documented defaults. */
  policyFile: string;
  /** Compute API endpoint override (`http://127.0.0.1:PORT` for the fake REST server); empty means Google. */
  computeEndpoint: string;
  /** Cloud Logging endpoint override (`http://127.0.0.1:PORT` for the fake Logging server); empty means Google. */
  loggingEndpoint?: string;
  /** The manifest bucket (name only) the CLI's replay/drift/explain read when no `--bucket gs://…` is given. */
  manifestBucket?: string;
  /** The Compute write quota (mutations per minute) that replay and drift --repair pace to; default 1500. */
  writeQuota?: string;
  /** CLI only: the fake-Compute state file the commands read by default (`--state`; `npm start` writes it to cli.env). */
  stateFile?: string;
  /** CLI only: the local DNS table (`--dns`). */
  dnsTable?: string;
  /** CLI only: the pull subscription of the status topic that `egress status` reads (default none). */
  statusSubscription?: string;
  /** CLI only: the deadline of one Google API call, its retries included, in seconds (default 60). */
  callTimeout?: string;
  /** CLI only (not a function setting): the Shared VPC network name, EGRESS_NETWORK (`npm start` writes it to cli.env). */
  network?: string;
}

/** A setting the deployment passes to the functions: its RuntimeConfig key, variable and default. */
interface Option<K extends keyof RuntimeConfig> {
  key: K;
  env: string;
  default: string;
}

/** Every variable of the deployment, from the one option table (runtime/options.ts). */
export const OPTIONS: Option<keyof RuntimeConfig>[] = Object.entries(OPTION_TABLE).flatMap(
  ([key, o]: [string, OptionSpec]) =>
    o.env && o.deployed !== false ? [{ key: key as keyof RuntimeConfig, env: o.env, default: o.default ?? '' }] : [],
);

/** Reads the configuration from `env`; `pubsubProject` falls back to GOOGLE_CLOUD_PROJECT / GCLOUD_PROJECT. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const out = {} as RuntimeConfig;
  for (const o of OPTIONS) {
    out[o.key] = (env[o.env] ?? o.default).trim();
  }
  out.network = (env[OPTION_TABLE.network.env] ?? '').trim();
  if (!out.pubsubProject) out.pubsubProject = (env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT ?? '').trim();
  return out;
}

/** Throws a message naming the variable when a value the caller needs is empty. */
export function requireConfig<K extends keyof RuntimeConfig>(cfg: RuntimeConfig, ...keys: K[]): void {
  const missing = keys
    .filter((k) => !cfg[k])
    .map((k) => {
      const o = OPTIONS.find((x) => x.key === k);
      return k === 'pubsubProject' ? 'EGRESS_PUBSUB_PROJECT (or GOOGLE_CLOUD_PROJECT)' : (o?.env ?? k);
    });
  if (missing.length) throw new Error(`missing configuration: set ${missing.join(', ')}`);
}
