/** The fake GCS driven by the real @google-cloud/storage@7 client: uploads, downloads, preconditions, events. */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CRC32C, Storage } from '@google-cloud/storage';
import { type FakeGcs, startFakeGcs } from '../../../local/fakes/gcs';
import { crc32cBase64 } from '../../../shared/core/checksums';

const noRetry = { autoRetry: false };

function client(fake: FakeGcs): Storage {
  return new Storage({ apiEndpoint: fake.url, projectId: 'local', retryOptions: noRetry });
}

/** The HTTP status of a client error: ApiError has it in `code`, a resumable upload's GaxiosError in `status`. */
async function statusOf(p: Promise<unknown>): Promise<number | string | undefined> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    const e = err as { code?: number | string; status?: number };
    return typeof e.code === 'number' ? e.code : e.status;
  }
}

describe('fake GCS with the real client', () => {
  let fake: FakeGcs;
  let storage: Storage;

  beforeEach(async () => {
    fake = await startFakeGcs({ buckets: ['manifests-bucket'] });
    storage = client(fake);
  });
  afterEach(async () => {
    await fake.close();
  });

  it('creates and reads buckets, with versioning as requested', async () => {
    const [b] = await storage.createBucket('plain-bucket', { versioning: { enabled: false } });
    const [meta] = await b.getMetadata();
    expect(meta.versioning?.enabled).toBe(false);
    const [m2] = await storage.bucket('manifests-bucket').getMetadata();
    expect(m2.versioning?.enabled).toBe(true);
    expect(await statusOf(storage.createBucket('plain-bucket'))).toBe(409);
    expect(await statusOf(storage.bucket('nope-bucket').getMetadata())).toBe(404);
  });

  it.each([
    ['resumable', { resumable: true }],
    ['multipart', { resumable: false }],
  ])('stores a %s upload with real md5 and crc32c, and the client validates the download', async (_, o) => {
    const text = 'apiVersion: lowops.manifests.v1\nkind: Project\n# ünïcode\n';
    const file = storage.bucket('manifests-bucket').file('manifests/a.yaml');
    await file.save(text, { ...o, contentType: 'application/yaml' });
    const [meta] = await file.getMetadata();
    const bytes = Buffer.from(text);
    expect(meta.md5Hash).toBe(createHash('md5').update(bytes).digest('base64'));
    // The client's own CRC32C is an independent oracle for the fake's implementation.
    const crc = new CRC32C();
    crc.update(bytes);
    expect(meta.crc32c).toBe(crc.toString());
    expect(meta.size).toBe(String(bytes.length));
    expect(meta.contentType).toBe('application/yaml');
    const [down] = await file.download({ validation: 'crc32c' });
    expect(down.toString()).toBe(text);
    const [down5] = await file.download({ validation: 'md5' });
    expect(down5.toString()).toBe(text);
  });

  it('assembles a chunked resumable upload', async () => {
    const big = Buffer.alloc(700 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) % 251;
    const file = storage.bucket('manifests-bucket').file('big.bin');
    await file.save(big, { resumable: true, chunkSize: 256 * 1024 });
    const puts = fake.requests.filter((r) => r.op === 'upload' && r.method === 'PUT');
    expect(puts.length).toBe(3);
    expect(puts.slice(0, 2).every((r) => r.status === 308)).toBe(true);
    const [down] = await file.download();
    expect(down.equals(big)).toBe(true);
  });

  it('rejects an upload whose x-goog-hash does not match the bytes', async () => {
    const res = await fetch(`${fake.url}/upload/storage/v1/b/manifests-bucket/o?uploadType=media&name=x.yaml`, {
      method: 'POST',
      headers: { 'x-goog-hash': `crc32c=${crc32cBase64(Buffer.from('other'))}` },
      body: 'content',
    });
    expect(res.status).toBe(400);
    expect(fake.getObject('manifests-bucket', 'x.yaml')).toBeNull();
  });

  it('serves download headers the client uses for validation', async () => {
    const put = fake.putObject('manifests-bucket', 'h.yaml', 'abc');
    const res = await fetch(`${fake.url}/storage/v1/b/manifests-bucket/o/h.yaml?alt=media`);
    expect(res.headers.get('x-goog-hash')).toBe(`crc32c=${put.crc32c},md5=${put.md5Hash}`);
    expect(res.headers.get('x-goog-generation')).toBe(put.generation);
    expect(res.headers.get('x-goog-stored-content-encoding')).toBe('identity');
    // crc32c("abc") is a published check value: 0x364B3FB7.
    expect(Buffer.from(put.crc32c, 'base64').readUInt32BE(0)).toBe(0x364b3fb7);
  });

  it('hands out increasing decimal generations and enforces ifGenerationMatch (0 = must not exist)', async () => {
    const file = storage.bucket('manifests-bucket').file('p.yaml');
    await file.save('one', { preconditionOpts: { ifGenerationMatch: 0 } });
    const g1 = String(file.metadata.generation);
    expect(g1).toMatch(/^\d{16,}$/);
    expect(await statusOf(file.save('two', { preconditionOpts: { ifGenerationMatch: 0 } }))).toBe(412);
    expect(await statusOf(file.save('two', { preconditionOpts: { ifGenerationMatch: '1' } }))).toBe(412);
    await file.save('two', { preconditionOpts: { ifGenerationMatch: g1 } });
    const g2 = String(file.metadata.generation);
    expect(BigInt(g2)).toBeGreaterThan(BigInt(g1));
    expect(await statusOf(file.delete({ ifGenerationMatch: g1 }))).toBe(412);
    expect(
      await statusOf(storage.bucket('manifests-bucket').file('p.yaml').getMetadata({ ifGenerationNotMatch: g2 })),
    ).toBe(412);
    // The real 412 body shape.
    const res = await fetch(
      `${fake.url}/upload/storage/v1/b/manifests-bucket/o?uploadType=media&name=p.yaml&ifGenerationMatch=0`,
      { method: 'POST', body: 'x' },
    );
    expect(res.status).toBe(412);
    expect(await res.json()).toEqual({
      error: {
        code: 412,
        message: 'At least one of the pre-conditions you specified did not hold.',
        errors: [
          {
            message: 'At least one of the pre-conditions you specified did not hold.',
            domain: 'global',
            reason: 'conditionNotMet',
            locationType: 'header',
            location: 'If-Match',
          },
        ],
      },
    });
  });

  it('checks preconditions of a resumable upload when it finalizes', async () => {
    const file = storage.bucket('manifests-bucket').file('race.yaml');
    const [uri] = await file.createResumableUpload({ preconditionOpts: { ifGenerationMatch: 0 } });
    fake.putObject('manifests-bucket', 'race.yaml', 'concurrent writer');
    const res = await fetch(uri, { method: 'PUT', headers: { 'content-range': 'bytes 0-2/3' }, body: 'abc' });
    expect(res.status).toBe(412);
    expect(fake.getObject('manifests-bucket', 'race.yaml')?.content.toString()).toBe('concurrent writer');
  });

  it('lists with prefix and paging', async () => {
    for (let i = 0; i < 25; i++)
      fake.putObject('manifests-bucket', `manifests/p${String(i).padStart(2, '0')}.yaml`, `${i}`);
    fake.putObject('manifests-bucket', 'other/x.yaml', 'x');
    const bucket = storage.bucket('manifests-bucket');
    const [page1, next] = await bucket.getFiles({ prefix: 'manifests/', maxResults: 10, autoPaginate: false });
    expect(page1.map((f) => f.name)).toEqual(
      Array.from({ length: 10 }, (_, i) => `manifests/p${String(i).padStart(2, '0')}.yaml`),
    );
    expect(next).toEqual(expect.objectContaining({ pageToken: expect.any(String) }));
    // Follow the page tokens by hand: 25 objects in pages of 10 → 3 requests.
    const before = fake.requests.filter((r) => r.op === 'list').length;
    const names: string[] = [];
    let query: { pageToken?: string } | null | undefined = { pageToken: undefined };
    while (query) {
      const [files, nextQuery] = (await bucket.getFiles({
        prefix: 'manifests/',
        maxResults: 10,
        autoPaginate: false,
        ...(query.pageToken ? { pageToken: query.pageToken } : {}),
      })) as unknown as [{ name: string }[], { pageToken?: string } | null];
      names.push(...files.map((f) => f.name));
      query = nextQuery?.pageToken ? nextQuery : null;
    }
    expect(names).toHaveLength(25);
    expect(new Set(names).size).toBe(25);
    expect(fake.requests.filter((r) => r.op === 'list').length - before).toBe(3);
    // autoPaginate follows the tokens itself.
    const [auto] = await bucket.getFiles({ prefix: 'manifests/' });
    expect(auto).toHaveLength(25);
    const [everything] = await bucket.getFiles();
    expect(everything).toHaveLength(26);
  });

  it('maps an injected 503 to the client error code, once', async () => {
    fake.putObject('manifests-bucket', 'f.yaml', 'x');
    fake.injectFault({ op: 'download', status: 503 });
    const file = storage.bucket('manifests-bucket').file('f.yaml');
    expect(await statusOf(file.download())).toBe(503);
    const [ok] = await file.download();
    expect(ok.toString()).toBe('x');
  });

  it('works through STORAGE_EMULATOR_HOST (which storage@7 uses as the base URL without /storage/v1)', async () => {
    const saved = process.env.STORAGE_EMULATOR_HOST;
    process.env.STORAGE_EMULATOR_HOST = fake.url;
    try {
      const s = new Storage({ projectId: 'local', retryOptions: noRetry });
      const file = s.bucket('manifests-bucket').file('manifests/env.yaml');
      await file.save('via env', { resumable: false });
      await s.bucket('manifests-bucket').file('manifests/env2.yaml').save('via env, resumable', { resumable: true });
      const [meta] = await file.getMetadata();
      expect(meta.size).toBe('7');
      const [files] = await s.bucket('manifests-bucket').getFiles({ prefix: 'manifests/' });
      expect(files.map((f) => f.name)).toEqual(['manifests/env.yaml', 'manifests/env2.yaml']);
      expect((await file.download())[0].toString()).toBe('via env');
      expect(fake.requests.some((r) => r.op === 'get' && r.status === 200)).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.STORAGE_EMULATOR_HOST;
      else process.env.STORAGE_EMULATOR_HOST = saved;
    }
  });
});

describe('versioning and storage events', () => {
  it('versioned bucket: overwrite archives the old generation (still readable), delete archives the live one', async () => {
    const fake = await startFakeGcs({ buckets: ['b-versioned'], versioning: true });
    try {
      const s = client(fake);
      const f = s.bucket('b-versioned').file('m/a.yaml');
      await f.save('v1');
      const g1 = String(f.metadata.generation);
      await f.save('v2');
      const g2 = String(f.metadata.generation);
      const [old] = await s.bucket('b-versioned').file('m/a.yaml', { generation: g1 }).download();
      expect(old.toString()).toBe('v1');
      await f.delete();
      expect(await statusOf(s.bucket('b-versioned').file('m/a.yaml').getMetadata())).toBe(404);
      const [v2] = await s.bucket('b-versioned').file('m/a.yaml', { generation: g2 }).download();
      expect(v2.toString()).toBe('v2');
      expect(fake.events.map((e) => [e.type.split('.').pop(), e.data.generation])).toEqual([
        ['finalized', g1],
        ['finalized', g2],
        ['archived', g1],
        ['archived', g2],
      ]);
      const [versions] = await s.bucket('b-versioned').getFiles({ versions: true });
      expect(versions.map((x) => String(x.metadata.generation))).toEqual([g1, g2]);
      // Deleting a specific generation is permanent: a `deleted` event.
      await s.bucket('b-versioned').file('m/a.yaml', { generation: g1 }).delete();
      expect(fake.events.at(-1)?.type).toBe('google.cloud.storage.object.v1.deleted');
    } finally {
      await fake.close();
    }
  });

  it('non-versioned bucket: overwrite deletes the old generation (404 by generation), delete emits deleted', async () => {
    const fake = await startFakeGcs({ buckets: ['b-plain'], versioning: false });
    try {
      const s = client(fake);
      const f = s.bucket('b-plain').file('a.yaml');
      await f.save('v1');
      const g1 = String(f.metadata.generation);
      await f.save('v2');
      const g2 = String(f.metadata.generation);
      expect(await statusOf(s.bucket('b-plain').file('a.yaml', { generation: g1 }).download())).toBe(404);
      await f.delete();
      expect(fake.events.map((e) => [e.type.split('.').pop(), e.data.generation])).toEqual([
        ['finalized', g1],
        ['finalized', g2],
        ['deleted', g1],
        ['deleted', g2],
      ]);
    } finally {
      await fake.close();
    }
  });
});

describe('Eventarc-style delivery', () => {
  let receiver: Server;
  let received: { headers: IncomingHttpHeaders; body: string }[];
  let failFirst: number;

  beforeEach(async () => {
    received = [];
    failFirst = 0;
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.statusCode = failFirst-- > 0 ? 500 : 204;
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  });
  afterEach(async () => {
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  const receiverUrl = () => `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;

  it('POSTs binary-mode CloudEvents with a StorageObjectData body', async () => {
    const fake = await startFakeGcs({ buckets: ['ev-bucket'], notify: { url: receiverUrl() } });
    try {
      await client(fake)
        .bucket('ev-bucket')
        .file('manifests/pay.yaml')
        .save('x: 1\n', { contentType: 'application/yaml' });
      await fake.flushNotifications();
      expect(received).toHaveLength(1);
      const { headers, body } = received[0]!;
      expect(headers['ce-specversion']).toBe('1.0');
      expect(headers['ce-type']).toBe('google.cloud.storage.object.v1.finalized');
      expect(headers['ce-source']).toBe('//storage.googleapis.com/projects/_/buckets/ev-bucket');
      expect(headers['ce-subject']).toBe('objects/manifests/pay.yaml');
      expect(headers['ce-id']).toMatch(/^\d+$/);
      expect(Number.isNaN(Date.parse(String(headers['ce-time'])))).toBe(false);
      expect(headers['content-type']).toBe('application/json');
      const data = JSON.parse(body);
      expect(data).toEqual(
        expect.objectContaining({
          kind: 'storage#object',
          name: 'manifests/pay.yaml',
          bucket: 'ev-bucket',
          generation: expect.stringMatching(/^\d+$/),
          metageneration: '1',
          contentType: 'application/yaml',
          storageClass: 'STANDARD',
          size: '5',
          md5Hash: expect.any(String),
          crc32c: expect.any(String),
          etag: expect.any(String),
          timeCreated: expect.any(String),
          updated: expect.any(String),
        }),
      );
      expect(data.id).toBe(`ev-bucket/manifests/pay.yaml/${data.generation}`);
    } finally {
      await fake.close();
    }
  });

  it('retries non-2xx deliveries with backoff until one succeeds', async () => {
    failFirst = 2;
    const fake = await startFakeGcs({ buckets: ['ev-bucket'], retry: { baseDelayMs: 5 } });
    fake.setNotifyUrl(receiverUrl());
    try {
      fake.putObject('ev-bucket', 'a.yaml', 'x');
      await fake.flushNotifications();
      expect(received).toHaveLength(3);
      expect(new Set(received.map((r) => r.headers['ce-id'])).size).toBe(1);
      expect(fake.deliveries[0]).toEqual(expect.objectContaining({ attempts: 3, state: 'delivered', lastStatus: 204 }));
    } finally {
      await fake.close();
    }
  });

  it('gives up after the configured attempts and records the failure', async () => {
    failFirst = 100;
    const fake = await startFakeGcs({ buckets: ['ev-bucket'], retry: { attempts: 2, baseDelayMs: 1 } });
    fake.setNotifyUrl(receiverUrl());
    try {
      fake.putObject('ev-bucket', 'a.yaml', 'x');
      await fake.flushNotifications();
      expect(received).toHaveLength(2);
      expect(fake.deliveries[0]?.state).toBe('failed');
    } finally {
      await fake.close();
    }
  });

  it('delivers to an in-process handler; an overwrite yields finalized(new) + archived(old)', async () => {
    const seen: string[] = [];
    const fake = await startFakeGcs({
      buckets: ['ev-bucket'],
      notify: (ev) => {
        seen.push(`${ev.type.split('.').pop()}:${ev.data.generation}`);
      },
    });
    try {
      const a = fake.putObject('ev-bucket', 'a.yaml', '1');
      const b = fake.putObject('ev-bucket', 'a.yaml', '2', { ifGenerationMatch: a.generation });
      await fake.flushNotifications();
      expect(seen.sort()).toEqual(
        [`archived:${a.generation}`, `finalized:${a.generation}`, `finalized:${b.generation}`].sort(),
      );
    } finally {
      await fake.close();
    }
  });
});

describe('persistence', () => {
  it('keeps objects and generations across restarts; new generations stay above old ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-gcs-'));
    try {
      const first = await startFakeGcs({ persistDir: dir, buckets: ['p-bucket'] });
      const put = first.putObject('p-bucket', 'm/a.yaml', 'persisted');
      first.putObject('p-bucket', 'm/a.yaml', 'newer');
      await first.close();
      const second = await startFakeGcs({ persistDir: dir, buckets: ['p-bucket'] });
      try {
        const s = client(second);
        const [text] = await s.bucket('p-bucket').file('m/a.yaml').download();
        expect(text.toString()).toBe('newer');
        const [old] = await s.bucket('p-bucket').file('m/a.yaml', { generation: put.generation }).download();
        expect(old.toString()).toBe('persisted');
        const again = second.putObject('p-bucket', 'm/b.yaml', 'b');
        expect(BigInt(again.generation)).toBeGreaterThan(BigInt(put.generation));
        expect(second.events).toHaveLength(1);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
