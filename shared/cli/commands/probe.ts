/**
 * `egress probe PROJECT DEST[:PORT] --state FILE [--dns FILE] [--format text|json]`: evaluates one connection from the
 * project's workload through the fake firewall (a fake-Compute state file) the way Cloud NGFW does, writes the DNS
 * query and firewall log entries Google would write to the fake Cloud Logging, and prints the verdict and the deciding
 * rule. Offline only: it never writes synthetic logs to Google. Exit codes: 0 probed (allowed or denied), 1 error, 2 usage.
 */

import type { Command } from 'commander';
import { SourceIpError } from '../../core/network/source';
import { CliConfigError, type OpsFlags } from '../../runtime/cliClients';
import { commandContext } from '../../runtime/context';
import { probeIdentity, readNetworkModel, resolveDnsTable } from '../../runtime/diagnose';
import { probe, renderProbeText } from '../../usecases/probe';
import { asUsageError } from '../errors';
import { EXIT_OK } from '../exit';
import { formatOption, tableOption } from '../options';

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
    .addOption(
      tableOption(
        'stateFile',
        'the fake-Compute state file to evaluate (default EGRESS_STATE_FILE; npm start keeps .local/compute.json)',
      ),
    )
    .addOption(
      tableOption(
        'dnsTable',
        'the local DNS table (default EGRESS_DNS_TABLE, else dns.json beside the state file, else built-in defaults)',
      ),
    )
    .addOption(tableOption('loggingEndpoint', 'the fake Cloud Logging (default EGRESS_LOGGING_ENDPOINT)'))
    .option(
      '--source-ip <ip>',
      "the address of the probing workload, one of the project's (default: the first usable address of its first subnet)",
    )
    .addOption(tableOption('network'))
    .addOption(tableOption('policyFile'))
    .addOption(tableOption('hostProject'))
    .addOption(tableOption('firewallPolicy'))
    .addOption(formatOption())
    .addHelpText(
      'after',
      '\nExample:\n  egress probe payment-gateway api.unlisted.example --state .local/compute.json --logging-endpoint http://127.0.0.1:8085\n' +
        'Exit codes: 0 probed (allowed or denied), 1 error, 2 usage error.',
    )
    .action(async (project: string, destination: string, given: ProbeFlags) => {
      const ctx = commandContext(given);
      try {
        const { flags, cfg } = ctx;
        if (!flags.state)
          throw new CliConfigError('probe needs --state FILE or EGRESS_STATE_FILE (the fake firewall to evaluate)');
        if (!ctx.setting('loggingEndpoint'))
          throw new CliConfigError(
            'probe writes log entries to the fake Cloud Logging only: pass --logging-endpoint or set EGRESS_LOGGING_ENDPOINT (never Google)',
          );
        const policy = ctx.policy;
        const dns = resolveDnsTable(flags.dns, flags.state);
        const model = (await readNetworkModel(flags, policy, project, dns.table, cfg))!;
        const logs = ctx.logs(model.hostProject); // closed with the context
        const r = await probe({
          project,
          destination,
          model,
          subnetsMode: policy.firewall.target.mode === 'subnets',
          ...(flags.sourceIp !== undefined ? { sourceIp: flags.sourceIp } : {}),
          identity: probeIdentity(project, policy, model.hostProject),
          logs,
          clock: ctx.clock,
        });
        process.stdout.write(flags.format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : renderProbeText(r));
        setExit(EXIT_OK);
      } catch (e) {
        if (e instanceof SourceIpError) throw asUsageError(new CliConfigError(e.message));
        throw asUsageError(e) ?? e;
      } finally {
        await ctx.close();
      }
    });
}
