/**
 * Sync a folder of manifests to the bucket (the merge step, and the local pipeline's upload path): validate all,
 * then upload only what differs and optionally delete what was removed, each write guarded by a generation
 * precondition so a concurrent writer is detected instead of overwritten. See docs/sync.md.
 */
import { isManifestObject, normalizePrefix, objectNameOf, projectKeyOf } from '../core/bucket/layout';
import { crc32cBase64, md5Base64 } from '../core/checksums';
import type { ManifestResult } from '../core/manifest/types';
import type { PlatformPolicy } from '../core/policy/types';
import { checkRevocations, type RevocationVerdict } from '../core/safety/revocations';
import { PortError } from '../ports/errors';
import { type ManifestStore, PreconditionFailedError, StorageApiError, type StoredObject } from '../ports/storage';
import { validateManifestFiles } from './validateFiles';

/** A manifest file read from disk, with the object name it syncs to. */
export interface LocalManifest {
  /** The path as given (shown in messages). */
  path: string;
  /** PREFIX + base name. */
  objectName: string;
  content: Buffer;
}

/** What sync does (or, in a dry run, would do) to one object. */
export type SyncAction = 'create' | 'update' | 'unchanged' | 'delete';

/** One object's outcome. */
export interface SyncItem {
  object: string;
  /** The local file (absent for deletions). */
  file?: string;
  action: SyncAction;
  /** The generation compared against (and used as the write precondition). */
  previousGeneration?: string;
  /** The generation written (uploads that happened). */
  generation?: string;
  /** True once the write/delete happened (always false in a dry run; true for `unchanged`). */
  done: boolean;
}

/** Why a sync stopped part-way. */
export interface SyncFailure {
  object: string;
  /** `conflict`: a generation precondition failed (someone else wrote meanwhile); `storage`: an API failure. */
  kind: 'conflict' | 'storage';
  message: string;
  /** HTTP status when the storage API answered (0 = no response). */
  status?: number;
  transient?: boolean;
}

/** The result of a sync; `manifests` holds validation results (all of them when `valid` is false). */
export interface SyncReport {
  prefix: string;
  dryRun: boolean;
  /** False when validation refused the sync: then nothing was read from or written to the bucket. */
  valid: boolean;
  manifests: ManifestResult[];
  items: SyncItem[];
  /** Objects under the prefix with no local file, left in place because `delete` was off. */
  extraneous: string[];
  summary: { uploaded: number; unchanged: number; deleted: number };
  error?: SyncFailure;
  /** Set when the blast-radius guard refused the deletions: nothing was uploaded or deleted. */
  refused?: Exclude<RevocationVerdict, { ok: true }>;
}

/** Options of {@link syncManifests}. */
export interface SyncManifestsOptions {
  store: ManifestStore;
  /** Object-name prefix ('' or ending in '/'; see {@link normalizePrefix}). */
  prefix: string;
  files: LocalManifest[];
  /**
   * Validate every manifest first and refuse to sync if one is invalid (the merge-time behaviour). `'skip'` uploads
   * as-is: only for the local pipeline, which uploads a deliberately invalid example to show its rejection.
   */
  validation: { policy: PlatformPolicy } | 'skip';
  /** Remove objects under the prefix whose file is gone (only `*.yaml|*.yml` directly under the prefix). */
  deleteRemoved?: boolean;
  dryRun?: boolean;
  /** Parallel writes (default 8). */
  concurrency?: number;
  /** Called after each object is settled (unchanged ones included), for progress bars. */
  onProgress?: (done: number, total: number, item: SyncItem) => void;
  /**
   * The blast-radius guard of `--delete`: at most `max` projects revoked (default: the validation policy's
   * safety.maxRevocationsPerRun; no limit with `validation: 'skip'`), or up to `allow` (`--allow-revocations N`).
   */
  safety?: {
    max?: number;
    allow?: number | undefined;
    /**
     * The projects among `keys` (those whose last manifest the run deletes) that hold an allow in the firewall (an
     * owned rule other than a tombstone): only their deletion revokes anything, so only they count. Without it,
     * every such key counts (the bucket alone cannot tell).
     */
    revoking?: (keys: readonly string[]) => Promise<readonly string[]> | readonly string[];
    /** npm start's watcher: the guard's words for a local folder (core/safety/revocations.ts `local`). */
    local?: { command: string; where: string; howToAllow: (n: number) => string };
  };
}

/** A problem with the sync's inputs (not the manifests' content): the CLI maps it to a usage error. */
export class SyncInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SyncInputError';
  }
}

/**
 * Gives each file read from disk (adapters/manifestDir) its object name, PREFIX + base name; two files that would
 * land on the same object name are an input error.
 */
export function toLocalManifests(files: readonly { path: string; content: Buffer }[], prefix: string): LocalManifest[] {
  const p = normalizePrefix(prefix);
  const byObject = new Map<string, string>();
  return files.map(({ path, content }) => {
    const objectName = objectNameOf(p, path);
    const other = byObject.get(objectName);
    if (other)
      throw new SyncInputError(
        `${other} and ${path} would both be uploaded as ${objectName}: object names are PREFIX + file name, so file names must be unique`,
      );
    byObject.set(objectName, path);
    return { path, objectName, content };
  });
}

/** MD5 and CRC32C of `bytes`, base64 as GCS reports them (crc32c: 4 big-endian bytes). */
export function objectChecksums(bytes: Uint8Array): { md5Hash: string; crc32c: string } {
  return { md5Hash: md5Base64(bytes), crc32c: crc32cBase64(bytes) };
}

/** True when `remote` holds exactly `bytes`: md5 when the object has one, else crc32c (+ size). */
export function sameContent(bytes: Uint8Array, remote: StoredObject): boolean {
  if (remote.size !== bytes.length) return false;
  const local = objectChecksums(bytes);
  if (remote.md5Hash) return remote.md5Hash === local.md5Hash;
  if (remote.crc32c) return remote.crc32c === local.crc32c;
  // No checksum to compare: upload, since equal sizes prove nothing.
  return false;
}

/** Pure planning step: what to do per object, given the live objects under the prefix. */
export function planSync(
  files: LocalManifest[],
  remote: StoredObject[],
  prefix: string,
  deleteRemoved: boolean,
): { items: SyncItem[]; extraneous: string[] } {
  const p = normalizePrefix(prefix);
  const live = new Map(remote.map((o) => [o.name, o]));
  const items: SyncItem[] = files.map((f) => {
    const r = live.get(f.objectName);
    if (!r) return { object: f.objectName, file: f.path, action: 'create', done: false };
    const base = { object: f.objectName, file: f.path, previousGeneration: r.generation };
    return sameContent(f.content, r)
      ? { ...base, action: 'unchanged', done: true }
      : { ...base, action: 'update', done: false };
  });
  const local = new Set(files.map((f) => f.objectName));
  // Only manifest-shaped objects directly under the prefix are ours to delete: never "subfolders" or other files.
  const orphans = remote
    .filter((o) => isManifestObject(o.name, p))
    .filter((o) => !local.has(o.name))
    .sort((a, b) => a.name.localeCompare(b.name));
  if (!deleteRemoved) return { items, extraneous: orphans.map((o) => o.name) };
  for (const o of orphans)
    items.push({ object: o.name, action: 'delete', previousGeneration: o.generation, done: false });
  return { items, extraneous: [] };
}

function summarize(items: SyncItem[]): SyncReport['summary'] {
  const count = (pred: (i: SyncItem) => boolean) => items.filter(pred).length;
  return {
    uploaded: count((i) => (i.action === 'create' || i.action === 'update') && i.done),
    unchanged: count((i) => i.action === 'unchanged'),
    deleted: count((i) => i.action === 'delete' && i.done),
  };
}

function failureOf(err: unknown, object: string): SyncFailure {
  if (err instanceof PreconditionFailedError)
    return {
      object,
      kind: 'conflict',
      message: `${object} was changed in the bucket while syncing (generation precondition failed); nothing of it was overwritten. Re-run the sync to compare against the new generation.`,
      status: 412,
      transient: false,
    };
  return {
    object,
    kind: 'storage',
    message: err instanceof Error ? err.message : String(err),
    ...(err instanceof StorageApiError ? { status: err.status } : {}),
    ...(err instanceof PortError ? { transient: err.transient } : {}),
  };
}

/**
 * Validates (unless skipped), lists the prefix, and uploads/deletes what differs. Stops starting new writes at the
 * first failure and reports it in `error` (writes already done stay done; a re-run converges).
 */
export async function syncManifests(opts: SyncManifestsOptions): Promise<SyncReport> {
  const prefix = normalizePrefix(opts.prefix);
  const dryRun = opts.dryRun ?? false;
  const manifests = opts.validation === 'skip' ? [] : validateManifestFiles(opts.files, opts.validation.policy);
  const base = { prefix, dryRun, manifests, extraneous: [] as string[] };
  if (manifests.some((m) => !m.valid))
    return { ...base, valid: false, items: [], summary: { uploaded: 0, unchanged: 0, deleted: 0 } };

  let remote: StoredObject[];
  try {
    remote = await opts.store.list(prefix);
  } catch (err) {
    return {
      ...base,
      valid: true,
      items: [],
      summary: { uploaded: 0, unchanged: 0, deleted: 0 },
      error: failureOf(err, `${prefix}*`),
    };
  }
  const { items, extraneous } = planSync(opts.files, remote, prefix, opts.deleteRemoved ?? false);
  // A deletion revokes its project unless a local file of the same key stays (a rename `p.yml` -> `p.yaml`).
  const staying = new Set(opts.files.map((f) => projectKeyOf(f.objectName)));
  const deletedKeys = [
    ...new Set(items.filter((i) => i.action === 'delete').map((i) => projectKeyOf(i.object))),
  ].filter((k) => !staying.has(k));
  const revoked = opts.safety?.revoking && deletedKeys.length ? await opts.safety.revoking(deletedKeys) : deletedKeys;
  const local = opts.safety?.local;
  const verdict = checkRevocations({
    command: local?.command ?? 'sync --delete',
    where: local?.where ?? `the local folder and ${prefix || "'' (the bucket root)"}`,
    projects: revoked,
    ...(local ? { local: true, manifests: opts.files.length, howToAllow: local.howToAllow } : {}),
    max:
      opts.safety?.max ??
      (opts.validation === 'skip' ? Number.POSITIVE_INFINITY : opts.validation.policy.safety.maxRevocationsPerRun),
    allow: opts.safety?.allow,
  });
  if (!verdict.ok)
    return {
      ...base,
      valid: true,
      items: items.map((i) => (i.action === 'unchanged' ? i : { ...i, done: false })),
      extraneous,
      summary: { uploaded: 0, unchanged: items.filter((i) => i.action === 'unchanged').length, deleted: 0 },
      refused: verdict,
    };
  const total = items.length;
  let settled = 0;
  const progress = (item: SyncItem) => opts.onProgress?.(++settled, total, item);
  const contentOf = new Map(opts.files.map((f) => [f.objectName, f.content]));

  for (const item of items) if (item.action === 'unchanged') progress(item);
  const uploads = items.filter((i) => i.action === 'create' || i.action === 'update');
  const deletions = items.filter((i) => i.action === 'delete');
  let error: SyncFailure | undefined;

  const apply = async (item: SyncItem): Promise<void> => {
    try {
      if (item.action === 'delete') {
        await opts.store.delete(item.object, { ifGenerationMatch: item.previousGeneration! });
      } else {
        const written = await opts.store.write(item.object, contentOf.get(item.object)!, {
          ifGenerationMatch: item.previousGeneration ?? '0',
          contentType: 'application/yaml',
        });
        item.generation = written.generation;
      }
      item.done = true;
    } catch (err) {
      error ??= failureOf(err, item.object);
    }
  };
  // A small worker pool; after the first failure no new write starts (in-flight ones finish).
  const runAll = async (list: SyncItem[]): Promise<void> => {
    let next = 0;
    const worker = async () => {
      while (!error && next < list.length) {
        const item = list[next++]!;
        await apply(item);
        progress(item);
      }
    };
    const n = Math.max(1, Math.min(opts.concurrency ?? 8, list.length));
    await Promise.all(Array.from({ length: n }, worker));
  };

  if (dryRun) {
    for (const item of [...uploads, ...deletions]) progress(item);
  } else {
    // Uploads complete before any deletion starts, so a failed run never removes more than the new tree would.
    await runAll(uploads);
    if (!error) await runAll(deletions);
  }
  return { ...base, valid: true, items, extraneous, summary: summarize(items), ...(error ? { error } : {}) };
}
