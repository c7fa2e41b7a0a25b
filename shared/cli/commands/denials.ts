/**
 * `egress denials PROJECT [--since 1h] [--destination D] [--format text|json]`: the project's denied connections from
 * Cloud NGFW firewall logs, grouped by destination, named through the DNS query logs and classified (NOT_LISTED with
 * the line to add, LISTED_DNS_MISMATCH with why, SOURCE_NOT_COVERED, DENIED_BEFORE_POLICY and the others of
 * core/diagnose/denials.ts, judged by the network model). Exit codes: 0 answered
 * (whatever was found), 1 error, 2 usage. The JSON shape is documented in docs/diagnose.md.
 */
import { type Command, Option } from 'commander';
import { readConfig } from '../../runtime/config';
import { denialsFor, parseSince, type SourceFlags } from '../../runtime/sources';
import { renderDenialsText } from '../../usecases/denials';
import { asUsageError } from '../errors';
import { EXIT_OK } from '../exit';
import { addStorageEndpointOption } from '../options';

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
    .option('--manifests <dir>', 'read the manifest from this directory (default: ./manifests if it exists)')
    .option(
      '--state <file>',
      'the fake-Compute state file: names the rules and finds the local DNS table (default EGRESS_STATE_FILE)',
    )
    .option(
      '--dns <file>',
      "the local DNS table: the firewall resolver's view (default EGRESS_DNS_TABLE, else dns.json beside --state)",
    )
    .option('--logging-endpoint <url>', 'the fake Cloud Logging (default EGRESS_LOGGING_ENDPOINT, else Google)')
    .option(
      '--network <name>',
      'the Shared VPC network (default EGRESS_NETWORK, else the target mode network, else shared-vpc)',
    )
    .option('--policy <file>', 'platform policy file (default EGRESS_POLICY_FILE)')
    .option('--host-project <project>', 'Shared VPC host project, where the logs are (default EGRESS_HOST_PROJECT)')
    .option('--firewall-policy <name>', 'global network firewall policy (default EGRESS_FIREWALL_POLICY / policy file)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'));
  addStorageEndpointOption(cmd)
    .addHelpText(
      'after',
      '\nExample:\n  egress denials payment-gateway --since 1h --manifests examples/manifests --state .local/compute.json --format json\n' +
        'Exit codes: 0 answered, 1 error, 2 usage error.',
    )
    .action(async (project: string, flags: DenialsFlags) => {
      const cfg = readConfig();
      try {
        const r = await denialsFor(
          project,
          { sinceMs: parseSince(flags.since), ...(flags.destination ? { destination: flags.destination } : {}) },
          flags,
          cfg,
        );
        process.stdout.write(flags.format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : renderDenialsText(r));
        setExit(EXIT_OK);
      } catch (e) {
        throw asUsageError(e) ?? e;
      }
    });
}
