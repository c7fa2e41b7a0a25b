/**
 * The seeded randomness and the argument parsing shared by `npm run fuzz` and `npm run chaos`. Every input (or
 * schedule) number `i` of a run with seed `S` gets its own generator seeded from (S, i), so one failing case is
 * replayed alone (`--seed S --case i`) without generating the ones before it.
 */

/** A small deterministic generator (mulberry32): enough for test-case generation, not for anything secret. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The generator of case `index` of the run seeded with `seed`. */
  static forCase(seed: number, index: number): Rng {
    return new Rng(mix(mix(seed) ^ index));
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }

  /** A key of `weights` drawn with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    let r = this.next() * entries.reduce((n, [, w]) => n + w, 0);
    for (const [k, w] of entries) {
      r -= w;
      if (r < 0) return k;
    }
    return entries[entries.length - 1]![0];
  }

  /** A copy of `xs` in random order (Fisher-Yates). */
  shuffle<T>(xs: readonly T[]): T[] {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

/** A 32-bit integer hash (murmur3's finalizer). */
function mix(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Parsed `--name value` flags; `--name` alone is `'true'`. Unknown flags are the caller's to refuse. */
export function parseFlags(argv: readonly string[], known: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m || !known.includes(m[1]!))
      throw new UsageError(`unknown argument \`${a}\` (known: ${known.map((k) => `--${k}`).join(', ')})`);
    const next = argv[i + 1];
    if (m[2] !== undefined) out.set(m[1]!, m[2]);
    else if (next !== undefined && !next.startsWith('--')) {
      out.set(m[1]!, next);
      i++;
    } else out.set(m[1]!, 'true');
  }
  return out;
}

/** A bad command line: printed as one line, exit 2. */
export class UsageError extends Error {}

/** A non-negative integer flag (`fallback` when absent); anything else is a usage error naming the value. */
export function intFlag(flags: Map<string, string>, name: string, fallback: number): number {
  const v = flags.get(name);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v)))
    throw new UsageError(`--${name} must be a non-negative integer, got \`${v}\``);
  return Number(v);
}

/** A fresh seed when none is given (printed, so the run can be repeated). */
export function randomSeed(): number {
  return (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) & 0x7fffffff;
}
