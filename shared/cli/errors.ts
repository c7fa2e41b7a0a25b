/**
 * The one wording of the errors a user (or an assistant) can act on, and the CLI's one top-level error handling.
 * A known user-facing error is a message naming the value, and the hint: the CLI commands print it after `error: `
 * and exit 2; the MCP tools return it as a tool error (`isError`). Every other failure a command lets escape becomes
 * ONE line on stderr naming the fix (a stack trace only with `--verbose`), stray rejections of the Google clients'
 * background promises are caught, and the metadata-server warnings of the Google auth library are kept off the
 * terminal (shown with `--verbose`).
 */
import { refusedLocalEndpoint } from '../adapters/clientErrors';
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

/** `error: MESSAGE`, as `egress` prints it on stderr (and `egress mcp` returns it): the usage message, else the failure's one line. */
export function errorText(e: unknown): string {
  const u = asUsageError(e);
  return `error: ${u ? u.message : describeFailure(e)}`;
}

/** The fix printed when the Google clients find no credentials (ADC) and no local endpoints are configured. */
export const CREDENTIALS_HINT =
  'run `gcloud auth application-default login` (Google), or point the CLI at the local stack: ' +
  '`set -a; . .local/cli.env; set +a` (written by `npm start`)';

/**
 * The google-auth-library messages for "no credentials" (GoogleAuthExceptionMessages NO_ADC_FOUND,
 * NO_CREDENTIALS_FOUND, NO_PROJECT_ID_FOUND): matched on their stable opening words, also when an adapter wrapped them.
 */
const NO_CREDENTIALS = [
  /Could not load the default credentials/i,
  /Unable to find credentials in current environment/i,
  /Unable to detect a Project Id in the current environment/i,
];

/** The message of an Error or of an `{message}` record (a sync report's error), else the value as text. */
function messageOf(e: unknown): string {
  const m = typeof e === 'object' && e !== null ? (e as { message?: unknown }).message : undefined;
  return typeof m === 'string' ? m : String(e);
}

function messageChain(err: unknown): string[] {
  const out: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 5 && e; i++) {
    out.push(messageOf(e));
    e = typeof e === 'object' && e !== null ? (e as { cause?: unknown }).cause : undefined;
  }
  return out;
}

/** True when `err` (or its cause) is the Google auth library's "no credentials" failure. */
export function isMissingCredentials(err: unknown): boolean {
  return messageChain(err).some((m) => NO_CREDENTIALS.some((re) => re.test(m)));
}

/** The fix printed when a local endpoint (npm start's fakes, the emulator) refuses connections: a stale cli.env. */
export const STOPPED_STACK_HINT =
  'is `npm start` running? source the new cli.env (`set -a; . .local/cli.env; set +a`; its ports change at each start)';

/** A failure line is cut here: a client's message can carry every retried error (9 KB once). */
const MAX_LINE = 300;

/**
 * The one line printed for a failure: the credentials fix, the stopped local stack (the refused endpoint named), or
 * the first line of its message, cut to MAX_LINE characters.
 */
export function describeFailure(err: unknown): string {
  if (isMissingCredentials(err)) return `no Google credentials found: ${CREDENTIALS_HINT}`;
  const refused = refusedLocalEndpoint(err);
  if (refused) return `nothing answers at ${refused} (connection refused): ${STOPPED_STACK_HINT}`;
  const msg = messageOf(err);
  const first = (msg.split('\n').find((l) => l.trim()) ?? msg).trim();
  const line = first.length > MAX_LINE ? `${first.slice(0, MAX_LINE - 1)}…` : first;
  return line || (err instanceof Error ? err.name : 'unknown error');
}

/** The stack (or message) of a failure, for `--verbose`. */
export function failureDetail(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/** True for the warnings gcp-metadata emits while probing for the metadata server (MetadataLookupWarning). */
function isMetadataWarning(warning: unknown, rest: unknown[]): boolean {
  const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
  return type === 'MetadataLookupWarning' || (warning instanceof Error && warning.name === 'MetadataLookupWarning');
}

/**
 * Guards one CLI run: collects unhandled rejections (a Google client's stub promise rejects on its own when the
 * credentials are missing; without a handler Node prints its stack and exits) and filters metadata warnings.
 * `restore()` waits one macrotask (Node reports unhandled rejections after the microtask queue drains), removes both
 * and returns the stray rejections.
 */
export function guardRun(verbose: boolean, err: (s: string) => void): { restore(): Promise<unknown[]> } {
  const stray: unknown[] = [];
  const onRejection = (reason: unknown) => {
    stray.push(reason);
  };
  process.on('unhandledRejection', onRejection);
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (isMetadataWarning(warning, rest)) {
      if (verbose) err(`warning: ${warning instanceof Error ? warning.message : warning}\n`);
      return;
    }
    return (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  return {
    async restore() {
      await new Promise((resolve) => setImmediate(resolve));
      process.off('unhandledRejection', onRejection);
      process.emitWarning = emit;
      return stray;
    },
  };
}
