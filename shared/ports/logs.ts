/** The narrow view of Cloud Logging diagnosis needs. Adapter: shared/adapters/logging.ts (real client, or the fake). */
import type { LogEntryJson } from '../core/diagnose/logEntries';

/** A read of `entries.list`: parents, a filter in the Logging query language, newest or oldest first. */
export interface LogQuery {
  /** `projects/P` parents. */
  resourceNames: string[];
  filter: string;
  orderBy?: 'timestamp asc' | 'timestamp desc';
  /** Stop after this many entries (pages are followed until then). */
  maxEntries?: number;
}

/** Writes and reads log entries. Errors carry the API's message (INVALID_ARGUMENT names the bad filter). */
export interface LogsPort {
  write(entries: LogEntryJson[]): Promise<void>;
  list(query: LogQuery): Promise<LogEntryJson[]>;
  close(): Promise<void>;
}

/** A Logging API failure: the API's status (`INVALID_ARGUMENT`, `PERMISSION_DENIED`…) and its own message. */
export class LogsApiError extends Error {
  constructor(
    message: string,
    /** The canonical status name; `UNKNOWN` when the error carried none. */
    readonly status: string,
    /** HTTP status, or the gRPC code when that is all there is. */
    readonly code: number,
  ) {
    super(message);
    this.name = 'LogsApiError';
  }
}
