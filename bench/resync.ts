/**
 * What a full resync meets on Google Cloud, as a discrete-event simulation over the production replay + applier
 * (bench/replay.ts's simPipeline): every accepted write's operation takes a sampled time (log-normal; figures in
 * docs/operations.md, "Resync time"), the policy runs one mutation at a time (users report it serializes them),
 * `instances` appliers handle events in parallel, and Compute's write quota answers 403 beyond 1,500 writes/min.
 *
 * The clock: a sleep registers a timer; when every task is blocked (setImmediate runs after the microtasks drain),
 * time jumps to the earliest timer. No real I/O happens in the simulation, so that is exact.
 */
import type { Clock } from '../shared/ports/clock';

/** A clock whose time moves only when every task waits on it; `run` drives a promise to completion. */
export function eventClock(start: number): Clock & { slept: number; run<T>(p: Promise<T>): Promise<T> } {
  let t = start;
  let seq = 0;
  const timers: { at: number; seq: number; resolve: () => void }[] = [];
  const clock = {
    slept: 0,
    now: () => t,
    sleep: (ms: number): Promise<void> => {
      if (!(ms > 0)) return Promise.resolve();
      clock.slept += ms;
      return new Promise<void>((resolve) => {
        timers.push({ at: t + ms, seq: seq++, resolve });
      });
    },
    async run<T>(p: Promise<T>): Promise<T> {
      let settled = false;
      p.then(
        () => {
          settled = true;
        },
        () => {
          settled = true;
        },
      );
      for (;;) {
        await new Promise((r) => setImmediate(r));
        if (settled) return p;
        if (timers.length === 0) throw new Error('simulation stalled: nothing is waiting on the clock');
        let k = 0;
        for (let i = 1; i < timers.length; i++)
          if (timers[i]!.at < timers[k]!.at || (timers[i]!.at === timers[k]!.at && timers[i]!.seq < timers[k]!.seq))
            k = i;
        const [next] = timers.splice(k, 1);
        t = Math.max(t, next!.at);
        next!.resolve();
      }
    },
  };
  return clock;
}

/** Operation latency of one firewall-policy write: log-normal with this median and 95th percentile. */
export interface LatencyModel {
  medianMs: number;
  p95Ms: number;
}

/** Assumed (no published figure found; docs/operations.md): median 6 s, p95 20 s per write operation. */
export const ASSUMED_WRITE_LATENCY: LatencyModel = { medianMs: 6_000, p95Ms: 20_000 };

/** A deterministic sampler of `m` (mulberry32 + Box-Muller). */
export function logNormalSampler(m: LatencyModel, seed = 42): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const sigma = Math.log(m.p95Ms / m.medianMs) / 1.6449;
  return () => {
    const z = Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
    return m.medianMs * Math.exp(sigma * z);
  };
}

/** Formats simulated milliseconds as hours and minutes. */
export function hm(ms: number): string {
  const min = Math.round(ms / 60_000);
  return min >= 60 ? `${Math.floor(min / 60)} h ${min % 60} min` : `${(ms / 60_000).toFixed(1)} min`;
}
