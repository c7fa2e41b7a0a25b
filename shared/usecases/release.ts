/**
 * `egress release`: apply revocations the applier held (its rate guard, docs/operations.md "Held revocations"). A
 * held revocation leaves the project's rules live with no manifest behind them; release re-publishes the project's
 * `delete` with `release: true`, which the applier applies whatever the rate. Only projects that have owned rules
 * (other than a tombstone) and NO live manifest under the watched prefix are released: a project whose manifest is
 * live is never revoked by this command. The policy is read before the bucket is listed (as replay does).
 */

import { defaultObjectName } from '../core/bucket/layout';
import { encodeEvent, makeEgressChange } from '../core/events/codec';
import type { EgressChangeEvent } from '../core/events/types';
import { appliedGeneration, groupOwnedRules } from '../core/firewall/plan';
import { isTombstone } from '../core/firewall/tombstone';
import type { ObservedRule } from '../core/firewall/types';
import { didYouMean } from '../core/manifest/schemaWalk';
import type { PlatformPolicy } from '../core/policy/types';
import { checkRevocations, type RevocationVerdict } from '../core/safety/revocations';
import type { Clock } from '../ports/clock';
import type { FirewallPolicies } from '../ports/firewall';
import { type Logger, nullLogger } from '../ports/logger';
import type { EventPublisher } from '../ports/publisher';
import type { ManifestStore } from '../ports/storage';
import { elsewhere, loadBucketManifests } from './bucketManifests';
import { readPlacement } from './patches';

/** The `delete` event that revokes `project` (no manifest left) at `generation`, the one its rules record. */
export function revocationEvent(args: {
  bucket: string;
  prefix: string;
  project: string;
  generation: string;
  time: Date;
  release?: boolean;
}): EgressChangeEvent {
  return makeEgressChange({
    // The environment is unknown without a manifest; a delete event carries no entries and only needs the key.
    project: { name: args.project, environment: 'unknown' },
    reason: 'delete',
    entries: [],
    source: { bucket: args.bucket, object: defaultObjectName(args.prefix, args.project), generation: args.generation },
    time: args.time,
    ...(args.release ? { release: true } : {}),
  });
}

/** Why `project` is not held: its manifest is live, it is already revoked, or no such project (with a did-you-mean). */
function notHeldReason(
  project: string,
  live: ReadonlyMap<string, string>,
  owned: ReadonlyMap<string, readonly { description?: string }[]>,
): string {
  const object = live.get(project);
  if (object) return `its manifest ${object} is live: nothing to revoke`;
  if (owned.has(project)) return 'its egress is already revoked (only its tombstone is left): nothing held';
  const guess = didYouMean(project, [...new Set([...owned.keys(), ...live.keys()])]);
  return `no project of that name has rules in the firewall or a manifest in the bucket${guess ? `; did you mean ${guess}?` : ''}`;
}

/** What release needs. */
export interface ReleaseDeps {
  store: ManifestStore;
  bucket: string;
  prefix: string;
  /** Every policy of the placement (a held project's rules may be in its regional policy). */
  policies: FirewallPolicies;
  publisher: EventPublisher;
  changesTopic: string;
  policy: PlatformPolicy;
  clock: Clock;
  /** The prefix the validator watches (EGRESS_MANIFEST_PREFIX); release refuses to run against another one. */
  watchedPrefix?: string;
  logger?: Logger;
}

/** The fate of one project. */
export interface ReleaseItem {
  project: string;
  status: 'released' | 'would-release' | 'not-held' | 'failed';
  generation?: string;
  eventId?: string;
  /** For `not-held`: why nothing was published. */
  reason?: string;
  error?: string;
}

/** The outcome of a release run. */
export interface ReleaseReport {
  items: ReleaseItem[];
  released: number;
  failed: number;
  refused?: Exclude<RevocationVerdict, { ok: true }>;
}

/** Releases the held revocations of `projects` (or of every project without a manifest, with `all`). */
export async function releaseRevocations(
  deps: ReleaseDeps,
  opts: { projects?: string[]; all?: boolean; dryRun?: boolean },
): Promise<ReleaseReport> {
  const snapshot = { rules: (await readPlacement(deps)).flatMap((st) => st.snapshot.rules) };
  const manifests = await loadBucketManifests(deps.store, deps.prefix, deps.policy);
  const live = new Map(manifests.map((m) => [m.key, m.object.name]));
  const owned = groupOwnedRules(snapshot.rules);
  const held = [...owned.entries()]
    .filter(([p, rs]) => !live.has(p) && rs.some((r) => !isTombstone(r)))
    .map(([p]) => p)
    .sort();
  const wanted = opts.all ? held : [...new Set(opts.projects ?? [])].sort();
  const items: ReleaseItem[] = [];
  const todo: string[] = [];
  for (const p of wanted) {
    if (held.includes(p)) todo.push(p);
    else items.push({ project: p, status: 'not-held', reason: notHeldReason(p, live, owned) });
  }
  const verdict = checkRevocations({
    command: 'release',
    where: `gs://${deps.bucket}/${deps.prefix}`,
    projects: todo,
    // An empty prefix is the signature of a wrong one only for `--all` (every project without a manifest). Projects
    // named on the command line (as drift lists them after a folder was emptied) are released: their deletes were
    // already decided by the validator from the watched prefix, which the FOREIGN_PREFIX check below pins.
    ...(opts.all ? { manifests: manifests.length } : {}),
    ownedProjects: held.length + manifests.length,
    max: Number.POSITIVE_INFINITY,
    watchedElsewhere: elsewhere(deps.prefix, deps.watchedPrefix),
  });
  if (!verdict.ok) return { items, released: 0, failed: 0, refused: verdict };
  for (const project of todo) items.push(await release(deps, project, owned.get(project) ?? [], !!opts.dryRun));
  const count = (s: ReleaseItem['status']) => items.filter((i) => i.status === s).length;
  return { items, released: count('released') + count('would-release'), failed: count('failed') };
}

/** Publishes (unless a dry run) the revocation of `project` at the generation its rules record, with `release`. */
async function release(
  deps: ReleaseDeps,
  project: string,
  owned: readonly ObservedRule[],
  dryRun: boolean,
): Promise<ReleaseItem> {
  const generation = appliedGeneration(owned) ?? '0';
  const ev = revocationEvent({
    bucket: deps.bucket,
    prefix: deps.prefix,
    project,
    generation,
    time: new Date(deps.clock.now()),
    release: true,
  });
  const item: ReleaseItem = { project, status: dryRun ? 'would-release' : 'released', generation, eventId: ev.id };
  if (dryRun) return item;
  try {
    await deps.publisher.publish(deps.changesTopic, encodeEvent(ev));
    const log = deps.logger ?? nullLogger;
    log.log('NOTICE', `released the held revocation of ${project}`, { project, eventId: ev.id, generation });
  } catch (err) {
    item.status = 'failed';
    item.error = err instanceof Error ? err.message : String(err);
  }
  return item;
}
