/**
 * The one option table of the product (modelled on functions-framework-nodejs's `src/options.ts`: option, env name,
 * default, validator): every setting a function or a command reads, with its flag, its environment variable, its key
 * in the platform policy file and its help text. `readConfig` (config.ts) reads the `env` column, the CLI
 * (shared/cli/options.ts) declares the `flag` column, and `setting` below is the one "flag, then environment, then
 * policy file" rule.
 */
import type { PlatformPolicy } from '../core/policy/types';

/** One setting: where it comes from, in order, and what `--help` says about its flag. */
export interface OptionSpec {
  /** The commander declaration (`--host-project <project>`); none for a function-only setting. */
  flag?: string;
  /** The environment variable (the functions' and the CLI's); none for a flag-only setting. */
  env?: string;
  /** The platform policy file's `firewall.*` key that is the last fallback. */
  policyKey?: 'hostProject' | 'policy';
  /** The value when nothing sets it. */
  default?: string;
  /** The flag's help text. */
  help?: string;
  /** False for a variable the deployment does not set (config.ts's OPTIONS, which terraform must agree with, omit it). */
  deployed?: false;
  /**
   * Another setting's key whose flag, when given, leaves this one to its own flag only: `--live` means "not npm
   * start's state file", so EGRESS_STATE_FILE is no default then.
   */
  unless?: string;
}

/** Every setting, by the key it has in RuntimeConfig (config.ts) and in a command's parsed flags. */
export const OPTION_TABLE = {
  pubsubProject: {
    flag: '--pubsub-project <project>',
    env: 'EGRESS_PUBSUB_PROJECT',
    help: 'project of the topics (default EGRESS_PUBSUB_PROJECT / GOOGLE_CLOUD_PROJECT)',
  },
  changesTopic: { env: 'EGRESS_CHANGES_TOPIC', default: 'egress-changes' },
  statusTopic: { env: 'EGRESS_STATUS_TOPIC', default: 'egress-status' },
  manifestPrefix: { env: 'EGRESS_MANIFEST_PREFIX', default: 'manifests/' },
  hostProject: {
    flag: '--host-project <project>',
    env: 'EGRESS_HOST_PROJECT',
    policyKey: 'hostProject',
    help: 'Shared VPC host project (default EGRESS_HOST_PROJECT / policy file)',
  },
  firewallPolicy: {
    flag: '--firewall-policy <name>',
    env: 'EGRESS_FIREWALL_POLICY',
    policyKey: 'policy',
    help: 'global network firewall policy (default EGRESS_FIREWALL_POLICY / policy file)',
  },
  policyFile: {
    flag: '--policy <file>',
    env: 'EGRESS_POLICY_FILE',
    help: 'platform policy file (YAML/JSON) merged over the defaults (default EGRESS_POLICY_FILE)',
  },
  computeEndpoint: {
    flag: '--compute-endpoint <url>',
    env: 'EGRESS_COMPUTE_ENDPOINT',
    help: 'Compute API endpoint, e.g. the fake REST server of npm start (default EGRESS_COMPUTE_ENDPOINT, else Google)',
  },
  storageEndpoint: {
    flag: '--storage-endpoint <url>',
    help: 'Cloud Storage endpoint, e.g. the fake GCS of npm start (default STORAGE_EMULATOR_HOST, else Google)',
  },
  loggingEndpoint: {
    flag: '--logging-endpoint <url>',
    env: 'EGRESS_LOGGING_ENDPOINT',
    help: 'the fake Cloud Logging (default EGRESS_LOGGING_ENDPOINT, else Google)',
  },
  manifestBucket: {
    flag: '--bucket <url>',
    env: 'EGRESS_MANIFEST_BUCKET',
    help: 'manifest bucket gs://BUCKET/PREFIX (default: EGRESS_MANIFEST_BUCKET + EGRESS_MANIFEST_PREFIX)',
  },
  writeQuota: {
    flag: '--write-quota <n>',
    env: 'EGRESS_WRITE_QUOTA',
    default: '1500',
    help: 'Compute write quota in writes per minute (default EGRESS_WRITE_QUOTA or 1500)',
  },
  stateFile: {
    flag: '--state <file>',
    env: 'EGRESS_STATE_FILE',
    help: 'read the firewall from a fake-Compute state file (default EGRESS_STATE_FILE unless --live)',
    unless: 'live',
  },
  dnsTable: {
    flag: '--dns <file>',
    env: 'EGRESS_DNS_TABLE',
    help: "the local DNS table: the firewall resolver's view (default EGRESS_DNS_TABLE, else dns.json beside --state)",
  },
  statusSubscription: {
    flag: '--status-subscription <name>',
    env: 'EGRESS_STATUS_SUBSCRIPTION',
    help: 'status-topic subscription to read (never acknowledged) for the last event, e.g. egress-status-operators (default EGRESS_STATUS_SUBSCRIPTION)',
  },
  callTimeout: { env: 'EGRESS_CALL_TIMEOUT', default: '60' },
  network: {
    flag: '--network <name>',
    env: 'EGRESS_NETWORK',
    deployed: false,
    help: 'the Shared VPC network (default EGRESS_NETWORK, else the target mode network, else shared-vpc)',
  },
  manifests: {
    flag: '--manifests <dir>',
    help: 'read the manifest from this directory (default: ./manifests if it exists and no bucket is named)',
  },
  live: { flag: '--live', help: 'read the live firewall policy (Application Default Credentials)' },
} as const satisfies Record<string, OptionSpec>;

export type OptionKey = keyof typeof OPTION_TABLE;

/** The property a flag has in commander's parsed options: `--host-project <p>` → `hostProject`. */
export function flagProperty(flag: string): string {
  const long = /--([a-z0-9-]+)/.exec(flag)?.[1] ?? '';
  return long.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The value of a setting's flag in `flags` (commander's parsed options), if the setting has a flag. */
function flagValue(spec: OptionSpec, flags: object): unknown {
  return spec.flag ? (flags as Record<string, unknown>)[flagProperty(spec.flag)] : undefined;
}

/**
 * The one precedence rule: the flag (in `flags`, commander's parsed options), then the environment (`cfg`, read by
 * readConfig from the `env` column), then the platform policy file's `firewall.*` key, then the table's default; ''
 * when none is set. A setting with `unless` takes only its own flag when that other setting's flag is given.
 */
export function setting(
  key: OptionKey,
  flags: object,
  cfg: Partial<Record<OptionKey, string | undefined>>,
  policy?: PlatformPolicy,
): string {
  const spec: OptionSpec = OPTION_TABLE[key];
  const fromFlag = flagValue(spec, flags);
  if (typeof fromFlag === 'string' && fromFlag) return fromFlag;
  if (spec.unless && flagValue(OPTION_TABLE[spec.unless as OptionKey], flags)) return '';
  const fromEnv = cfg[key];
  if (fromEnv) return fromEnv;
  return (spec.policyKey && policy?.firewall[spec.policyKey]) || spec.default || '';
}
