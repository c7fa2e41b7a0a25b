/**
 * Deployment configuration of the functions, defined once: (ENV name, default, parser). Terraform sets the same names
 * (a test checks that they agree). Only this module and the composition roots read `process.env`.
 */

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

interface Option<K extends keyof RuntimeConfig> {
  key: K;
  env: string;
  default: string;
  /** Required options with no default fail at start-up with a message naming the variable. */
  required: boolean;
}

/** Every option with its environment variable. */
export const OPTIONS: Option<keyof RuntimeConfig>[] = [
  { key: 'pubsubProject', env: 'EGRESS_PUBSUB_PROJECT', default: '', required: false },
  { key: 'changesTopic', env: 'EGRESS_CHANGES_TOPIC', default: 'egress-changes', required: false },
  { key: 'statusTopic', env: 'EGRESS_STATUS_TOPIC', default: 'egress-status', required: false },
  { key: 'manifestPrefix', env: 'EGRESS_MANIFEST_PREFIX', default: 'manifests/', required: false },
  { key: 'hostProject', env: 'EGRESS_HOST_PROJECT', default: '', required: false },
  { key: 'firewallPolicy', env: 'EGRESS_FIREWALL_POLICY', default: '', required: false },
  { key: 'policyFile', env: 'EGRESS_POLICY_FILE', default: '', required: false },
  { key: 'computeEndpoint', env: 'EGRESS_COMPUTE_ENDPOINT', default: '', required: false },
  { key: 'loggingEndpoint', env: 'EGRESS_LOGGING_ENDPOINT', default: '', required: false },
  { key: 'manifestBucket', env: 'EGRESS_MANIFEST_BUCKET', default: '', required: false },
  { key: 'writeQuota', env: 'EGRESS_WRITE_QUOTA', default: '1500', required: false },
  { key: 'stateFile', env: 'EGRESS_STATE_FILE', default: '', required: false },
  { key: 'dnsTable', env: 'EGRESS_DNS_TABLE', default: '', required: false },
  { key: 'statusSubscription', env: 'EGRESS_STATUS_SUBSCRIPTION', default: '', required: false },
  { key: 'callTimeout', env: 'EGRESS_CALL_TIMEOUT', default: '60', required: false },
];

/** Reads the configuration from `env`; `pubsubProject` falls back to GOOGLE_CLOUD_PROJECT / GCLOUD_PROJECT. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const out = {} as RuntimeConfig;
  for (const o of OPTIONS) {
    out[o.key] = (env[o.env] ?? o.default).trim();
  }
  out.network = (env.EGRESS_NETWORK ?? '').trim();
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
