/**
 * Replay: re-publish egress-change events (reason `replay`) from the bucket's live manifests (dead letters: ./redrive).
 * The applier treats a replay like any event: an unchanged project writes nothing, a lost firewall is restored exactly.
 *
 * Pacing (docs/operations.md): the policy is read ONCE, each project planned as the applier will plan it, and its
 * publish waits on the write {@link Pacer} for its expected write count: appliers get work no faster than the Compute
 * write quota allows; a project with nothing to write costs no quota time. Event ids are deterministic (bucket, object,
 * generation, reason): an interrupted replay can run again, its duplicates are no-ops for the applier.
 */
import {
  isManifestObject,
  liveManifestOf,
  manifestsOf,
  normalizePrefix,
  prefixWarning,
  projectKeyOf,
} from '../core/bucket/layout';
import { encodeEvent, makeEgressChange } from '../core/events/codec';
import type { EgressChangeEvent, ManifestSource } from '../core/events/types';
import type { PolicyState } from '../core/firewall/placedWrites';
import { groupOwnedRules, supersededGeneration } from '../core/firewall/plan';
import type { ObservedRule } from '../core/firewall/types';
import type { WorkloadError, Workloads } from '../core/firewall/workloads';
import { describeWrite } from '../core/firewall/writePlan';
import type { EgressEntry, ProjectMeta } from '../core/manifest/types';
import { validateManifest } from '../core/manifest/validate';
import type { PlatformPolicy } from '../core/policy/types';
import { checkRevocations, type RevocationVerdict } from '../core/safety/revocations';
import type { Clock } from '../ports/clock';
import type { FirewallPolicies, FirewallPolicyPort } from '../ports/firewall';
import { type Logger, nullLogger } from '../ports/logger';
import type { EventPublisher } from '../ports/publisher';
import type { ManifestStore, StoredObject } from '../ports/storage';
import type { Pacer } from './pacer';
import { predictWrites, readPolicies, revokesAccess, type WritePrediction } from './planEvent';
import { needsWorkloadRead, resolveWorkloads, type WorkloadDeps } from './workloads';

/** The watched prefix when a run reads another one (normalised), else undefined. */
export function elsewhere(prefix: string, watched: string | undefined): string | undefined {
  return watched !== undefined && normalizePrefix(watched) !== normalizePrefix(prefix)
    ? normalizePrefix(watched)
    : undefined;
}

/** Warnings about what an operator command read: a prefix the pipeline does not watch, duplicate manifests. */
export function readWarnings(prefix: string, watched: string | undefined, manifests: readonly BucketManifest[]) {
  const out: string[] = [];
  const w = watched === undefined ? null : prefixWarning(prefix, watched);
  if (w) out.push(w);
  for (const m of manifests)
    if (m.spellings.length > 1)
      out.push(
        `warning: ${m.key} has ${m.spellings.length} live manifests (${m.spellings.map((o) => o.name).join(', ')}); ` +
          `${m.object.name} is used, delete the other(s)`,
      );
  return out;
}

/** A live manifest of the bucket, read and validated. */
export interface BucketManifest {
  /** The project key from the object name (`manifests/<key>.yaml`). */
  key: string;
  object: StoredObject;
  valid: boolean;
  project: ProjectMeta | null;
  entries: EgressEntry[];
  /** `CODE message` of each error, for invalid manifests. */
  errors: string[];
  /**
   * Every live manifest object of the key, preferred spelling first (layout.ts `manifestsOf`: `.yaml`, `.yml`, other
   * cases); `object` is the first. More than one is a rename in progress or a duplicate.
   */
  spellings: StoredObject[];
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping result order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/**
 * Lists and validates the live manifests under `prefix` (only `*.yaml`/`*.yml`), optionally only those of `projects`.
 * An object overwritten between list and read is read at its new generation (the newer manifest is the truth).
 */
export async function loadBucketManifests(
  store: ManifestStore,
  prefix: string,
  policy: PlatformPolicy,
  opts: { projects?: readonly string[]; concurrency?: number } = {},
): Promise<BucketManifest[]> {
  const wanted = opts.projects?.length ? new Set(opts.projects) : undefined;
  const listed = (await store.list(prefix))
    // The validator's rule of what counts as a manifest (directly under the prefix), so replay never publishes for an
    // object the pipeline itself ignores (`manifests/team/x.yaml`).
    .filter((o) => isManifestObject(o.name, prefix) && (!wanted || wanted.has(projectKeyOf(o.name))));
  // One manifest per project: of several spellings, the layout's preferred one (the others are kept as `spellings`).
  const byKey = new Map<string, StoredObject[]>();
  for (const o of listed) byKey.set(projectKeyOf(o.name), [...(byKey.get(projectKeyOf(o.name)) ?? []), o]);
  const objects = [...byKey.entries()]
    .map(([key, os]) => ({ o: liveManifestOf(os, prefix, key)!, spellings: manifestsOf(os, prefix, key) }))
    .sort((a, b) => (a.o.name < b.o.name ? -1 : a.o.name > b.o.name ? 1 : 0));
  const loaded = await mapLimit(objects, opts.concurrency ?? 16, async ({ o, spellings }) => {
    const got = (await store.read(o.name, o.generation)) ?? (await store.read(o.name));
    if (!got) return null; // deleted meanwhile: its delete event revokes it
    const r = validateManifest(got.text, { path: o.name, policy });
    const errors = r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`);
    return {
      key: projectKeyOf(o.name),
      object: got.object.generation ? { ...o, ...got.object } : o,
      valid: r.valid,
      project: r.project,
      entries: r.egress,
      errors,
      spellings,
    } satisfies BucketManifest;
  });
  return loaded.filter((x): x is BucketManifest => x !== null);
}

/** The manifest source of an event for a stored object. */
export function sourceOf(bucket: string, o: StoredObject): ManifestSource {
  return {
    bucket,
    object: o.name,
    generation: o.generation,
    ...(o.md5Hash ? { md5Hash: o.md5Hash } : {}),
    ...(o.crc32c ? { crc32c: o.crc32c } : {}),
  };
}

/** The replay event of a live manifest (its id is deterministic: bucket, object, generation, reason). */
export function replayEvent(
  bucket: string,
  m: BucketManifest,
  time: Date,
  supersedes?: string | undefined,
): EgressChangeEvent {
  return makeEgressChange({
    project: m.project!,
    reason: 'replay',
    entries: m.entries,
    source: sourceOf(bucket, m.object),
    time,
    // Which object the superseded generation belonged to is not known here (it is gone, or it is a wrong tombstone's).
    ...(supersedes ? { supersedes: { generation: supersedes } } : {}),
  });
}

/** The replay event of `m` over `owned` (read before the listing): superseding what the firewall records when safe. */
export function replayEventOver(
  bucket: string,
  m: BucketManifest,
  owned: readonly ObservedRule[],
  time: Date,
  opts: { restore?: boolean } = {},
): EgressChangeEvent {
  return replayEvent(bucket, m, time, supersededGeneration(owned, m.object, m.spellings, opts));
}

/**
 * The expected writes of a prediction (one patch per policy changed, with what each changes), and why the applier
 * will write nothing when it will skip or refuse.
 */
export function predictionSummary(p: WritePrediction): {
  writes: number;
  patches?: string[];
  skipped?: string;
  willFail?: string;
} {
  if ('failed' in p) return { writes: 0, willFail: `${p.reason}: ${p.failed}` };
  if (p.skip) return { writes: 0, skipped: p.skip };
  return p.writes.length ? { writes: p.writes.length, patches: p.writes.map(describeWrite) } : { writes: 0 };
}

/** Progress of a long run, for the CLI's bar or periodic lines. */
export interface Progress {
  done: number;
  total: number;
  /** Writes the published events are expected to cause so far. */
  writes: number;
  /** Estimated milliseconds left (pacer-based), when known. */
  etaMs?: number;
}

/** What replay needs; the CLI builds the real ports, tests and the bench build fakes. */
export interface ReplayDeps {
  store: ManifestStore;
  bucket: string;
  prefix: string;
  publisher: EventPublisher;
  changesTopic: string;
  policy: PlatformPolicy;
  clock: Clock;
  /** Read once to plan each project's expected writes; without it every compiled rule counts as a write. */
  firewall?: FirewallPolicyPort;
  /** Regional placement: every policy of the placement, read for the predictions (moves included). */
  policies?: FirewallPolicies;
  hostProject?: string;
  /** The reads of the target mode (subnets, tag values) for the predictions; without them a subnets-mode
   * prediction says `workloads-unread` and counts nothing (the applier still reads them at each event). */
  workloads?: Omit<WorkloadDeps, 'hostProject'>;
  /** Paces publishes by expected writes (the Compute write quota). */
  pacer?: Pacer;
  /** Caps events per second (`--rate N/s`), whatever their writes. */
  eventPacer?: Pacer;
  /** Publishes in flight (default 32; ordering keys keep each project's events in order). */
  concurrency?: number;
  logger?: Logger;
  onProgress?: (p: Progress) => void;
  /** The prefix the validator watches (EGRESS_MANIFEST_PREFIX): a different `prefix` is warned about. */
  watchedPrefix?: string;
}

/**
 * The workloads of the valid manifests' projects when the target mode needs a read and the reads are wired (one
 * subnet listing for all); empty maps otherwise.
 */
export async function workloadsFor(
  deps: { policy: PlatformPolicy; hostProject?: string; workloads?: Omit<WorkloadDeps, 'hostProject'> },
  manifests: readonly BucketManifest[],
): Promise<{ workloads: Map<string, Workloads>; errors: Map<string, WorkloadError> }> {
  if (!needsWorkloadRead(deps.policy)) return { workloads: new Map(), errors: new Map() };
  const projects = manifests.flatMap((m) => (m.valid && m.project && m.entries.length ? [m.project.name] : []));
  if (!deps.workloads) {
    // Nothing read (`replay --no-live`): count the writes as if every project had IPv4 and IPv6 sources (or its
    // tags), the most rules the applier can write for it; the applier reads the real ones at each event.
    const unread = policyPlaceholder(deps.policy);
    return { workloads: new Map(projects.map((p) => [p, unread])), errors: new Map() };
  }
  return resolveWorkloads(deps.policy, projects, {
    ...deps.workloads,
    ...(deps.hostProject ? { hostProject: deps.hostProject } : {}),
  });
}

/** Workloads standing in for unread ones, only to count writes (documentation ranges, RFC 5737 / RFC 3849). */
function policyPlaceholder(policy: PlatformPolicy): Workloads {
  const t = policy.firewall.target;
  if (t.mode === 'secureTags')
    return { mode: 'secureTags', tags: t.templates.map((n) => ({ name: 'tagValues/0', namespaced: n })) };
  if (t.mode === 'serviceAccounts')
    return { mode: 'serviceAccounts', accounts: ['unread@example.iam.gserviceaccount.com'] };
  const unread = { name: '(not read)', region: '', network: '', primary: '192.0.2.0/32', secondary: [] };
  return { mode: 'subnets', subnets: [{ ...unread, ipv6: ['2001:db8::/128'] }] };
}

/** Options of {@link replay}. */
export interface ReplayOptions {
  /** Only these projects; empty or absent with `all` means every manifest. */
  projects?: string[];
  dryRun?: boolean;
  /** `--allow-revocations N`: the run may revoke up to N projects (beyond safety.maxRevocationsPerRun). */
  allowRevocations?: number;
  /**
   * `--restore`: also supersede tombstones recorded at (or above) a live manifest's generation, so the replay
   * re-creates the rules a wrong revocation removed (docs/operations.md, "Undo a mass revocation").
   */
  restore?: boolean;
}

/** The fate of one project. */
export interface ReplayItem {
  project: string;
  object?: string;
  generation?: string;
  status: 'published' | 'would-publish' | 'invalid' | 'no-manifest' | 'failed';
  expectedWrites?: number;
  /** The applier's patches for it, with what each changes (`patch POLICY: add R@P, remove R@P`). */
  patches?: string[];
  /** The applier will skip this event (the stale-event guard): why. Expected writes are then 0. */
  skipped?: string;
  /** The applier will refuse this event for good (`reason: message`, e.g. a full priority band): 0 writes. */
  willFail?: string;
  eventId?: string;
  messageId?: string;
  error?: string;
}

/** The outcome of a replay run. */
export interface ReplayReport {
  items: ReplayItem[];
  published: number;
  invalid: number;
  failed: number;
  expectedWrites: number;
  /** Policy reads made (0 or 1). */
  reads: number;
  elapsedMs: number;
  /** Set when the blast-radius guard refused the run: nothing was published. */
  refused?: Exclude<RevocationVerdict, { ok: true }>;
  /** Things the operator should know (a prefix the pipeline does not watch, two manifests of one project). */
  warnings: string[];
}

/** Re-publishes replay events for the live manifests (all, or `opts.projects`). Never throws for one bad project. */
export async function replay(deps: ReplayDeps, opts: ReplayOptions = {}): Promise<ReplayReport> {
  const log = deps.logger ?? nullLogger;
  const t0 = deps.clock.now();
  // The policy is read BEFORE the bucket is listed: a tombstone seen then was written after its object was gone, so
  // a live object listed afterwards at that generation proves the tombstone wrong (supersededGeneration, plan.ts).
  // Regional placement: every policy of the placement (the predictions include moves, placedWrites.ts).
  const read = !!(deps.policies || deps.firewall);
  const states: PolicyState[] = deps.policies
    ? await readPolicies(deps.policies)
    : [{ ref: { name: '' }, snapshot: deps.firewall ? await deps.firewall.getPolicy() : { rules: [] } }];
  const reads = read ? states.length : 0;
  const byProject = read ? groupOwnedRules(states.flatMap((st) => st.snapshot.rules)) : undefined;
  const manifests = await loadBucketManifests(deps.store, deps.prefix, deps.policy, {
    ...(opts.projects ? { projects: opts.projects } : {}),
  });
  const warnings = readWarnings(deps.prefix, deps.watchedPrefix, manifests);
  for (const w of warnings) log.log('WARNING', w, { prefix: deps.prefix });
  const items: ReplayItem[] = [];
  for (const p of opts.projects ?? [])
    if (!manifests.some((m) => m.key === p))
      items.push({
        project: p,
        status: 'no-manifest',
        error: `no manifest ${deps.prefix}${p}.yaml in gs://${deps.bucket}`,
      });

  // One read (above); owned rules grouped by project once (parsing every marker per project would be quadratic).
  // Each project is predicted with the applier's own planner (planEvent.ts), so the count is what the applier
  // writes. Without a read, every compiled rule counts as a write (planned against an empty policy).
  const known = await workloadsFor(deps, manifests);
  const todo: {
    m: BucketManifest;
    ev: EgressChangeEvent;
    writes: number;
    note: Pick<ReplayItem, 'skipped' | 'willFail'>;
  }[] = [];
  const revoking: string[] = [];
  for (const m of manifests) {
    const base = { project: m.project?.name ?? m.key, object: m.object.name, generation: m.object.generation };
    if (!m.valid || !m.project) {
      items.push({ ...base, status: 'invalid', error: m.errors.join('; ') });
      continue;
    }
    const owned = byProject?.get(m.project.name) ?? [];
    const ev = replayEventOver(deps.bucket, m, owned, new Date(deps.clock.now()), { restore: !!opts.restore });
    const failure = known.errors.get(m.project.name);
    const prediction = failure
      ? { failed: failure.message, reason: failure.reason }
      : predictWrites(ev, states, deps.policy, deps.hostProject, known.workloads.get(m.project.name));
    if (revokesAccess(ev, prediction)) revoking.push(m.project.name);
    if ('failed' in prediction && prediction.reason === 'compile-failed') {
      items.push({ ...base, status: 'invalid', error: prediction.failed });
      continue;
    }
    const { writes, ...note } = predictionSummary(prediction);
    todo.push({ m, ev, writes, note });
  }
  const verdict = checkRevocations({
    command: 'replay',
    where: `gs://${deps.bucket}/${deps.prefix}`,
    projects: revoking,
    max: deps.policy.safety.maxRevocationsPerRun,
    allow: opts.allowRevocations,
    watchedElsewhere: elsewhere(deps.prefix, deps.watchedPrefix),
  });
  if (!verdict.ok && !opts.dryRun) {
    log.log('ERROR', verdict.message, { projects: verdict.projects });
    const invalid = items.length;
    return {
      items,
      published: 0,
      invalid,
      failed: 0,
      expectedWrites: 0,
      reads,
      elapsedMs: deps.clock.now() - t0,
      refused: verdict,
      warnings,
    };
  }

  let done = 0;
  let writesSoFar = 0;
  const total = todo.length;
  const inflight = new Set<Promise<void>>();
  const limit = deps.concurrency ?? 32;
  for (const { m, ev: planned, writes, note } of todo) {
    const project = m.project!;
    // Stamped when published (after the pacer's wait); the id does not depend on the time.
    const ev = { ...planned, time: new Date(deps.clock.now()).toISOString() };
    const item: ReplayItem = {
      project: project.name,
      object: m.object.name,
      generation: m.object.generation,
      status: opts.dryRun ? 'would-publish' : 'published',
      expectedWrites: writes,
      ...note,
      eventId: ev.id,
    };
    items.push(item);
    if (!opts.dryRun) {
      if (deps.pacer) await deps.pacer.acquire(writes);
      if (deps.eventPacer) await deps.eventPacer.acquire(1);
    }
    writesSoFar += writes;
    const finish = () => {
      done++;
      const eta = deps.pacer ? Math.max(0, deps.pacer.nextFreeAt() - deps.clock.now()) : undefined;
      deps.onProgress?.({ done, total, writes: writesSoFar, ...(eta !== undefined ? { etaMs: eta } : {}) });
    };
    if (opts.dryRun) {
      finish();
      continue;
    }
    const p = deps.publisher
      .publish(deps.changesTopic, encodeEvent(ev))
      .then(
        (id) => {
          item.messageId = id;
        },
        (err: unknown) => {
          item.status = 'failed';
          item.error = err instanceof Error ? err.message : String(err);
          log.log('ERROR', 'replay publish failed', { project: project.name, eventId: ev.id, error: item.error });
        },
      )
      .finally(() => {
        inflight.delete(p);
        finish();
      });
    inflight.add(p);
    if (inflight.size >= limit) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  const count = (s: ReplayItem['status']) => items.filter((i) => i.status === s).length;
  const report: ReplayReport = {
    items,
    published: count('published') + count('would-publish'),
    invalid: count('invalid') + count('no-manifest'),
    failed: count('failed'),
    expectedWrites: writesSoFar,
    reads,
    elapsedMs: deps.clock.now() - t0,
    warnings,
    ...(!verdict.ok ? { refused: verdict } : {}),
  };
  log.log('INFO', opts.dryRun ? 'replay dry run' : 'replay done', {
    published: report.published,
    invalid: report.invalid,
    failed: report.failed,
    expectedWrites: report.expectedWrites,
  });
  return report;
}
