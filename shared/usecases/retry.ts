/**
 * In-process retries of transient API failures (429, 403 rateLimitExceeded, 5xx, timeouts: a `PortError` its adapter classified `transient`)
 * with capped exponential backoff and jitter on the Clock port. When the attempts are spent the last error is
 * rethrown: the caller lets it escape so Pub/Sub redelivers the event later (a longer, server-side backoff).
 */
import type { Clock } from '../ports/clock';
import { isTransient } from '../ports/errors';

/** Tunables of `withRetry`; the defaults keep a whole apply well inside a function's 60 s timeout. */
export interface RetryOptions {
  /** Total tries, the first included (default 5). */
  attempts?: number;
  /** Backoff before the 2nd try (default 500 ms); doubles each time. */
  baseMs?: number;
  /** Ceiling of one backoff (default 8 s). */
  capMs?: number;
  /** Jitter source in [0, 1) (default Math.random); injectable for tests. */
  random?: () => number;
}

/** The one classification (ports/errors.ts): a port error its adapter marked transient. Re-exported for callers. */
export { isTransient };

/** Backoff before try `attempt + 1` (attempt from 1): half fixed, half jittered, never above `capMs`. */
export function backoffMs(attempt: number, opts: RetryOptions = {}): number {
  const base = opts.baseMs ?? 500;
  const cap = opts.capMs ?? 8_000;
  const d = Math.min(cap, base * 2 ** (attempt - 1));
  return Math.round(d / 2 + ((opts.random ?? Math.random)() * d) / 2);
}

/** Runs `fn`, retrying transient failures; `onRetry` sees each failure that will be retried (for logs). */
export async function withRetry<T>(
  fn: () => Promise<T>,
  opts: RetryOptions & { clock: Clock; onRetry?: (err: unknown, attempt: number, delayMs: number) => void },
): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? 5);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err) || attempt >= attempts) throw err;
      const delay = backoffMs(attempt, opts);
      opts.onRetry?.(err, attempt, delay);
      await opts.clock.sleep(delay);
    }
  }
}
