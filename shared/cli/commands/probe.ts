/**
 * `egress probe PROJECT DEST[:PORT] --state FILE [--dns FILE] [--format text|json]`: evaluates one connection from the
 * project's workload through the fake firewall (a fake-Compute state file) the way Cloud NGFW does, writes the DNS
 * query and firewall log entries Google would write to the fake Cloud Logging, and prints the verdict and the deciding
 * rule. Offline only: it never writes synthetic logs to Google. Exit codes: 0 probed (allowed or denied), 1 error, 2 usage.
 */
import { type Command, Option } from 'commander';
import { SourceIpError } from '../../core/network/source';
import { systemClock } from '../../ports/clock';
import { CliConfigError, type OpsFlags, resolvePolicy } from '../../runtime/cliClients';
import { readConfig } from '../../runtime/config';
import { logsFor, probeIdentity, readNetworkModel, resolveDnsTable } from '../../runtime/diagnose';
import { withCliDefaults } from '../../runtime/sources';
import { probe, renderProbeText } from '../../usecases/probe';
import { asUsageError } from '../errors';
import { EXIT_OK } from '../exit';

interface ProbeFlags extends OpsFlags {
  state?: string;
  dns?: string;
  loggingEndpoint?: string;
  sourceIp?: string;
  network?: string;
  format: 'text' | 'json';
}

/** Registers `probe` on the program. */
export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('probe')
    .description('Offline: would the firewall let PROJECT reach DEST? Writes the log entries Google would write')
    .argument('<project>', 'the project key (metadata.name)')
    .argument('<destination>', 'hostname or address, optionally :PORT (default 443)')
    .option(
      '--state <file>',
      'the fake-Compute state file to evaluate (default EGRESS_STATE_FILE; npm start keeps .local/compute.json)',
    )
    .option(
      '--dns <file>',
      'the local DNS table (default EGRESS_DNS_TABLE, else dns.json beside the state file, else built-in defaults)',
    )
    .option('--logging-endpoint <url>', 'the fake Cloud Logging (default EGRESS_LOGGING_ENDPOINT)')
    .option(
      '--source-ip <ip>',
      "the address of the probing workload, one of the project's (default: the first usable address of its first subnet)",
    )
    .option(
      '--network <name>',
      'the Shared VPC network (default EGRESS_NETWORK, else the target mode network, else shared-vpc)',
    )
    .option('--policy <file>', 'platform policy file (default EGRESS_POLICY_FILE)')
    .option('--host-project <project>', 'Shared VPC host project (default EGRESS_HOST_PROJECT / policy file)')
    .option('--firewall-policy <name>', 'global network firewall policy (default EGRESS_FIREWALL_POLICY / policy file)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      '\nExample:\n  egress probe payment-gateway api.unlisted.example --state .local/compute.json --logging-endpoint http://127.0.0.1:8085\n' +
        'Exit codes: 0 probed (allowed or denied), 1 error, 2 usage error.',
    )
    .action(async (project: string, destination: string, given: ProbeFlags) => {
      const cfg = readConfig();
      try {
        const flags = withCliDefaults(given, cfg);
        if (!flags.state)
          throw new CliConfigError('probe needs --state FILE or EGRESS_STATE_FILE (the fake firewall to evaluate)');
        if (!flags.loggingEndpoint && !cfg.loggingEndpoint)
          throw new CliConfigError(
            'probe writes log entries to the fake Cloud Logging only: pass --logging-endpoint or set EGRESS_LOGGING_ENDPOINT (never Google)',
          );
        const policy = resolvePolicy(flags, cfg);
        const dns = resolveDnsTable(flags.dns, flags.state);
        const model = (await readNetworkModel(flags, policy, project, dns.table, cfg))!;
        const logs = logsFor(model.hostProject, flags.loggingEndpoint, cfg);
        try {
          const r = await probe({
            project,
            destination,
            model,
            subnetsMode: policy.firewall.target.mode === 'subnets',
            ...(flags.sourceIp !== undefined ? { sourceIp: flags.sourceIp } : {}),
            identity: probeIdentity(project, policy, model.hostProject),
            logs,
            clock: systemClock,
          });
          process.stdout.write(flags.format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : renderProbeText(r));
          setExit(EXIT_OK);
        } finally {
          await logs.close();
        }
      } catch (e) {
        if (e instanceof SourceIpError) throw asUsageError(new CliConfigError(e.message));
        throw asUsageError(e) ?? e;
      }
    });
}
