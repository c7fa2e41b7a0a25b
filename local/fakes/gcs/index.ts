/**
 * A fake of the GCS JSON API that the real `@google-cloud/storage` client talks to, on 127.0.0.1 (see docs/fake-gcs.md).
 * Buckets, generations, preconditions, checksums and Eventarc-style storage CloudEvents; no auth, no ACLs.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32cBase64, md5Base64 } from '../../../shared/core/checksums';
import {
  checkPreconditions,
  FakeStorage,
  GcsError,
  type ObjectVersion,
  type Preconditions,
  parseGenerationParam,
} from './model';
import { type Delivery, Notifier, type NotifyTarget, type StorageCloudEvent, storageCloudEvent } from './notifier';
import { loadState, saveState } from './persist';
import { bucketResource, type ObjectResource, objectResource } from './resource';

export { crc32cBase64, md5Base64 } from '../../../shared/core/checksums';
export type { Delivery, NotifyTarget, StorageCloudEvent } from './notifier';
export { cloudEventHeaders } from './notifier';
export type { ObjectResource } from './resource';

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

interface UploadSession {
  bucket: string;
  name: string;
  contentType?: string;
  metadata?: Record<string, string>;
  preconditions: Preconditions;
  chunks: Buffer[];
  received: number;
  done?: ObjectResource;
}

/** A multipart or resumable upload's session: content type and custom metadata only when the request gave them. */
function newSession(
  bucket: string,
  name: string,
  contentType: string | undefined,
  meta: Record<string, unknown>,
  preconditions: Preconditions,
): UploadSession {
  return {
    bucket,
    name,
    ...(contentType ? { contentType } : {}),
    ...(meta.metadata && typeof meta.metadata === 'object'
      ? { metadata: meta.metadata as Record<string, string> }
      : {}),
    preconditions,
    chunks: [],
    received: 0,
  };
}

const MAX_BODY = 64 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new GcsError(413, 'uploadTooLarge', 'The fake GCS accepts at most 64 MiB per request.'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The JSON API error body: `{error: {code, message, errors: [{message, domain, reason, ...}]}}`. */
function sendError(res: ServerResponse, e: GcsError): void {
  sendJson(res, e.status, {
    error: {
      code: e.status,
      message: e.message,
      errors: [{ message: e.message, domain: 'global', reason: e.reason, ...(e.location ?? {}) }],
    },
  });
}

function preconditionsFrom(q: URLSearchParams): Preconditions {
  const p: Preconditions = {};
  for (const k of [
    'ifGenerationMatch',
    'ifGenerationNotMatch',
    'ifMetagenerationMatch',
    'ifMetagenerationNotMatch',
  ] as const) {
    const v = parseGenerationParam(k, q.get(k));
    if (v !== undefined) p[k] = v;
  }
  return p;
}

/** Splits a `multipart/related` body into its parts (headers lowercased, body bytes). */
function parseMultipart(body: Buffer, contentType: string): { headers: Record<string, string>; body: Buffer }[] {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw new GcsError(400, 'invalid', 'multipart upload without a boundary');
  const delim = Buffer.from(`--${boundary}`);
  const parts: { headers: Record<string, string>; body: Buffer }[] = [];
  let pos = body.indexOf(delim);
  while (pos !== -1) {
    let start = pos + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    if (body.subarray(start, start + 2).toString() === '\r\n') start += 2;
    const next = body.indexOf(delim, start);
    if (next === -1) break;
    // The part ends with CRLF before the next delimiter.
    const part = body.subarray(start, body[next - 2] === 13 && body[next - 1] === 10 ? next - 2 : next);
    const sep = part.indexOf('\r\n\r\n');
    const head = sep === -1 ? '' : part.subarray(0, sep).toString();
    const headers: Record<string, string> = {};
    for (const line of head.split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    parts.push({ headers, body: sep === -1 ? part : part.subarray(sep + 4) });
    pos = next;
  }
  return parts;
}

/** Checks an `x-goog-hash: crc32c=…,md5=…` header against the bytes, as GCS does on upload (400 on mismatch). */
function verifyUploadHash(header: string | string[] | undefined, content: Buffer): void {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return;
  for (const pair of value.split(',')) {
    const i = pair.indexOf('=');
    const kind = pair.slice(0, i).trim();
    const want = pair.slice(i + 1).trim();
    const got = kind === 'crc32c' ? crc32cBase64(content) : kind === 'md5' ? md5Base64(content) : undefined;
    if (got !== undefined && got !== want)
      throw new GcsError(
        400,
        'invalid',
        `Provided ${kind.toUpperCase()} hash "${want}" doesn't match calculated ${kind.toUpperCase()} hash "${got}".`,
      );
  }
}

function faultReason(status: number): string {
  if (status === 429) return 'rateLimitExceeded';
  if (status >= 500) return 'backendError';
  return 'injectedFault';
}

/** Starts the fake on 127.0.0.1. */
export async function startFakeGcs(opts: FakeGcsOptions = {}): Promise<FakeGcs> {
  let baseUrl = '';
  const notifier = new Notifier(opts.notify, {
    attempts: opts.retry?.attempts ?? 5,
    baseDelayMs: opts.retry?.baseDelayMs ?? 100,
  });
  const persist = () => {
    if (opts.persistDir) saveState(opts.persistDir, storage);
  };
  const storage = new FakeStorage(opts.versioning ?? true, (changes) => {
    persist();
    for (const c of changes) notifier.emit(storageCloudEvent(c.kind, objectResource(c.object, baseUrl)));
  });
  if (opts.persistDir) loadState(opts.persistDir, storage);
  for (const b of opts.buckets ?? []) if (!storage.buckets.has(b)) storage.createBucket(b);
  persist();

  const sessions = new Map<string, UploadSession>();
  const faults: (FakeGcsFault & { left: number })[] = [];
  const requests: FakeGcsRequest[] = [];

  let onRequest: ((r: FakeGcsRequest) => void) | undefined;

  /** Runs the test hook, then fails the request if a matching fault is armed. */
  const gate = (log: FakeGcsRequest): void => {
    onRequest?.(log);
    const op = log.op as FakeGcsOp;
    const f = faults.find((x) => x.left > 0 && (!x.op || x.op === op) && (!x.object || x.object === log.object));
    if (!f) return;
    f.left -= 1;
    throw new GcsError(f.status, faultReason(f.status), `injected fault (${f.status})`);
  };

  const finalize = (s: UploadSession, content: Buffer): ObjectResource => {
    const v = storage.insertObject(s.bucket, s.name, content, {
      ...s.preconditions,
      ...(s.contentType ? { contentType: s.contentType } : {}),
      ...(s.metadata ? { metadata: s.metadata } : {}),
    });
    return objectResource(v, baseUrl);
  };

  const sendObject = (res: ServerResponse, v: ObjectVersion, req: IncomingMessage): void => {
    const headers: Record<string, string | number> = {
      'content-type': v.contentType,
      'x-goog-hash': `crc32c=${v.crc32c},md5=${v.md5Hash}`,
      'x-goog-generation': v.generation.toString(),
      'x-goog-metageneration': String(v.metageneration),
      // storage@7 validates the checksum only when it sees the stored encoding (identity = not gzipped).
      'x-goog-stored-content-encoding': 'identity',
      'x-goog-stored-content-length': v.content.length,
      etag: `"${v.md5Hash}"`,
      'last-modified': new Date(v.updated).toUTCString(),
    };
    const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
    if (range && (range[1] || range[2])) {
      const size = v.content.length;
      const start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
      const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      const slice = v.content.subarray(start, end + 1);
      res.writeHead(206, {
        ...headers,
        'content-range': `bytes ${start}-${end}/${size}`,
        'content-length': slice.length,
      });
      res.end(slice);
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': v.content.length });
    res.end(v.content);
  };

  const handleUpload = async (
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    q: URLSearchParams,
  ): Promise<void> => {
    const uploadId = q.get('upload_id');
    if (uploadId) {
      const s = sessions.get(uploadId);
      if (!s) throw new GcsError(404, 'notFound', `No such upload session: ${uploadId}`);
      if (req.method === 'DELETE') {
        sessions.delete(uploadId);
        res.writeHead(499);
        res.end();
        return;
      }
      const body = await readBody(req);
      if (s.done) return sendJson(res, 200, s.done);
      const cr = String(req.headers['content-range'] ?? '');
      const status = /^bytes \*\/(\d+|\*)$/.exec(cr);
      const chunk = /^bytes (\d+)-(\d+|\*)\/(\d+|\*)$/.exec(cr);
      let total: number | undefined;
      if (status) {
        total = status[1] === '*' ? undefined : Number(status[1]);
      } else if (chunk) {
        const start = Number(chunk[1]);
        if (start > s.received)
          throw new GcsError(400, 'invalid', `Chunk starts at ${start} but only ${s.received} bytes were received`);
        // Bytes already received are dropped (a client resending after a lost response).
        const fresh = body.subarray(s.received - start);
        s.chunks.push(fresh);
        s.received += fresh.length;
        // `bytes N-*/*` is a single-request upload: the request body is the rest of the object.
        total = chunk[3] === '*' ? (chunk[2] === '*' ? s.received : undefined) : Number(chunk[3]);
      } else {
        s.chunks.push(body);
        s.received += body.length;
        total = s.received;
      }
      if (total !== undefined && s.received >= total) {
        const content = Buffer.concat(s.chunks);
        verifyUploadHash(req.headers['x-goog-hash'], content);
        s.done = finalize(s, content);
        return sendJson(res, 200, s.done);
      }
      res.writeHead(308, s.received > 0 ? { range: `bytes=0-${s.received - 1}`, 'content-length': 0 } : {});
      res.end();
      return;
    }
    if (req.method !== 'POST') throw new GcsError(405, 'invalid', `Unsupported upload method ${req.method}`);
    storage.bucket(bucket);
    const type = q.get('uploadType');
    const body = await readBody(req);
    const preconditions = preconditionsFrom(q);
    if (type === 'media') {
      const name = q.get('name') ?? '';
      verifyUploadHash(req.headers['x-goog-hash'], body);
      const s: UploadSession = {
        bucket,
        name,
        contentType: String(req.headers['content-type'] ?? ''),
        preconditions,
        chunks: [],
        received: 0,
      };
      return sendJson(res, 200, finalize(s, body));
    }
    if (type === 'multipart') {
      const parts = parseMultipart(body, String(req.headers['content-type'] ?? ''));
      const meta = parts[0] ? (JSON.parse(parts[0].body.toString() || '{}') as Record<string, unknown>) : {};
      const data = parts[1];
      if (!data) throw new GcsError(400, 'invalid', 'multipart upload needs a metadata part and a media part');
      const name = q.get('name') ?? (typeof meta.name === 'string' ? meta.name : '');
      // Checksums given in the metadata are verified like GCS does (the upload fails on mismatch).
      if (typeof meta.crc32c === 'string' && meta.crc32c !== crc32cBase64(data.body))
        throw new GcsError(400, 'invalid', 'Provided CRC32C does not match the calculated CRC32C of the content.');
      if (typeof meta.md5Hash === 'string' && meta.md5Hash !== md5Base64(data.body))
        throw new GcsError(400, 'invalid', 'Provided MD5 hash does not match the calculated MD5 hash of the content.');
      const contentType = typeof meta.contentType === 'string' ? meta.contentType : data.headers['content-type'];
      const s = newSession(bucket, name, contentType, meta, preconditions);
      return sendJson(res, 200, finalize(s, data.body));
    }
    if (type === 'resumable') {
      const meta = body.length ? (JSON.parse(body.toString()) as Record<string, unknown>) : {};
      const name = q.get('name') ?? (typeof meta.name === 'string' ? meta.name : '');
      if (!name) throw new GcsError(400, 'required', 'Required parameter: name');
      // GCS checks preconditions when the session starts and again when it is finalized.
      const entry = storage.bucket(bucket).objects.get(name);
      checkPreconditions(entry?.live ?? null, preconditions);
      const id = randomUUID().replace(/-/g, '');
      const contentType = String(req.headers['x-upload-content-type'] ?? meta.contentType ?? '');
      sessions.set(id, newSession(bucket, name, contentType, meta, preconditions));
      const host = req.headers.host ?? baseUrl.replace(/^http:\/\//, '');
      const location = `http://${host}/upload/storage/v1/b/${bucket}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
      res.writeHead(200, { location, 'x-guploader-uploadid': id, 'content-length': 0 });
      res.end();
      return;
    }
    throw new GcsError(400, 'invalid', `Unsupported uploadType: ${type ?? '(none)'}`);
  };

  const route = async (req: IncomingMessage, res: ServerResponse, log: FakeGcsRequest): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const q = url.searchParams;
    let path = url.pathname;
    const method = req.method ?? 'GET';

    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o\/?$/.exec(path);
    if (upload) {
      const bucket = decodeURIComponent(upload[1]!);
      log.op = 'upload';
      log.bucket = bucket;
      const name = q.get('name') ?? undefined;
      if (name) log.object = name;
      gate(log);
      return handleUpload(req, res, bucket, q);
    }
    let forceMedia = false;
    if (path.startsWith('/download/storage/v1/')) {
      path = path.slice('/download'.length);
      forceMedia = true;
    }
    // storage@7 drops the /storage/v1 prefix when STORAGE_EMULATOR_HOST is set: accept both forms.
    if (path.startsWith('/storage/v1/')) path = path.slice('/storage/v1'.length);

    if (path === '/b' || path === '/b/') {
      log.op = 'bucket';
      gate(log);
      if (method === 'POST') {
        const meta = JSON.parse((await readBody(req)).toString() || '{}') as {
          name?: string;
          versioning?: { enabled?: boolean };
        };
        const b = storage.createBucket(meta.name ?? '', meta.versioning?.enabled ?? storage.defaultVersioning);
        persist();
        return sendJson(res, 200, bucketResource(b, baseUrl));
      }
      if (method === 'GET')
        return sendJson(res, 200, {
          kind: 'storage#buckets',
          items: [...storage.buckets.values()].map((b) => bucketResource(b, baseUrl)),
        });
    }
    const bucketMatch = /^\/b\/([^/]+)\/?$/.exec(path);
    if (bucketMatch) {
      const name = decodeURIComponent(bucketMatch[1]!);
      log.op = 'bucket';
      log.bucket = name;
      gate(log);
      const b = storage.bucket(name);
      if (method === 'GET') return sendJson(res, 200, bucketResource(b, baseUrl));
      if (method === 'PATCH') {
        const meta = JSON.parse((await readBody(req)).toString() || '{}') as { versioning?: { enabled?: boolean } };
        if (meta.versioning?.enabled !== undefined) b.versioning = meta.versioning.enabled;
        b.metageneration += 1;
        persist();
        return sendJson(res, 200, bucketResource(b, baseUrl));
      }
      if (method === 'DELETE') {
        if (b.objects.size) throw new GcsError(409, 'conflict', 'The bucket you tried to delete is not empty.');
        storage.buckets.delete(name);
        persist();
        res.writeHead(204);
        res.end();
        return;
      }
    }
    const listMatch = /^\/b\/([^/]+)\/o\/?$/.exec(path);
    if (listMatch && method === 'GET') {
      const bucket = decodeURIComponent(listMatch[1]!);
      log.op = 'list';
      log.bucket = bucket;
      gate(log);
      const prefix = q.get('prefix') ?? '';
      const delimiter = q.get('delimiter') ?? '';
      const versions = q.get('versions') === 'true';
      const max = Math.min(Math.max(Number(q.get('maxResults') ?? 1000) || 1000, 1), 1000);
      const token = q.get('pageToken');
      const after = token ? Buffer.from(token, 'base64').toString() : undefined;
      const startOffset = q.get('startOffset') ?? '';
      const endOffset = q.get('endOffset') ?? '';
      // Entries are objects or delimiter prefixes, in name order; the page token is the last key returned.
      type Row = { key: string; object?: ObjectVersion; prefix?: string };
      const rows: Row[] = [];
      const seenPrefixes = new Set<string>();
      for (const v of storage.listObjects(bucket, { prefix, versions })) {
        if (startOffset && v.name < startOffset) continue;
        if (endOffset && v.name >= endOffset) continue;
        if (delimiter) {
          const i = v.name.indexOf(delimiter, prefix.length);
          if (i !== -1) {
            const p = v.name.slice(0, i + delimiter.length);
            if (!seenPrefixes.has(p)) {
              seenPrefixes.add(p);
              rows.push({ key: `${p}\u0000`, prefix: p });
            }
            continue;
          }
        }
        rows.push({ key: `${v.name}\u0000${v.generation.toString().padStart(24, '0')}`, object: v });
      }
      rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const rest = after === undefined ? rows : rows.filter((r) => r.key > after);
      const page = rest.slice(0, max);
      const items = page.filter((r) => r.object).map((r) => objectResource(r.object!, baseUrl));
      const prefixes = page.filter((r) => r.prefix).map((r) => r.prefix!);
      const last = page[page.length - 1];
      return sendJson(res, 200, {
        kind: 'storage#objects',
        ...(rest.length > page.length && last ? { nextPageToken: Buffer.from(last.key).toString('base64') } : {}),
        ...(items.length ? { items } : {}),
        ...(prefixes.length ? { prefixes } : {}),
      });
    }
    const objMatch = /^\/b\/([^/]+)\/o\/(.+)$/.exec(path);
    if (objMatch) {
      const bucket = decodeURIComponent(objMatch[1]!);
      const name = decodeURIComponent(objMatch[2]!);
      log.bucket = bucket;
      log.object = name;
      const generation = parseGenerationParam('generation', q.get('generation'));
      const pre = preconditionsFrom(q);
      if (method === 'GET') {
        const media = forceMedia || q.get('alt') === 'media';
        log.op = media ? 'download' : 'get';
        gate(log);
        const v = storage.getObject(bucket, name, generation);
        checkPreconditions(v, pre);
        if (media) return sendObject(res, v, req);
        return sendJson(res, 200, objectResource(v, baseUrl));
      }
      if (method === 'DELETE') {
        log.op = 'delete';
        gate(log);
        storage.deleteObject(bucket, name, { ...pre, ...(generation ? { generation } : {}) });
        res.writeHead(204);
        res.end();
        return;
      }
      if (method === 'PATCH' || method === 'PUT') {
        log.op = 'patch';
        gate(log);
        const patch = JSON.parse((await readBody(req)).toString() || '{}') as {
          contentType?: string;
          metadata?: Record<string, string | null>;
        };
        const v = storage.patchObject(bucket, name, patch, { ...pre, ...(generation ? { generation } : {}) });
        persist();
        return sendJson(res, 200, objectResource(v, baseUrl));
      }
    }
    throw new GcsError(404, 'notFound', `The fake GCS does not implement ${method} ${url.pathname}`);
  };

  const server = createServer((req, res) => {
    const log: FakeGcsRequest = { method: req.method ?? 'GET', op: 'unknown', status: 0 };
    requests.push(log);
    res.on('finish', () => {
      log.status = res.statusCode;
    });
    route(req, res, log).catch((err: unknown) => {
      const e =
        err instanceof GcsError
          ? err
          : err instanceof SyntaxError
            ? new GcsError(400, 'parseError', `Parse Error: ${err.message}`)
            : new GcsError(500, 'backendError', `fake GCS internal error: ${(err as Error).message}`);
      if (!res.headersSent) sendError(res, e);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;

  const view = (v: ObjectVersion) => objectResource(v, baseUrl);
  return {
    url: baseUrl,
    port,
    storage,
    async close() {
      notifier.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    setNotifyUrl(url) {
      notifier.target = url ? { url } : undefined;
    },
    setNotify(target) {
      notifier.target = target;
    },
    flushNotifications: () => notifier.flush(),
    get events() {
      return notifier.events;
    },
    get deliveries() {
      return notifier.deliveries;
    },
    requests,
    createBucket(name, o = {}) {
      storage.createBucket(name, o.versioning ?? storage.defaultVersioning);
      persist();
    },
    bucketNames: () => [...storage.buckets.keys()],
    putObject(bucket, name, content, o = {}) {
      const { contentType, ...pre } = o;
      const buf = typeof content === 'string' ? Buffer.from(content) : content;
      return view(storage.insertObject(bucket, name, buf, { ...pre, contentType: contentType ?? 'application/yaml' }));
    },
    getObject(bucket, name, generation) {
      try {
        const v = storage.getObject(bucket, name, generation);
        return { resource: view(v), content: v.content };
      } catch (err) {
        if (err instanceof GcsError && err.status === 404) return null;
        throw err;
      }
    },
    listObjects: (bucket, o = {}) => storage.listObjects(bucket, o).map(view),
    deleteObject: (bucket, name, o = {}) => storage.deleteObject(bucket, name, o),
    injectFault(fault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    onRequest(hook) {
      onRequest = hook;
    },
  };
}
