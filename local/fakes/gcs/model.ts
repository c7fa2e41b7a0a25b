/**
 * The fake's bucket state: object generations, versioning, preconditions and the storage events each change causes.
 * Pure in-memory logic (no HTTP) so the server and direct test helpers share one set of rules.
 */
import { crc32cBase64, md5Base64 } from '../../../shared/core/checksums';

/** One stored generation of an object. */
export interface ObjectVersion {
  bucket: string;
  name: string;
  generation: bigint;
  metageneration: number;
  content: Buffer;
  contentType: string;
  md5Hash: string;
  crc32c: string;
  timeCreated: string;
  updated: string;
  /** Set when the generation stopped being live (archived in a versioned bucket). */
  timeDeleted?: string;
  /** Custom metadata (`metadata` in the JSON API). */
  metadata?: Record<string, string>;
}

/** A bucket: `versions` per object name, oldest first; the live one (if any) is flagged by `live`. */
export interface BucketState {
  name: string;
  versioning: boolean;
  timeCreated: string;
  metageneration: number;
  objects: Map<string, { versions: ObjectVersion[]; live: ObjectVersion | null }>;
}

/** The Eventarc storage event types (`google.cloud.storage.object.v1.<kind>`). */
export type StorageEventKind = 'finalized' | 'deleted' | 'archived' | 'metadataUpdated';

/** A change the notifier turns into a CloudEvent. */
export interface StorageChange {
  kind: StorageEventKind;
  object: ObjectVersion;
}

/** A GCS-shaped API error: `status` + `reason` become the JSON error body. */
export class GcsError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly location?: { locationType: string; location: string },
  ) {
    super(message);
    this.name = 'GcsError';
  }
}

/** Query-string preconditions as the JSON API names them (decimal strings). */
export interface Preconditions {
  ifGenerationMatch?: string;
  ifGenerationNotMatch?: string;
  ifMetagenerationMatch?: string;
  ifMetagenerationNotMatch?: string;
}

const PRECONDITION_MESSAGE = 'At least one of the pre-conditions you specified did not hold.';

function preconditionFailed(header: string): GcsError {
  return new GcsError(412, 'conditionNotMet', PRECONDITION_MESSAGE, { locationType: 'header', location: header });
}

/** Checks preconditions against `target` (the live generation for writes); throws 412 like GCS. */
export function checkPreconditions(target: ObjectVersion | null, p: Preconditions): void {
  if (p.ifGenerationMatch !== undefined) {
    const want = BigInt(p.ifGenerationMatch);
    // 0 means "only if no live object exists".
    if (want === 0n ? target !== null : target?.generation !== want) throw preconditionFailed('If-Match');
  }
  if (p.ifGenerationNotMatch !== undefined) {
    const not = BigInt(p.ifGenerationNotMatch);
    if (not === 0n ? target === null : target?.generation === not) throw preconditionFailed('If-None-Match');
  }
  if (p.ifMetagenerationMatch !== undefined && String(target?.metageneration) !== p.ifMetagenerationMatch)
    throw preconditionFailed('If-Metageneration-Match');
  if (p.ifMetagenerationNotMatch !== undefined && String(target?.metageneration) === p.ifMetagenerationNotMatch)
    throw preconditionFailed('If-Metageneration-Not-Match');
}

/** Validates a numeric query parameter the way GCS does (400 `invalid` otherwise). */
export function parseGenerationParam(name: string, value: string | null): string | undefined {
  if (value === null || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw new GcsError(400, 'invalid', `Invalid argument for ${name}: ${value}`);
  return value;
}

/** All buckets of one fake server, with a generation clock shared by every bucket. */
export class FakeStorage {
  readonly buckets = new Map<string, BucketState>();
  private lastGeneration = 0n;

  constructor(
    /** Default versioning for buckets created without an explicit setting (the product's bucket has it on). */
    readonly defaultVersioning: boolean,
    private readonly onChange: (changes: StorageChange[]) => void,
  ) {}

  /** Microsecond timestamps like real generations, strictly increasing even within one microsecond. */
  nextGeneration(): bigint {
    const now = BigInt(Date.now()) * 1000n;
    this.lastGeneration = now > this.lastGeneration ? now : this.lastGeneration + 1n;
    return this.lastGeneration;
  }

  /** Raises the generation clock after loading persisted state, so new generations stay above old ones. */
  observeGeneration(g: bigint): void {
    if (g > this.lastGeneration) this.lastGeneration = g;
  }

  createBucket(name: string, versioning = this.defaultVersioning): BucketState {
    if (!/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(name))
      throw new GcsError(400, 'invalid', `Invalid bucket name: '${name}'`);
    if (this.buckets.has(name))
      throw new GcsError(
        409,
        'conflict',
        'Your previous request to create the named bucket succeeded and you already own it.',
      );
    const b: BucketState = {
      name,
      versioning,
      timeCreated: new Date().toISOString(),
      metageneration: 1,
      objects: new Map(),
    };
    this.buckets.set(name, b);
    return b;
  }

  bucket(name: string): BucketState {
    const b = this.buckets.get(name);
    if (!b) throw new GcsError(404, 'notFound', 'The specified bucket does not exist.');
    return b;
  }

  /** The live generation, or the given one (live or noncurrent); 404 like GCS when absent. */
  getObject(bucket: string, name: string, generation?: string): ObjectVersion {
    const entry = this.bucket(bucket).objects.get(name);
    const found =
      generation === undefined
        ? (entry?.live ?? null)
        : (entry?.versions.find((v) => v.generation === BigInt(generation)) ?? null);
    if (!found) throw new GcsError(404, 'notFound', `No such object: ${bucket}/${name}`);
    return found;
  }

  /** Writes a new generation (upload finalize). Preconditions are checked against the live generation. */
  insertObject(
    bucket: string,
    name: string,
    content: Buffer,
    opts: { contentType?: string; metadata?: Record<string, string> } & Preconditions = {},
  ): ObjectVersion {
    const b = this.bucket(bucket);
    if (!name) throw new GcsError(400, 'required', 'Required parameter: name');
    const entry = b.objects.get(name) ?? { versions: [], live: null };
    checkPreconditions(entry.live, opts);
    const now = new Date().toISOString();
    const v: ObjectVersion = {
      bucket,
      name,
      generation: this.nextGeneration(),
      metageneration: 1,
      content,
      contentType: opts.contentType || 'application/octet-stream',
      md5Hash: md5Base64(content),
      crc32c: crc32cBase64(content),
      timeCreated: now,
      updated: now,
      ...(opts.metadata ? { metadata: opts.metadata } : {}),
    };
    const changes: StorageChange[] = [{ kind: 'finalized', object: v }];
    const old = entry.live;
    if (old) {
      // GCS: overwriting makes the old generation noncurrent (versioned: `archived`) or removes it (`deleted`).
      old.timeDeleted = now;
      if (b.versioning) changes.push({ kind: 'archived', object: old });
      else {
        entry.versions = entry.versions.filter((x) => x !== old);
        changes.push({ kind: 'deleted', object: old });
      }
    }
    entry.versions.push(v);
    entry.live = v;
    b.objects.set(name, entry);
    this.onChange(changes);
    return v;
  }

  /**
   * Deletes like `objects.delete`: without `generation` the live object is archived (versioned) or removed; with
   * `generation` that generation is removed permanently (a `deleted` event either way).
   */
  deleteObject(bucket: string, name: string, opts: { generation?: string } & Preconditions = {}): void {
    const b = this.bucket(bucket);
    const entry = b.objects.get(name);
    const target = this.getObject(bucket, name, opts.generation);
    checkPreconditions(target, opts);
    if (!entry) return;
    const now = new Date().toISOString();
    target.timeDeleted ??= now;
    const permanent = opts.generation !== undefined || !b.versioning;
    if (permanent) entry.versions = entry.versions.filter((x) => x !== target);
    if (entry.live === target) entry.live = null;
    if (entry.versions.length === 0) b.objects.delete(name);
    this.onChange([{ kind: permanent ? 'deleted' : 'archived', object: target }]);
  }

  /** `objects.patch` of contentType/metadata: bumps metageneration and emits `metadataUpdated`. */
  patchObject(
    bucket: string,
    name: string,
    patch: { contentType?: string; metadata?: Record<string, string | null> },
    opts: { generation?: string } & Preconditions = {},
  ): ObjectVersion {
    const target = this.getObject(bucket, name, opts.generation);
    checkPreconditions(target, opts);
    if (patch.contentType) target.contentType = patch.contentType;
    if (patch.metadata) {
      const m = { ...(target.metadata ?? {}) };
      for (const [k, val] of Object.entries(patch.metadata)) {
        if (val === null) delete m[k];
        else m[k] = String(val);
      }
      target.metadata = m;
    }
    target.metageneration += 1;
    target.updated = new Date().toISOString();
    this.onChange([{ kind: 'metadataUpdated', object: target }]);
    return target;
  }

  /** Objects sorted by name (then generation): live ones, or every generation when `versions`. */
  listObjects(bucket: string, opts: { prefix?: string; versions?: boolean } = {}): ObjectVersion[] {
    const b = this.bucket(bucket);
    const prefix = opts.prefix ?? '';
    const out: ObjectVersion[] = [];
    const names = [...b.objects.keys()].filter((n) => n.startsWith(prefix)).sort();
    for (const n of names) {
      const entry = b.objects.get(n)!;
      if (opts.versions) out.push(...entry.versions);
      else if (entry.live) out.push(entry.live);
    }
    return out;
  }
}
