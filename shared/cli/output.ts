/**
 * Who writes what on the CLI's stderr, decided once, so log lines never interleave with text output or a progress
 * bar: the use cases' JSON log lines go to stderr when stderr is not a terminal (a Cloud Run job's log collector, CI,
 * a redirect) or with `--verbose`; on a terminal without `--verbose` they are dropped (the text output says the same
 * in words). With `--verbose` on a terminal the progress bar gives way to whole progress lines.
 */
import type { Logger } from '../ports/logger';
import { jsonLogger } from '../runtime/logger';
import type { ProgressStream } from './progress';

let verbose = false;

/** Set by main() for the duration of one run. */
export function setVerbose(v: boolean): void {
  verbose = v;
}

/** True while the running command was given `--verbose`. */
export function isVerbose(): boolean {
  return verbose;
}

/** The JSON logger of a CLI command (see the file comment for when it writes). */
export function cliLogger(component: string, stream: ProgressStream = process.stderr): Logger {
  if (stream.isTTY && !verbose) return { log: () => undefined };
  return jsonLogger({ component }, (l) => stream.write(`${l}\n`));
}

/** The stream a progress bar draws on: a terminal only when no log lines can be written to it (not `--verbose`). */
export function progressStream(stream: ProgressStream): ProgressStream {
  if (!verbose || !stream.isTTY) return stream;
  return { isTTY: false, write: (chunk: string) => stream.write(chunk) };
}
