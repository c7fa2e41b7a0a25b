/**
 * `egress capacity [--state FILE | --live] [--format text|json]`: each firewall policy's rules, projects and quota
 * usage (rule attributes, FQDNs) against the `capacity` quotas of the platform policy (docs/capacity.md). With
 * `--live` the attribute figure is Google's own `ruleTupleCount`. Exit codes: 0 ok, 1 a policy over 90% of a quota
 * (or an error), 2 usage.
 */
import { type Command, Option } from 'commander';
import { renderCapacityText } from '../../core/capacity/report';
import {
  CliConfigError,
  liveFirewall,
  type OpsFlags,
  resolveFirewallTarget,
  resolvePolicy,
  stateFilePolicies,
} from '../../runtime/cliClients';
import { readConfig } from '../../runtime/config';
import { capacityReport, overCapacity, type PolicyRead, policyPath } from '../../usecases/capacity';
import { EXIT_INVALID, EXIT_OK, UsageError } from '../exit';

interface CapacityFlags extends OpsFlags {
  state?: string;
  live?: boolean;
  format: 'text' | 'json';
}

/** Registers `capacity` on the program. */
export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('capacity')
    .description('Quota usage of the firewall policy: rules, projects, rule attributes and FQDNs against their limits')
    .option('--state <file>', 'read a fake-Compute state file (npm start keeps .local/compute.json)')
    .option('--live', 'read the live policy (Application Default Credentials, or EGRESS_COMPUTE_ENDPOINT)')
    .option('--policy <file>', 'platform policy file with the capacity quotas (default EGRESS_POLICY_FILE)')
    .option('--host-project <project>', 'Shared VPC host project (default EGRESS_HOST_PROJECT / policy file)')
    .option('--firewall-policy <name>', 'global network firewall policy (default EGRESS_FIREWALL_POLICY / policy file)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nExit codes: 0 ok, 1 a policy uses over 90% of a quota (or an error), 2 usage.')
    .action(async (flags: CapacityFlags) => {
      if (!!flags.state === !!flags.live)
        throw new UsageError('choose where the policy comes from: --state FILE (a fake-Compute state file) or --live');
      const cfg = readConfig();
      let reads: PolicyRead[];
      let settings: ReturnType<typeof resolvePolicy>['capacity'];
      try {
        const policy = resolvePolicy(flags, cfg);
        settings = policy.capacity;
        if (flags.state) {
          const { all, matching } = stateFilePolicies(flags.state, flags, policy, cfg);
          if (matching.length === 0)
            throw new CliConfigError(`--state ${flags.state}: no matching policy (${all.join(', ') || 'none'})`);
          reads = matching.map((p) => ({ ...p, policy: policyPath(p.hostProject, p.policy) }));
        } else {
          const fw = liveFirewall(flags, policy, cfg);
          try {
            const snap = await fw.port.getPolicy();
            const { hostProject, firewallPolicy } = resolveFirewallTarget(flags, policy, cfg);
            reads = [
              {
                policy: policyPath(hostProject, firewallPolicy),
                rules: snap.rules,
                ruleTupleCount: snap.ruleTupleCount,
              },
            ];
          } finally {
            await fw.close();
          }
        }
      } catch (e) {
        if (e instanceof CliConfigError) throw new UsageError(e.message);
        throw e;
      }
      const report = capacityReport(reads, settings);
      process.stdout.write(
        flags.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderCapacityText(report),
      );
      setExit(overCapacity(report).length ? EXIT_INVALID : EXIT_OK);
    });
}
