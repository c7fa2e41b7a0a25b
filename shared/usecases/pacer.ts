/**
 * Write pacing against the Compute Engine write quota.
 *
 * Google enforces Compute rate quotas per project in synchronized one-minute intervals (a 403 `rateLimitExceeded`
 * once a group's requests in the interval reach the quota; the quota refills at the next interval). A smooth rate
 * that admits at most `perMinute` writes in ANY 60 s window also stays under every aligned window, so the pacer is a
 * GCRA token bucket (generic cell rate algorithm): one "theoretical arrival time" instead of a token counter, which
 * makes reservations synchronous (concurrent callers queue in call order) and testable on a virtual clock.
 *
 * The rate is `perMinute - headroom` per minute: a reservation of n writes is executed at once when admitted, so a
 * window can hold up to `rate + n + 1` writes; the headroom absorbs that and leaves room for other writers (a human
 * with gcloud). See docs/operations.md.
 */

import type { Clock } from '../ports/clock';
import { FirewallApiError, type FirewallPolicyPort } from '../ports/firewall';

/** Default Compute write quota (mutations per minute per project, `compute.googleapis.com/default`). */
export const DEFAULT_WRITE_QUOTA_PER_MINUTE = 1500;

/** Options of a {@link Pacer}. */
export interface PacerOptions {
  /** The write quota in writes per minute (default 1,500). */
  perMinute?: number;
  /** Writes per minute kept free below the quota (default max(10, 2% of the quota)). */
  headroom?: number;
  /** Writes that may be admitted at once before pacing starts (default 1: no burst, so a fresh minute is not overrun). */
  burst?: number;
  clock: Clock;
}

/** A GCRA token bucket over a {@link Clock}; `acquire(n)` resolves when n writes may be issued. */
export class Pacer {
  /** Milliseconds per admitted write. */
  readonly intervalMs: number;
  /** The effective rate in writes per minute. */
  readonly ratePerMinute: number;
  private readonly toleranceMs: number;
  private tat = 0;
  private pausedUntil = 0;
  private readonly clock: Clock;

  constructor(opts: PacerOptions) {
    const perMinute = opts.perMinute ?? DEFAULT_WRITE_QUOTA_PER_MINUTE;
    if (!Number.isFinite(perMinute) || perMinute <= 0)
      throw new Error(`write quota ${perMinute}/min is not a positive number (hint: --write-quota 1500)`);
    const headroom = opts.headroom ?? Math.max(10, Math.ceil(perMinute * 0.02));
    // A tiny quota cannot spare the default headroom: keep at least half of it.
    this.ratePerMinute = Math.max(perMinute / 2, perMinute - headroom);
    this.intervalMs = 60_000 / this.ratePerMinute;
    this.toleranceMs = Math.max(0, (opts.burst ?? 1) - 1) * this.intervalMs;
    this.clock = opts.clock;
    this.tat = opts.clock.now();
  }

  /** Reserves `n` writes (n may be 0: returns at once unless paused) and waits until they may be issued. */
  async acquire(n: number): Promise<void> {
    const now = this.clock.now();
    if (n <= 0) {
      // Nothing to write: only a rate-limit pause holds it back.
      if (this.pausedUntil > now) await this.clock.sleep(this.pausedUntil - now);
      return;
    }
    const start = Math.max(this.tat, now, this.pausedUntil);
    this.tat = start + n * this.intervalMs;
    const allowAt = Math.max(this.pausedUntil, this.tat - this.intervalMs - this.toleranceMs);
    const wait = Math.max(0, allowAt - now);
    if (wait > 0) await this.clock.sleep(wait);
  }

  /** After a `rateLimitExceeded`: nobody is admitted before `now + ms` (the quota interval must roll over). */
  pause(ms: number): void {
    const until = this.clock.now() + ms;
    if (until > this.pausedUntil) this.pausedUntil = until;
    if (this.tat < until) this.tat = until;
  }

  /** Earliest time the next write could be admitted (for progress ETA). */
  nextFreeAt(): number {
    return Math.max(this.tat, this.pausedUntil);
  }
}

/** True for the errors the quota returns: 403 `rateLimitExceeded`/`userRateLimitExceeded` and 429. */
export function isRateLimited(err: unknown): boolean {
  return err instanceof FirewallApiError && err.rateLimited;
}

/** Backoff after the k-th consecutive rate-limit answer (k from 0): capped exponential with full jitter. */
export function rateLimitBackoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(64_000, 1_000 * 2 ** attempt);
  // Half fixed, half jitter: never retries immediately, and concurrent writers spread out.
  return Math.round(base / 2 + (random() * base) / 2);
}

/** Counters of a paced port (for progress lines and the bench). */
export interface PacedStats {
  writes: number;
  rateLimited: number;
  waitedMs: number;
}

/**
 * Decorates a firewall port so that each write first takes a token and a rate-limit answer pauses the pacer and is
 * retried (up to `maxRetries`, then rethrown so the caller's own retry or Pub/Sub redelivery takes over). Reads are
 * not paced: they count against a separate quota group.
 */
export function pacedFirewall(
  port: FirewallPolicyPort,
  pacer: Pacer,
  opts: { clock: Clock; maxRetries?: number; random?: () => number },
): FirewallPolicyPort & { stats: PacedStats } {
  const stats: PacedStats = { writes: 0, rateLimited: 0, waitedMs: 0 };
  const maxRetries = opts.maxRetries ?? 6;
  const write = async (op: () => Promise<void>): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const t0 = opts.clock.now();
      await pacer.acquire(1);
      stats.waitedMs += opts.clock.now() - t0;
      try {
        await op();
        stats.writes++;
        return;
      } catch (err) {
        if (!isRateLimited(err) || attempt >= maxRetries) throw err;
        stats.rateLimited++;
        const ms = rateLimitBackoffMs(attempt, opts.random);
        pacer.pause(ms);
      }
    }
  };
  return {
    stats,
    getPolicy: () => port.getPolicy(),
    patchPolicy: (rules, fingerprint, requestId) => write(() => port.patchPolicy(rules, fingerprint, requestId)),
  };
}
