/**
 * The one wording of the errors a user (or an assistant) can act on: a message naming the value, and the hint. The
 * CLI commands print it after `error: ` and exit 2; the MCP tools return it as a tool error (`isError`).
 */
import { ExplainArgumentError } from '../core/explain';
import { CliConfigError } from '../runtime/cliClients';
import { DraftRefusedError } from '../usecases/draftChange';
import { ProbeDestinationError } from '../usecases/probe';
import { UsageError } from './exit';

/** The usage error for a known user-facing failure, or undefined for anything else (a failure, not a usage). */
export function asUsageError(e: unknown): UsageError | undefined {
  if (e instanceof UsageError) return e;
  if (e instanceof CliConfigError || e instanceof ProbeDestinationError) return new UsageError(e.message);
  if (e instanceof ExplainArgumentError || e instanceof DraftRefusedError)
    return new UsageError(`${e.message} (hint: ${e.hint})`);
  return undefined;
}

/** `error: MESSAGE`, as `egress` prints it on stderr. */
export function errorText(e: unknown): string {
  const u = asUsageError(e);
  return `error: ${u ? u.message : e instanceof Error ? e.message : String(e)}`;
}
