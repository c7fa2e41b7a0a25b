/**
 * LogsPort over the official @google-cloud/logging client. With an endpoint (`http://127.0.0.1:PORT`) the client uses
 * its REST transport (`fallback: true`) against the fake Cloud Logging with a dummy API key; without one it talks to
 * Google with Application Default Credentials.
 */
import type { LogEntryJson } from '../core/diagnose/logEntries';
import { type LogQuery, LogsApiError, type LogsPort } from '../ports/logs';
import { GRPC_STATUS_NAMES, gaxCallOptions } from './clientErrors';

/** Options of `cloudLogging`. */
export interface LoggingClientOptions {
  /** The project the client bills to and writes under by default. */
  projectId: string;
  /** `http://127.0.0.1:PORT` for the fake; empty for Google. */
  endpoint?: string;
  /** A deadline per call, retries included (the CLI's EGRESS_CALL_TIMEOUT); default: the client's own. */
  deadlineMs?: number;
}

const PAGE = 1000;

/**
 * The client's error → LogsApiError with the API's message. google-gax 6 parses REST error bodies itself (gRPC `code`
 * number, the API's message); older clients left the JSON body in `message`, which is still read when present.
 */
function apiError(e: unknown): LogsApiError {
  const x = e as { message?: string; code?: number; status?: unknown; details?: string };
  let message = String(x?.message ?? e);
  let status =
    typeof x?.status === 'string'
      ? x.status
      : typeof x?.code === 'number' && x.code < 100
        ? (GRPC_STATUS_NAMES[x.code] ?? 'UNKNOWN')
        : 'UNKNOWN';
  try {
    const body = JSON.parse(message) as { error?: { message?: string; status?: string } };
    if (body.error?.message) message = body.error.message;
    if (body.error?.status) status = body.error.status;
  } catch {
    // Not a JSON body: keep the client's message.
  }
  // The client's error as the cause: the CLI reads a refused local endpoint from it (shared/cli/errors.ts).
  return Object.assign(new LogsApiError(message, status, Number(x?.code ?? 0)), { cause: e });
}

/** The adapter. The client is loaded on first use (it is heavy and only diagnosis needs it). */
export function cloudLogging(opts: LoggingClientOptions): LogsPort {
  const { Logging } = require('@google-cloud/logging') as typeof import('@google-cloud/logging');
  let clientOpts: ConstructorParameters<typeof Logging>[0] = { projectId: opts.projectId };
  if (opts.endpoint) {
    const u = new URL(opts.endpoint);
    clientOpts = {
      projectId: opts.projectId,
      apiEndpoint: u.hostname,
      port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
      protocol: u.protocol.replace(':', ''),
      apiKey: 'fake',
      fallback: true,
      // As for Compute (adapters/compute.ts): Node's fetch instead of gaxios' dynamic import of node-fetch.
      clientOptions: { transporterOptions: { fetchImplementation: fetch } },
    } as typeof clientOpts;
  }
  const logging = new Logging(clientOpts);
  // No retry of a refused local endpoint, a deadline against Google (clientErrors.ts).
  const gaxOptions = gaxCallOptions(opts.endpoint, opts.deadlineMs) as Record<string, unknown>;
  return {
    async write(entries) {
      try {
        await writeAll(entries);
      } catch (e) {
        throw apiError(e);
      }
    },
    async list(q: LogQuery) {
      try {
        return await listAll(q);
      } catch (e) {
        throw apiError(e);
      }
    },
    async close() {
      // The client keeps no sockets open between calls in REST mode; nothing to release explicitly.
    },
  };

  async function writeAll(entries: LogEntryJson[]): Promise<void> {
    const byLog = new Map<string, LogEntryJson[]>();
    for (const e of entries) byLog.set(e.logName, [...(byLog.get(e.logName) ?? []), e]);
    for (const [name, list] of byLog) {
      const log = logging.log(name);
      await log.write(
        list.map((e) =>
          log.entry(
            {
              resource: e.resource,
              timestamp: new Date(e.timestamp),
              ...(e.severity ? { severity: e.severity } : {}),
              ...(e.insertId ? { insertId: e.insertId } : {}),
            },
            e.jsonPayload,
          ),
        ),
        // Every entry names its own resource. A write-level default keeps the client from detecting one from the
        // environment (a GCE metadata-server probe that prints a MetadataLookupWarning off Google Cloud).
        { resource: list[0]!.resource, gaxOptions },
      );
    }
  }

  async function listAll(q: LogQuery): Promise<LogEntryJson[]> {
    const out: LogEntryJson[] = [];
    const max = q.maxEntries ?? 10_000;
    let pageToken: string | undefined;
    do {
      const [entries, next] = await logging.getEntries({
        resourceNames: q.resourceNames,
        filter: q.filter,
        orderBy: q.orderBy ?? 'timestamp desc',
        pageSize: Math.min(PAGE, max - out.length),
        autoPaginate: false,
        gaxOptions,
        ...(pageToken ? { pageToken } : {}),
      });
      for (const e of entries) {
        const m = e.metadata;
        const ts = m.timestamp;
        out.push({
          logName: String(m.logName ?? ''),
          resource: {
            type: String(m.resource?.type ?? ''),
            labels: (m.resource?.labels ?? {}) as Record<string, string>,
          },
          timestamp: ts instanceof Date ? ts.toISOString() : new Date(String(ts)).toISOString(),
          ...(m.severity !== undefined && m.severity !== null ? { severity: String(m.severity) } : {}),
          ...(m.insertId ? { insertId: String(m.insertId) } : {}),
          jsonPayload: (e.data && typeof e.data === 'object' ? e.data : {}) as Record<string, unknown>,
        });
      }
      pageToken = (next as { pageToken?: string } | null)?.pageToken || undefined;
    } while (pageToken && out.length < max);
    return out;
  }
}
