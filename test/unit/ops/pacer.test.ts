import { virtualClock } from '../../../shared/ports/clock';
import { FirewallApiError, type FirewallPolicyPort } from '../../../shared/ports/firewall';
import { isRateLimited, Pacer, pacedFirewall, rateLimitBackoffMs } from '../../../shared/usecases/pacer';

/** Max number of timestamps in any window [t, t + 60 s). */
function maxInWindow(times: number[], windowMs = 60_000): number {
  const s = [...times].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    while (s[i]! - s[j]! >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('Pacer', () => {
  it('admits the first write at once and then one write per interval', async () => {
    const clock = virtualClock(1_000);
    const p = new Pacer({ perMinute: 600, headroom: 0, clock });
    expect(p.intervalMs).toBe(100);
    await p.acquire(1);
    expect(clock.now()).toBe(1_000);
    await p.acquire(1);
    expect(clock.now()).toBe(1_100);
    await p.acquire(3);
    // three writes issued together once the last of them conforms
    expect(clock.now()).toBe(1_400);
  });

  it('never admits more than the quota in any 60 s window, whatever the batch sizes', async () => {
    const clock = virtualClock(0);
    const p = new Pacer({ perMinute: 1500, clock });
    const times: number[] = [];
    let total = 0;
    for (let i = 0; i < 3000; i++) {
      const n = (i * 7) % 5; // 0..4 writes per event
      await p.acquire(n);
      for (let k = 0; k < n; k++) times.push(clock.now());
      total += n;
    }
    expect(maxInWindow(times)).toBeLessThanOrEqual(1500);
    // and it is not needlessly slow: within 5% of total/quota minutes
    const minimum = (total / 1500) * 60_000;
    expect(clock.now()).toBeLessThan(minimum * 1.05);
    expect(clock.now()).toBeGreaterThan(minimum * 0.95);
  });

  it('does not wait for zero-write reservations, except while paused', async () => {
    const clock = virtualClock(0);
    const p = new Pacer({ perMinute: 60, headroom: 0, clock });
    await p.acquire(5);
    const t = clock.now();
    await p.acquire(0);
    expect(clock.now()).toBe(t);
    p.pause(10_000);
    await p.acquire(0);
    expect(clock.now()).toBe(t + 10_000);
  });

  it('holds every later reservation after a pause', async () => {
    const clock = virtualClock(0);
    const p = new Pacer({ perMinute: 600, headroom: 0, clock });
    await p.acquire(1);
    p.pause(5_000);
    await p.acquire(1);
    expect(clock.now()).toBeGreaterThanOrEqual(5_000);
  });

  it('does not bank unused time as a burst after idling', async () => {
    const clock = virtualClock(0);
    const p = new Pacer({ perMinute: 600, headroom: 0, clock });
    await clock.sleep(60_000);
    await p.acquire(1);
    await p.acquire(1);
    expect(clock.now()).toBe(60_100);
  });

  it('rejects a quota that is not a positive number with a hint', () => {
    expect(() => new Pacer({ perMinute: 0, clock: virtualClock() })).toThrow(/write quota 0\/min.*--write-quota/);
  });

  it('keeps headroom below the quota by default', () => {
    expect(new Pacer({ perMinute: 1500, clock: virtualClock() }).ratePerMinute).toBe(1470);
    expect(new Pacer({ perMinute: 100, clock: virtualClock() }).ratePerMinute).toBe(90);
  });
});

describe('rate-limit classification and backoff', () => {
  it('recognises 403 rateLimitExceeded and 429 only', () => {
    expect(isRateLimited(new FirewallApiError('x', 403, 'rateLimitExceeded', true))).toBe(true);
    expect(isRateLimited(new FirewallApiError('x', 429, 'tooManyRequests', true))).toBe(true);
    expect(isRateLimited(new FirewallApiError('x', 403, 'forbidden', false))).toBe(false);
    expect(isRateLimited(new FirewallApiError('x', 503, 'backendError', true))).toBe(false);
    expect(isRateLimited(new Error('rateLimitExceeded'))).toBe(false);
  });
  it('grows exponentially, is capped, and never retries at once', () => {
    expect(rateLimitBackoffMs(0, () => 0)).toBe(500);
    expect(rateLimitBackoffMs(3, () => 1)).toBe(8_000);
    expect(rateLimitBackoffMs(30, () => 1)).toBe(64_000);
  });
});

describe('pacedFirewall', () => {
  function flakyPort(failures: number, err: Error) {
    const calls: string[] = [];
    let left = failures;
    const port: FirewallPolicyPort = {
      getPolicy: async () => ({ rules: [] }),
      patchPolicy: async (rules) => {
        calls.push(`patch ${rules.map((r) => r.priority).join(',')}`);
        if (left-- > 0) throw err;
      },
    };
    return { port, calls };
  }
  const rule = {
    ruleName: 'r',
    description: 'd',
    direction: 'EGRESS' as const,
    action: 'allow' as const,
    enableLogging: false,
    match: { layer4Configs: [{ ipProtocol: 'all' }] },
    priority: 1000,
  };

  it('retries a rate-limited write after pausing the pacer', async () => {
    const clock = virtualClock(0);
    const pacer = new Pacer({ perMinute: 1500, clock });
    const { port, calls } = flakyPort(2, new FirewallApiError('quota', 403, 'rateLimitExceeded', true));
    const paced = pacedFirewall(port, pacer, { clock, random: () => 0 });
    await paced.patchPolicy([rule], 'f1', 'req-1');
    expect(calls).toEqual(['patch 1000', 'patch 1000', 'patch 1000']);
    expect(paced.stats).toMatchObject({ writes: 1, rateLimited: 2 });
    expect(clock.now()).toBeGreaterThanOrEqual(500 + 1000);
  });

  it('rethrows other errors at once and gives up after maxRetries', async () => {
    const clock = virtualClock(0);
    const bad = flakyPort(1, new FirewallApiError('bad', 400, 'invalid', false));
    await expect(
      pacedFirewall(bad.port, new Pacer({ clock }), { clock }).patchPolicy([rule], 'f1', 'x'),
    ).rejects.toThrow('bad');
    expect(bad.calls).toHaveLength(1);
    const limited = flakyPort(99, new FirewallApiError('quota', 429, 'rateLimitExceeded', true));
    await expect(
      pacedFirewall(limited.port, new Pacer({ clock }), { clock, maxRetries: 2 }).patchPolicy([rule], 'f1', 'x'),
    ).rejects.toThrow('quota');
    expect(limited.calls).toHaveLength(3);
  });

  it('does not pace reads', async () => {
    const clock = virtualClock(0);
    const { port } = flakyPort(0, new Error());
    const paced = pacedFirewall(port, new Pacer({ perMinute: 1, clock }), { clock });
    for (let i = 0; i < 5; i++) await paced.getPolicy();
    expect(clock.now()).toBe(0);
  });
});
