/** The `egress` CLI: parses arguments with commander and maps outcomes to exit codes 0 (ok), 1 (invalid/failed), 2 (usage). */
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, UsageError } from './exit';

// Re-exported for callers of the CLI; command modules import them from './exit' (no import cycle through main).
export { EXIT_INVALID, EXIT_OK, EXIT_USAGE, UsageError };

/** Builds the program; each command's action stores its exit code through `setExit`. */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('egress')
    .description('Validate, plan, apply and diagnose per-project egress allow-lists (infrastream-egress)')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: (str, write) => write(str) });
  registerCommands(program, setExit);
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Runs the CLI on `argv` (process.argv form) and resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  let code = EXIT_OK;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
        return EXIT_OK;
      return EXIT_USAGE;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_INVALID;
  }
}
