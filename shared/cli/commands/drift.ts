/**
 * `egress drift [--repair] [--report-status] [--format text|json] [--detailed-exitcode]` compares the live owned
 * rules with the bucket's manifests. Exit codes mirror `egress plan`: 0 checked (clean, or drift found without
 * --detailed-exitcode), 1 error (a manifest that cannot be checked, a failed publish), 2 usage — and with
 * --detailed-exitcode, 2 when drift was found. The scheduled job runs without it, so a repaired drift is a success
 * and Cloud Run does not retry the job (which would re-publish the repairs). See docs/operations.md.
 */
import type { Command } from 'commander';
import { CAPACITY_WARN_RATIO, uncoveredLine } from '../../core/capacity/report';
import { renderDriftText } from '../../core/drift';
import { driftFor } from '../../runtime/agreementSources';
import { commandContext } from '../../runtime/context';
import type { SourceFlags } from '../../runtime/sources';
import type { DriftRepairEvent, DriftRun } from '../../usecases/drift';
import { asUsageError } from '../errors';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from '../exit';
import { plural } from '../format';
import { addAllowRevocationsOption, addBucketOption, addOpsOptions, tableOption } from '../options';
import { cliLogger } from '../output';

interface DriftFlags extends SourceFlags {
  project?: string;
  repair?: boolean;
  reportStatus?: boolean;
  detailedExitcode?: boolean;
  allowRevocations?: number;
  format: 'text' | 'json';
}

/** The exit code of a drift run (see the module comment). */
export function driftExitCode(run: DriftRun, detailed: boolean, repair = false): number {
  if (repair && run.refused) return EXIT_INVALID;
  if (run.report.errors.length || run.report.unchecked.length || run.regionsWithoutPolicy?.length) return EXIT_INVALID;
  if (detailed && run.report.drifted.length) return EXIT_USAGE; // 2 = "changes present", as plan/terraform
  return EXIT_OK;
}

/** `p (replay, 2 expected writes)`, or why the applier will write nothing for the event. */
function repairText(r: DriftRepairEvent): string {
  const why = r.skipped
    ? `; the applier will skip it: ${r.skipped}`
    : r.willFail
      ? `; the applier will refuse it: ${r.willFail}`
      : '';
  const patches = r.patches ? `: ${r.patches.join('; ')}` : '';
  return `${r.project} (${r.reason}, ${plural(r.expectedWrites, 'expected write')}${patches}${why})`;
}

/** The fleet repair's patches (written, or what a repair would write), each with what it changes. */
export function fleetLines(run: DriftRun, repair: boolean): string {
  const f = run.fleet!;
  const verb = repair && !f.failed && !run.refused ? 'repair: wrote' : 'a repair would write';
  const lines = f.patches.map((p) => `${verb} ${p.summary} (${p.rules} rules in the new list)`);
  if (!f.patches.length && run.forecast.length)
    lines.push('a repair would write nothing (the applier skips every event)');
  for (const x of run.forecast) if (x.skipped || x.willFail) lines.push(repairText(x));
  if (f.failed) lines.push(`repair: nothing further written: ${f.failed}`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** Registers `drift` on the program. */
export function register(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('drift')
    .description('Compare the live owned firewall rules with the bucket manifests; optionally repair and report')
    .option('--repair', 'publish replay events for drifted projects (delete events for projects without manifest)')
    .option('--report-status', 'publish one `drift` status event per drifted project (nothing when clean)')
    .option('--detailed-exitcode', 'exit 2 when drift is found (0 clean, 1 error)')
    .option('--project <key>', 'only this project (an unknown key is an error naming the nearest one)')
    .addOption(tableOption('manifests', 'compare with the manifests of this folder instead of the bucket'))
    .addOption(tableOption('stateFile'))
    .addOption(tableOption('live', 'read the live firewall policies (the default without a state file)'));
  addBucketOption(cmd).addOption(
    tableOption('writeQuota', 'Compute write quota per minute that repairs are paced to (default 1500)'),
  );
  addAllowRevocationsOption(cmd);
  addOpsOptions(cmd)
    .addHelpText(
      'after',
      '\nKinds: missing, changed, extra (incl. rules of projects with no manifest), foreign-marker (our marker on a rule\n' +
        'we would never write: a human must look).\nExit codes: 0 checked, 1 error or unchecked manifest, 2 usage; ' +
        'with --detailed-exitcode 2 also means drift found.\nProduction: Cloud Scheduler -> Cloud Run job `egress drift --repair --report-status`.',
    )
    .action(async (flags: DriftFlags) => {
      const ctx = commandContext(flags);
      const { cfg } = ctx;
      try {
        // The one composition of drift and MCP check_drift (runtime/agreementSources.ts): the same answer.
        const run = await driftFor(ctx, flags.project, {
          repair: !!flags.repair,
          reportStatus: !!flags.reportStatus,
          ...(flags.allowRevocations !== undefined ? { allowRevocations: flags.allowRevocations } : {}),
          logger: cliLogger('egress-drift'),
          defaultLive: true,
        });
        if (flags.format === 'json') process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
        else {
          for (const w of run.warnings) process.stdout.write(`${w}\n`);
          if (run.refused && flags.repair) {
            process.stdout.write(`${run.refused.message}\n`);
            setExit(EXIT_INVALID);
            return;
          }
          process.stdout.write(renderDriftText(run.report));
          if (run.pendingRevocations.length)
            process.stdout.write(
              `revocations not applied (held by the applier's rate guard, or in flight): ${run.pendingRevocations.join(', ')}; ` +
                `\`egress release ${run.pendingRevocations.join(' ')}\` applies them\n`,
            );
          if (run.refused) process.stdout.write(`note: a repair would be refused: ${run.refused.message}\n`);
          if (run.fleet) process.stdout.write(fleetLines(run, !!flags.repair));
          if (run.repairs.length && (!run.fleet || run.fleet.failed))
            process.stdout.write(
              `repair: published ${run.repairs.length} event(s): ${run.repairs.map(repairText).join(', ')}\n`,
            );
          else if (run.forecast.length && !flags.repair && !run.fleet)
            process.stdout.write(`a repair would publish: ${run.forecast.map(repairText).join(', ')}\n`);
          if (run.manual.length) process.stdout.write(`needs a human: ${run.manual.join(', ')} (see foreign-marker)\n`);
          if (run.statuses)
            process.stdout.write(`reported ${run.statuses} drift status event(s) to ${cfg.statusTopic}\n`);
          if (run.capacityWarnings.length)
            process.stdout.write(
              run.capacities
                ? `capacity: above ${CAPACITY_WARN_RATIO * 100}% of a quota: ${run.capacityWarnings.join(', ')}\n`
                : `capacity: ${run.capacity.policy} is above ${CAPACITY_WARN_RATIO * 100}% of a quota: ${run.capacityWarnings.join(', ')}\n`,
            );
          for (const u of run.regionsWithoutPolicy ?? []) process.stdout.write(`${uncoveredLine(u)}\n`);
        }
        setExit(driftExitCode(run, !!flags.detailedExitcode, !!flags.repair));
      } catch (e) {
        throw asUsageError(e) ?? e;
      } finally {
        await ctx.close();
      }
    });
}
