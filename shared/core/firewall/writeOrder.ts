/**
 * The order of a plan's rule updates. Chunking is positional (sorted values cut every `maxFqdnsPerRule` /
 * `maxRangesPerRule`), so adding or removing one entry shifts the chunk boundaries: a value leaves rule A and joins
 * rule B. Each patch is atomic, but the plan is a sequence of patches, and a crash between them is left as it is until
 * the redelivery. If A were patched before B, the moved value would be allowed by neither rule in between: an entry
 * present in the old AND the new manifest would lose its egress. Patching B (which adds the value) first keeps every
 * intermediate state allowing at least what both the old and the new manifest allow.
 */
import { rangeCovers } from './ranges';
import type { DesiredRule, ObservedRule } from './types';

/** One planned update, as in `Plan.update`. */
type Update = { old: ObservedRule; new: DesiredRule };

const values = (r: DesiredRule): string[] => [...(r.match.destFqdns ?? []), ...(r.match.destIpRanges ?? [])];
const isRange = (v: string): boolean => v.includes('/') || v.includes(':') || /^[\d.]+$/.test(v);

/**
 * Orders `updates` so that an update removing a value comes after every update that adds that value (or, for
 * address ranges, a range covering it). Among updates free to go, those removing fewer values go first (pure
 * additions first), then the input order. A dependency cycle, which the compiler's contiguous chunks cannot produce,
 * is broken by the same rule rather than refused.
 */
export function orderUpdates<U extends Update>(updates: readonly U[]): U[] {
  const added = updates.map((u) => {
    const before = new Set(values(u.old));
    return values(u.new).filter((v) => !before.has(v));
  });
  const addedSets = added.map((a) => new Set(a));
  const removed = updates.map((u) => {
    const after = new Set(values(u.new));
    return values(u.old).filter((v) => !after.has(v));
  });
  const provides = (j: number, v: string): boolean =>
    addedSets[j]!.has(v) || (isRange(v) && added[j]!.some((a) => isRange(a) && rangeCovers(a, v)));
  // waits[i]: the updates that must be written before update i.
  const waits = updates.map((_, i) => {
    const deps = new Set<number>();
    for (const v of removed[i]!) for (let j = 0; j < updates.length; j++) if (j !== i && provides(j, v)) deps.add(j);
    return deps;
  });
  const done = new Set<number>();
  const out: U[] = [];
  const byRemovals = (a: number, b: number) => removed[a]!.length - removed[b]!.length || a - b;
  while (out.length < updates.length) {
    const pending = updates.map((_, i) => i).filter((i) => !done.has(i));
    const ready = pending.filter((i) => [...waits[i]!].every((j) => done.has(j)));
    const next = (ready.length ? ready : pending).sort(byRemovals)[0]!;
    done.add(next);
    out.push(updates[next]!);
  }
  return out;
}
