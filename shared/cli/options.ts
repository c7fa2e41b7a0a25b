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

/** Adds `--policy`, `--host-project`, `--firewall-policy`, `--pubsub-project` and `--format text|json`. */
export function addOpsOptions(cmd: Command): Command {
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
