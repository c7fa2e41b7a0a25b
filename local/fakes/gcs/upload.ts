/** Uploads of the fake GCS: media, multipart and resumable (sessions, chunks, status queries, cancel). */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { crc32cBase64, md5Base64 } from '../../../shared/core/checksums';
import { parseMultipart, preconditionsFrom, readBody, sendJson, verifyUploadHash } from './http';
import { checkPreconditions, GcsError, type Preconditions } from './model';
import { type ObjectResource, objectResource } from './resource';
import type { GcsContext, UploadSession } from './types';

/** A multipart or resumable upload's session: content type and custom metadata only when the request gave them. */
export function newSession(
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

/** Stores a finished upload and returns the new generation's resource. */
export function finalize(ctx: GcsContext, s: UploadSession, content: Buffer): ObjectResource {
  const v = ctx.storage.insertObject(s.bucket, s.name, content, {
    ...s.preconditions,
    ...(s.contentType ? { contentType: s.contentType } : {}),
    ...(s.metadata ? { metadata: s.metadata } : {}),
  });
  return objectResource(v, ctx.baseUrl());
}

/** Serves `/upload/storage/v1/b/BUCKET/o`: media, multipart and resumable uploads (sessions, chunks, status). */
export async function handleUpload(
  ctx: GcsContext,
  req: IncomingMessage,
  res: ServerResponse,
  bucket: string,
  q: URLSearchParams,
): Promise<void> {
  const uploadId = q.get('upload_id');
  if (uploadId) {
    const s = ctx.sessions.get(uploadId);
    if (!s) throw new GcsError(404, 'notFound', `No such upload session: ${uploadId}`);
    if (req.method === 'DELETE') {
      ctx.sessions.delete(uploadId);
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
      s.done = finalize(ctx, s, content);
      return sendJson(res, 200, s.done);
    }
    res.writeHead(308, s.received > 0 ? { range: `bytes=0-${s.received - 1}`, 'content-length': 0 } : {});
    res.end();
    return;
  }
  if (req.method !== 'POST') throw new GcsError(405, 'invalid', `Unsupported upload method ${req.method}`);
  ctx.storage.bucket(bucket);
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
    return sendJson(res, 200, finalize(ctx, s, body));
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
    return sendJson(res, 200, finalize(ctx, s, data.body));
  }
  if (type === 'resumable') {
    const meta = body.length ? (JSON.parse(body.toString()) as Record<string, unknown>) : {};
    const name = q.get('name') ?? (typeof meta.name === 'string' ? meta.name : '');
    if (!name) throw new GcsError(400, 'required', 'Required parameter: name');
    // GCS checks preconditions when the session starts and again when it is finalized.
    const entry = ctx.storage.bucket(bucket).objects.get(name);
    checkPreconditions(entry?.live ?? null, preconditions);
    const id = randomUUID().replace(/-/g, '');
    const contentType = String(req.headers['x-upload-content-type'] ?? meta.contentType ?? '');
    ctx.sessions.set(id, newSession(bucket, name, contentType, meta, preconditions));
    const host = req.headers.host ?? ctx.baseUrl().replace(/^http:\/\//, '');
    const location = `http://${host}/upload/storage/v1/b/${bucket}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
    res.writeHead(200, { location, 'x-guploader-uploadid': id, 'content-length': 0 });
    res.end();
    return;
  }
  throw new GcsError(400, 'invalid', `Unsupported uploadType: ${type ?? '(none)'}`);
}
