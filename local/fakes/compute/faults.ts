/**
 * The fake Compute's injected faults: failing calls, failing operations, latency, a crash after k writes and a write
 * quota. The engine asks before each call (`beforeCall`), before accepting each write (`beforeWrite`) and when it
 * creates an operation (`operationError`); faults are not state (never persisted).
 */
import type { Clock } from '../../../shared/ports/clock';
import { ComputeApiError, statusText } from './errors';
import type { FailureFault, Method, OperationFault, OperationRecord } from './types';

/** The queue of faults of one engine. */
export class Faults {
  private failures: FailureFault[] = [];
  private opFailures: OperationFault[] = [];
  /** Every call first sleeps this long on the engine clock. */
  latencyMs = 0;
  private crash: { after: number; accepted: number } | undefined;
  private writeQuota: { perMinute: number; status: 403 | 429; times: number[] } | undefined;

  constructor(private readonly clock: Clock) {}

  failNext(fault: FailureFault): void {
    this.failures.push({ ...fault });
  }

  failOperations(fault: OperationFault): void {
    this.opFailures.push({ ...fault });
  }

  crashAfterWrites(k: number): void {
    this.crash = { after: k, accepted: 0 };
  }

  setWriteQuota(perMinute: number, status: 403 | 429): void {
    this.writeQuota = { perMinute, status, times: [] };
  }

  clear(): void {
    this.failures = [];
    this.opFailures = [];
    this.latencyMs = 0;
    this.crash = undefined;
    this.writeQuota = undefined;
  }

  /** Throws the next queued failure matching `method` (consuming one of its count). */
  beforeCall(method: Method): void {
    const i = this.failures.findIndex((f) => !f.methods || f.methods.includes(method));
    const f = this.failures[i];
    if (!f) return;
    if (--f.count <= 0) this.failures.splice(i, 1);
    // A rate limit carries Compute's own wording (clients since google-gax 6 classify a 403 by it).
    const text = f.reason === 'rateLimitExceeded' ? 'Rate Limit Exceeded' : `Injected failure: ${statusText(f.status)}`;
    throw new ComputeApiError(f.status, f.reason, f.message ?? text);
  }

  /** Throws rateLimitExceeded over the write quota, or backendError once crashed; else counts the write. */
  beforeWrite(): void {
    if (this.writeQuota) {
      const now = this.clock.now();
      this.writeQuota.times = this.writeQuota.times.filter((t) => t > now - 60_000);
      if (this.writeQuota.times.length >= this.writeQuota.perMinute) {
        throw new ComputeApiError(
          this.writeQuota.status,
          'rateLimitExceeded',
          `Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute' of service 'compute.googleapis.com'.`,
        );
      }
      this.writeQuota.times.push(now);
    }
    if (this.crash && this.crash.accepted >= this.crash.after) {
      throw new ComputeApiError(503, 'backendError', 'The service is currently unavailable.');
    }
  }

  /** Records an accepted write (towards `crashAfterWrites`). */
  accepted(): void {
    if (this.crash) this.crash.accepted++;
  }

  /** The error the next new operation ends with, if an operation fault is queued (consuming one of its count). */
  operationError(): OperationRecord['error'] {
    const fault = this.opFailures[0];
    if (!fault) return undefined;
    if (--fault.count <= 0) this.opFailures.shift();
    return {
      code: fault.code ?? 'INTERNAL_ERROR',
      message: fault.message ?? 'Internal error. Please try again or contact Google Support.',
      httpStatus: fault.httpStatus ?? 500,
    };
  }
}
