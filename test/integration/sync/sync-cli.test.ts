/** `egress sync` end to end: the CLI, the real storage client and the fake GCS (via --endpoint and the env var). */
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeGcs, startFakeGcs } from '../../../local/fakes/gcs';
import { runCli } from '../../support/cli';
import { manifestYaml } from '../../support/manifests';

const BUCKET = 'egress-manifests';

const manifest = (name: string, hosts: string[]) => manifestYaml(name, hosts, { comment: (h) => `${h} API` });

describe('egress sync', () => {
  let fake: FakeGcs;
  let dir: string;
  const writes = () => fake.requests.filter((r) => r.op === 'upload' || r.op === 'delete').length;

  beforeEach(async () => {
    fake = await startFakeGcs({ buckets: [BUCKET] });
    dir = mkdtempSync(join(tmpdir(), 'egress-sync-'));
    writeFileSync(join(dir, 'payment-gateway.yaml'), manifest('payment-gateway', ['api.stripe.com']));
    writeFileSync(
      join(dir, 'data-pipeline.yaml'),
      manifest('data-pipeline', ['api.snowflake.com', '*.googleapis.com']),
    );
    writeFileSync(join(dir, 'internal-wiki.yaml'), manifest('internal-wiki', []));
  });
  afterEach(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads everything once, then nothing until a file changes; --delete removes a removed file', async () => {
    const first = await runCli('sync', dir, `gs://${BUCKET}/manifests`, '--endpoint', fake.url);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/uploaded\s+manifests\/payment-gateway\.yaml {2}new, generation \d+/);
    expect(first.out).toContain(`gs://${BUCKET}/manifests/: 3 uploaded, 0 unchanged, 0 deleted`);
    expect(fake.listObjects(BUCKET, { prefix: 'manifests/' }).map((o) => o.name)).toEqual([
      'manifests/data-pipeline.yaml',
      'manifests/internal-wiki.yaml',
      'manifests/payment-gateway.yaml',
    ]);
    expect(fake.getObject(BUCKET, 'manifests/payment-gateway.yaml')?.resource.contentType).toBe('application/yaml');

    const before = writes();
    const again = await runCli('sync', dir, `gs://${BUCKET}/manifests/`, '--endpoint', fake.url);
    expect(again.code).toBe(0);
    expect(again.out).toContain('0 uploaded, 3 unchanged, 0 deleted');
    expect(writes()).toBe(before);

    const oldGen = fake.getObject(BUCKET, 'manifests/payment-gateway.yaml')!.resource.generation;
    writeFileSync(join(dir, 'payment-gateway.yaml'), manifest('payment-gateway', ['api.stripe.com', 'api.adyen.com']));
    unlinkSync(join(dir, 'internal-wiki.yaml'));
    const noDelete = await runCli('sync', dir, `gs://${BUCKET}/manifests`, '--endpoint', fake.url);
    expect(noDelete.out).toContain('1 uploaded, 1 unchanged, 0 deleted');
    expect(noDelete.out).toMatch(/note: 1 object\(s\) .* --delete .*manifests\/internal-wiki\.yaml/);
    const newGen = fake.getObject(BUCKET, 'manifests/payment-gateway.yaml')!.resource.generation;
    expect(noDelete.out).toContain(`generation ${oldGen} -> ${newGen}`);

    const del = await runCli('sync', dir, `gs://${BUCKET}/manifests`, '--delete', '--endpoint', fake.url);
    expect(del.code).toBe(0);
    expect(del.out).toMatch(/deleted\s+manifests\/internal-wiki\.yaml/);
    expect(fake.getObject(BUCKET, 'manifests/internal-wiki.yaml')).toBeNull();
    // What the validator function will see: an overwrite (finalized + archived old) and a delete (archived).
    expect(fake.events.slice(3).map((e) => `${e.type.split('.').pop()} ${e.data.name}`)).toEqual([
      'finalized manifests/payment-gateway.yaml',
      'archived manifests/payment-gateway.yaml',
      'archived manifests/internal-wiki.yaml',
    ]);
  });

  it('refuses to sync anything when one manifest is invalid, printing every diagnostic', async () => {
    writeFileSync(join(dir, 'fraud-scoring.yaml'), manifest('fraud-scoring', ['https://api.x.com/v1', '10.0.0.0/8']));
    const r = await runCli('sync', dir, `gs://${BUCKET}/manifests`, '--endpoint', fake.url);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/fraud-scoring\.yaml:8:\d+: error [A-Z_]+ /);
    expect(r.out).toMatch(/fraud-scoring\.yaml:9:\d+: error [A-Z_]+ /);
    expect(r.out).toContain('sync refused: 1 of 4 manifest(s) invalid; nothing was uploaded');
    expect(fake.requests).toEqual([]);
  });

  it('validates with the platform policy of EGRESS_POLICY_FILE (like the functions) when --policy is not given', async () => {
    const policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({ manifest: { minPrefixV4: 24 } }));
    writeFileSync(join(dir, 'partner.yaml'), manifest('partner', ['151.101.0.0/20']));
    const before = process.env.EGRESS_POLICY_FILE;
    process.env.EGRESS_POLICY_FILE = policyFile;
    try {
      const r = await runCli('sync', dir, `gs://${BUCKET}/manifests`, '--endpoint', fake.url);
      expect(r.out).toMatch(/partner\.yaml:8:\d+: error CIDR_TOO_BROAD /);
      expect(r.code).toBe(1);
      expect(fake.requests).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.EGRESS_POLICY_FILE;
      else process.env.EGRESS_POLICY_FILE = before;
    }
  });

  it('a bucket that cannot be listed gives the error, not a "0 to upload" summary', async () => {
    const r = await runCli('sync', dir, 'gs://no-such-bucket/manifests', '--endpoint', fake.url, '--dry-run');
    expect(r.code).toBe(1);
    expect(r.err).toContain('list gs://no-such-bucket/manifests/* failed: HTTP 404');
    expect(r.err).toContain('nothing was compared or written to gs://no-such-bucket/manifests/');
    expect(r.out).not.toMatch(/to upload|uploaded/);
  });

  it('--dry-run --format json describes the changes and writes nothing', async () => {
    fake.putObject(BUCKET, 'manifests/payment-gateway.yaml', manifest('payment-gateway', ['api.stripe.com']));
    fake.putObject(BUCKET, 'manifests/legacy.yaml', 'old');
    const r = await runCli(
      'sync',
      dir,
      `gs://${BUCKET}/manifests`,
      '--dry-run',
      '--delete',
      '--format',
      'json',
      '--endpoint',
      fake.url,
    );
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json).toEqual(expect.objectContaining({ bucket: BUCKET, prefix: 'manifests/', dryRun: true, valid: true }));
    expect(json.objects.map((o: { object: string; action: string }) => `${o.action} ${o.object}`)).toEqual([
      'create manifests/data-pipeline.yaml',
      'create manifests/internal-wiki.yaml',
      'unchanged manifests/payment-gateway.yaml',
      'delete manifests/legacy.yaml',
    ]);
    expect(json.summary).toEqual({ uploaded: 0, unchanged: 1, deleted: 0 });
    expect(json.manifests).toHaveLength(3);
    expect(writes()).toBe(0);
  });

  it('detects a concurrent writer (412): exit 1, the other write survives, and it says to re-run', async () => {
    fake.putObject(BUCKET, 'manifests/payment-gateway.yaml', 'old content');
    let raced = false;
    fake.onRequest((req) => {
      if (!raced && req.op === 'upload' && req.object === 'manifests/payment-gateway.yaml') {
        raced = true;
        fake.putObject(BUCKET, 'manifests/payment-gateway.yaml', 'written by someone else');
      }
    });
    const r = await runCli('sync', dir, `gs://${BUCKET}/manifests`, '--endpoint', fake.url, '--concurrency', '1');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAILED\s+manifests\/payment-gateway\.yaml/);
    expect(r.err).toMatch(/changed in the bucket while syncing.*Re-run the sync/);
    expect(fake.getObject(BUCKET, 'manifests/payment-gateway.yaml')?.content.toString()).toBe(
      'written by someone else',
    );
    fake.onRequest(undefined);
    const rerun = await runCli('sync', dir, `gs://${BUCKET}/manifests`, '--endpoint', fake.url);
    expect(rerun.code).toBe(0);
  });

  it('works with STORAGE_EMULATOR_HOST instead of --endpoint, and explains a value without http://', async () => {
    const saved = process.env.STORAGE_EMULATOR_HOST;
    try {
      process.env.STORAGE_EMULATOR_HOST = fake.url;
      // gs://B/ is the bucket root (gs://B alone means EGRESS_MANIFEST_PREFIX).
      const r = await runCli('sync', dir, `gs://${BUCKET}/`);
      expect(r.code).toBe(0);
      expect(fake.listObjects(BUCKET).map((o) => o.name)).toContain('payment-gateway.yaml');
      process.env.STORAGE_EMULATOR_HOST = fake.url.replace('http://', '');
      const bad = await runCli('sync', dir, `gs://${BUCKET}`);
      expect(bad.code).toBe(2);
      expect(bad.err).toContain(`set it to ${fake.url}`);
    } finally {
      if (saved === undefined) delete process.env.STORAGE_EMULATOR_HOST;
      else process.env.STORAGE_EMULATOR_HOST = saved;
    }
  });

  it('usage errors exit 2: a non-gs target, a missing folder, an unknown format', async () => {
    expect((await runCli('sync', dir, 's3://x', '--endpoint', fake.url)).code).toBe(2);
    const missing = await runCli('sync', join(dir, 'nope'), `gs://${BUCKET}`, '--endpoint', fake.url);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('does not exist');
    expect((await runCli('sync', dir, `gs://${BUCKET}`, '--format', 'xml')).code).toBe(2);
  });

  it('a permanent storage failure exits 1 with the status and a hint', async () => {
    fake.injectFault({ op: 'list', status: 403 });
    const r = await runCli('sync', dir, `gs://${BUCKET}/manifests`, '--endpoint', fake.url);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/HTTP 403 .*permissions/);
    expect(writes()).toBe(0);
  });
});
