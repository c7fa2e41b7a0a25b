/**
 * `egress explain PROJECT DESTINATION [--manifests DIR | --bucket gs://…] [--state FILE | --live] [--evidence [--since 1h]]
 * [--format text|json]`
 * answers "may project P reach host or IP D?" from the manifest and the firewall, and prints the line to add when it
 * may not. Exit codes: 0 answered (whatever the answer), 1 error, 2 usage (bad project key or destination, missing
 * source).
 * The JSON shape is a documented contract for programs and assistants (docs/operations.md).
 */
import { type Command, Option } from 'commander';
import { readConfig } from '../../runtime/config';
import { explainFor, parseSince, type SourceFlags } from '../../runtime/sources';
import { renderExplainAnswer } from '../../usecases/explain';
import { asUsageError } from '../errors';
import { EXIT_OK } from '../exit';
import { addComputeEndpointOption, addStorageEndpointOption } from '../options';

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
    .option('--manifests <dir>', 'read the manifest from this directory (default: ./manifests if it exists)')
    .option('--bucket <url>', 'read the manifest from the bucket gs://BUCKET/PREFIX (default EGRESS_MANIFEST_BUCKET)')
    .option(
      '--state <file>',
      'read the firewall from a fake-Compute state file (default EGRESS_STATE_FILE unless --live)',
    )
    .option('--live', 'read the live firewall policy (Application Default Credentials)')
    .option('--evidence', 'attach the matching denied connections from the firewall logs (as `egress denials`)')
    .option('--since <duration>', 'with --evidence: how far back (s, m, h, d)', '1h')
    .option(
      '--dns <file>',
      'with --evidence: the local DNS table (default EGRESS_DNS_TABLE, else dns.json beside --state)',
    )
    .option('--logging-endpoint <url>', 'with --evidence: the fake Cloud Logging (default EGRESS_LOGGING_ENDPOINT)')
    .option(
      '--network <name>',
      'the Shared VPC network (default EGRESS_NETWORK, else the target mode network, else shared-vpc)',
    )
    .option('--why <text>', 'the comment of the suggested line (why the project needs the destination)')
    .option('--policy <file>', 'platform policy file (default EGRESS_POLICY_FILE)')
    .option('--host-project <project>', 'Shared VPC host project (default EGRESS_HOST_PROJECT / policy file)')
    .option('--firewall-policy <name>', 'global network firewall policy (default EGRESS_FIREWALL_POLICY / policy file)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'));
  addStorageEndpointOption(addComputeEndpointOption(cmd))
    .addHelpText(
      'after',
      '\nExamples:\n  egress explain payment-gateway https://api.stripe.com/v1/charges --manifests manifests --state .local/compute.json\n' +
        '  egress explain payment-gateway 199.36.153.9 --bucket gs://egress-manifests/manifests/ --live --format json\n' +
        'Exit codes: 0 answered (allowed or not), 1 error, 2 usage error.',
    )
    .action(async (project: string, destination: string, flags: ExplainFlags) => {
      const cfg = readConfig();
      try {
        const r = await explainFor(
          project,
          destination,
          {
            ...(flags.why ? { why: flags.why } : {}),
            ...(flags.evidence ? { evidenceSinceMs: parseSince(flags.since) } : {}),
          },
          flags,
          cfg,
        );
        process.stdout.write(flags.format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : renderExplainAnswer(r));
        setExit(EXIT_OK);
      } catch (e) {
        throw asUsageError(e) ?? e;
      }
    });
}
