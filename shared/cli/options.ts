/**
 * Options shared by the operations commands (replay, drift), declared once so their flags and help texts cannot drift
 * apart. Each helper adds its options in place and returns the command, so the help keeps the declaration order.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parseAllowRevocations } from '../core/safety/revocations';

/** Adds `--allow-revocations <n>` (the blast-radius guard's override, core/safety/revocations.ts). */
export function addAllowRevocationsOption(cmd: Command): Command {
  return cmd.addOption(
    new Option(
      '--allow-revocations <n>',
      'let this run revoke up to N projects (default limit: safety.maxRevocationsPerRun of the policy, 3)',
    ).argParser((v) => {
      try {
        return parseAllowRevocations(v);
      } catch (e) {
        throw new InvalidArgumentError((e as Error).message);
      }
    }),
  );
}

/** Adds `--bucket <url>` (the manifest bucket and prefix, defaulting to the EGRESS_MANIFEST_* variables). */
export function addBucketOption(cmd: Command): Command {
  return cmd.option(
    '--bucket <url>',
    'manifest bucket gs://BUCKET/PREFIX (default: EGRESS_MANIFEST_BUCKET + EGRESS_MANIFEST_PREFIX)',
  );
}

/**
 * Adds `--policy`, `--host-project`, `--firewall-policy`, `--compute-endpoint`, `--storage-endpoint`,
 * `--pubsub-project` and `--format text|json`.
 */
export function addOpsOptions(cmd: Command): Command {
  addComputeEndpointOption(cmd);
  addStorageEndpointOption(cmd);
  return cmd
    .option('--policy <file>', 'platform policy file (default EGRESS_POLICY_FILE)')
    .option('--host-project <project>', 'Shared VPC host project (default EGRESS_HOST_PROJECT / policy file)')
    .option('--firewall-policy <name>', 'global network firewall policy (default EGRESS_FIREWALL_POLICY / policy file)')
    .option(
      '--pubsub-project <project>',
      'project of the topics (default EGRESS_PUBSUB_PROJECT / GOOGLE_CLOUD_PROJECT)',
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'));
}

/** Adds `--compute-endpoint <url>`: the one name of the Compute endpoint on every command that reads or writes rules. */
export function addComputeEndpointOption(cmd: Command): Command {
  return cmd.option(
    '--compute-endpoint <url>',
    'Compute API endpoint, e.g. the fake REST server of npm start (default EGRESS_COMPUTE_ENDPOINT, else Google)',
  );
}

/**
 * Adds `--storage-endpoint <url>` (and sync's old `--endpoint` as a hidden alias): the one name of the Cloud Storage
 * endpoint on every command that reads or writes the bucket. Read it with `storageEndpointOf`.
 */
export function addStorageEndpointOption(cmd: Command): Command {
  return cmd
    .option(
      '--storage-endpoint <url>',
      'Cloud Storage endpoint, e.g. the fake GCS of npm start (default STORAGE_EMULATOR_HOST, else Google)',
    )
    .addOption(new Option('--endpoint <url>', 'old name of --storage-endpoint').hideHelp());
}

/** The storage endpoint of parsed flags (decided in runtime/cliClients.ts, where the bucket client is built). */
export { storageEndpointOf } from '../runtime/cliClients';
