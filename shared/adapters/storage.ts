/**
 * ManifestStore over @google-cloud/storage. The client honours STORAGE_EMULATOR_HOST (or an `apiEndpoint`), so the
 * same code talks to GCS and to the fake (local/fakes/gcs); there is no emulator branch here.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type File, Storage } from '@google-cloud/storage';
import { type ManifestStore, PreconditionFailedError, StorageApiError, type StoredObject } from '../ports/storage';
import { isLoopbackEndpoint, refusedLocalEndpoint } from './clientErrors';

/** Declared by the port; re-exported for the adapter's callers. */
export { StorageApiError };

/** True for failures worth retrying: 408, 429, 5xx and no-response errors. */
export function isTransientStatus(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

interface ClientError {
  code?: number | string;
  status?: number;
  response?: { status?: number };
  message?: string;
  errors?: { reason?: string }[];
}

/**
 * The HTTP status of a client error, 0 when the request got no response. JSON API calls throw ApiError (`code`);
 * resumable uploads throw GaxiosError (`status`, `response.status`).
 */
function statusOf(err: unknown): number {
  const e = err as ClientError | undefined;
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.status === 'number') return e.status;
  return typeof e?.response?.status === 'number' ? e.response.status : 0;
}

/** Maps a client error to PreconditionFailedError (412) or StorageApiError, naming the object and the operation. */
function toStorageError(err: unknown, op: string, bucket: string, name: string): Error {
  const status = statusOf(err);
  if (status === 412) return new PreconditionFailedError(name);
  const e = (err ?? {}) as ClientError;
  // A local endpoint that refuses connections is a stopped stack: permanent (clientErrors.ts), not "transient: retry".
  const refused = refusedLocalEndpoint(err);
  if (refused)
    return new StorageApiError(
      `${op} gs://${bucket}/${name} failed: connect ECONNREFUSED ${refused}`,
      0,
      'ECONNREFUSED',
      false,
      {
        cause: err,
      },
    );
  const reason = e.errors?.[0]?.reason ?? (typeof e.code === 'string' ? e.code : String(status || 'network'));
  const detail = (e.message ?? String(err)).split('\n')[0];
  const hint =
    status === 403 || status === 401
      ? ' (check the caller has storage.objects.* permissions on the bucket)'
      : status === 404
        ? ' (does the bucket exist?)'
        : isTransientStatus(status)
          ? ' (transient: retry)'
          : '';
  return new StorageApiError(
    `${op} gs://${bucket}/${name} failed: HTTP ${status || 'no response'} ${reason}: ${detail}${hint}`,
    status,
    reason,
    isTransientStatus(status),
    { cause: err },
  );
}

interface ObjectMetadata {
  name?: string;
  generation?: string | number;
  size?: string | number;
  md5Hash?: string;
  crc32c?: string;
  updated?: string;
}

function toStored(name: string, m: ObjectMetadata): StoredObject {
  return {
    name: m.name ?? name,
    generation: String(m.generation ?? ''),
    size: Number(m.size ?? 0),
    ...(m.md5Hash ? { md5Hash: m.md5Hash } : {}),
    ...(m.crc32c ? { crc32c: m.crc32c } : {}),
    ...(m.updated ? { updated: m.updated } : {}),
  };
}

/** Reads `crc32c=…,md5=…` from an x-goog-hash header. */
function parseGoogHash(h: string | string[] | undefined): { md5Hash?: string; crc32c?: string } {
  const out: { md5Hash?: string; crc32c?: string } = {};
  for (const pair of (Array.isArray(h) ? h.join(',') : (h ?? '')).split(',')) {
    const i = pair.indexOf('=');
    if (i < 0) continue;
    const k = pair.slice(0, i).trim();
    const v = pair.slice(i + 1).trim();
    if (k === 'md5') out.md5Hash = v;
    if (k === 'crc32c') out.crc32c = v;
  }
  return out;
}

/** Downloads with one request; the generation and hashes come from the response headers (validated by the client). */
function download(file: File): Promise<{ content: Buffer; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let headers: IncomingHttpHeaders = {};
    file
      .createReadStream()
      .on('response', (res: { headers?: IncomingHttpHeaders }) => {
        headers = res.headers ?? {};
      })
      .on('data', (c: Buffer) => chunks.push(c))
      .on('error', reject)
      .on('end', () => resolve({ content: Buffer.concat(chunks), headers }));
  });
}

/** Options of `gcsManifestStore`. */
export interface GcsManifestStoreOptions {
  /** Page size of `list` (GCS caps it at 1000). */
  pageSize?: number;
}

/** A ManifestStore over one bucket. `storage` defaults to a client from the environment (ADC, STORAGE_EMULATOR_HOST). */
export function gcsManifestStore(
  bucketName: string,
  storage: Storage = new Storage(),
  opts: GcsManifestStoreOptions = {},
): ManifestStore {
  const bucket = storage.bucket(bucketName);
  const pageSize = Math.min(Math.max(opts.pageSize ?? 1000, 1), 1000);
  if (isLoopbackEndpoint(storage.apiEndpoint)) {
    // The client retries a connection that got no response 3 times with exponential delays (~16 s; retry-request's
    // noResponseRetries = retryOptions.maxRetries); on this machine (npm start's fake GCS) a refused connection is a
    // stopped stack, and the fake fails nothing else unless a test injects it: no retry, as for the gax clients
    // (clientErrors.ts, gaxCallOptions).
    storage.retryOptions.maxRetries = 0;
  }

  // Against Google, credentials first: without them the client sends its requests anonymously and retries each
  // failure (16 s, then a 401/403 or a network error); the auth library answers "no credentials" at once.
  let credentials: Promise<unknown> | undefined;
  const authorized = async (op: string, name: string) => {
    if (storage.customEndpoint) return;
    credentials ??= storage.authClient.getClient();
    try {
      await credentials;
    } catch (err) {
      credentials = undefined;
      const detail = (err as Error).message?.split('\n')[0] ?? String(err);
      throw new StorageApiError(`${op} gs://${bucketName}/${name} failed: ${detail}`, 401, 'noCredentials', false, {
        cause: err,
      });
    }
  };

  const stat = async (name: string): Promise<StoredObject | null> => {
    await authorized('stat', name);
    try {
      const [m] = await bucket.file(name).getMetadata();
      return toStored(name, m as ObjectMetadata);
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw toStorageError(err, 'stat', bucketName, name);
    }
  };

  return {
    stat,

    async read(name, generation) {
      await authorized('read', name);
      const file = generation ? bucket.file(name, { generation }) : bucket.file(name);
      let got: { content: Buffer; headers: IncomingHttpHeaders };
      try {
        got = await download(file);
      } catch (err) {
        if (statusOf(err) === 404) return null;
        throw toStorageError(err, 'read', bucketName, name);
      }
      const h = got.headers;
      const gen = String(h['x-goog-generation'] ?? generation ?? '');
      const object: StoredObject = {
        name,
        generation: gen,
        size: got.content.length,
        ...parseGoogHash(h['x-goog-hash']),
      };
      if (!object.generation) {
        // A server that does not send x-goog-generation: ask for the metadata (one more request).
        const meta = await stat(name);
        if (meta) object.generation = meta.generation;
      }
      return { object, text: got.content.toString('utf8') };
    },

    async list(prefix) {
      await authorized('list', `${prefix}*`);
      const out: StoredObject[] = [];
      let pageToken: string | undefined;
      do {
        let files: File[];
        let next: { pageToken?: string } | null | undefined;
        try {
          [files, next] = (await bucket.getFiles({
            prefix,
            autoPaginate: false,
            maxResults: pageSize,
            ...(pageToken ? { pageToken } : {}),
          })) as unknown as [File[], { pageToken?: string } | null];
        } catch (err) {
          throw toStorageError(err, 'list', bucketName, `${prefix}*`);
        }
        for (const f of files) out.push(toStored(f.name, f.metadata as ObjectMetadata));
        pageToken = next?.pageToken;
      } while (pageToken);
      return out;
    },

    async write(name, content, o = {}) {
      await authorized('write', name);
      const file = bucket.file(name);
      try {
        // One multipart request: manifests are small, and the client checks the returned crc32c against the bytes.
        await file.save(content, {
          resumable: false,
          contentType: o.contentType ?? 'application/yaml',
          metadata: { contentType: o.contentType ?? 'application/yaml' },
          ...(o.ifGenerationMatch !== undefined
            ? { preconditionOpts: { ifGenerationMatch: o.ifGenerationMatch } }
            : {}),
        });
      } catch (err) {
        throw toStorageError(err, 'write', bucketName, name);
      }
      return toStored(name, file.metadata as ObjectMetadata);
    },

    async delete(name, o = {}) {
      await authorized('delete', name);
      try {
        await bucket
          .file(name)
          .delete(o.ifGenerationMatch !== undefined ? { ifGenerationMatch: o.ifGenerationMatch } : {});
      } catch (err) {
        // Already gone is the state the caller asked for.
        if (statusOf(err) === 404) return;
        throw toStorageError(err, 'delete', bucketName, name);
      }
    },
  };
}
