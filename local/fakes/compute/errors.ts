/**
 * Errors of the fake Compute API, shaped as the real API returns them on the REST wire:
 * `{"error":{"code":409,"message":"…","errors":[{"domain":"global","reason":"alreadyExists","message":"…"}]}}`.
 * One class serves the engine, the fake client (which converts it to the error the real client throws) and the
 * REST server (which writes `restBody()` with `status`).
 */

/** The legacy Compute error reasons the fake produces (the `errors[].reason` field). */
export type ComputeReason =
  | 'invalid'
  | 'required'
  | 'notFound'
  | 'alreadyExists'
  | 'conditionNotMet'
  | 'rateLimitExceeded'
  | 'quotaExceeded'
  | 'backendError'
  | 'internalError'
  | 'resourceNotReady'
  /** Resource Manager's PERMISSION_DENIED (a tag value that does not exist, directory.ts). */
  | 'forbidden';

/** A Compute API failure: HTTP status + legacy reason + message (+ domain, `global` unless a quota/rate error). */
export class ComputeApiError extends Error {
  constructor(
    /** HTTP status code (400, 403, 404, 409, 412, 429, 500, 503…). */
    readonly status: number,
    readonly reason: ComputeReason | string,
    message: string,
    readonly domain: string = reason === 'rateLimitExceeded' ? 'usageLimits' : 'global',
  ) {
    super(message);
    this.name = 'ComputeApiError';
  }

  /** The JSON body the real API sends with this status. */
  restBody(): {
    error: { code: number; message: string; errors: { domain: string; reason: string; message: string }[] };
  } {
    return {
      error: {
        code: this.status,
        message: this.message,
        errors: [{ domain: this.domain, reason: this.reason, message: this.message }],
      },
    };
  }
}

/** The reason phrase of the HTTP status (what Node and Google's front end send; also `httpErrorMessage` of operations). */
export function statusText(status: number): string {
  const texts: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    409: 'Conflict',
    412: 'Precondition Failed',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    503: 'Service Unavailable',
  };
  return texts[status] ?? 'Error';
}

/** 400 `invalid`: `Invalid value for field 'FIELD': 'VALUE'. WHY` (the wording of Compute's INVALID_FIELD_VALUE). */
export function invalidField(field: string, value: unknown, why: string): ComputeApiError {
  const v = typeof value === 'string' ? value : JSON.stringify(value);
  return new ComputeApiError(400, 'invalid', `Invalid value for field '${field}': '${v}'. ${why}`);
}

/** 400 `required`: `Required field 'FIELD' not specified` (Compute's MISSING_REQUIRED_FIELD). */
export function requiredField(field: string): ComputeApiError {
  return new ComputeApiError(400, 'required', `Required field '${field}' not specified`);
}

/** 404 `notFound`: `The resource 'LINK' was not found`. */
export function notFound(resource: string): ComputeApiError {
  return new ComputeApiError(404, 'notFound', `The resource '${resource}' was not found`);
}
