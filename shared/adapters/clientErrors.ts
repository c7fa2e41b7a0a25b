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
