/**
 * `egress release PROJECT… | --all [--dry-run] [--bucket gs://B/PREFIX]` applies revocations the applier held (its
 * rate guard): it re-publishes each project's `delete` with the release flag. See docs/operations.md, "Held
 * revocations". Exit codes: 0 ok, 1 a publish failed, a project was not held, or the run was refused; 2 usage.
 */
import type { Command } from 'commander';
import { CliConfigError, livePolicies, type OpsFlags } from '../../runtime/cliClients';
import { commandContext } from '../../runtime/context';
import { jsonLogger } from '../../runtime/logger';
import { type ReleaseReport, releaseRevocations } from '../../usecases/release';
import { EXIT_INVALID, EXIT_OK, UsageError } from '../exit';
import { addBucketOption, addOpsOptions } from '../options';

interface ReleaseFlags extends OpsFlags {
  all?: boolean;
  dryRun?: boolean;
  format: 'text' | 'json';
}

/** The text report (the JSON report carries the same items). */
export function releaseText(r: ReleaseReport, dryRun: boolean): string {
  if (r.refused) return `${r.refused.message}\n`;
  const lines = r.items.map((i) =>
    i.status === 'not-held'
      ? `not held ${i.project}: ${i.reason}`
      : i.status === 'failed'
        ? `failed ${i.project}: ${i.error}`
        : `${dryRun ? 'would release' : 'released'} ${i.project} (delete at generation ${i.generation})`,
  );
  lines.push(`${dryRun ? 'dry run: would release' : 'released'} ${r.released} held revocation(s); ${r.failed} failed`);
  return `${lines.join('\n')}\n`;
}

/** Registers `release` on the program. */
export function register(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('release')
    .description('Apply revocations the applier held (rate guard): re-publish their delete with the release flag')
    .argument('[projects...]', 'projects whose held revocation to apply')
    .option('--all', 'every project with owned rules and no manifest')
    .option('--dry-run', 'list what would be released; publish nothing');
  addBucketOption(cmd);
  addOpsOptions(cmd)
    .addHelpText(
      'after',
      '\nOnly projects with owned rules and no live manifest under the watched prefix are released (named ones even\n' +
        'when the prefix holds no manifest at all, as after an emptied folder; --all is refused there).\n' +
        'Exit codes: 0 ok, 1 a publish failed, a named project was not held, or the run was refused, 2 usage error.',
    )
    .action(async (projects: string[], flags: ReleaseFlags) => {
      // The invocation's context: the environment read once; its publisher is closed with it.
      const ctx = commandContext(flags);
      const { cfg } = ctx;
      try {
        if (!flags.all && projects.length === 0) throw new CliConfigError('say what to release: PROJECT… or --all');
        if (flags.all && projects.length) throw new CliConfigError('--all and project names exclude each other');
        const { bucket, prefix } = ctx.bucket();
        const policy = ctx.policy;
        const fw = livePolicies(flags, policy, cfg);
        const publisher = flags.dryRun ? undefined : ctx.publisher();
        try {
          const r = await releaseRevocations(
            {
              store: ctx.store(),
              bucket,
              prefix,
              policies: fw.policies,
              publisher: publisher ?? { publish: async () => 'dry-run' },
              changesTopic: cfg.changesTopic,
              policy,
              clock: ctx.clock,
              watchedPrefix: cfg.manifestPrefix,
              logger: jsonLogger({ component: 'egress-release' }, (l) => process.stderr.write(`${l}\n`)),
            },
            { projects, all: !!flags.all, dryRun: !!flags.dryRun },
          );
          if (flags.format === 'json') process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
          else process.stdout.write(releaseText(r, !!flags.dryRun));
          const notHeld = r.items.some((i) => i.status === 'not-held');
          setExit(r.refused || r.failed || notHeld ? EXIT_INVALID : EXIT_OK);
        } finally {
          await fw.close();
        }
      } catch (e) {
        if (e instanceof CliConfigError) throw new UsageError(e.message);
        throw e;
      } finally {
        await ctx.close();
      }
    });
}
