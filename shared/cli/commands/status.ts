/**
 * `egress status PROJECT [--format json]`: the live rules of one project, the generation they record, their agreement
 * with the project's manifest (folder or bucket) and the last status event (shared/usecases/status.ts).
 */
import type { Command } from 'commander';
import { checkProjectKey } from '../../core/explain';
import { statusFor } from '../../runtime/agreementSources';
import { commandContext } from '../../runtime/context';
import type { SourceFlags } from '../../runtime/sources';
import { renderStatusText } from '../../usecases/status';
import { asUsageError } from '../errors';
import { EXIT_OK } from '../exit';
import { addComputeEndpointOption, addStorageEndpointOption, formatOption, tableOption } from '../options';

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
    .addOption(tableOption('manifests'))
    .addOption(tableOption('manifestBucket'))
    .addOption(tableOption('stateFile'))
    .addOption(tableOption('live'))
    .addOption(tableOption('statusSubscription'))
    .addOption(tableOption('policyFile'))
    .addOption(tableOption('hostProject'))
    .addOption(tableOption('firewallPolicy'))
    .addOption(tableOption('pubsubProject', 'project of the subscription (default EGRESS_PUBSUB_PROJECT)'))
    .addOption(formatOption());
  addStorageEndpointOption(addComputeEndpointOption(cmd))
    .addHelpText(
      'after',
      '\nAgreement (by content, the same as explain and drift): in-sync, drifted, pending, revoke-pending, revoked,\n' +
        'no-sources, invalid-manifest. An unknown project is a usage error naming the nearest key.\nExit codes: 0 answered, 1 error, 2 usage.',
    )
    .action(async (project: string, given: StatusFlags) => {
      const ctx = commandContext(given);
      try {
        checkProjectKey(project);
        // The same sources and the same agreement as explain and drift (runtime/agreementSources.ts).
        const r = await statusFor(project, ctx);
        process.stdout.write(given.format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : renderStatusText(r));
        setExit(EXIT_OK);
      } catch (e) {
        throw asUsageError(e) ?? e;
      } finally {
        await ctx.close();
      }
    });
}
