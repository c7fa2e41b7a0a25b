/**
 * `<state-dir>/cli.env`: the environment that points every `egress` command at a running local stack
 * (`set -a; . .local/cli.env; set +a`). Every name is one the CLI reads through shared/runtime/config.ts or one the
 * Google clients read themselves (STORAGE_EMULATOR_HOST, PUBSUB_EMULATOR_HOST, METADATA_SERVER_DETECTION), and
 * EGRESS_NETWORK, the VPC network's name, for the readers of the network model (issue 16).
 */
import type { LocalStack } from './types';

/** The variables, in a stable order: endpoints first, then where things are. */
export function cliEnv(stack: LocalStack, opts: { policyFile?: string } = {}): Record<string, string> {
  const e = stack.env;
  return {
    STORAGE_EMULATOR_HOST: stack.gcs.url,
    PUBSUB_EMULATOR_HOST: stack.emulator.host,
    EGRESS_COMPUTE_ENDPOINT: stack.compute.url,
    EGRESS_LOGGING_ENDPOINT: stack.logging.url,
    // The clients must not probe the GCE metadata server (a slow timeout and a warning off GCP).
    METADATA_SERVER_DETECTION: 'none',
    EGRESS_MANIFEST_BUCKET: stack.bucket,
    EGRESS_MANIFEST_PREFIX: stack.prefix,
    EGRESS_HOST_PROJECT: stack.hostProject,
    EGRESS_FIREWALL_POLICY: stack.firewallPolicy,
    // The host project's VPC network (examples/network.yaml or --network FILE): what the network readers look at.
    EGRESS_NETWORK: stack.network.name,
    EGRESS_PUBSUB_PROJECT: stack.projectId,
    GOOGLE_CLOUD_PROJECT: stack.projectId,
    EGRESS_CHANGES_TOPIC: stack.topics.changes,
    EGRESS_STATUS_TOPIC: stack.topics.status,
    EGRESS_STATUS_SUBSCRIPTION: stack.subscriptions.operators,
    ...(opts.policyFile || e.EGRESS_POLICY_FILE
      ? { EGRESS_POLICY_FILE: opts.policyFile || e.EGRESS_POLICY_FILE! }
      : {}),
    ...(stack.files ? { EGRESS_STATE_FILE: stack.files.state, EGRESS_DNS_TABLE: stack.files.dns } : {}),
  };
}

/** `KEY=value` lines (a value with shell-special characters single-quoted), under a comment saying how to use them. */
export function renderCliEnv(env: Record<string, string>, file = '.local/cli.env'): string {
  const quote = (v: string) => (/^[A-Za-z0-9_./:@%+,-]*$/.test(v) ? v : `'${v.replaceAll("'", "'\\''")}'`);
  return [
    '# Written by `npm start`: the running local stack (ports change at each start). Use it with',
    `#   set -a; . ${file}; set +a`,
    ...Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`),
    '',
  ].join('\n');
}
