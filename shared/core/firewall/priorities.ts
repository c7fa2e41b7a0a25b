/**
 * Priority allocation. In a firewall policy the priority is a rule's identity and must be unique; allow rules of the
 * band never overlap in meaning (all allow, the baseline deny-all sits below the band), so any free priority works.
 * We pick free slots deterministically: start at a point of the band derived from the project key and probe upwards,
 * wrapping. Different projects start far apart, so concurrent appliers rarely race for a slot; when they do, the
 * loser's addRule fails with "priority taken", and the applier re-reads and allocates again.
 */
import { createHash } from 'node:crypto';
import type { PlatformPolicy } from '../policy/types';

/** The band has fewer free priorities than needed: a permanent failure until the platform widens the band. */
export class PriorityBandFullError extends Error {
  constructor(
    readonly needed: number,
    readonly free: number,
    readonly band: [number, number],
  ) {
    super(
      `the priority band ${band[0]}-${band[1]} has ${free} free priorities, ${needed} needed: ` +
        'widen firewall.priorityMin/priorityMax in the platform policy or remove unused rules',
    );
    this.name = 'PriorityBandFullError';
  }
}

function seedOffset(seed: string, size: number): number {
  return createHash('sha256').update(seed).digest().readUInt32BE(0) % size;
}

/** `count` distinct free priorities of the policy band, deterministic given `taken` and `seed`; in probe order. */
export function allocatePriorities(
  taken: ReadonlySet<number>,
  count: number,
  policy: Pick<PlatformPolicy, 'firewall'>,
  seed: string,
): number[] {
  const { priorityMin: min, priorityMax: max } = policy.firewall;
  if (count <= 0) return [];
  const size = max - min + 1;
  if (!(size > 0)) throw new PriorityBandFullError(count, 0, [min, max]);
  const start = seedOffset(seed, size);
  const out: number[] = [];
  for (let i = 0; i < size && out.length < count; i++) {
    const p = min + ((start + i) % size);
    if (!taken.has(p)) out.push(p);
  }
  if (out.length < count) throw new PriorityBandFullError(count, out.length, [min, max]);
  return out;
}
