/** The resync model's clock and latency sampler (bench/resync.ts). */
import { eventClock, logNormalSampler } from '../../../bench/resync';

describe('eventClock', () => {
  test('parallel sleepers overlap: time advances to the latest wake-up, not the sum', async () => {
    const clock = eventClock(0);
    const order: string[] = [];
    const task = async (name: string, ms: number) => {
      await clock.sleep(ms);
      order.push(`${name}@${clock.now()}`);
    };
    await clock.run(Promise.all([task('a', 3000), task('b', 1000), task('c', 2000)]));
    expect(order).toEqual(['b@1000', 'c@2000', 'a@3000']);
    expect(clock.now()).toBe(3000);
  });

  test('a run that waits on nothing the clock controls is reported, not hung', async () => {
    const clock = eventClock(0);
    await expect(clock.run(new Promise(() => undefined))).rejects.toThrow('simulation stalled');
  });
});

describe('logNormalSampler', () => {
  test('has the configured median and 95th percentile, deterministically', () => {
    const draw = logNormalSampler({ medianMs: 6000, p95Ms: 20000 }, 7);
    const xs = Array.from({ length: 20000 }, draw).sort((a, b) => a - b);
    expect(xs[10000]! / 6000).toBeCloseTo(1, 1);
    expect(xs[19000]! / 20000).toBeCloseTo(1, 1);
    const again = logNormalSampler({ medianMs: 6000, p95Ms: 20000 }, 7);
    const fresh = logNormalSampler({ medianMs: 6000, p95Ms: 20000 }, 7);
    expect([again(), again()]).toEqual([fresh(), fresh()]);
  });
});
