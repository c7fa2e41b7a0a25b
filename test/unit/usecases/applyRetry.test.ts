import { FirewallApiError } from '../../../shared/ports/firewall';
import { backoffMs, isTransient, withRetry } from '../../../shared/usecases/retry';
import { fakeClock } from './applyHarness';

describe('retry', () => {
  it('backs off exponentially, half fixed and half jittered, up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffMs(a, { random: () => 0 }))).toEqual([
      250, 500, 1000, 2000, 4000, 4000,
    ]);
    expect([1, 2, 6].map((a) => backoffMs(a, { random: () => 0.999999 }))).toEqual([500, 1000, 8000]);
  });

  it('retries transient failures only, then rethrows the last one', async () => {
    const clock = fakeClock();
    let calls = 0;
    const transient = new FirewallApiError('rate', 403, 'rateLimitExceeded', true);
    await expect(
      withRetry(
        async () => {
          calls++;
          throw transient;
        },
        { clock, attempts: 3, random: () => 0 },
      ),
    ).rejects.toBe(transient);
    expect(calls).toBe(3);
    expect(clock.sleeps).toEqual([250, 500]);

    calls = 0;
    const permanent = new FirewallApiError('bad', 400, 'invalid', false);
    await expect(
      withRetry(
        async () => {
          calls++;
          throw permanent;
        },
        { clock },
      ),
    ).rejects.toBe(permanent);
    expect(calls).toBe(1);
    expect(isTransient(new Error('x'))).toBe(false);
  });
});
