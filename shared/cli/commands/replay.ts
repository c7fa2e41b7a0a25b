/**
 * `egress replay [--project NAME…] [--all] [--rate N/s] [--dry-run] [--bucket gs://B/PREFIX]` re-publishes
 * egress-change events (reason `replay`) from the bucket's live manifests, paced to the Compute write quota;
 * `egress replay --dead-letter SUBSCRIPTION` re-drives dead-lettered messages. See docs/operations.md.
 */
import type { Command } from 'commander';
import {
  CliConfigError,
  livePolicies,
  type OpsFlags,
  parseRate,
  pullerFor,
  resolveWriteQuota,
  workloadDeps,
} from '../../runtime/cliClients';
import { commandContext } from '../../runtime/context';
import { Pacer } from '../../usecases/pacer';
import { REDRIVE_LIMIT, type RedriveReport, redriveDeadLetters } from '../../usecases/redrive';
import { type Progress, type ReplayReport, replay } from '../../usecases/replay';
import { EXIT_INVALID, EXIT_OK, UsageError } from '../exit';
import { plural } from '../format';
import { addAllowRevocationsOption, addBucketOption, addOpsOptions, tableOption } from '../options';
import { cliLogger, progressStream } from '../output';
import { progressBar } from '../progress';

interface ReplayFlags extends OpsFlags {
  project?: string[];
  all?: boolean;
  rate?: string;
  dryRun?: boolean;
  deadLetter?: string;
  max?: string;
  allowRevocations?: number;
  restore?: boolean;
  format: 'text' | 'json';
  live: boolean;
}

/** Progress on stderr: a bar on a terminal, a line every 10 % (and at the end) otherwise. */
export function progressReporter(title: string, stream: NodeJS.WriteStream = process.stderr) {
  const bar = progressBar({ title, stream: progressStream(stream) });
  let lastDecile = -1;
  return {
    update(p: Progress) {
      const eta = p.etaMs !== undefined && p.etaMs > 1000 ? `~${Math.ceil(p.etaMs / 1000)} s left` : '';
      if (bar.active) bar.update(p.done, p.total, [`${p.writes} writes`, eta].filter(Boolean).join(', '));
      else {
        const decile = Math.floor((p.done / Math.max(1, p.total)) * 10);
        if (decile !== lastDecile || p.done === p.total) {
          lastDecile = decile;
          stream.write(
            `${title}: ${p.done}/${p.total} published, ${p.writes} expected writes${eta ? `, ${eta}` : ''}\n`,
          );
        }
      }
    },
    done: () => bar.done(),
  };
}

function toText(r: ReplayReport, dryRun: boolean): string {
  const lines: string[] = [...r.warnings];
  if (r.refused && !dryRun) return `${[...lines, r.refused.message].join('\n')}\n`;
  if (r.refused) lines.push(`note: without --dry-run this would be refused: ${r.refused.message}`);
  if (r.fleet) return `${[...lines, ...fleetText(r, dryRun)].join('\n')}\n`;
  for (const i of r.items) {
    if (i.status === 'published' || i.status === 'would-publish') {
      // What the applier will do with it: its writes, or nothing and why (the same planner as the applier's).
      const why = i.skipped
        ? `; the applier will skip it: ${i.skipped}`
        : i.willFail
          ? `; the applier will refuse it: ${i.willFail}`
          : '';
      if (dryRun || why)
        lines.push(
          `${dryRun ? 'would publish' : 'published'} ${i.project} (${i.object}#${i.generation}): ${plural(i.expectedWrites ?? 0, 'expected write')}${i.patches ? ` (${i.patches.join('; ')})` : ''}${why}`,
        );
    } else lines.push(`${i.status} ${i.project}${i.object ? ` (${i.object})` : ''}: ${i.error ?? ''}`);
  }
  lines.push(
    `${dryRun ? 'dry run: would publish' : 'published'} ${plural(r.published, 'replay event')}, ${plural(r.expectedWrites, 'expected firewall write')}; ${r.invalid} invalid or missing, ${r.failed} failed`,
  );
  return `${lines.join('\n')}\n`;
}

/** The fleet reconcile's lines: projects it will skip or cannot plan, each patch with what it changes, the total. */
export function fleetText(r: ReplayReport, dryRun: boolean): string[] {
  const f = r.fleet!;
  const lines: string[] = [];
  for (const i of r.items) {
    if (i.skipped) lines.push(`${i.project}: the applier's planner skips it: ${i.skipped}`);
    else if (i.willFail) lines.push(`${i.project}: cannot be written: ${i.willFail}`);
    else if (i.status !== 'patched' && i.status !== 'would-patch')
      lines.push(`${i.status} ${i.project}${i.object ? ` (${i.object})` : ''}: ${i.error ?? ''}`);
  }
  const verb = dryRun ? 'would write' : f.failed ? 'planned' : 'wrote';
  for (const p of f.patches) lines.push(`${verb} ${p.summary} (${p.rules} rules in the new list)`);
  if (f.failed) lines.push(`nothing further written: ${f.failed}`);
  const projects = r.items.filter((i) => i.status === 'patched' || i.status === 'would-patch').length;
  lines.push(
    `${dryRun ? 'dry run: fleet reconcile of' : 'fleet reconcile of'} ${plural(projects, 'project')}: ${`${f.patches.length} ${f.patches.length === 1 ? 'patch' : 'patches'}`} (one per policy changed), ${plural(f.writes, 'firewall write')}; ${r.invalid} invalid or missing`,
  );
  return lines;
}

function parseMax(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < 1 || !Number.isSafeInteger(n))
    throw new CliConfigError(`--max '${v}' is not a positive whole number (the most egress-change events to re-drive)`);
  return n;
}

/** The text of a dead-letter re-drive: what was re-driven (or seen), what else the subscription held, why it stopped. */
export function redriveText(r: RedriveReport, dryRun: boolean, sub: string, topic: string): string {
  if (r.refused) return `replay --dead-letter refused: ${r.refused}\n`;
  const lines = dryRun
    ? [
        `dry run: ${plural(r.seen, 'dead-lettered egress-change event')} seen (not acknowledged)`,
        ...r.messages.map((m) => `  ${m.project} ${m.eventId}`),
      ]
    : [`re-drove ${plural(r.redriven, 'egress-change event')} to ${topic}; ${r.failed} failed (left in ${sub})`];
  const other = Object.entries(r.other).map(([k, n]) => `${n} ${k}`);
  if (other.length) lines.push(`left in ${sub}, not egress-change events: ${other.join(', ')}`);
  if (r.stopped) lines.push(r.stopped);
  return `${lines.join('\n')}\n`;
}

/** Registers `replay` on the program. */
export function register(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('replay')
    .description(
      'Re-publish egress-change events from the bucket (restore after loss, re-apply), paced to the write quota',
    )
    .option('--project <name...>', 'only these projects (repeatable)')
    .option('--all', 'every manifest of the bucket');
  addBucketOption(cmd)
    .option('--rate <rate>', 'cap on events per second, e.g. 20/s (the write quota paces anyway)')
    .addOption(tableOption('writeQuota'))
    .option('--dry-run', 'plan and list what would be published; publish nothing')
    .option(
      '--dead-letter <subscription>',
      're-drive the egress-change events of this dead-letter subscription instead (refused when it holds none)',
    )
    .option('--max <n>', `with --dead-letter: stop after this many egress-change events (default ${REDRIVE_LIMIT})`)
    .option('--no-live', 'do not read the live policy (pace by compiled rule count instead of planned writes)')
    .option(
      '--restore',
      'also undo revocations recorded at a live generation (a wrong mass revocation): docs/operations.md, "Undo a mass revocation"',
    );
  addAllowRevocationsOption(cmd);
  addOpsOptions(cmd)
    .addHelpText(
      'after',
      '\nEither --all or --project NAME… (or --dead-letter SUB). Safe to interrupt and run again: event ids are\n' +
        'deterministic and the applier writes only differences.\nExit codes: 0 ok, 1 invalid manifests or failed publishes, 2 usage error.',
    )
    .action(async (flags: ReplayFlags) => {
      // The invocation's context: the environment read once; its publisher is closed with it.
      const ctx = commandContext(flags);
      const { cfg, clock } = ctx;
      const logger = cliLogger('egress-replay');
      try {
        const rate = flags.rate ? parseRate(flags.rate) : undefined;
        const eventPacer = rate ? new Pacer({ perMinute: rate, headroom: 0, clock }) : undefined;
        if (flags.deadLetter) {
          if (flags.project || flags.all)
            throw new CliConfigError('--dead-letter cannot be combined with --project/--all');
          const limit = flags.max !== undefined ? parseMax(flags.max) : undefined;
          const puller = pullerFor(flags.deadLetter, flags, cfg);
          const publisher = ctx.publisher();
          try {
            const r = await redriveDeadLetters(
              {
                puller,
                publisher,
                changesTopic: cfg.changesTopic,
                clock,
                logger,
                ...(eventPacer ? { eventPacer } : {}),
              },
              {
                dryRun: !!flags.dryRun,
                subscription: flags.deadLetter,
                ...(limit !== undefined ? { limit } : {}),
              },
            );
            if (flags.format === 'json') process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
            else process.stdout.write(redriveText(r, !!flags.dryRun, flags.deadLetter, cfg.changesTopic));
            setExit(r.failed || r.refused ? EXIT_INVALID : EXIT_OK);
          } finally {
            await puller.close();
          }
          return;
        }
        if (!flags.all && !flags.project?.length)
          throw new CliConfigError('say what to replay: --all, or --project NAME (repeatable)');
        if (flags.all && flags.project?.length) throw new CliConfigError('--all and --project exclude each other');
        const { bucket, prefix } = ctx.bucket();
        const policy = ctx.policy;
        const quota = resolveWriteQuota(flags, cfg);
        // Every policy of the placement, read for the predictions (moves included); `--all` writes them (fleet).
        const fw = flags.live ? livePolicies(flags, policy, cfg) : undefined;
        const publisher = flags.dryRun ? undefined : ctx.publisher();
        // The quotas (live) for the fleet patch's headroom check; read only if there is a patch.
        const limits = fw ? ctx.limits(fw.hostProject) : undefined;
        const progress = progressReporter('replay');
        try {
          const r = await replay(
            {
              store: ctx.store(),
              bucket,
              prefix,
              publisher: publisher ?? { publish: async () => 'dry-run' },
              changesTopic: cfg.changesTopic,
              policy,
              clock,
              pacer: new Pacer({ perMinute: quota, clock }),
              ...(eventPacer ? { eventPacer } : {}),
              ...(fw
                ? {
                    policies: fw.policies,
                    hostProject: fw.hostProject,
                    workloads: workloadDeps(flags, policy, cfg),
                    ...(limits ? { limits } : {}),
                  }
                : {}),
              logger,
              onProgress: (p) => progress.update(p),
              watchedPrefix: cfg.manifestPrefix,
            },
            {
              ...(flags.project ? { projects: flags.project } : {}),
              dryRun: !!flags.dryRun,
              restore: !!flags.restore,
              // `--all` over the live firewall: the fleet reconcile, one patch per policy (docs/applier.md).
              ...(flags.all && fw ? { fleet: true } : {}),
              ...(flags.allowRevocations !== undefined ? { allowRevocations: flags.allowRevocations } : {}),
            },
          );
          progress.done();
          if (flags.format === 'json') process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
          else process.stdout.write(toText(r, !!flags.dryRun));
          setExit(r.invalid || r.failed || r.fleet?.failed || (r.refused && !flags.dryRun) ? EXIT_INVALID : EXIT_OK);
        } finally {
          progress.done();
          await fw?.close();
        }
      } catch (e) {
        if (e instanceof CliConfigError) throw new UsageError(e.message);
        throw e;
      } finally {
        await ctx.close();
      }
    });
}
