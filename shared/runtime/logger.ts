/** Cloud-Logging-shaped JSON logs: one object per line with `severity`, `message` and context fields. */
import type { Logger, LogSeverity } from '../ports/logger';

/** Writes one JSON line per entry to `write` (stdout by default), as Cloud Run / Functions forward it to Cloud Logging. */
export function jsonLogger(
  base: Record<string, unknown> = {},
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Logger {
  return {
    log(severity: LogSeverity, message: string, fields: Record<string, unknown> = {}) {
      write(JSON.stringify({ severity, message, ...base, ...fields }));
    },
  };
}
