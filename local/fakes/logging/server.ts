/**
 * A fake Cloud Logging v2 REST server that the real @google-cloud/logging client talks to with `fallback: true`
 * (HTTP/1.1 + JSON, the transport google-gax offers besides gRPC): `POST /v2/entries:write` and `POST /v2/entries:list`
 * with resourceNames `projects/P`, the filter subset of filter.ts, orderBy `timestamp asc|desc`, pageSize (default 50,
 * at most 1000) and opaque page tokens. What it does not support is a 400 INVALID_ARGUMENT naming it. Projects in
 * `unreadable` answer `entries:list` with 403 PERMISSION_DENIED, as Logging does for a caller without
 * `logging.logEntries.list` on them (tests of "reading the logs was denied").
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FilterError, parseFilter } from './filter';
import { LogStore, type StoredEntry } from './store';

/** A running fake. */
export interface FakeLoggingServer {
  url: string;
  store: LogStore;
  /** Requests served, by method (`write`, `list`). */
  calls: { write: number; list: number };
  /** Projects whose entries the caller may not list (403 PERMISSION_DENIED); add or remove at any time. */
  unreadable: Set<string>;
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly status: string,
    message: string,
  ) {
    super(message);
  }
}

const LOG_NAME = /^projects\/([^/]+)\/logs\/([^/]+)$/;
const MAX_PAGE = 1000;

function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((ok, fail) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c) => {
      s += c;
    });
    req.on('end', () => {
      try {
        const v = s ? JSON.parse(s) : {};
        if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
        ok(v as Record<string, unknown>);
      } catch {
        fail(new ApiError(400, 'INVALID_ARGUMENT', 'request body is not a JSON object'));
      }
    });
    req.on('error', fail);
  });
}

function write(store: LogStore, body: Record<string, unknown>): Record<string, unknown> {
  const entries = body.entries;
  if (!Array.isArray(entries) || entries.length === 0)
    throw new ApiError(400, 'INVALID_ARGUMENT', 'entries: at least one log entry is required');
  const out: Record<string, unknown>[] = [];
  for (const [i, raw] of entries.entries()) {
    const e = raw as Record<string, unknown>;
    const logName = (e.logName ?? body.logName) as string | undefined;
    if (!logName || !LOG_NAME.test(logName))
      throw new ApiError(
        400,
        'INVALID_ARGUMENT',
        `entries[${i}].logName ${JSON.stringify(logName)} is not projects/P/logs/L`,
      );
    const resource = (e.resource ?? body.resource) as Record<string, unknown> | undefined;
    if (!resource?.type) throw new ApiError(400, 'INVALID_ARGUMENT', `entries[${i}].resource.type is required`);
    const labels = { ...((body.labels as object) ?? {}), ...((e.labels as object) ?? {}) };
    out.push({
      ...e,
      logName,
      resource,
      labels,
      timestamp: typeof e.timestamp === 'string' ? e.timestamp : new Date().toISOString(),
    });
  }
  store.append(out);
  return {};
}

function queryKey(body: Record<string, unknown>): string {
  return createHash('sha256')
    .update(JSON.stringify([body.resourceNames, body.filter ?? '', body.orderBy ?? '']))
    .digest('hex')
    .slice(0, 16);
}

function list(store: LogStore, body: Record<string, unknown>, unreadable: Set<string>): Record<string, unknown> {
  const names = body.resourceNames;
  if (!Array.isArray(names) || names.length === 0)
    throw new ApiError(400, 'INVALID_ARGUMENT', 'resourceNames: at least one parent resource is required');
  const projects = names.map((n) => {
    const m = /^projects\/([^/]+)$/.exec(String(n));
    if (!m)
      throw new ApiError(400, 'INVALID_ARGUMENT', `resourceNames: ${n} is not supported by the fake (projects/P only)`);
    return m[1]!;
  });
  const refused = projects.find((p) => unreadable.has(p));
  if (refused)
    throw new ApiError(
      403,
      'PERMISSION_DENIED',
      `Permission 'logging.logEntries.list' denied on resource projects/${refused} (or it may not exist).`,
    );
  const orderBy = String(body.orderBy ?? '') || 'timestamp asc';
  if (orderBy !== 'timestamp asc' && orderBy !== 'timestamp desc')
    throw new ApiError(
      400,
      'INVALID_ARGUMENT',
      `orderBy ${JSON.stringify(orderBy)}: only "timestamp asc" and "timestamp desc" are permitted`,
    );
  const pageSize = body.pageSize === undefined ? 50 : Number(body.pageSize);
  if (!Number.isInteger(pageSize) || pageSize < 0 || pageSize > MAX_PAGE)
    throw new ApiError(400, 'INVALID_ARGUMENT', `pageSize ${body.pageSize} must be between 0 and ${MAX_PAGE}`);
  let predicate: (e: Record<string, unknown>) => boolean;
  try {
    predicate = parseFilter(String(body.filter ?? ''));
  } catch (e) {
    if (e instanceof FilterError) throw new ApiError(400, 'INVALID_ARGUMENT', e.message);
    throw e;
  }
  const key = queryKey(body);
  let offset = 0;
  if (body.pageToken) {
    const [k, o] = Buffer.from(String(body.pageToken), 'base64url').toString().split(':');
    if (k !== key || !/^\d+$/.test(o ?? ''))
      throw new ApiError(400, 'INVALID_ARGUMENT', 'pageToken does not belong to this query');
    offset = Number(o);
  }
  const matching = store
    .all()
    .filter((e) => projects.includes(LOG_NAME.exec(e.logName)?.[1] ?? '') && predicate(e))
    .map((e, i) => ({ e, i, t: Date.parse(e.timestamp) }))
    .sort((a, b) => (orderBy === 'timestamp asc' ? a.t - b.t : b.t - a.t) || a.i - b.i)
    .map((x) => x.e as StoredEntry);
  const size = pageSize || 50;
  const page = matching.slice(offset, offset + size);
  const next = offset + size < matching.length ? Buffer.from(`${key}:${offset + size}`).toString('base64url') : '';
  return { entries: page, ...(next ? { nextPageToken: next } : {}) };
}

/** Starts the fake on 127.0.0.1 (a free port unless given). `stateFile` persists the entries. */
export async function startFakeLogging(
  opts: { port?: number; stateFile?: string; store?: LogStore } = {},
): Promise<FakeLoggingServer> {
  const store = opts.store ?? new LogStore(opts.stateFile);
  const calls = { write: 0, list: 0 };
  const unreadable = new Set<string>();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    try {
      if (req.method !== 'POST' || (path !== '/v2/entries:write' && path !== '/v2/entries:list'))
        throw new ApiError(
          404,
          'NOT_FOUND',
          `${req.method} ${path} is not served by the fake (entries:write, entries:list)`,
        );
      const body = await readBody(req);
      const isWrite = path === '/v2/entries:write';
      calls[isWrite ? 'write' : 'list']++;
      const out = isWrite ? write(store, body) : list(store, body, unreadable);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(500, 'INTERNAL', (e as Error).message);
      res
        .writeHead(err.code, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: err.code, message: err.message, status: err.status } }));
    }
  };
  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    store,
    calls,
    unreadable,
    close: () =>
      new Promise((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
