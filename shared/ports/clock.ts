/** Time as a port, so backoff and pacing are testable without sleeping. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A clock whose `sleep` advances virtual time at once, recording each sleep; `advance` moves time by hand. */
export interface VirtualClock extends Clock {
  /** Total milliseconds slept. */
  readonly slept: number;
  /** Every `sleep(ms)` call's argument, in order. */
  readonly sleeps: readonly number[];
  advance(ms: number): void;
}

/**
 * The one virtual clock (tests, the bench, `replay --dry-run`): computes how long a paced or retried run takes
 * without waiting for it. Concurrent sleepers each advance time (callers run sequentially).
 */
export function virtualClock(start = 0): VirtualClock {
  let t = start;
  let slept = 0;
  const sleeps: number[] = [];
  return {
    get slept() {
      return slept;
    },
    sleeps,
    now: () => t,
    advance(ms) {
      t += ms;
    },
    sleep: async (ms) => {
      sleeps.push(ms);
      if (ms > 0) {
        t += ms;
        slept += ms;
      }
    },
  };
}
