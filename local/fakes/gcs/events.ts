/**
 * Storage CloudEvents as Eventarc delivers them over HTTP: binary content mode (ce-* headers) and a JSON
 * `StorageObjectData` body in the JSON API's shape (int64 fields such as `generation` and `size` as decimal strings).
 */
import { randomInt } from 'node:crypto';
import type { CloudEventEnvelope } from '../../../shared/core/events/types';
import type { ObjectResource } from './resource';

/**
 * A storage CloudEvent as a receiver sees it (the ce-* headers as fields, the body as `data`): type
 * `google.cloud.storage.object.v1.<kind>`, source `//storage.googleapis.com/projects/_/buckets/BUCKET`, subject
 * `objects/NAME`.
 */
export interface StorageCloudEvent extends CloudEventEnvelope<ObjectResource> {
  datacontenttype: 'application/json';
  /** Eventarc's `bucket` extension attribute. */
  bucket: string;
}

/** The binary-mode HTTP headers of an event (what Eventarc sends to a Cloud Run / functions endpoint). */
export function cloudEventHeaders(ev: StorageCloudEvent): Record<string, string> {
  return {
    'content-type': 'application/json',
    'ce-specversion': ev.specversion,
    'ce-id': ev.id,
    'ce-type': ev.type,
    'ce-source': ev.source,
    'ce-subject': ev.subject,
    'ce-time': ev.time,
    'ce-bucket': ev.bucket,
  };
}

/** The storage event kinds (`google.cloud.storage.object.v1.<kind>`). */
export type StorageEventKind = 'finalized' | 'deleted' | 'archived' | 'metadataUpdated';

/**
 * The CloudEvent of one storage change: the one builder, used by the fake GCS's notifier and by tests that post
 * events to a function directly. `id` defaults to an opaque numeric string (Eventarc's: unique per event, not per
 * object); a redelivery keeps its id, so tests that model one pass it.
 */
export function storageCloudEvent(
  kind: StorageEventKind | string,
  data: ObjectResource,
  id?: string,
): StorageCloudEvent {
  return {
    specversion: '1.0',
    id: id ?? `${Date.now()}${randomInt(1_000_000).toString().padStart(6, '0')}`,
    type: `google.cloud.storage.object.v1.${kind}`,
    source: `//storage.googleapis.com/projects/_/buckets/${data.bucket}`,
    subject: `objects/${data.name}`,
    time: kind === 'finalized' || kind === 'metadataUpdated' ? data.updated : (data.timeDeleted ?? data.updated),
    datacontenttype: 'application/json',
    bucket: data.bucket,
    data,
  };
}

/** An HTTP request carrying a CloudEvent in binary mode. */
export interface CloudEventRequest {
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** The binary-mode POST of `ev` (headers and JSON body), as Eventarc sends it to the function. */
export function cloudEventRequest(ev: StorageCloudEvent): CloudEventRequest {
  return { headers: cloudEventHeaders(ev), body: JSON.parse(JSON.stringify(ev.data)) as Record<string, unknown> };
}
