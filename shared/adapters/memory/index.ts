/**
 * In-memory ports for tests: a versioned ManifestStore (generations, live/archived, preconditions), a recording
 * EventPublisher and a recording Logger, each with fault injection. Real code, no jest import.
 */

import { crc32cBase64, md5Base64 } from '../../core/checksums';
import type { PubSubMessage } from '../../core/events/types';
import type { Logger, LogSeverity } from '../../ports/logger';
import { type EventPublisher, PublishError } from '../../ports/publisher';
import { type ManifestStore, PreconditionFailedError, StorageApiError, type StoredObject } from '../../ports/storage';
import { classifyClientError as asPortError } from '../clientErrors';

/**
 * An error shaped like the Google clients' (HTTP `code` for GCS, gRPC `code` for Pub/Sub), for fault injection. The
 * memory ports classify injected faults as their adapters do (`classifyClientError`) and throw the port's error.
 */
export class FakeApiError extends Error {
  constructor(
    message: string,
    readonly code: number | string,
  ) {
    super(message);
    this.name = 'FakeApiError';
  }
}

const httpOf = (err: Error): number => {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' && code >= 100 ? code : 0;
};

interface Version {
  object: StoredObject;
  content: Buffer;
  live: boolean;
}

type StoreMethod = 'read' | 'stat' | 'list' | 'write' | 'delete';

/** A ManifestStore over memory that keeps every generation, like a bucket with object versioning on. */
export interface MemoryManifestStore extends ManifestStore {
  readonly bucket: string;
  /** Makes the next `times` calls of `method` reject with `error`. */
  failNext(method: StoreMethod, error: Error, times?: number): void;
  /** Removes a generation entirely (as if it aged out or was deleted with its generation). */
  purge(name: string, generation: string): void;
  /** Calls made so far, for assertions such as "read exactly generation G". */
  readonly calls: { method: StoreMethod; name?: string; generation?: string }[];
}

/** Creates an empty versioned store; generations start at a realistic 16-digit value and only grow. */
export function memoryManifestStore(bucket = 'egress-manifests'): MemoryManifestStore {
  const versions = new Map<string, Version[]>();
  const faults: { method: StoreMethod; error: Error; times: number }[] = [];
  const calls: MemoryManifestStore['calls'] = [];
  let nextGeneration = 1_700_000_000_000_000n;

  const fault = (method: StoreMethod): void => {
    const f = faults.find((x) => x.method === method && x.times > 0);
    if (f) {
      f.times--;
      throw asPortError(f.error, (m, t, cause) => new StorageApiError(m, httpOf(f.error), 'injected', t, { cause }));
    }
  };
  const live = (name: string): Version | undefined => versions.get(name)?.find((v) => v.live);

  return {
    bucket,
    calls,
    failNext(method, error, times = 1) {
      faults.push({ method, error, times });
    },
    purge(name, generation) {
      const list = versions.get(name) ?? [];
      versions.set(
        name,
        list.filter((v) => v.object.generation !== generation),
      );
    },
    async read(name, generation) {
      calls.push({ method: 'read', name, ...(generation ? { generation } : {}) });
      fault('read');
      const list = versions.get(name) ?? [];
      const v = generation ? list.find((x) => x.object.generation === generation) : list.find((x) => x.live);
      return v ? { object: { ...v.object }, text: v.content.toString('utf8') } : null;
    },
    async stat(name) {
      calls.push({ method: 'stat', name });
      fault('stat');
      const v = live(name);
      return v ? { ...v.object } : null;
    },
    async list(prefix) {
      calls.push({ method: 'list', name: prefix });
      fault('list');
      return [...versions.values()]
        .map((l) => l.find((v) => v.live))
        .filter((v): v is Version => !!v && v.object.name.startsWith(prefix))
        .map((v) => ({ ...v.object }))
        .sort((a, b) => a.name.localeCompare(b.name));
    },
    async write(name, content, opts = {}) {
      calls.push({ method: 'write', name });
      fault('write');
      const current = live(name);
      if (opts.ifGenerationMatch !== undefined && opts.ifGenerationMatch !== (current?.object.generation ?? '0'))
        throw new PreconditionFailedError(name);
      if (current) current.live = false;
      nextGeneration += 1n;
      const object: StoredObject = {
        name,
        generation: String(nextGeneration),
        size: content.length,
        md5Hash: md5Base64(content),
        crc32c: crc32cBase64(content),
        updated: new Date().toISOString(),
      };
      const list = versions.get(name) ?? [];
      list.push({ object, content: Buffer.from(content), live: true });
      versions.set(name, list);
      return { ...object };
    },
    async delete(name, opts = {}) {
      calls.push({ method: 'delete', name });
      fault('delete');
      const current = live(name);
      if (opts.ifGenerationMatch !== undefined && opts.ifGenerationMatch !== current?.object.generation)
        throw new PreconditionFailedError(name);
      if (!current) throw new StorageApiError(`No such object: ${bucket}/${name}`, 404, 'notFound', false);
      current.live = false;
    },
  };
}

/** A published message with its topic. */
export interface Published {
  topic: string;
  message: PubSubMessage;
  id: string;
}

/** An EventPublisher that records what was published (and acknowledged). */
export interface MemoryPublisher extends EventPublisher {
  readonly published: Published[];
  /** Messages published to `topic` (short name). */
  on(topic: string): Published[];
  /** Makes the next `times` publishes reject with `error` (nothing is recorded for them). */
  failNext(error: Error, times?: number): void;
}

/** Creates a recording publisher; message ids are sequential strings like the emulator's. */
export function memoryPublisher(): MemoryPublisher {
  const published: Published[] = [];
  const faults: { error: Error; times: number }[] = [];
  let n = 0;
  const short = (t: string): string => t.replace(/^projects\/[^/]+\/topics\//, '');
  return {
    published,
    on: (topic) => published.filter((p) => p.topic === short(topic)),
    failNext(error, times = 1) {
      faults.push({ error, times });
    },
    async publish(topic, message) {
      const f = faults.find((x) => x.times > 0);
      if (f) {
        f.times--;
        throw asPortError(f.error, (m, t, cause) => new PublishError(m, t, { cause }));
      }
      const id = String(++n);
      published.push({ topic: short(topic), message, id });
      return id;
    },
  };
}

/** One recorded log entry. */
export interface LogEntry {
  severity: LogSeverity;
  message: string;
  fields: Record<string, unknown>;
}

/** A Logger that records entries (and can echo them to stderr when debugging a test: EGRESS_TEST_LOGS=1). */
export function memoryLogger(): Logger & { entries: LogEntry[]; at(severity: LogSeverity): LogEntry[] } {
  const entries: LogEntry[] = [];
  return {
    entries,
    at: (severity) => entries.filter((e) => e.severity === severity),
    log(severity, message, fields = {}) {
      entries.push({ severity, message, fields });
      if (process.env.EGRESS_TEST_LOGS) process.stderr.write(`${JSON.stringify({ severity, message, ...fields })}\n`);
    },
  };
}
