/**
 * Chaos schedules: per project a history of manifest versions (upserts, empty manifests, deletes, re-creations), the
 * deliveries of their egress-change events (shuffled, duplicated, replayed), the faults injected at given delivery
 * steps, and the foreign rules a human keeps in the policy. A schedule is a pure function of one Rng.
 */
import type { ChangeReason } from '../../shared/core/events/types';
import { type EgressEntry, normalizeEgressValue } from '../../shared/core/manifest';
import type { PlatformPolicy } from '../../shared/core/policy/types';
import type { Rng } from './rng';

/** One version of a project's manifest as the pipeline publishes it. */
export interface Version {
  project: string;
  generation: string;
  reason: ChangeReason;
  entries: EgressEntry[];
}

/** A fault, injected when the delivery counter reaches `step`. */
export type Fault =
  | { kind: 'http'; step: number; status: number; reason: string; count: number; writesOnly: boolean }
  | { kind: 'operation'; step: number; code: string; httpStatus: number; count: number }
  | { kind: 'timeout'; step: number; count: number; afterEffect: boolean }
  | { kind: 'slow-operations'; step: number; until: number; afterMs: number }
  | { kind: 'outage'; step: number; until: number; afterWrites: number }
  | { kind: 'quota'; step: number; until: number; perMinute: number; status: 403 | 429 }
  | { kind: 'crash'; step: number; afterWrites: number }
  | { kind: 'foreign-write'; step: number; priority: number };

/** Everything one schedule does. */
export interface Schedule {
  seed: number;
  index: number;
  projects: string[];
  versions: Version[];
  /** Indexes into `versions`, in delivery order (duplicates and late replays included). */
  deliveries: number[];
  faults: Fault[];
  /** Workers applying at once; `sameProject` lets two of them hold events of one project (unordered delivery). */
  workers: number;
  sameProject: boolean;
  completion: 'immediate' | { afterPolls: number };
  /** Priorities of the foreign rules seeded before the first delivery. */
  foreign: number[];
}

/** The band of the chaos policy: small, so projects, tombstones and foreign rules compete for priorities. */
export const BAND = { min: 1000, max: 1079 } as const;

/**
 * The platform policy of the chaos runs: the defaults with a narrow band and small chunks (rules move between them),
 * target mode serviceAccounts.
 */
export function chaosPolicy(base: PlatformPolicy): PlatformPolicy {
  return {
    ...base,
    firewall: {
      ...base.firewall,
      hostProject: 'host',
      priorityMin: BAND.min,
      priorityMax: BAND.max,
      maxFqdnsPerRule: 3,
      maxRangesPerRule: 3,
      // Chaos measures delivery, retries and priorities, not workload reads: the mode with nothing to read.
      target: { mode: 'serviceAccounts', templates: ['workload@{project}.iam.gserviceaccount.com'] },
    },
  };
}

const RAW_ENTRIES = [
  ...Array.from({ length: 10 }, (_, i) => `api${i}.vendor${i % 4}.com`),
  ...Array.from({ length: 6 }, (_, i) => `34.${100 + i}.0.0/24`),
  '2600:1900:4000::/48',
  '2a00:1450:4000::/40',
  '8.8.8.8',
  '*.googleapis.com',
];

function entries(rng: Rng, policy: PlatformPolicy): EgressEntry[] {
  const n = rng.chance(0.1) ? 0 : rng.int(1, 9);
  const chosen = rng.shuffle(RAW_ENTRIES).slice(0, n);
  return chosen.map((raw) => {
    const r = normalizeEgressValue(raw, policy);
    if (!r.ok) throw new Error(`chaos: pool entry ${raw} is not valid: ${r.message}`);
    return rng.chance(0.3) ? { ...r.entry, description: `note ${rng.int(0, 9)}` } : r.entry;
  });
}

/** Builds schedule `index` of `seed`. */
export function makeSchedule(rng: Rng, seed: number, index: number, policy: PlatformPolicy): Schedule {
  const projects = Array.from({ length: rng.int(1, 4) }, (_, i) => `chaos-p${i}`);
  const versions: Version[] = [];
  for (const project of projects) {
    let generation = 1_700_000_000_000_000 + rng.int(0, 1000);
    let live = false;
    for (let k = rng.int(1, 5); k > 0; k--) {
      if (live && rng.chance(0.25)) {
        versions.push({ project, generation: String(generation), reason: 'delete', entries: [] });
        live = false;
        continue;
      }
      generation += rng.int(1, 1_000_000);
      versions.push({ project, generation: String(generation), reason: 'upsert', entries: entries(rng, policy) });
      live = true;
    }
    // `egress replay` of the live generation: same generation, reason replay.
    const last = versions[versions.length - 1]!;
    if (live && rng.chance(0.3)) versions.push({ ...last, reason: 'replay' });
  }
  // Unordered, at-least-once: every event once in random order, some twice, an old one again at the end.
  let deliveries = rng.shuffle(versions.map((_, i) => i));
  for (let d = rng.int(0, 4); d > 0; d--)
    deliveries.splice(rng.int(0, deliveries.length), 0, rng.int(0, versions.length - 1));
  if (rng.chance(0.5)) deliveries = [...deliveries, rng.int(0, versions.length - 1)];

  const steps = deliveries.length + 4;
  const faults: Fault[] = [];
  for (let f = rng.int(1, 6); f > 0; f--) faults.push(fault(rng, rng.int(0, steps)));
  const foreign = rng
    .shuffle(Array.from({ length: BAND.max - BAND.min + 1 }, (_, i) => BAND.min + i))
    .slice(0, rng.int(0, 8));
  if (rng.chance(0.5)) foreign.push(rng.pick([999, 2_000, 65_535]));
  return {
    seed,
    index,
    projects,
    versions,
    deliveries,
    faults,
    workers: rng.int(1, 4),
    sameProject: rng.chance(0.3),
    completion: rng.chance(0.3) ? 'immediate' : { afterPolls: rng.int(1, 3) },
    foreign,
  };
}

function fault(rng: Rng, step: number): Fault {
  const kind = rng.pick([
    '429',
    '403',
    '5xx',
    'notReady',
    'operation',
    'timeout',
    'slow-operations',
    'outage',
    'quota',
    'crash',
    'foreign-write',
  ] as const);
  const count = rng.int(1, 8);
  const until = step + rng.int(1, 6);
  switch (kind) {
    case '429':
      return { kind: 'http', step, status: 429, reason: 'rateLimitExceeded', count, writesOnly: rng.chance(0.5) };
    case '403':
      return { kind: 'http', step, status: 403, reason: 'rateLimitExceeded', count, writesOnly: rng.chance(0.5) };
    case '5xx':
      return {
        kind: 'http',
        step,
        ...rng.pick([
          { status: 500, reason: 'internalError' },
          { status: 503, reason: 'backendError' },
        ]),
        count,
        writesOnly: rng.chance(0.5),
      };
    case 'notReady':
      return { kind: 'http', step, status: 400, reason: 'resourceNotReady', count, writesOnly: true };
    case 'operation':
      return {
        kind: 'operation',
        step,
        count: rng.int(1, 3),
        ...rng.pick([
          { code: 'INTERNAL_ERROR', httpStatus: 500 },
          { code: 'RESOURCE_NOT_READY', httpStatus: 400 },
          { code: 'SERVICE_UNAVAILABLE', httpStatus: 503 },
        ]),
      };
    case 'timeout':
      return { kind: 'timeout', step, count: rng.int(1, 3), afterEffect: rng.chance(0.7) };
    case 'slow-operations':
      return { kind: 'slow-operations', step, until, afterMs: rng.pick([30_000, 200_000, 400_000]) };
    case 'outage':
      return { kind: 'outage', step, until, afterWrites: rng.int(0, 4) };
    case 'quota':
      return { kind: 'quota', step, until, perMinute: rng.int(1, 6), status: rng.pick([403, 429] as const) };
    case 'crash':
      return { kind: 'crash', step, afterWrites: rng.int(0, 3) };
    default:
      return { kind: 'foreign-write', step, priority: rng.int(BAND.min, BAND.max) };
  }
}

/** The schedule in one line (what ran), for a failure report. */
export function describeSchedule(s: Schedule): string {
  const v = s.versions.map((x) => `${x.project.slice(-2)}:${x.reason[0]}${x.generation.slice(-4)}/${x.entries.length}`);
  const f = s.faults.map((x) => {
    const what =
      x.kind === 'http'
        ? `${x.status}${x.reason === 'resourceNotReady' ? 'notReady' : ''}x${x.count}`
        : x.kind === 'operation'
          ? `op:${x.code}x${x.count}`
          : x.kind === 'timeout'
            ? `timeout${x.afterEffect ? '-after-effect' : ''}x${x.count}`
            : x.kind;
    return `${what}@${x.step}`;
  });
  return (
    `versions=[${v.join(' ')}] deliveries=[${s.deliveries.join(',')}] faults=[${f.join(' ')}] ` +
    `workers=${s.workers}${s.sameProject ? ' same-project' : ''} completion=${JSON.stringify(s.completion)} foreign=[${s.foreign.join(',')}]`
  );
}
