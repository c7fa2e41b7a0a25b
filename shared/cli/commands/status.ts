/**
 * `egress status PROJECT [--format json]`: the live rules of one project, the generation they record, their agreement
 * with the project's manifest (folder or bucket) and the last status event (shared/usecases/status.ts).
 */
import { type Command, Option } from 'commander';
import { checkProjectKey } from '../../core/explain';
import { statusFor } from '../../runtime/agreementSources';
import { readConfig } from '../../runtime/config';
import type { SourceFlags } from '../../runtime/sources';
import { renderStatusText } from '../../usecases/status';
import { asUsageError } from '../errors';
import { EXIT_OK } from '../exit';
import { addComputeEndpointOption, addStorageEndpointOption } from '../options';

interface StatusFlags extends SourceFlags {
  statusSubscription?: string;
  format: 'text' | 'json';
}

/** Registers `status` on the program. */
export function register(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('status')
    .description("One project's live rules, the generation they record, agreement with its manifest, last status event")
    .argument('<project>', 'the project key (metadata.name)')
    .option(
      '--manifests <dir>',
      'read the manifest from this directory (default: ./manifests if it exists and no bucket is named)',
    )
    .option('--bucket <url>', 'read the manifest from the bucket gs://BUCKET/PREFIX (default EGRESS_MANIFEST_BUCKET)')
    .option(
      '--state <file>',
      'read the firewall from a fake-Compute state file (default EGRESS_STATE_FILE unless --live)',
    )
    .option('--live', 'read the live firewall policy')
    .option(
      '--status-subscription <name>',
      'status-topic subscription to read (never acknowledged) for the last event, e.g. egress-status-operators (default EGRESS_STATUS_SUBSCRIPTION)',
    )
    .option('--policy <file>', 'platform policy file (default EGRESS_POLICY_FILE)')
    .option('--host-project <project>', 'Shared VPC host project (default EGRESS_HOST_PROJECT / policy file)')
    .option('--firewall-policy <name>', 'global network firewall policy (default EGRESS_FIREWALL_POLICY / policy file)')
    .option('--pubsub-project <project>', 'project of the subscription (default EGRESS_PUBSUB_PROJECT)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'));
  addStorageEndpointOption(addComputeEndpointOption(cmd))
    .addHelpText(
      'after',
      '\nAgreement (by content, the same as explain and drift): in-sync, drifted, pending, revoke-pending, revoked,\n' +
        'no-sources, invalid-manifest. An unknown project is a usage error naming the nearest key.\nExit codes: 0 answered, 1 error, 2 usage.',
    )
    .action(async (project: string, given: StatusFlags) => {
      const cfg = readConfig();
      try {
        checkProjectKey(project);
        // The same sources and the same agreement as explain and drift (runtime/agreementSources.ts).
        const r = await statusFor(project, given, cfg);
        process.stdout.write(given.format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : renderStatusText(r));
        setExit(EXIT_OK);
      } catch (e) {
        throw asUsageError(e) ?? e;
      }
    });
}
