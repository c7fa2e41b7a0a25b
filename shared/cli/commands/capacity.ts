/**
 * `egress capacity [--state FILE | --live] [--format text|json]`: each firewall policy's rules, projects and quota
 * usage (rule attributes, FQDNs) against the `capacity` quotas of the platform policy (docs/capacity.md). With
 * `--live` the attribute figure is Google's own `ruleTupleCount` and the limits are the project's, read from the Cloud
 * Quotas API (falling back to the policy file; each limit says where it came from). Under regional placement: one entry per policy of the
 * placement (global + each region's), and the regions with subnets but no regional policy. Exit codes: 0 ok, 1 a policy
 * over 90% of a quota or an uncovered region (or an error), 2 usage.
 */

import type { Command } from 'commander';
import { renderCapacityText } from '../../core/capacity/report';
import { type PolicyRef, policyRefKey } from '../../core/policy/placement';
import { CliConfigError, livePolicies, type OpsFlags, stateFilePolicies, workloadDeps } from '../../runtime/cliClients';
import { type CommandContext, commandContext } from '../../runtime/context';
import { capacitiesFor, capacityReport, overCapacity, type PolicyRead, policyPath } from '../../usecases/capacity';
import { EXIT_INVALID, EXIT_OK, UsageError } from '../exit';
import { formatOption, tableOption } from '../options';

/**
 * The limits in effect for each policy (capacitiesFor: the Cloud Quotas values the context reads, else the policy
 * file's); a failed quota read is said once on stderr.
 */
async function quotasOf(
  reader: ReturnType<CommandContext['limits']>,
  settings: Parameters<typeof capacitiesFor>[1],
  refs: readonly PolicyRef[],
) {
  const got = await capacitiesFor(reader, settings, refs);
  for (const note of got.notes) process.stderr.write(`${note}\n`);
  return got.limits;
}

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
    .addOption(
      tableOption(
        'stateFile',
        'read a fake-Compute state file (default EGRESS_STATE_FILE unless --live; npm start keeps .local/compute.json)',
      ),
    )
    .addOption(
      tableOption('live', 'read the live policy (Application Default Credentials, or EGRESS_COMPUTE_ENDPOINT)'),
    )
    .addOption(tableOption('policyFile', 'platform policy file with the capacity quotas (default EGRESS_POLICY_FILE)'))
    .addOption(tableOption('hostProject'))
    .addOption(tableOption('firewallPolicy'))
    .addOption(formatOption())
    .addHelpText(
      'after',
      '\nUnder regional placement (firewall.placement regional) every regional policy of the placement has its entry, and a\n' +
        'region with subnets but no regional policy is reported.\n' +
        'Exit codes: 0 ok, 1 a policy uses over 90% of a quota or a region has no regional policy (or an error), 2 usage.',
    )
    .action(async (given: CapacityFlags) => {
      // The invocation's context: the environment read once, npm start's state-file default applied (as for explain,
      // status and probe), the Cloud Quotas client.
      const ctx = commandContext(given);
      const { flags, cfg } = ctx;
      if (!!flags.state === !!flags.live)
        throw new UsageError(
          'choose where the policy comes from: --state FILE (a fake-Compute state file, default EGRESS_STATE_FILE) or --live',
        );
      let reads: PolicyRead[];
      let settings: (typeof ctx.policy)['capacity'];
      let placement: Parameters<typeof capacityReport>[2];
      try {
        const policy = ctx.policy;
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
          // With the compute endpoint set (npm start's fake), its Cloud Quotas values, as doctor reads them.
          const reader = ctx.limits(matching[0]!.hostProject);
          if (reader) {
            const refs = matching.map((p) => (p.region ? { name: p.policy, region: p.region } : { name: p.policy }));
            const got = await quotasOf(reader, settings, refs);
            reads = reads.map((r, i) => ({ ...r, limits: got.get(policyRefKey(refs[i]!))! }));
          }
          placement = await subnetsOf(flags.state);
        } else {
          const live = livePolicies(flags, policy, cfg);
          // The limits from the Cloud Quotas API (Google, or the fake at the compute endpoint), else the policy file.
          try {
            reads = [];
            const refs = live.policies.list();
            const inEffect = await quotasOf(ctx.limits(live.hostProject), settings, refs);
            for (const ref of refs) {
              const snap = await live.policies.forPolicy(ref).getPolicy();
              reads.push({
                policy: policyPath(live.hostProject, ref.name, ref.region),
                rules: snap.rules,
                ruleTupleCount: snap.ruleTupleCount,
                limits: inEffect.get(policyRefKey(ref))!,
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
      } finally {
        await ctx.close(); // the Cloud Quotas client, when one was built
      }
      const report = capacityReport(reads, settings, placement);
      process.stdout.write(
        flags.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderCapacityText(report),
      );
      setExit(overCapacity(report).length || report.regionsWithoutPolicy?.length ? EXIT_INVALID : EXIT_OK);
    });
}
