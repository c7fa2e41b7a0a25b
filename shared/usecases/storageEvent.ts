/**
 * Reads a Cloud Storage CloudEvent (as the functions framework hands it over) into the few fields the validator
 * needs. Bad input is data, never an exception: the caller logs it and acknowledges.
 */

/** The storage event kinds the validator acts on. */
export type StorageEventKind = 'finalized' | 'deleted' | 'archived';

/** Prefix of the Cloud Storage CloudEvent types (`…finalized`, `…deleted`, `…archived`, `…metadataUpdated`). */
export const STORAGE_EVENT_PREFIX = 'google.cloud.storage.object.v1.';

/** What the validator needs from a storage event. */
export interface StorageObjectEvent {
  kind: StorageEventKind;
  /** ce-id (for logs; Eventarc keeps it across redeliveries). */
  id: string;
  bucket: string;
  name: string;
  /** Decimal string (JSON API int64). */
  generation: string;
  /** Bytes; undefined when the event did not say. */
  size?: number;
  md5Hash?: string;
  crc32c?: string;
}

/** Outcome of reading a CloudEvent: usable, of a type we do not handle, or malformed. */
export type ParsedStorageEvent =
  | { ok: true; event: StorageObjectEvent }
  | { ok: false; unsupported: true; type: string }
  | { ok: false; unsupported: false; errors: string[] };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const KINDS: readonly string[] = ['finalized', 'deleted', 'archived'];

function dataObject(data: unknown): Record<string, unknown> | undefined {
  if (isObj(data) && !Buffer.isBuffer(data)) return data;
  // A body sent without a JSON content type reaches the function as text or bytes.
  const text = typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString('utf8') : undefined;
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isObj(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Reads `cloudEvent` (`{type, id, data: StorageObjectData, …}`) into a StorageObjectEvent, or says why not. */
export function parseStorageEvent(cloudEvent: unknown): ParsedStorageEvent {
  if (!isObj(cloudEvent)) return { ok: false, unsupported: false, errors: ['the CloudEvent is not an object'] };
  const type = cloudEvent.type;
  if (typeof type !== 'string' || !type)
    return { ok: false, unsupported: false, errors: ['the CloudEvent has no type (ce-type header missing?)'] };
  if (!type.startsWith(STORAGE_EVENT_PREFIX) || !KINDS.includes(type.slice(STORAGE_EVENT_PREFIX.length)))
    return { ok: false, unsupported: true, type };
  const errors: string[] = [];
  const id = typeof cloudEvent.id === 'string' ? cloudEvent.id : '';
  const d = dataObject(cloudEvent.data);
  if (!d) return { ok: false, unsupported: false, errors: ['data is not a JSON StorageObjectData object'] };
  const bucket = d.bucket;
  const name = d.name;
  // int64 travels as a string in the JSON API; a JSON number is only exact up to 2^53, so accept only safe ones.
  const generation =
    typeof d.generation === 'number' && Number.isSafeInteger(d.generation) ? String(d.generation) : d.generation;
  if (typeof bucket !== 'string' || !bucket) errors.push('data.bucket must be a non-empty string');
  if (typeof name !== 'string' || !name) errors.push('data.name must be a non-empty string');
  if (typeof generation !== 'string' || !/^\d+$/.test(generation))
    errors.push(`data.generation must be a decimal string, got ${JSON.stringify(d.generation)}`);
  if (errors.length) return { ok: false, unsupported: false, errors };
  const size = typeof d.size === 'string' || typeof d.size === 'number' ? Number(d.size) : Number.NaN;
  return {
    ok: true,
    event: {
      kind: type.slice(STORAGE_EVENT_PREFIX.length) as StorageEventKind,
      id,
      bucket: bucket as string,
      name: name as string,
      generation: generation as string,
      ...(Number.isFinite(size) ? { size } : {}),
      ...(typeof d.md5Hash === 'string' ? { md5Hash: d.md5Hash } : {}),
      ...(typeof d.crc32c === 'string' ? { crc32c: d.crc32c } : {}),
    },
  };
}
