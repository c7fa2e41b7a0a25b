/**
 * The bucket reader of the operator commands (replay, drift, release): the live manifests under a prefix, one per
 * project (its preferred spelling), read and validated with the validator's own rules; the warnings about what was
 * read; and the workloads of their projects for the predictions.
 */
import {
  isManifestObject,
  liveManifestOf,
  manifestsOf,
  normalizePrefix,
  prefixWarning,
  projectKeyOf,
} from '../core/bucket/layout';
import type { WorkloadError, Workloads } from '../core/firewall/workloads';
import type { EgressEntry, ProjectMeta } from '../core/manifest/types';
import { validateManifest } from '../core/manifest/validate';
import type { PlatformPolicy } from '../core/policy/types';
import type { ManifestStore, StoredObject } from '../ports/storage';
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
