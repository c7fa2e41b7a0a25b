/** Structured logging port: one JSON object per line as Cloud Logging reads it (see runtime/logger). */
export type LogSeverity = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR';

export interface Logger {
  log(severity: LogSeverity, message: string, fields?: Record<string, unknown>): void;
}

/** A logger that drops everything (tests, quiet CLI paths). */
export const nullLogger: Logger = { log: () => undefined };
