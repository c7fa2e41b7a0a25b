/**
 * `egress capacity [--state FILE | --live] [--format text|json]`: each firewall policy's rules, projects and quota
 * usage (rule attributes, FQDNs) against the `capacity` quotas of the platform policy (docs/capacity.md). With
 * `--live` the attribute figure is Google's own `ruleTupleCount`. Under regional placement: one entry per policy of the
 * placement (global + each region's), and the regions with subnets but no regional policy. Exit codes: 0 ok, 1 a policy
 * over 90% of a quota or an uncovered region (or an error), 2 usage.
 */
import { type Command, Option } from 'commander';
import { renderCapacityText } from '../../core/capacity/report';
import {
  CliConfigError,
  livePolicies,
  type OpsFlags,
  resolvePolicy,
  stateFilePolicies,
  workloadDeps,
} from '../../runtime/cliClients';
import { readConfig } from '../../runtime/config';
import { withCliDefaults } from '../../runtime/sources';
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
    .option(
      '--state <file>',
      'read a fake-Compute state file (default EGRESS_STATE_FILE unless --live; npm start keeps .local/compute.json)',
    )
    .option('--live', 'read the live policy (Application Default Credentials, or EGRESS_COMPUTE_ENDPOINT)')
    .option('--policy <file>', 'platform policy file with the capacity quotas (default EGRESS_POLICY_FILE)')
    .option('--host-project <project>', 'Shared VPC host project (default EGRESS_HOST_PROJECT / policy file)')
    .option('--firewall-policy <name>', 'global network firewall policy (default EGRESS_FIREWALL_POLICY / policy file)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      '\nUnder regional placement (firewall.placement regional) every regional policy of the placement has its entry, and a\n' +
        'region with subnets but no regional policy is reported.\n' +
        'Exit codes: 0 ok, 1 a policy uses over 90% of a quota or a region has no regional policy (or an error), 2 usage.',
    )
    .action(async (given: CapacityFlags) => {
      const cfg = readConfig();
      // npm start's cli.env default, decided where explain, status and probe decide it (runtime/sources.ts).
      const flags = withCliDefaults(given, cfg);
      if (!!flags.state === !!flags.live)
        throw new UsageError(
          'choose where the policy comes from: --state FILE (a fake-Compute state file, default EGRESS_STATE_FILE) or --live',
        );
      let reads: PolicyRead[];
      let settings: ReturnType<typeof resolvePolicy>['capacity'];
      let placement: Parameters<typeof capacityReport>[2];
      try {
        const policy = resolvePolicy(flags, cfg);
        settings = policy.capacity;
        // Regional placement: the regions with subnets but no regional policy are reported too (exit 1).
        const subnetsOf = async (stateFile?: string) => {
          if (policy.firewall.placement !== 'regional') return undefined;
          const reader = workloadDeps(flags, policy, cfg, stateFile).subnets;
          return { settings: policy.firewall, ...(reader ? { subnets: await reader.listSubnets() } : {}) };
        };
        if (flags.state) {
          const { all, matching } = stateFilePolicies(flags.state, flags, policy, cfg);
          if (matching.length === 0)
            throw new CliConfigError(`--state ${flags.state}: no matching policy (${all.join(', ') || 'none'})`);
          reads = matching.map((p) => ({ ...p, policy: policyPath(p.hostProject, p.policy, p.region) }));
          placement = await subnetsOf(flags.state);
        } else {
          const live = livePolicies(flags, policy, cfg);
          try {
            reads = [];
            for (const ref of live.policies.list()) {
              const snap = await live.policies.forPolicy(ref).getPolicy();
              reads.push({
                policy: policyPath(live.hostProject, ref.name, ref.region),
                rules: snap.rules,
                ruleTupleCount: snap.ruleTupleCount,
              });
            }
            placement = await subnetsOf();
          } finally {
            await live.close();
          }
        }
      } catch (e) {
        if (e instanceof CliConfigError) throw new UsageError(e.message);
        throw e;
      }
      const report = capacityReport(reads, settings, placement);
      process.stdout.write(
        flags.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderCapacityText(report),
      );
      setExit(overCapacity(report).length || report.regionsWithoutPolicy?.length ? EXIT_INVALID : EXIT_OK);
    });
}
