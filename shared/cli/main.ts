/** The `egress` CLI: parses arguments with commander and maps outcomes to exit codes 0 (ok), 1 (invalid/failed), 2 (usage). */
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands';
import { errorText, failureDetail, guardRun } from './errors';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, UsageError } from './exit';
import { setVerbose } from './output';
import { waitingLine } from './progress';
import { packageVersion } from './version';

// Re-exported for callers of the CLI; command modules import them from './exit' (no import cycle through main).
export { EXIT_INVALID, EXIT_OK, EXIT_USAGE, packageVersion, UsageError };

/** Builds the program; each command's action stores its exit code through `setExit`. */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('egress')
    .description('Validate, plan, apply and diagnose per-project egress allow-lists (infrastream-egress)')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--verbose', 'on failure, print the stack trace and the Google libraries’ warnings')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: (str, write) => write(str) });
  registerCommands(program, setExit);
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** `--verbose` anywhere before a `--` (commander reads program options after the subcommand too). */
function wantsVerbose(argv: string[]): boolean {
  const args = argv.slice(2);
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).includes('--verbose');
}

/**
 * Runs the CLI on `argv` (process.argv form) and resolves with the exit code. The one top-level handler: whatever a
 * command lets escape is one line on stderr (shared/cli/errors.ts names the fix for missing credentials); `--verbose`
 * adds the stack trace.
 */
export async function main(argv: string[]): Promise<number> {
  let code = EXIT_OK;
  const verbose = wantsVerbose(argv);
  const err = (s: string) => process.stderr.write(s);
  const guard = guardRun(verbose, err);
  setVerbose(verbose);
  const program = buildProgram((c) => {
    code = c;
  });
  let failed: unknown;
  // Progress for anything longer than 2 s (a Google call, a fleet read); `mcp` is a server, not a wait.
  const command = argv.slice(2).find((a) => !a.startsWith('-'));
  const waiting = command && command !== 'mcp' ? waitingLine({ title: `egress ${command}` }) : undefined;
  try {
    await program.parseAsync(argv);
  } catch (e) {
    failed = e;
  } finally {
    waiting?.stop();
  }
  const stray = await guard.restore();
  setVerbose(false);
  if (failed === undefined) {
    // A background promise of a client failed (e.g. a Google client's stub without credentials): the command has
    // reported the same failure already when it exited non-zero; after a "success" it is the failure to report.
    if (stray.length === 0) return code;
    if (code !== EXIT_OK) {
      if (verbose) for (const s of stray) err(`${failureDetail(s)}\n`);
      return code;
    }
    failed = stray[0];
  }
  if (failed instanceof CommanderError) {
    if (failed.code === 'commander.helpDisplayed' || failed.code === 'commander.version' || failed.exitCode === 0)
      return EXIT_OK;
    return EXIT_USAGE;
  }
  err(`${errorText(failed)}\n`);
  if (failed instanceof UsageError) return EXIT_USAGE;
  if (verbose) err(`${failureDetail(failed)}\n`);
  return EXIT_INVALID;
}
