/**
 * The deploy artifact, as Cloud Run functions runs it: `npm run package`'s two directories, each served by its own
 * copy of the real `functions-framework` CLI on this Node, each sent one real CloudEvent against the local fakes.
 * - validator: a storage `finalized` CloudEvent of a manifest in the fake GCS → an egress-change event on the real
 *   Pub/Sub emulator (the bundle's storage and Pub/Sub clients);
 * - applier: the Pub/Sub push of that change → the owned rule written on the fake Compute REST server, its operation
 *   waited on (the bundle's trimmed Compute protos), and the HTTP answer only after that.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirewallPolicyEngine, startFakeComputeServer } from '../../local/fakes/compute';
import { startFakeGcs } from '../../local/fakes/gcs';
import { emulatorPubsub, LOCAL_PROJECT } from '../../local/harness/pubsub';
import { MAX_PACKAGE_BYTES, packageFunctions } from '../../scripts/package';
import { CODE_CACHE, ENTRY } from '../../scripts/package/codeCache';
import { invoke, type ServedFunction, servePackaged } from '../../scripts/package/serve';
import { encodeEvent } from '../../shared/core/events/codec';
import type { EgressChangeEvent } from '../../shared/core/events/types';
import { uniqueName } from '../support/functions';
import { storageEventRequest } from '../support/storageEvents';

jest.setTimeout(240_000);

const ROOT = join(__dirname, '..', '..');
const BUCKET = 'egress-manifests';
const CHANGES = uniqueName('pkg-changes');
const STATUS = uniqueName('pkg-status');
const HOST = 'infrastream-host';
const POLICY = 'egress-zero-trust';
const MANIFEST = `apiVersion: lowops.manifests.v1
kind: Project
metadata:
  name: payment-gateway
  environment: production
spec:
  allowedEgress:
    - "api.stripe.com" # Payment processor API
`;

const out = mkdtempSync(join(tmpdir(), 'egress-package-'));
const pubsub = emulatorPubsub();
const engine = new FirewallPolicyEngine();
const served: ServedFunction[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
let made: Awaited<ReturnType<typeof packageFunctions>> = [];
let env: NodeJS.ProcessEnv = {};
let generation = '';

beforeAll(async () => {
  made = await packageFunctions(ROOT, out);
  const gcs = await startFakeGcs({ buckets: [BUCKET] });
  cleanups.push(() => gcs.close());
  const compute = await startFakeComputeServer({ engine });
  cleanups.push(() => compute.close());
  engine.createPolicy(HOST, POLICY);
  // target mode subnets (the default): the project's Shared VPC subnet, which the packaged applier lists
  engine.directory.putSubnetworks(HOST, [
    { name: 'payment-gateway-usc1', region: 'us-central1', network: 'shared-vpc', ipCidrRange: '10.10.0.0/24' },
  ]);
  await pubsub.createTopic(CHANGES);
  await pubsub.createTopic(STATUS);
  await pubsub.createPullSubscription(CHANGES, `${CHANGES}-pull`);
  env = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    PUBSUB_EMULATOR_HOST: process.env.PUBSUB_EMULATOR_HOST,
    STORAGE_EMULATOR_HOST: gcs.url,
    METADATA_SERVER_DETECTION: 'none',
    GOOGLE_CLOUD_PROJECT: LOCAL_PROJECT,
    EGRESS_PUBSUB_PROJECT: LOCAL_PROJECT,
    EGRESS_CHANGES_TOPIC: CHANGES,
    EGRESS_STATUS_TOPIC: STATUS,
    EGRESS_MANIFEST_PREFIX: 'manifests/',
    EGRESS_HOST_PROJECT: HOST,
    EGRESS_FIREWALL_POLICY: POLICY,
    EGRESS_COMPUTE_ENDPOINT: compute.url,
  };
  generation = gcs.putObject(BUCKET, 'manifests/payment-gateway.yaml', MANIFEST, {
    contentType: 'application/yaml',
  }).generation;
});

afterAll(async () => {
  for (const f of served) await f.stop();
  for (const c of cleanups.reverse()) await c();
  rmSync(out, { recursive: true, force: true });
});

test('each directory is deployable and under 40 MB; the validator bundle has no Compute client', () => {
  expect(made.map((m) => m.name)).toEqual(['validator', 'applier']);
  for (const m of made) expect(m.bytes).toBeLessThan(MAX_PACKAGE_BYTES);
  const meta = (name: string) =>
    Object.keys((require(join(out, `${name}.meta.json`)) as { inputs: Record<string, unknown> }).inputs);
  expect(meta('validator').some((i) => i.includes('@google-cloud/compute/'))).toBe(false);
  expect(meta('applier').some((i) => i.includes('@google-cloud/compute/'))).toBe(true);
});

/** How `dir`'s entry loaded its bundle on this Node: accepted, rejected or absent code cache. */
const codeCacheOf = (dir: string, extraEnv: NodeJS.ProcessEnv = {}) =>
  execFileSync(process.execPath, ['-p', `require(${JSON.stringify(join(dir, ENTRY))}).codeCache`], {
    env: { PATH: process.env.PATH, ...extraEnv },
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .at(-1);

test('each entry runs its bundle with the code cache recorded by the warm-up; a foreign cache is only ignored', () => {
  for (const m of made) {
    expect(m.codeCacheBytes).toBeGreaterThan(100_000);
    expect(codeCacheOf(m.dir)).toBe('accepted');
  }
  // The gcp-build script (Google's build) records it again, on the Node that runs it.
  const dir = made[0]!.dir;
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(pkg.scripts['gcp-build']).toContain('--record-code-cache');
  rmSync(join(dir, CODE_CACHE));
  expect(codeCacheOf(dir)).toBe('absent');
  execFileSync(process.execPath, [join(dir, ENTRY), '--record-code-cache'], { env: { PATH: process.env.PATH } });
  expect(codeCacheOf(dir)).toBe('accepted');
  // A cache V8 refuses (another V8 version, or damaged) is rejected and the bundle still runs.
  const good = readFileSync(join(dir, CODE_CACHE));
  writeFileSync(join(dir, CODE_CACHE), Buffer.concat([good.subarray(0, 64), Buffer.alloc(1024, 7)]));
  expect(codeCacheOf(dir)).toBe('rejected');
  writeFileSync(join(dir, CODE_CACHE), good);
  // With source maps on (for TypeScript positions in traces) Node must load the bundle itself: no code cache then.
  expect(codeCacheOf(dir, { NODE_OPTIONS: '--enable-source-maps' })).toBe('off');
});

test('validator → egress-change on Pub/Sub, applier → rule written and operation waited on', async () => {
  const validator = await servePackaged(join(out, 'validator'), 'egressValidator', env);
  served.push(validator);
  const ev = storageEventRequest({
    kind: 'finalized',
    bucket: BUCKET,
    name: 'manifests/payment-gateway.yaml',
    generation,
    content: Buffer.from(MANIFEST),
  });
  const v = await invoke(validator, '/', ev.headers, JSON.stringify(ev.body));
  expect({ status: v.status, output: v.status < 300 ? '' : validator.output() }).toEqual({ status: 204, output: '' });
  const change: EgressChangeEvent = await pubsub.waitForChange(
    `${CHANGES}-pull`,
    (e) => e.data.project.name === 'payment-gateway',
    30_000,
  );
  expect(change.data.entries.map((e) => e.value)).toEqual(['api.stripe.com']);

  const applier = await servePackaged(join(out, 'applier'), 'egressApplier', env);
  served.push(applier);
  const msg = encodeEvent(change);
  const push = {
    subscription: `projects/${LOCAL_PROJECT}/subscriptions/${CHANGES}-push`,
    message: {
      data: msg.data.toString('base64'),
      attributes: msg.attributes,
      messageId: '1',
      publishTime: new Date().toISOString(),
    },
  };
  const a = await invoke(
    applier,
    `/projects/${LOCAL_PROJECT}/topics/${CHANGES}`,
    { 'content-type': 'application/json' },
    JSON.stringify(push),
  );
  expect({ status: a.status, output: a.status < 300 ? '' : applier.output() }).toEqual({ status: 204, output: '' });
  expect(engine.rules(HOST, POLICY).map((r) => r.match?.destFqdns)).toEqual([['api.stripe.com']]);
  expect(engine.rules(HOST, POLICY)[0]?.match?.srcIpRanges).toEqual(['10.10.0.0/24']);
  expect(engine.counters().calls.patch).toBe(1); // one batch-update patch (docs/applier.md)
  expect(engine.counters().polls).toBeGreaterThanOrEqual(1);
  expect(applier.output()).toContain('"message":"applied"');
});
