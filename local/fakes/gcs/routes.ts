/** The fake GCS's JSON API routes: buckets, object listing (pages, prefixes, versions), objects and media. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { preconditionsFrom, readBody, sendJson, sendObject } from './http';
import { checkPreconditions, GcsError, type ObjectVersion, parseGenerationParam } from './model';
import { bucketResource, objectResource } from './resource';
import type { FakeGcsRequest, GcsContext } from './types';
import { handleUpload } from './upload';

/** Serves one JSON API request (buckets, listing, objects, media, uploads); `log` records what it was. */
export async function route(
  ctx: GcsContext,
  req: IncomingMessage,
  res: ServerResponse,
  log: FakeGcsRequest,
): Promise<void> {
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
    ctx.gate(log);
    return handleUpload(ctx, req, res, bucket, q);
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
    ctx.gate(log);
    if (method === 'POST') {
      const meta = JSON.parse((await readBody(req)).toString() || '{}') as {
        name?: string;
        versioning?: { enabled?: boolean };
      };
      const b = ctx.storage.createBucket(meta.name ?? '', meta.versioning?.enabled ?? ctx.storage.defaultVersioning);
      ctx.persist();
      return sendJson(res, 200, bucketResource(b, ctx.baseUrl()));
    }
    if (method === 'GET')
      return sendJson(res, 200, {
        kind: 'storage#buckets',
        items: [...ctx.storage.buckets.values()].map((b) => bucketResource(b, ctx.baseUrl())),
      });
  }
  const bucketMatch = /^\/b\/([^/]+)\/?$/.exec(path);
  if (bucketMatch) {
    const name = decodeURIComponent(bucketMatch[1]!);
    log.op = 'bucket';
    log.bucket = name;
    ctx.gate(log);
    const b = ctx.storage.bucket(name);
    if (method === 'GET') return sendJson(res, 200, bucketResource(b, ctx.baseUrl()));
    if (method === 'PATCH') {
      const meta = JSON.parse((await readBody(req)).toString() || '{}') as { versioning?: { enabled?: boolean } };
      if (meta.versioning?.enabled !== undefined) b.versioning = meta.versioning.enabled;
      b.metageneration += 1;
      ctx.persist();
      return sendJson(res, 200, bucketResource(b, ctx.baseUrl()));
    }
    if (method === 'DELETE') {
      if (b.objects.size) throw new GcsError(409, 'conflict', 'The bucket you tried to delete is not empty.');
      ctx.storage.buckets.delete(name);
      ctx.persist();
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
    ctx.gate(log);
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
    for (const v of ctx.storage.listObjects(bucket, { prefix, versions })) {
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
    const items = page.filter((r) => r.object).map((r) => objectResource(r.object!, ctx.baseUrl()));
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
      ctx.gate(log);
      const v = ctx.storage.getObject(bucket, name, generation);
      checkPreconditions(v, pre);
      if (media) return sendObject(res, v, req);
      return sendJson(res, 200, objectResource(v, ctx.baseUrl()));
    }
    if (method === 'DELETE') {
      log.op = 'delete';
      ctx.gate(log);
      ctx.storage.deleteObject(bucket, name, { ...pre, ...(generation ? { generation } : {}) });
      res.writeHead(204);
      res.end();
      return;
    }
    if (method === 'PATCH' || method === 'PUT') {
      log.op = 'patch';
      ctx.gate(log);
      const patch = JSON.parse((await readBody(req)).toString() || '{}') as {
        contentType?: string;
        metadata?: Record<string, string | null>;
      };
      const v = ctx.storage.patchObject(bucket, name, patch, { ...pre, ...(generation ? { generation } : {}) });
      ctx.persist();
      return sendJson(res, 200, objectResource(v, ctx.baseUrl()));
    }
  }
  throw new GcsError(404, 'notFound', `The fake GCS does not implement ${method} ${url.pathname}`);
}
