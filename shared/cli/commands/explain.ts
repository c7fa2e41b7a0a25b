/**
 * `egress explain PROJECT DESTINATION [--manifests DIR | --bucket gs://…] [--state FILE | --live] [--evidence [--since 1h]]
 * [--format text|json]`
 * answers "may project P reach host or IP D?" from the manifest and the firewall, and prints the line to add when it
 * may not. Exit codes: 0 answered (whatever the answer), 1 error, 2 usage (bad project key or destination, missing
 * source).
 * The JSON shape is a documented contract for programs and assistants (docs/operations.md).
 */
import type { Command } from 'commander';
import { commandContext } from '../../runtime/context';
import { explainFor, parseSince, type SourceFlags } from '../../runtime/sources';
import { renderExplainAnswer } from '../../usecases/explain';
import { asUsageError } from '../errors';
import { EXIT_OK } from '../exit';
import { addComputeEndpointOption, addStorageEndpointOption, formatOption, tableOption } from '../options';

interface ExplainFlags extends SourceFlags {
  why?: string;
  evidence?: boolean;
  since: string;
  format: 'text' | 'json';
}

/** Registers `explain` on the program. */
export function register(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('explain')
    .description('May PROJECT reach DESTINATION? By which entry and rule; and if not, the exact line to add')
    .argument('<project>', 'the project key (metadata.name)')
    .argument('<destination>', 'hostname, IP address, range, URL or host:port (ports and paths are stripped)')
    .addOption(tableOption('manifests'))
    .addOption(tableOption('manifestBucket'))
    .addOption(tableOption('stateFile'))
    .addOption(tableOption('live'))
    .option(
      '--evidence',
      'attach the matching denied connections from the firewall logs and what evidence was available (as `egress denials`)',
    )
    .option('--since <duration>', 'with --evidence: how far back (s, m, h, d)', '1h')
    .addOption(
      tableOption(
        'dnsTable',
        'with --evidence: the local DNS table (default EGRESS_DNS_TABLE, else dns.json beside --state)',
      ),
    )
    .addOption(
      tableOption('loggingEndpoint', 'with --evidence: the fake Cloud Logging (default EGRESS_LOGGING_ENDPOINT)'),
    )
    .addOption(tableOption('network'))
    .option('--why <text>', 'the comment of the suggested line (why the project needs the destination)')
    .addOption(tableOption('policyFile'))
    .addOption(tableOption('hostProject'))
    .addOption(tableOption('firewallPolicy'))
    .addOption(formatOption());
  addStorageEndpointOption(addComputeEndpointOption(cmd))
    .addHelpText(
      'after',
      '\nExamples:\n  egress explain payment-gateway https://api.stripe.com/v1/charges --manifests manifests --state .local/compute.json\n' +
        '  egress explain payment-gateway 199.36.153.9 --bucket gs://egress-manifests/manifests/ --live --format json\n' +
        'Exit codes: 0 answered (allowed or not), 1 error, 2 usage error.',
    )
    .action(async (project: string, destination: string, flags: ExplainFlags) => {
      const ctx = commandContext(flags);
      try {
        const r = await explainFor(
          project,
          destination,
          {
            ...(flags.why ? { why: flags.why } : {}),
            ...(flags.evidence ? { evidenceSinceMs: parseSince(flags.since) } : {}),
          },
          ctx,
        );
        process.stdout.write(flags.format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : renderExplainAnswer(r));
        setExit(EXIT_OK);
      } catch (e) {
        throw asUsageError(e) ?? e;
      } finally {
        await ctx.close();
      }
    });
}
