/**
 * Builders of Cloud Storage CloudEvents exactly as Eventarc delivers them over HTTP: binary content mode (ce-*
 * headers) and a JSON `StorageObjectData` body in the JSON API's shape, where int64 fields such as `generation` and
 * `size` are decimal strings. No jest import: the local pipeline may use these too.
 */
import { createHash } from 'node:crypto';

/** The storage event kinds the validator subscribes to. */
export type StorageEventKind = 'finalized' | 'deleted' | 'archived' | 'metadataUpdated';

/** What a test says about the object; everything else gets realistic defaults. */
export interface StorageEventInput {
  kind: StorageEventKind;
  bucket: string;
  name: string;
  generation: string;
  /** The object's bytes, to compute md5Hash/crc32c/size like GCS; or give the fields directly. */
  content?: string | Buffer;
  md5Hash?: string;
  crc32c?: string;
  size?: string;
  metageneration?: string;
  contentType?: string;
  time?: Date;
  /** Overrides ce-id (Eventarc's ids are opaque; the same delivery retried keeps its id). */
  id?: string;
}

/** An HTTP request carrying a CloudEvent in binary mode. */
export interface CloudEventRequest {
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC32C (Castagnoli) of `buf`, base64 of the big-endian 4 bytes, as GCS reports `crc32c`. */
export function crc32cBase64(buf: Buffer): string {
  let crc = 0xffffffff;
  for (const b of buf) crc = CRC32C_TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}

/** MD5 of `buf` in base64, as GCS reports `md5Hash`. */
export function md5Base64(buf: Buffer): string {
  return createHash('md5').update(buf).digest('base64');
}

/** The CloudEvent `type` of a storage event kind. */
export function storageEventType(kind: StorageEventKind): string {
  return `google.cloud.storage.object.v1.${kind}`;
}

/** The `StorageObjectData` body of a storage CloudEvent. */
export function storageObjectData(input: StorageEventInput): Record<string, unknown> {
  const content = input.content === undefined ? undefined : Buffer.from(input.content);
  const time = (input.time ?? new Date()).toISOString();
  const enc = encodeURIComponent(input.name);
  return {
    kind: 'storage#object',
    id: `${input.bucket}/${input.name}/${input.generation}`,
    selfLink: `https://www.googleapis.com/storage/v1/b/${input.bucket}/o/${enc}`,
    name: input.name,
    bucket: input.bucket,
    generation: input.generation,
    metageneration: input.metageneration ?? '1',
    contentType: input.contentType ?? 'application/yaml',
    timeCreated: time,
    updated: time,
    storageClass: 'STANDARD',
    timeStorageClassUpdated: time,
    size: input.size ?? String(content?.length ?? 0),
    md5Hash: input.md5Hash ?? (content ? md5Base64(content) : undefined),
    mediaLink: `https://storage.googleapis.com/download/storage/v1/b/${input.bucket}/o/${enc}?generation=${input.generation}&alt=media`,
    crc32c: input.crc32c ?? (content ? crc32cBase64(content) : undefined),
    etag: Buffer.from(`${input.generation}:${input.metageneration ?? '1'}`).toString('base64'),
    ...(input.kind === 'deleted' || input.kind === 'archived' ? { timeDeleted: time } : {}),
  };
}

/** A storage CloudEvent in binary mode, as Eventarc POSTs it to the function. */
export function storageCloudEvent(input: StorageEventInput): CloudEventRequest {
  const time = (input.time ?? new Date()).toISOString();
  const id =
    input.id ??
    createHash('sha256')
      .update(`${input.kind}/${input.bucket}/${input.name}/${input.generation}`)
      .digest('hex')
      .slice(0, 16);
  return {
    headers: {
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-type': storageEventType(input.kind),
      'ce-source': `//storage.googleapis.com/projects/_/buckets/${input.bucket}`,
      'ce-subject': `objects/${input.name}`,
      'ce-time': time,
      'content-type': 'application/json; charset=utf-8',
    },
    body: JSON.parse(JSON.stringify(storageObjectData(input))) as Record<string, unknown>,
  };
}
