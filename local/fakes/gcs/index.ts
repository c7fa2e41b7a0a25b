/**
 * A fake of the GCS JSON API that the real `@google-cloud/storage` client talks to, on 127.0.0.1 (see docs/fake-gcs.md).
 * Buckets, generations, preconditions, checksums and Eventarc-style storage CloudEvents; no auth, no ACLs.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { faultReason, sendError } from './http';
import { FakeStorage, GcsError, type ObjectVersion } from './model';
import { Notifier, storageCloudEvent } from './notifier';
import { loadState, saveState } from './persist';
import { objectResource } from './resource';
import { route } from './routes';
import type {
  FakeGcs,
  FakeGcsFault,
  FakeGcsOp,
  FakeGcsOptions,
  FakeGcsRequest,
  GcsContext,
  UploadSession,
} from './types';

export { crc32cBase64, md5Base64 } from '../../../shared/core/checksums';
export type { Delivery, NotifyTarget, StorageCloudEvent } from './notifier';
export { cloudEventHeaders } from './notifier';
export type { ObjectResource } from './resource';
export type { FakeGcs, FakeGcsFault, FakeGcsOp, FakeGcsOptions, FakeGcsRequest } from './types';

/** Starts the fake on 127.0.0.1 (a free port unless `port`); see FakeGcsOptions. */
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

  const ctx: GcsContext = { storage, sessions, baseUrl: () => baseUrl, persist, gate };

  const server = createServer((req, res) => {
    const log: FakeGcsRequest = { method: req.method ?? 'GET', op: 'unknown', status: 0 };
    requests.push(log);
    res.on('finish', () => {
      log.status = res.statusCode;
    });
    route(ctx, req, res, log).catch((err: unknown) => {
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
