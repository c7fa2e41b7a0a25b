/**
 * The one codec of the egress-change and status events (CloudEvents binary mode on Pub/Sub). Both functions, the
 * CLI (replay) and the tests use it, so the wire format has a single definition. See docs/events.md.
 */
import { createHash } from 'node:crypto';

import type { EgressEntry, ProjectMeta } from '../manifest/types';
import {
  type ChangeReason,
  type CloudEventEnvelope,
  EGRESS_CHANGED_TYPE,
  EGRESS_STATUS_TYPE,
  type EgressChangeEvent,
  type ManifestSource,
  type PubSubMessage,
  type StatusData,
  type StatusEvent,
} from './types';

/** Hash of a project's desired state: equal hashes mean equal rules. Entry order and descriptions do not count. */
export function desiredHash(project: string, entries: readonly EgressEntry[]): string {
  const canon = [...new Set(entries.map((e) => `${e.type}:${e.value}`))].sort();
  return createHash('sha256')
    .update(JSON.stringify([project, canon]))
    .digest('hex')
    .slice(0, 16);
}

/** Deterministic event id from (bucket, object, generation, reason): a redelivered or re-published change keeps its id. */
export function changeEventId(source: ManifestSource, reason: ChangeReason): string {
  return createHash('sha256')
    .update(JSON.stringify([source.bucket, source.object, source.generation, reason]))
    .digest('hex')
    .slice(0, 32);
}

/** `ce-source` of events published by this product for a bucket. */
export function eventSource(bucket: string): string {
  return `//storage.googleapis.com/projects/_/buckets/${bucket}`;
}

/** Builds an egress-change event; `time` defaults to now (the only non-deterministic field). */
export function makeEgressChange(args: {
  project: ProjectMeta;
  reason: ChangeReason;
  entries: EgressEntry[];
  source: ManifestSource;
  time?: Date;
  supersedes?: { generation: string; object?: string } | undefined;
  release?: boolean;
}): EgressChangeEvent {
  const entries = args.reason === 'delete' ? [] : args.entries;
  // A release or a superseding event is another decision than the plain change: it gets its own (deterministic) id.
  const variant = args.release ? ':release' : args.supersedes ? `:supersedes=${args.supersedes.generation}` : '';
  const id = changeEventId(args.source, args.reason);
  return {
    specversion: '1.0',
    id: variant ? createHash('sha256').update(`${id}${variant}`).digest('hex').slice(0, 32) : id,
    type: EGRESS_CHANGED_TYPE,
    source: eventSource(args.source.bucket),
    subject: args.project.name,
    time: (args.time ?? new Date()).toISOString(),
    data: {
      schemaVersion: 1,
      project: args.project,
      reason: args.reason,
      entries,
      source: args.source,
      desiredHash: desiredHash(args.project.name, entries),
      ...(args.supersedes ? { supersedes: args.supersedes } : {}),
      ...(args.release ? { release: true as const } : {}),
    },
  };
}

/** Builds a status event about `data.project`; the id is derived from the change it reports on when there is one. */
export function makeStatus(data: StatusData, source: string, time: Date = new Date()): StatusEvent {
  const id = createHash('sha256')
    .update(
      JSON.stringify([
        data.outcome,
        data.project,
        data.changeId ?? '',
        data.source?.generation ?? '',
        time.toISOString(),
      ]),
    )
    .digest('hex')
    .slice(0, 32);
  return {
    specversion: '1.0',
    id,
    type: EGRESS_STATUS_TYPE,
    source,
    subject: data.project,
    time: time.toISOString(),
    data,
  };
}

/** Encodes any of our CloudEvents as a Pub/Sub message in binary mode; ordering key = subject (the project key). */
export function encodeEvent<T>(event: CloudEventEnvelope<T>): PubSubMessage {
  return {
    data: Buffer.from(JSON.stringify(event.data)),
    attributes: {
      'ce-specversion': event.specversion,
      'ce-type': event.type,
      'ce-source': event.source,
      'ce-id': event.id,
      'ce-subject': event.subject,
      'ce-time': event.time,
      'content-type': 'application/json',
    },
    orderingKey: event.subject,
  };
}

/** A decode failure: the message is permanently unusable (a poison message), never worth a retry. */
export interface DecodeError {
  ok: false;
  errors: string[];
}

/** The Pub/Sub message as it arrives in a `messagePublished` CloudEvent (`data` base64) or from a pull. */
export interface IncomingMessage {
  data?: string | Buffer | Uint8Array | null;
  attributes?: Record<string, string> | null;
}

function readEnvelope(msg: IncomingMessage, type: string, errors: string[]): CloudEventEnvelope<unknown> | undefined {
  const a = msg.attributes ?? {};
  for (const k of ['ce-specversion', 'ce-type', 'ce-source', 'ce-id', 'ce-subject', 'ce-time']) {
    if (typeof a[k] !== 'string' || a[k] === '') errors.push(`attribute ${k} is missing`);
  }
  if (a['ce-specversion'] && a['ce-specversion'] !== '1.0')
    errors.push(`ce-specversion ${a['ce-specversion']} is not 1.0`);
  if (a['ce-type'] && a['ce-type'] !== type) errors.push(`ce-type ${a['ce-type']} is not ${type}`);
  let data: unknown;
  try {
    const raw =
      msg.data == null ? '' : typeof msg.data === 'string' ? Buffer.from(msg.data, 'base64') : Buffer.from(msg.data);
    data = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    errors.push(`data is not JSON: ${(e as Error).message}`);
  }
  if (errors.length) return undefined;
  return {
    specversion: '1.0',
    id: a['ce-id']!,
    type: a['ce-type']!,
    source: a['ce-source']!,
    subject: a['ce-subject']!,
    time: a['ce-time']!,
    data,
  };
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Decodes and checks the shape of an egress-change message. It does not re-validate the entries' values: consumers
 * re-check them with the manifest core (never trust the wire).
 */
export function decodeEgressChange(msg: IncomingMessage): { ok: true; event: EgressChangeEvent } | DecodeError {
  const errors: string[] = [];
  const env = readEnvelope(msg, EGRESS_CHANGED_TYPE, errors);
  if (!env) return { ok: false, errors };
  const d = env.data;
  if (!isObj(d)) return { ok: false, errors: ['data is not an object'] };
  if (d.schemaVersion !== 1) errors.push(`data.schemaVersion ${String(d.schemaVersion)} is not 1`);
  if (!isObj(d.project) || !isStr(d.project.name) || !isStr(d.project.environment))
    errors.push('data.project must have string name and environment');
  if (!['upsert', 'delete', 'replay'].includes(d.reason as string))
    errors.push(`data.reason ${String(d.reason)} is unknown`);
  if (!Array.isArray(d.entries)) errors.push('data.entries must be an array');
  else
    d.entries.forEach((e, i) => {
      if (!isObj(e) || !isStr(e.value) || !['hostname', 'wildcard', 'cidr'].includes(e.type as string))
        errors.push(`data.entries[${i}] must be {value, type: hostname|wildcard|cidr}`);
      else if (e.description !== undefined && !isStr(e.description))
        errors.push(`data.entries[${i}].description must be a string`);
    });
  const s = d.source;
  if (!isObj(s) || !isStr(s.bucket) || !isStr(s.object) || !isStr(s.generation) || !/^\d+$/.test(s.generation))
    errors.push('data.source must have string bucket, object and a decimal generation');
  if (!isStr(d.desiredHash)) errors.push('data.desiredHash must be a string');
  const sup = d.supersedes;
  if (
    sup !== undefined &&
    (!isObj(sup) ||
      (sup.object !== undefined && !isStr(sup.object)) ||
      !isStr(sup.generation) ||
      !/^\d+$/.test(sup.generation))
  )
    errors.push('data.supersedes must have a decimal generation (and optionally a string object)');
  if (d.release !== undefined && d.release !== true) errors.push('data.release must be true when present');
  if (isObj(d.project) && isStr(d.project.name) && env.subject !== d.project.name)
    errors.push(`ce-subject ${env.subject} does not match data.project.name ${d.project.name}`);
  if (errors.length) return { ok: false, errors };
  return { ok: true, event: env as EgressChangeEvent };
}

/** Decodes a status message (for operators' tools and tests). */
export function decodeStatus(msg: IncomingMessage): { ok: true; event: StatusEvent } | DecodeError {
  const errors: string[] = [];
  const env = readEnvelope(msg, EGRESS_STATUS_TYPE, errors);
  if (!env) return { ok: false, errors };
  const d = env.data;
  if (!isObj(d) || !isStr(d.outcome) || !isStr(d.project))
    return { ok: false, errors: ['data must have outcome and project'] };
  return { ok: true, event: env as StatusEvent };
}

/** Compares GCS generations (decimal strings beyond 2^53). */
export function compareGenerations(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
