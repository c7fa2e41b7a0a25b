/** The fake GCS's public types, and the context its request handlers share. */
import type { FakeStorage, Preconditions } from './model';
import type { Delivery, NotifyTarget, StorageCloudEvent } from './notifier';
import type { ObjectResource } from './resource';

/** Which kind of API call a request is; faults and the request log use it. */
export type FakeGcsOp = 'bucket' | 'list' | 'get' | 'download' | 'upload' | 'delete' | 'patch';

/** An injected failure: the next `times` requests of kind `op` (any kind when omitted) get `status`. */
export interface FakeGcsFault {
  op?: FakeGcsOp;
  status: number;
  times?: number;
  /** Only requests for this object name. */
  object?: string;
}

/** One served request, for tests that assert what a client did (e.g. a dry run wrote nothing). */
export interface FakeGcsRequest {
  method: string;
  op: FakeGcsOp | 'unknown';
  bucket?: string;
  object?: string;
  status: number;
}

export interface FakeGcsOptions {
  /** 0 or omitted: a free port. */
  port?: number;
  /** Where storage CloudEvents go (an Eventarc trigger's endpoint, or an in-process handler). */
  notify?: NotifyTarget;
  /** Keep buckets in `<persistDir>/gcs-state.json` across restarts. */
  persistDir?: string;
  /** Object versioning of buckets created without an explicit setting; default true (the product's bucket). */
  versioning?: boolean;
  /** Buckets to create at start (if absent). */
  buckets?: string[];
  /** Delivery retries: default 5 attempts, 100 ms doubling. */
  retry?: { attempts?: number; baseDelayMs?: number };
}

/** A running fake. */
export interface FakeGcs {
  /** `http://127.0.0.1:PORT`: pass as `apiEndpoint` or STORAGE_EMULATOR_HOST. */
  url: string;
  port: number;
  /** The in-memory model (for assertions the helpers below do not cover). */
  storage: FakeStorage;
  /** Stops the server and abandons pending deliveries. */
  close(): Promise<void>;
  /** Points deliveries at `url` (undefined: stop delivering; events are still recorded). */
  setNotifyUrl(url: string | undefined): void;
  setNotify(target: NotifyTarget | undefined): void;
  /** Resolves once every emitted event has been delivered or given up. */
  flushNotifications(): Promise<void>;
  /** Every storage event emitted so far, in emission order. */
  readonly events: readonly StorageCloudEvent[];
  readonly deliveries: readonly Delivery[];
  readonly requests: readonly FakeGcsRequest[];
  createBucket(name: string, opts?: { versioning?: boolean }): void;
  bucketNames(): string[];
  /** Writes directly (emits events like an upload). */
  putObject(
    bucket: string,
    name: string,
    content: string | Buffer,
    opts?: { contentType?: string } & Preconditions,
  ): ObjectResource;
  /** The live generation, or `generation`; null when absent. */
  getObject(bucket: string, name: string, generation?: string): { resource: ObjectResource; content: Buffer } | null;
  listObjects(bucket: string, opts?: { prefix?: string; versions?: boolean }): ObjectResource[];
  deleteObject(bucket: string, name: string, opts?: { generation?: string } & Preconditions): void;
  injectFault(fault: FakeGcsFault): void;
  /** A hook run before each API request is served (after it is classified): lets a test race a concurrent writer. */
  onRequest(hook: ((r: FakeGcsRequest) => void) | undefined): void;
}

/** An upload in progress (multipart and media finish at once; resumable ones span requests). */
export interface UploadSession {
  bucket: string;
  name: string;
  contentType?: string;
  metadata?: Record<string, string>;
  preconditions: Preconditions;
  chunks: Buffer[];
  received: number;
  done?: ObjectResource;
}

/** What the request handlers of one fake share. */
export interface GcsContext {
  storage: FakeStorage;
  sessions: Map<string, UploadSession>;
  /** `http://127.0.0.1:PORT`, known once the server listens. */
  baseUrl(): string;
  /** Saves the state when the fake persists. */
  persist(): void;
  /** Runs the test hook, then fails the request if a matching fault is armed. */
  gate(log: FakeGcsRequest): void;
}
