/**
 * `egress denials PROJECT [--since 1h] [--destination D] [--format text|json]`: the project's denied connections from
 * Cloud NGFW firewall logs, grouped by destination, named through the DNS query logs and classified (NOT_LISTED with
 * the line to add, LISTED_DNS_MISMATCH with why, SOURCE_NOT_COVERED, DENIED_BEFORE_POLICY and the others of
 * core/diagnose/denials.ts, judged by the network model), then what evidence was available (core/diagnose/evidence.ts:
 * refused log reads, deny rules that do not log, DNS query logging, Cloud Run Direct VPC egress). Exit codes: 0
 * answered (whatever was found, a refused log read included), 1 error, 2 usage. JSON shape: docs/diagnose.md.
 */
import type { Command } from 'commander';
import { commandContext } from '../../runtime/context';
import { denialsFor, parseSince, type SourceFlags } from '../../runtime/sources';
import { renderDenialsText } from '../../usecases/denials';
import { asUsageError } from '../errors';
import { EXIT_OK } from '../exit';
import { addStorageEndpointOption, formatOption, tableOption } from '../options';

interface DenialsFlags extends SourceFlags {
  since: string;
  destination?: string;
  format: 'text' | 'json';
}

/** Registers `denials` on the program. */
export function register(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('denials')
    .description("PROJECT's denied connections from the firewall logs, grouped, named by DNS and classified")
    .argument('<project>', 'the project key (metadata.name)')
    .option('--since <duration>', 'how far back (s, m, h, d)', '1h')
    .option('--destination <host-or-ip>', 'only this destination')
    .addOption(tableOption('manifests'))
    .addOption(
      tableOption(
        'stateFile',
        'the fake-Compute state file: names the rules and finds the local DNS table (default EGRESS_STATE_FILE)',
      ),
    )
    .addOption(tableOption('dnsTable'))
    .addOption(tableOption('loggingEndpoint'))
    .addOption(tableOption('network'))
    .addOption(tableOption('policyFile'))
    .addOption(tableOption('hostProject'))
    .addOption(tableOption('firewallPolicy'))
    .addOption(formatOption());
  addStorageEndpointOption(cmd)
    .addHelpText(
      'after',
      '\nExample:\n  egress denials payment-gateway --since 1h --manifests examples/manifests --state .local/compute.json --format json\n' +
        'The evidence lines say what could not be seen (a refused log read, deny rules that do not log, no DNS query\n' +
        'logging, Cloud Run with Direct VPC egress): no group means nothing was logged, not that nothing was denied.\n' +
        'Exit codes: 0 answered (a refused log read included: it is said), 1 error, 2 usage error.',
    )
    .action(async (project: string, flags: DenialsFlags) => {
      const ctx = commandContext(flags);
      try {
        const r = await denialsFor(
          project,
          { sinceMs: parseSince(flags.since), ...(flags.destination ? { destination: flags.destination } : {}) },
          ctx,
        );
        process.stdout.write(flags.format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : renderDenialsText(r));
        setExit(EXIT_OK);
      } catch (e) {
        throw asUsageError(e) ?? e;
      } finally {
        await ctx.close();
      }
    });
}
