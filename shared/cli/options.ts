/**
 * How commands declare their flags: the settings' flags come from the one option table (runtime/options.ts: flag, env,
 * policy key, help), so a flag and its help text are declared once for every command. Each helper adds its options in
 * place and returns the command, so the help keeps the declaration order.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parseAllowRevocations } from '../core/safety/revocations';
import { OPTION_TABLE, type OptionKey, type OptionSpec } from '../runtime/options';

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

/**
 * Adds the flags of the one option table (runtime/options.ts), in this order. `help` replaces a text where the command
 * gives the flag a narrower meaning (e.g. sync's `--live`, "with --delete: …"); the flag itself is declared only there.
 */
export function addTableOptions(
  cmd: Command,
  keys: OptionKey[],
  help: Partial<Record<OptionKey, string>> = {},
): Command {
  for (const key of keys) {
    cmd.addOption(tableOption(key, help[key]));
    // sync's old name of --storage-endpoint, kept as a hidden alias (read it with storageEndpointOf).
    if (key === 'storageEndpoint')
      cmd.addOption(new Option('--endpoint <url>', 'old name of --storage-endpoint').hideHelp());
  }
  return cmd;
}

/** The table's option `key` (runtime/options.ts) for a commander chain; `help` as in addTableOptions. */
export function tableOption(key: OptionKey, help?: string): Option {
  const spec: OptionSpec = OPTION_TABLE[key];
  if (!spec.flag) throw new Error(`option table: ${key} has no flag`);
  return new Option(spec.flag, help ?? spec.help);
}

/** `--format <format>` (default `text`), the one declaration of every command's output format. */
export function formatOption(choices: string[] = ['text', 'json']): Option {
  return new Option('--format <format>', 'output format').choices(choices).default('text');
}

/** Adds `--bucket <url>` (the manifest bucket and prefix, defaulting to the EGRESS_MANIFEST_* variables). */
export function addBucketOption(cmd: Command): Command {
  return addTableOptions(cmd, ['manifestBucket']);
}

/**
 * Adds `--policy`, `--host-project`, `--firewall-policy`, `--compute-endpoint`, `--storage-endpoint`,
 * `--pubsub-project` and `--format text|json`.
 */
export function addOpsOptions(cmd: Command): Command {
  addTableOptions(cmd, [
    'computeEndpoint',
    'storageEndpoint',
    'policyFile',
    'hostProject',
    'firewallPolicy',
    'pubsubProject',
  ]);
  return cmd.addOption(formatOption());
}

/** Adds `--compute-endpoint <url>`: the one name of the Compute endpoint on every command that reads or writes rules. */
export function addComputeEndpointOption(cmd: Command): Command {
  return addTableOptions(cmd, ['computeEndpoint']);
}

/**
 * Adds `--storage-endpoint <url>` (and sync's old `--endpoint` as a hidden alias): the one name of the Cloud Storage
 * endpoint on every command that reads or writes the bucket. Read it with `storageEndpointOf`.
 */
export function addStorageEndpointOption(cmd: Command): Command {
  return addTableOptions(cmd, ['storageEndpoint']);
}

/** The storage endpoint of parsed flags (decided in runtime/cliClients.ts, where the bucket client is built). */
export { storageEndpointOf } from '../runtime/cliClients';
