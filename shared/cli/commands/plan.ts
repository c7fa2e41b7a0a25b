/**
 * `egress plan [--state FILE | --live] [--format text|markdown|json] [--detailed-exitcode] PATH...` — what the applier
 * would change for these manifests, against the rules of a fake-Compute state file or of the live policy
 * (Application Default Credentials). The shell of the plan use case (shared/usecases/plan.ts): flags, sources,
 * rendering and exit codes.
 *
 * Exit codes: 0 ok; 1 invalid manifests or an error; 2 usage. With --detailed-exitcode: 0 no changes, 1 error,
 * 2 changes (argument-parsing errors still exit 2, as for every command).
 */
import type { Command } from 'commander';
import { type PlanFormat, renderPlan, renderWrites, writesJson } from '../../core/firewall';
import type { Plan } from '../../core/firewall/types';
import type { PlatformPolicy } from '../../core/policy/types';
import { CliConfigError, liveRules, stateFileRules, workloadDeps } from '../../runtime/cliClients';
import { type CommandContext, commandContext } from '../../runtime/context';
import { type CurrentRules, type PlanOutcome, planManifests } from '../../usecases/plan';
import { describeFailure } from '../errors';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, UsageError } from '../exit';
import { formatDiagnostic, plural } from '../format';
import { addComputeEndpointOption, formatOption, tableOption } from '../options';
import { collectManifestFiles, validateFiles } from './validate';

/** Exit code of `--detailed-exitcode` when the plan has changes. */
export const EXIT_CHANGES = 2;

/** Options of `runPlan` (the command's flags). */
export interface PlanCommandOptions {
  paths: string[];
  state?: string;
  live?: boolean;
  /** Compare the folder with every owned project: a project owned live but absent from the folder plans its delete. */
  allLive?: boolean;
  format: PlanFormat;
  detailedExitcode?: boolean;
  policy?: string;
  hostProject?: string;
  firewallPolicy?: string;
  computeEndpoint?: string;
}

/** What the command prints and returns; `runPlan` never writes to the process streams (tests and golden files). */
export interface PlanCommandResult {
  stdout: string;
  stderr: string;
  code: number;
  plan?: Plan;
}

/** Reads the current rules from the context's source: its state file, else the live policies. */
async function currentRules(ctx: CommandContext<PlanCommandOptions>): Promise<CurrentRules> {
  const { flags, policy, cfg } = ctx;
  if (flags.state) return stateFileRules(flags.state, flags, policy, cfg);
  // Every policy of the placement (regional placement: the global one and each region's).
  const live = await liveRules(flags, policy, cfg);
  return { rules: live.rules, source: live.source, byPolicy: live.byPolicy, hostProject: live.hostProject };
}

/** Runs `egress plan`; usage problems throw UsageError (exit 2), everything else is in the result. */
export async function runPlan(
  opts: PlanCommandOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PlanCommandResult> {
  // The invocation's context. npm start's cli.env names its state file (EGRESS_STATE_FILE): the context's default
  // source unless --live is asked for.
  const ctx = commandContext(opts, env);
  const { flags } = ctx;
  if (!!flags.state === !!flags.live)
    throw new UsageError(
      'choose where the current rules come from: --state FILE (a fake-Compute state file, default EGRESS_STATE_FILE) or --live',
    );
  let policy: PlatformPolicy;
  try {
    policy = ctx.policy;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const files = collectManifestFiles(opts.paths);
  if (files.length === 0) throw new UsageError(`no *.yaml/*.yml manifests under ${opts.paths.join(', ')}`);
  const r = await planManifests({
    manifests: validateFiles(files, policy),
    policy,
    hostProject: ctx.setting('hostProject'), // --host-project, EGRESS_HOST_PROJECT, the policy file
    currentRules: () => currentRules(ctx),
    ...(opts.allLive ? { allLive: true } : {}),
    workloads: () => workloadDeps(flags, policy, ctx.cfg, flags.state),
    limits: (hostProject) => ctx.limits(hostProject),
  }).finally(() => ctx.close()); // the Cloud Quotas client, when one was built
  if (r.kind === 'invalid') {
    const lines = r.invalid.flatMap((m) => m.diagnostics.map((d) => formatDiagnostic(m.path, d)));
    lines.push(
      `${plural(r.invalid.length, 'invalid manifest')}: nothing planned (run \`egress validate\` for details)`,
    );
    return { stdout: '', stderr: `${lines.join('\n')}\n`, code: EXIT_INVALID };
  }
  if (r.kind === 'compile-error') return { stdout: '', stderr: `${r.errors.join('\n')}\n`, code: EXIT_INVALID };
  if (r.kind === 'unreadable') {
    if (r.error instanceof CliConfigError) throw new UsageError(r.error.message);
    return { stdout: '', stderr: `error: ${describeFailure(r.error)}\n`, code: EXIT_INVALID };
  }
  return {
    stdout: render(r, opts.format, opts.allLive ? r.revoked : undefined),
    // The JSON carries them in `warnings`; text and markdown say them on stderr, one line each.
    stderr: opts.format === 'json' ? '' : r.warnings.map((w) => `warning: ${w}\n`).join(''),
    code: opts.detailedExitcode && r.changed ? EXIT_CHANGES : EXIT_OK,
    plan: r.plan,
  };
}

/**
 * The plan in `format`: the rule changes, the patches the applier would send, and the scope it was planned in (the
 * current-rules source and the projects). `revoked` is given with `--all-live`: the scope is the whole fleet, and those
 * projects are planned as deleted manifests.
 */
function render(r: Extract<PlanOutcome, { kind: 'planned' }>, format: PlanFormat, revoked?: string[]): string {
  const { plan, source, projects, warnings, writes } = r;
  const which = revoked
    ? `the folder is the whole fleet (--all-live): every project owned in the firewall is planned, ${plural(revoked.length, 'project')} without a manifest here planned as deleted${revoked.length ? ` (${revoked.join(', ')})` : ''}`
    : 'only projects named by the given manifests are planned';
  const scope = `against ${source}; ${which} (${plural(projects.length, 'project')}: ${projects.join(', ')})`;
  if (format === 'json') {
    const doc = JSON.parse(renderPlan(plan, 'json')) as Record<string, unknown>;
    return `${JSON.stringify({ source, plannedProjects: projects, ...(revoked ? { revokedProjects: revoked } : {}), ...(warnings.length ? { warnings } : {}), ...doc, writes: writesJson(writes) }, null, 2)}\n`;
  }
  if (format === 'markdown')
    return `${renderPlan(plan, 'markdown')}${renderWrites(writes, 'markdown')}\n_Planned ${scope}._\n`;
  return `${renderPlan(plan, 'text')}${renderWrites(writes, 'text')}\nPlanned ${scope}.\n`;
}

/** Registers `plan` on the program. */
export function register(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('plan')
    .description(
      'Show what the applier would change in the firewall for these manifests (creates, updates, deletes) and the patches it would send',
    )
    .argument('<paths...>', 'manifest files or directories (walked for *.yaml / *.yml)')
    .addOption(
      tableOption(
        'stateFile',
        'plan against a fake-Compute state file (default EGRESS_STATE_FILE, as `npm start` keeps in .local/)',
      ),
    )
    .addOption(tableOption('live', 'plan against the live firewall policy (Application Default Credentials)'))
    .option(
      '--all-live',
      'PATH is the whole fleet: also plan the revocation of every project owned in the firewall that has no manifest here (a manifest deleted in the change)',
    )
    .addOption(formatOption(['text', 'markdown', 'json']))
    .option('--detailed-exitcode', 'exit 0 when there are no changes, 1 on error, 2 when there are changes')
    .addOption(tableOption('policyFile'))
    .addOption(tableOption('hostProject'))
    .addOption(tableOption('firewallPolicy'));
  addComputeEndpointOption(cmd)
    .addHelpText(
      'after',
      [
        '',
        'Only the projects named by the given manifests are planned: other projects and rules the applier does not own',
        '(no ownership marker) are never part of a plan. A manifest with an empty allowedEgress plans the revocation of',
        "all of its project's rules. Compare content only: a new manifest generation with the same entries is no change.",
        '',
        'Exit codes: 0 ok, 1 invalid manifest or error, 2 usage error.',
        'With --detailed-exitcode: 0 no changes, 1 error, 2 changes.',
        '',
        'Examples:',
        '  egress plan --state .local/compute.json examples/',
        '  egress plan --live --host-project net-host --firewall-policy egress --format markdown manifests/',
      ].join('\n'),
    )
    .action(async (paths: string[], o: Omit<PlanCommandOptions, 'paths'>) => {
      let r: PlanCommandResult;
      try {
        r = await runPlan({ ...o, paths });
      } catch (err) {
        // With --detailed-exitcode, 2 means "changes": a usage problem found after parsing is reported as an error.
        if (err instanceof UsageError && o.detailedExitcode) {
          process.stderr.write(`error: ${err.message}\n`);
          setExit(EXIT_INVALID);
          return;
        }
        throw err;
      }
      if (r.stderr) process.stderr.write(r.stderr);
      if (r.stdout) process.stdout.write(r.stdout);
      setExit(r.code);
    });
}

/** Exit codes of this command, for the docs and tests. */
export const PLAN_EXIT_CODES = { ok: EXIT_OK, invalid: EXIT_INVALID, usage: EXIT_USAGE, changes: EXIT_CHANGES };
