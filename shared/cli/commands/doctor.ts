/**
 * `egress doctor [--state FILE | --live] [--format text|json] [--report-status]`: the platform's preconditions
 * checked on the network as it is (docs/doctor.md): one line per check, PASS / WARN / FAIL with the fact found, the
 * fix and the docs link; JSON `{"checks": [{id, status, message, fix, docs}]}` from the same values. Exit codes: 0 no
 * FAIL, 1 a FAIL (or an error), 2 usage.
 *
 * Sources: the network model (runtime/diagnose.ts readNetworkModel) from the state file (default EGRESS_STATE_FILE,
 * npm start's) or the live Compute API; the manifests' projects from --manifests DIR or the bucket; Cloud DNS server
 * policies, testIamPermissions and the Cloud Quotas limits from Google (`--live`) or the compute endpoint
 * (EGRESS_COMPUTE_ENDPOINT, npm start's fake serves them); with --state and no endpoint, the state file's DNS
 * policies, and the permissions and quotas are reported as not read.
 */
import { readdirSync } from 'node:fs';
import type { Command } from 'commander';
import { hasManifestExtension, isManifestObject, projectKeyOf } from '../../core/bucket/layout';
import { anyFailed, doctorJson, renderDoctorText } from '../../core/doctor';
import { placementPolicies } from '../../core/policy/placement';
import {
  CliConfigError,
  callDeadlineMs,
  livePolicies,
  resolveFirewallTarget,
  stateFilePolicies,
  stateFileRules,
} from '../../runtime/cliClients';
import { type CommandContext, commandContext } from '../../runtime/context';
import { readNetworkModel } from '../../runtime/diagnose';
import { lazy } from '../../runtime/lazy';
import { manifestSource, type SourceFlags } from '../../runtime/sources';
import { type DoctorDeps, runDoctor } from '../../usecases/doctor';
import { asUsageError } from '../errors';
import { EXIT_INVALID, EXIT_OK, UsageError } from '../exit';
import { addBucketOption, addOpsOptions, tableOption } from '../options';

interface DoctorFlags extends SourceFlags {
  format: 'text' | 'json';
  reportStatus?: boolean;
}

type Closers = (() => Promise<void>)[];

/** The doctor's dependencies from the command context (closers collect the clients built here, to close). */
function doctorDeps(ctx: CommandContext<DoctorFlags>, closers: Closers): DoctorDeps {
  const { flags, cfg, policy } = ctx;
  const { hostProject, policyName } = flags.state
    ? (({ hostProject: h, policy: p }) => ({ hostProject: h, policyName: p }))(
        stateFileRules(flags.state, flags, policy, cfg),
      )
    : (({ hostProject: h, firewallPolicy: p }) => ({ hostProject: h, policyName: p }))(
        resolveFirewallTarget(flags, policy, cfg),
      );
  const endpoint = ctx.setting('computeEndpoint');
  const opts = { ...(endpoint ? { endpoint } : {}), deadlineMs: callDeadlineMs(cfg) };
  const google = !!flags.live || !!endpoint;
  const reads = lazy.doctorReads();
  // The context's Cloud Quotas client (closed with it), the one capacity reads too.
  const limitsClient = google ? ctx.quotas() : undefined;
  const tester = google ? reads.permissionTester(opts) : undefined;
  if (tester) closers.push(tester.close);
  const source = manifestSource(ctx);
  return {
    hostProject,
    expected: placementPolicies(policy.firewall, policyName),
    target: policy.firewall.target,
    settings: policy.capacity,
    readModel: async () => {
      const model = await readNetworkModel(flags, policy, '', undefined, cfg);
      if (!model) throw new CliConfigError('choose where the network comes from: --state FILE or --live');
      return model;
    },
    projects: async () => {
      if (source?.kind === 'dir') return readdirSync(source.dir).filter(hasManifestExtension).map(projectKeyOf).sort();
      const listed = await source!.store.list(source!.prefix);
      return [
        ...new Set(listed.filter((o) => isManifestObject(o.name, source!.prefix)).map((o) => projectKeyOf(o.name))),
      ].sort();
    },
    ruleTupleCount: flags.state
      ? async (ref) =>
          stateFilePolicies(flags.state!, flags, policy, cfg).matching.find(
            (p) => p.hostProject === hostProject && p.policy === ref.name && p.region === ref.region,
          )?.ruleTupleCount
      : async (ref) => {
          const live = livePolicies(flags, policy, cfg);
          try {
            return (await live.policies.forPolicy(ref).getPolicy()).ruleTupleCount;
          } finally {
            await live.close();
          }
        },
    dns: google ? reads.dnsPolicyReader(opts) : reads.stateFileDnsPolicies(flags.state!),
    ...(limitsClient ? { limits: lazy.quotas().cloudQuotasLimits(hostProject, limitsClient.api) } : {}),
    ...(tester ? { permissions: tester } : {}),
    ...(cfg.statusTopic ? { statusTopic: cfg.statusTopic } : {}),
  };
}

/** Registers `doctor` on the program. */
export function register(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('doctor')
    .description(
      "Check the platform's preconditions on the network: enforcement order, rules before the policy, DNS logging, quotas, permissions",
    )
    .addOption(
      tableOption(
        'stateFile',
        'read the network from a fake-Compute state file (default EGRESS_STATE_FILE unless --live; npm start keeps .local/compute.json)',
      ),
    )
    .addOption(
      tableOption(
        'live',
        'read the live network, policies, DNS policies, quotas and permissions (Application Default Credentials)',
      ),
    )
    .addOption(
      tableOption('network', 'the Shared VPC network (default EGRESS_NETWORK / firewall.target.network / shared-vpc)'),
    )
    .addOption(tableOption('manifests', 'the projects with a manifest from this folder instead of the bucket'))
    .option('--report-status', 'publish each FAIL as a `precondition-failed` status event (the scheduled job)');
  addBucketOption(cmd);
  addOpsOptions(cmd)
    .addHelpText(
      'after',
      '\nChecks (docs/doctor.md): enforcement-order, egress-before-policy, policy-association, baseline, dns-logging,\n' +
        'dns-alternative-name-servers, project-sources, capacity, applier-permissions.\n' +
        'Exit codes: 0 no check failed (warnings allowed), 1 a check failed (or an error), 2 usage.',
    )
    .action(async (given: DoctorFlags) => {
      // The invocation's context: the environment read once, npm start's state-file default applied.
      const ctx = commandContext(given);
      const { flags } = ctx;
      if (!!flags.state === !!flags.live)
        throw new UsageError(
          'choose where the network comes from: --state FILE (a fake-Compute state file, default EGRESS_STATE_FILE) or --live',
        );
      const closers: Closers = [];
      try {
        const deps = doctorDeps(ctx, closers);
        if (flags.reportStatus) deps.publisher = ctx.publisher(); // closed with the context
        const { checks } = await runDoctor(deps, { reportStatus: !!flags.reportStatus });
        process.stdout.write(
          flags.format === 'json' ? `${JSON.stringify(doctorJson(checks), null, 2)}\n` : renderDoctorText(checks),
        );
        setExit(anyFailed(checks) ? EXIT_INVALID : EXIT_OK);
      } catch (e) {
        throw asUsageError(e) ?? e;
      } finally {
        for (const close of closers) await close();
        await ctx.close();
      }
    });
}
