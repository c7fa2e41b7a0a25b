/** JSON API resource shapes (`storage#object`, `storage#bucket`), with int64 fields as decimal strings like GCS. */
import type { BucketState, ObjectVersion } from './model';

/** The `storage#object` resource; also the Eventarc `StorageObjectData` body. */
export interface ObjectResource {
  kind: 'storage#object';
  id: string;
  selfLink: string;
  mediaLink: string;
  name: string;
  bucket: string;
  /** int64 as a decimal string (it can exceed 2^53). */
  generation: string;
  metageneration: string;
  contentType: string;
  storageClass: string;
  /** uint64 as a decimal string. */
  size: string;
  md5Hash: string;
  crc32c: string;
  etag: string;
  timeCreated: string;
  updated: string;
  timeStorageClassUpdated: string;
  timeDeleted?: string;
  metadata?: Record<string, string>;
}

/** Renders one generation; `baseUrl` is the fake's origin (links point back at it). */
export function objectResource(v: ObjectVersion, baseUrl: string): ObjectResource {
  const enc = encodeURIComponent(v.name);
  const gen = v.generation.toString();
  return {
    kind: 'storage#object',
    id: `${v.bucket}/${v.name}/${gen}`,
    selfLink: `${baseUrl}/storage/v1/b/${v.bucket}/o/${enc}`,
    mediaLink: `${baseUrl}/download/storage/v1/b/${v.bucket}/o/${enc}?generation=${gen}&alt=media`,
    name: v.name,
    bucket: v.bucket,
    generation: gen,
    metageneration: String(v.metageneration),
    contentType: v.contentType,
    storageClass: 'STANDARD',
    size: String(v.content.length),
    md5Hash: v.md5Hash,
    crc32c: v.crc32c,
    // Real etags are opaque base64; this one changes with generation and metageneration, as theirs do.
    etag: Buffer.from(`${gen}/${v.metageneration}`).toString('base64'),
    timeCreated: v.timeCreated,
    updated: v.updated,
    timeStorageClassUpdated: v.timeCreated,
    ...(v.timeDeleted ? { timeDeleted: v.timeDeleted } : {}),
    ...(v.metadata ? { metadata: v.metadata } : {}),
  };
}

/** Renders a bucket (`storage#bucket`). */
export function bucketResource(b: BucketState, baseUrl: string): Record<string, unknown> {
  return {
    kind: 'storage#bucket',
    id: b.name,
    selfLink: `${baseUrl}/storage/v1/b/${b.name}`,
    projectNumber: '0',
    name: b.name,
    timeCreated: b.timeCreated,
    updated: b.timeCreated,
    metageneration: String(b.metageneration),
    location: 'US',
    locationType: 'multi-region',
    storageClass: 'STANDARD',
    versioning: { enabled: b.versioning },
    iamConfiguration: { uniformBucketLevelAccess: { enabled: true }, publicAccessPrevention: 'enforced' },
    etag: Buffer.from(`${b.name}/${b.metageneration}`).toString('base64'),
  };
}
