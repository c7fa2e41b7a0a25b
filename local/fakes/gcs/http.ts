/** HTTP plumbing of the fake GCS: bodies, JSON and error replies, preconditions, multipart, upload hashes, media. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { crc32cBase64, md5Base64 } from '../../../shared/core/checksums';
import { GcsError, type ObjectVersion, type Preconditions, parseGenerationParam } from './model';

const MAX_BODY = 64 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<Buffer> {
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

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The JSON API error body: `{error: {code, message, errors: [{message, domain, reason, ...}]}}`. */
export function sendError(res: ServerResponse, e: GcsError): void {
  sendJson(res, e.status, {
    error: {
      code: e.status,
      message: e.message,
      errors: [{ message: e.message, domain: 'global', reason: e.reason, ...(e.location ?? {}) }],
    },
  });
}

export function preconditionsFrom(q: URLSearchParams): Preconditions {
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
export function parseMultipart(body: Buffer, contentType: string): { headers: Record<string, string>; body: Buffer }[] {
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
export function verifyUploadHash(header: string | string[] | undefined, content: Buffer): void {
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

export function faultReason(status: number): string {
  if (status === 429) return 'rateLimitExceeded';
  if (status >= 500) return 'backendError';
  return 'injectedFault';
}

/** Starts the fake on 127.0.0.1. */

/** Serves an object's media (with Range support) and GCS's object headers. */
export function sendObject(res: ServerResponse, v: ObjectVersion, req: IncomingMessage): void {
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
}
