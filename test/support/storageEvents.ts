/**
 * Storage CloudEvents for tests that post to a function directly: the object described by a few fields (the rest
 * realistic defaults), built into an event by the one builder (local/fakes/gcs/events.ts, also the fake GCS's).
 */
import { createHash } from 'node:crypto';
import {
  type CloudEventRequest,
  cloudEventRequest,
  type StorageEventKind,
  storageCloudEvent,
} from '../../local/fakes/gcs/events';
import { objectResource } from '../../local/fakes/gcs/resource';
import { crc32cBase64, md5Base64 } from '../../shared/core/checksums';

export type { CloudEventRequest, StorageEventKind } from '../../local/fakes/gcs/events';

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

/** The object of `input` as GCS renders it (`StorageObjectData`). */
function objectOf(input: StorageEventInput) {
  const content = Buffer.from(input.content ?? '');
  const time = (input.time ?? new Date()).toISOString();
  const data = objectResource(
    {
      bucket: input.bucket,
      name: input.name,
      generation: BigInt(input.generation),
      metageneration: Number(input.metageneration ?? '1'),
      content,
      contentType: input.contentType ?? 'application/yaml',
      md5Hash: input.md5Hash ?? md5Base64(content),
      crc32c: input.crc32c ?? crc32cBase64(content),
      timeCreated: time,
      updated: time,
      ...(input.kind === 'deleted' || input.kind === 'archived' ? { timeDeleted: time } : {}),
    },
    'https://storage.googleapis.com',
  );
  return input.size === undefined ? data : { ...data, size: input.size };
}

/** A storage CloudEvent in binary mode, as Eventarc POSTs it to the function (a stable id per object generation). */
export function storageEventRequest(input: StorageEventInput): CloudEventRequest {
  const id =
    input.id ??
    createHash('sha256')
      .update(`${input.kind}/${input.bucket}/${input.name}/${input.generation}`)
      .digest('hex')
      .slice(0, 16);
  return cloudEventRequest(storageCloudEvent(input.kind, objectOf(input), id));
}
