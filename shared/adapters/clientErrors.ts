/**
 * Classifies raw failures of the Google clients for the adapters, which turn them into port errors
 * (ports/errors.ts): GCS errors carry the HTTP status in `code`; Pub/Sub (gRPC) errors carry a gRPC status code
 * (0-16) in `code`; network errors carry an errno string. Only adapters import this: use cases read
 * `isTransient` of the port error and never these shapes.
 */
import { PortError } from '../ports/errors';

/** gRPC codes worth a retry: CANCELLED, UNKNOWN, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNAVAILABLE. */
const GRPC_TRANSIENT = new Set([1, 2, 4, 8, 10, 13, 14]);

/** The canonical gRPC status names by code (google.rpc.Code), as Google's REST errors spell them in `status`. */
export const GRPC_STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

/** errno codes of a dropped or refused connection (transient; no HTTP status was received). */
export const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

function numeric(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return undefined;
}

/** The HTTP status or gRPC code of an error as the Google clients report it, when there is one. */
export function errorStatus(err: unknown): { http?: number; grpc?: number; errno?: string } {
  if (typeof err !== 'object' || err === null) return {};
  const e = err as { code?: unknown; status?: unknown; response?: { status?: unknown }; cause?: unknown };
  const code = numeric(e.code);
  if (code !== undefined) return code >= 100 ? { http: code } : { grpc: code };
  if (typeof e.code === 'string' && e.code) return { errno: e.code };
  const status = numeric(e.status) ?? numeric(e.response?.status);
  if (status !== undefined && status >= 100) return { http: status };
  if (e.cause && e.cause !== err) return errorStatus(e.cause);
  return {};
}

/**
 * True for failures a later retry may fix: HTTP 408/429/5xx, the transient gRPC codes, network errors, and errors
 * with no classification at all (an I/O failure we cannot read is safer retried than dropped). False for
 * permanent API answers (400, 401, 403, 404, 412, gRPC INVALID_ARGUMENT/NOT_FOUND/PERMISSION_DENIED…) and for
 * programming errors (TypeError, RangeError…), which would fail the same way forever.
 */
export function isTransientClientError(err: unknown): boolean {
  // An error already classified (a port error) keeps its classification.
  if (err instanceof PortError) return err.transient;
  // A local endpoint (npm start's) that refuses connections: the stack is stopped, no retry will fix it.
  if (refusedLocalEndpoint(err)) return false;
  const s = errorStatus(err);
  if (s.http !== undefined) return s.http === 408 || s.http === 429 || s.http >= 500;
  if (s.grpc !== undefined) return GRPC_TRANSIENT.has(s.grpc);
  // Node's own `ERR_*` codes are programming errors (bad arguments), except the stream/socket ones listed above.
  if (s.errno !== undefined) return NETWORK_CODES.has(s.errno) || !s.errno.startsWith('ERR_');
  if (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError) return false;
  if (err instanceof ReferenceError) return false;
  return true;
}

/**
 * The port error for a raw client failure (a port error passes through): same message, the raw error as `cause`.
 * `make` builds the port's own subclass.
 */
export function classifyClientError<E extends PortError>(
  err: unknown,
  make: (message: string, transient: boolean, cause: unknown) => E,
): E | PortError {
  if (err instanceof PortError) return err;
  return make(err instanceof Error ? err.message : String(err), isTransientClientError(err), err);
}

/** True for an endpoint on this machine (`http://127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT`): npm start's fakes. */
export function isLoopbackEndpoint(endpoint: string | undefined): boolean {
  if (!endpoint) return false;
  let host: string;
  try {
    host = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`).hostname;
  } catch {
    return false;
  }
  return isLoopbackHost(host);
}

function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}

/** `connect ECONNREFUSED 127.0.0.1:4443` as Node words a refused connection (also inside the clients' messages). */
const REFUSED = /connect ECONNREFUSED (\[?[0-9a-fA-F:.]+\]?|localhost):(\d+)/;

/**
 * The `host:port` of a refused connection to this machine anywhere in the error, its message or its causes: a
 * local endpoint (npm start's fake or emulator) that is not running, which no retry will fix. Undefined otherwise.
 */
export function refusedLocalEndpoint(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 6 && e; i++) {
    if (typeof e === 'object') {
      const x = e as { code?: unknown; address?: unknown; port?: unknown; message?: unknown; cause?: unknown };
      if (x.code === 'ECONNREFUSED' && typeof x.address === 'string' && isLoopbackHost(x.address))
        return `${x.address.includes(':') ? `[${x.address}]` : x.address}:${String(x.port ?? '')}`;
      const m = typeof x.message === 'string' ? REFUSED.exec(x.message) : null;
      if (m && isLoopbackHost(m[1]!)) return `${m[1]}:${m[2]}`;
      e = x.cause !== e ? x.cause : undefined;
    } else {
      const m = REFUSED.exec(String(e));
      return m && isLoopbackHost(m[1]!) ? `${m[1]}:${m[2]}` : undefined;
    }
  }
  return undefined;
}

/**
 * Per-call options of the gax clients (Compute, Pub/Sub pull, Cloud Logging) for an endpoint. On this machine, no
 * retry: the clients retry a refused connection as UNAVAILABLE for up to 600 s (google-gax `retryable`, the services'
 * `idempotent` retry codes), but a local endpoint that refuses is a stopped stack, not a blip. Against Google,
 * `deadlineMs` bounds each call with its retries (gax's `timeout`).
 */
export function gaxCallOptions(endpoint: string | undefined, deadlineMs?: number): { retry?: null; timeout?: number } {
  if (isLoopbackEndpoint(endpoint)) return { retry: null, ...(deadlineMs ? { timeout: deadlineMs } : {}) };
  return deadlineMs ? { timeout: deadlineMs } : {};
}

/**
 * Against Google, credentials first: a gax client without Application Default Credentials rejects its stub's promise
 * as well as the call, and that second rejection is observed by nobody; asking the auth library first fails the call
 * at once, alone, with the library's "Could not load the default credentials" (shared/cli/errors.ts words it). Local
 * endpoints take an API key: nothing to ask.
 */
export function credentialsFirst(
  client: { auth?: { getClient(): Promise<unknown> } },
  endpoint: string | undefined,
): () => Promise<void> {
  let asked: Promise<unknown> | undefined;
  return async () => {
    if (endpoint || !client.auth) return;
    asked ??= client.auth.getClient();
    try {
      await asked;
    } catch (err) {
      asked = undefined;
      throw err;
    }
  };
}
