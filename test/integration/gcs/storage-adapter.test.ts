/** gcsManifestStore (shared/adapters/storage.ts) against the fake GCS, through the real client. */
import { Storage } from '@google-cloud/storage';
import { type FakeGcs, startFakeGcs } from '../../../local/fakes/gcs';
import { isTransientClientError } from '../../../shared/adapters/clientErrors';
import { gcsManifestStore, StorageApiError } from '../../../shared/adapters/storage';
import { PreconditionFailedError } from '../../../shared/ports/storage';

const BUCKET = 'adapter-bucket';

describe('gcsManifestStore', () => {
  let fake: FakeGcs;
  let storage: Storage;

  beforeEach(async () => {
    fake = await startFakeGcs({ buckets: [BUCKET] });
    storage = new Storage({ apiEndpoint: fake.url, projectId: 'local', retryOptions: { autoRetry: false } });
  });
  afterEach(async () => {
    await fake.close();
  });

  it('writes, stats and reads back the live generation with its hashes', async () => {
    const store = gcsManifestStore(BUCKET, storage);
    const written = await store.write('manifests/a.yaml', Buffer.from('hello'), { ifGenerationMatch: '0' });
    const direct = fake.getObject(BUCKET, 'manifests/a.yaml')!.resource;
    expect(written).toEqual({
      name: 'manifests/a.yaml',
      generation: direct.generation,
      size: 5,
      md5Hash: direct.md5Hash,
      crc32c: direct.crc32c,
      updated: direct.updated,
    });
    expect(direct.contentType).toBe('application/yaml');
    expect(await store.stat('manifests/a.yaml')).toEqual(written);
    const read = await store.read('manifests/a.yaml');
    expect(read?.text).toBe('hello');
    expect(read?.object).toEqual(
      expect.objectContaining({ generation: direct.generation, md5Hash: direct.md5Hash, crc32c: direct.crc32c }),
    );
  });

  it('reads an exact generation, and null once that generation is gone', async () => {
    const store = gcsManifestStore(BUCKET, storage);
    const g1 = (await store.write('a.yaml', Buffer.from('one'))).generation;
    const g2 = (await store.write('a.yaml', Buffer.from('two'), { ifGenerationMatch: g1 })).generation;
    expect((await store.read('a.yaml', g1))?.text).toBe('one');
    expect((await store.read('a.yaml', g2))?.object.generation).toBe(g2);
    fake.deleteObject(BUCKET, 'a.yaml', { generation: g1 });
    expect(await store.read('a.yaml', g1)).toBeNull();
    expect(await store.read('missing.yaml')).toBeNull();
    expect(await store.stat('missing.yaml')).toBeNull();
  });

  it('turns a 412 into PreconditionFailedError naming the object', async () => {
    const store = gcsManifestStore(BUCKET, storage);
    const g1 = (await store.write('a.yaml', Buffer.from('one'))).generation;
    await expect(store.write('a.yaml', Buffer.from('x'), { ifGenerationMatch: '0' })).rejects.toEqual(
      new PreconditionFailedError('a.yaml'),
    );
    await store.write('a.yaml', Buffer.from('two'), { ifGenerationMatch: g1 });
    await expect(store.delete('a.yaml', { ifGenerationMatch: g1 })).rejects.toBeInstanceOf(PreconditionFailedError);
    expect(fake.getObject(BUCKET, 'a.yaml')?.content.toString()).toBe('two');
  });

  it('lists every live object under a prefix across pages', async () => {
    for (let i = 0; i < 7; i++) fake.putObject(BUCKET, `m/p${i}.yaml`, `${i}`);
    fake.putObject(BUCKET, 'm/p0.yaml', 'overwritten');
    fake.putObject(BUCKET, 'elsewhere.yaml', 'x');
    const store = gcsManifestStore(BUCKET, storage, { pageSize: 3 });
    const listed = await store.list('m/');
    expect(listed.map((o) => o.name)).toEqual(Array.from({ length: 7 }, (_, i) => `m/p${i}.yaml`));
    expect(listed[0]?.size).toBe('overwritten'.length);
    expect(fake.requests.filter((r) => r.op === 'list')).toHaveLength(3);
  });

  it('deletes with a generation precondition, and treats an absent object as deleted', async () => {
    const store = gcsManifestStore(BUCKET, storage);
    const g = (await store.write('d.yaml', Buffer.from('x'))).generation;
    await store.delete('d.yaml', { ifGenerationMatch: g });
    expect(await store.stat('d.yaml')).toBeNull();
    await expect(store.delete('d.yaml')).resolves.toBeUndefined();
  });

  it('keeps the HTTP status so callers can tell transient from permanent failures', async () => {
    const store = gcsManifestStore(BUCKET, storage);
    fake.putObject(BUCKET, 'a.yaml', 'x');
    fake.injectFault({ op: 'download', status: 503 });
    const transient = await store.read('a.yaml').catch((e: unknown) => e);
    expect(transient).toBeInstanceOf(StorageApiError);
    expect(transient).toEqual(expect.objectContaining({ status: 503, transient: true }));
    expect((transient as Error).message).toContain('gs://adapter-bucket/a.yaml');

    fake.injectFault({ op: 'upload', status: 429 });
    await expect(store.write('b.yaml', Buffer.from('x'))).rejects.toEqual(
      expect.objectContaining({ status: 429, reason: 'rateLimitExceeded', transient: true }),
    );
    fake.injectFault({ op: 'list', status: 403 });
    await expect(store.list('')).rejects.toEqual(expect.objectContaining({ status: 403, transient: false }));

    const missingBucket = gcsManifestStore('no-such-bucket', storage);
    await expect(missingBucket.write('a.yaml', Buffer.from('x'))).rejects.toEqual(
      expect.objectContaining({ status: 404, transient: false }),
    );
  });

  it('a local endpoint that refuses connections is a stopped stack: permanent, named, not retried (issue 19)', async () => {
    const url = fake.url;
    await fake.close();
    // The client's own retries left on: on this machine the adapter turns them off (16 s on main).
    const dead = new Storage({ apiEndpoint: url, projectId: 'local' });
    const t0 = Date.now();
    await expect(gcsManifestStore(BUCKET, dead).stat('a.yaml')).rejects.toEqual(
      expect.objectContaining({
        status: 0,
        transient: false,
        message: `stat gs://${BUCKET}/a.yaml failed: connect ECONNREFUSED ${new URL(url).host}`,
      }),
    );
    expect(Date.now() - t0).toBeLessThan(2000);
    // Elsewhere a refused or dropped connection stays a transient network failure.
    expect(
      isTransientClientError(Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:443'), { code: 'ECONNREFUSED' })),
    ).toBe(true);
    fake = await startFakeGcs();
  });
});
