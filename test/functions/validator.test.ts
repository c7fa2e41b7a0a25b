/**
 * egressValidator through the functions-framework test server, with storage CloudEvents as Eventarc sends them
 * (binary mode, StorageObjectData with string generations) and in-memory store/publisher behind the composition root.
 */
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import '../../functions/validator';
import {
  FakeApiError,
  type MemoryManifestStore,
  type MemoryPublisher,
  memoryLogger,
  memoryManifestStore,
  memoryPublisher,
} from '../../shared/adapters/memory';
import { changeEventId, decodeEgressChange, decodeStatus } from '../../shared/core/events/codec';
import { DEFAULT_POLICY } from '../../shared/core/policy';
import { setValidatorDeps } from '../../shared/runtime/validator';
import { type CloudEventRequest, type StorageEventKind, storageEventRequest } from '../support/storageEvents';

const BUCKET = 'egress-manifests';
const OBJECT = 'manifests/payment-gateway.yaml';

const VALID = `apiVersion: lowops.manifests.v1
kind: Project
metadata:
  name: payment-gateway
  environment: production
spec:
  description: Payment processing
  allowedEgress:
    - "API.Stripe.com" # Payment processor API
    - "34.117.59.0/24"
`;

const VALID_V2 = VALID.replace('    - "34.117.59.0/24"\n', '    - "hooks.slack.com" # Notifications\n');

// Two errors: the name does not match the object name, and an entry is not a destination.
const INVALID = `apiVersion: lowops.manifests.v1
kind: Project
metadata:
  name: payments
  environment: production
spec:
  allowedEgress:
    - "http://api.stripe.com/v1"
`;

let store: MemoryManifestStore;
let publisher: MemoryPublisher;
let logger: ReturnType<typeof memoryLogger>;

beforeEach(() => {
  store = memoryManifestStore(BUCKET);
  publisher = memoryPublisher();
  logger = memoryLogger();
  setValidatorDeps({
    storeFor: (bucket) => {
      expect(bucket).toBe(BUCKET);
      return store;
    },
    publisher,
    logger,
    policy: DEFAULT_POLICY,
    changesTopic: 'egress-changes',
    statusTopic: 'egress-status',
    manifestPrefix: 'manifests/',
  });
});

afterAll(() => setValidatorDeps(undefined));

function event(kind: StorageEventKind, name: string, generation: string, extra: { size?: string } = {}) {
  return storageEventRequest({ kind, bucket: BUCKET, name, generation, ...extra });
}

function deliver(ev: CloudEventRequest) {
  return request(getTestServer('egressValidator')).post('/').set(ev.headers).send(ev.body);
}

async function upload(name: string, text: string) {
  return store.write(name, Buffer.from(text));
}

const changes = () => publisher.on('egress-changes');
const statuses = () => publisher.on('egress-status');
const decodedChange = (i: number) => {
  const p = changes()[i]!;
  const d = decodeEgressChange({ data: p.message.data, attributes: p.message.attributes });
  if (!d.ok) throw new Error(d.errors.join('; '));
  return d.event;
};

describe('egressValidator: finalized', () => {
  it('publishes the normalized egress change of a valid upload, read at exactly the event generation', async () => {
    const obj = await upload(OBJECT, VALID);
    await upload('manifests/other.yaml', VALID.replace('payment-gateway', 'other'));
    const res = await deliver(event('finalized', OBJECT, obj.generation));

    expect(res.status).toBe(204);
    expect(store.calls).toContainEqual({ method: 'read', name: OBJECT, generation: obj.generation });
    expect(changes()).toHaveLength(1);
    expect(statuses()).toHaveLength(0);
    const msg = changes()[0]!.message;
    const source = {
      bucket: BUCKET,
      object: OBJECT,
      generation: obj.generation,
      md5Hash: obj.md5Hash,
      crc32c: obj.crc32c,
    };
    expect(msg.orderingKey).toBe('payment-gateway');
    expect(msg.attributes).toMatchObject({
      'ce-specversion': '1.0',
      'ce-type': 'dev.infrastream.egress.changed.v1',
      'ce-subject': 'payment-gateway',
      'ce-id': changeEventId(source, 'upsert'),
      'ce-source': `//storage.googleapis.com/projects/_/buckets/${BUCKET}`,
    });
    const ev = decodedChange(0);
    expect(ev.data.reason).toBe('upsert');
    expect(ev.data.project).toMatchObject({ name: 'payment-gateway', environment: 'production' });
    expect(ev.data.source).toEqual(source);
    expect(ev.data.entries).toEqual([
      { value: 'api.stripe.com', type: 'hostname', description: 'Payment processor API' },
      { value: '34.117.59.0/24', type: 'cidr' },
    ]);
    expect(logger.at('INFO').some((e) => e.fields.changeId === ev.id)).toBe(true);
  });

  it('publishes the same event id when the same delivery comes twice (duplicates are recognisable)', async () => {
    const obj = await upload(OBJECT, VALID);
    const ce = event('finalized', OBJECT, obj.generation);
    expect((await deliver(ce)).status).toBe(204);
    expect((await deliver(ce)).status).toBe(204);
    expect(changes()).toHaveLength(2);
    expect(decodedChange(0).id).toBe(decodedChange(1).id);
  });

  it('publishes a rejected status with the diagnostics for an invalid manifest, no change, and acknowledges', async () => {
    const obj = await upload(OBJECT, INVALID);
    const res = await deliver(event('finalized', OBJECT, obj.generation));

    expect(res.status).toBe(204);
    expect(changes()).toHaveLength(0);
    expect(statuses()).toHaveLength(1);
    const st = decodeStatus({ data: statuses()[0]!.message.data, attributes: statuses()[0]!.message.attributes });
    if (!st.ok) throw new Error(st.errors.join('; '));
    expect(st.event.data.outcome).toBe('rejected');
    // The file declares `payments`, but the rejection concerns the object's project, not another team's.
    expect(st.event.data.project).toBe('payment-gateway');
    expect(st.event.subject).toBe('payment-gateway');
    expect(st.event.source).toBe('//infrastream-egress/validator');
    expect(st.event.data.source).toMatchObject({ bucket: BUCKET, object: OBJECT, generation: obj.generation });
    const diags = st.event.data.diagnostics ?? [];
    expect(diags.filter((d) => d.severity === 'error').length).toBeGreaterThanOrEqual(2);
    expect(diags.some((d) => d.path.startsWith('metadata.name') && /file name/.test(d.message))).toBe(true);
    expect(diags.some((d) => d.path.startsWith('spec.allowedEgress'))).toBe(true);
    const warn = logger.at('WARNING');
    expect(warn).toHaveLength(1);
    expect(warn[0]!.message).toContain(OBJECT);
  });

  it('acknowledges without publishing when the event generation no longer exists', async () => {
    const v1 = await upload(OBJECT, VALID);
    await upload(OBJECT, VALID_V2);
    store.purge(OBJECT, v1.generation);
    const res = await deliver(event('finalized', OBJECT, v1.generation));

    expect(res.status).toBe(204);
    expect(publisher.published).toHaveLength(0);
    expect(logger.at('INFO').some((e) => /no longer live/.test(e.message))).toBe(true);
  });

  it('publishes nothing for a generation that is still readable but no longer live (versioned bucket)', async () => {
    const v1 = await upload(OBJECT, VALID);
    const v2 = await upload(OBJECT, VALID_V2);
    // Delivered out of order: the newer generation first, then the older one, which is archived but readable.
    await deliver(event('finalized', OBJECT, v2.generation));
    const res = await deliver(event('finalized', OBJECT, v1.generation));

    expect(res.status).toBe(204);
    expect(changes()).toHaveLength(1);
    expect(decodedChange(0).data.source.generation).toBe(v2.generation);
    expect(store.calls).not.toContainEqual({ method: 'read', name: OBJECT, generation: v1.generation });
  });

  it('does not resurrect a deleted manifest when its finalize arrives after the delete', async () => {
    const v1 = await upload(OBJECT, VALID);
    await store.delete(OBJECT);
    await deliver(event('archived', OBJECT, v1.generation));
    const late = await deliver(event('finalized', OBJECT, v1.generation));

    expect(late.status).toBe(204);
    expect(changes()).toHaveLength(1);
    expect(decodedChange(0).data.reason).toBe('delete');
  });

  it('refuses an object larger than the policy limit without downloading it', async () => {
    const obj = await upload(OBJECT, VALID);
    const res = await deliver(
      event('finalized', OBJECT, obj.generation, { size: String(DEFAULT_POLICY.manifest.maxFileBytes + 1) }),
    );
    expect(res.status).toBe(204);
    expect(store.calls.filter((c) => c.method === 'read')).toHaveLength(0);
    expect(changes()).toHaveLength(0);
    const st = decodeStatus({ data: statuses()[0]!.message.data, attributes: statuses()[0]!.message.attributes });
    expect(st.ok && st.event.data.diagnostics?.[0]?.code).toBe('FILE_TOO_LARGE');
  });
});

describe('egressValidator: extensions in any letter case (the bucket layout rule)', () => {
  it('validates and publishes p.YAML as `egress sync` and `npm start` upload it', async () => {
    const name = 'manifests/payment-gateway.YAML';
    const obj = await upload(name, VALID);
    const res = await deliver(event('finalized', name, obj.generation));

    expect(res.status).toBe(204);
    expect(changes()).toHaveLength(1);
    expect(decodedChange(0)).toMatchObject({
      subject: 'payment-gateway',
      data: { source: { object: name, generation: obj.generation } },
    });
    expect(logger.entries.some((e) => /ignored/.test(e.message))).toBe(false);
  });

  it('does not revoke when p.yaml is deleted while p.YAML is live: it re-publishes p.YAML instead', async () => {
    const old = await upload(OBJECT, VALID);
    const live = await upload('manifests/payment-gateway.YAML', VALID_V2);
    await store.delete(OBJECT);
    const res = await deliver(event('deleted', OBJECT, old.generation));

    expect(res.status).toBe(204);
    expect(changes()).toHaveLength(1);
    expect(decodedChange(0).data).toMatchObject({
      reason: 'upsert',
      source: { object: 'manifests/payment-gateway.YAML', generation: live.generation },
      supersedes: { object: OBJECT, generation: old.generation },
    });
    expect(logger.at('INFO').some((e) => e.fields.liveObject === 'manifests/payment-gateway.YAML')).toBe(true);
  });

  it('still ignores a nested object and a .yaml.bak', async () => {
    for (const name of ['manifests/team/payment-gateway.YAML', 'manifests/payment-gateway.yaml.bak']) {
      const obj = await upload(name, VALID);
      expect((await deliver(event('finalized', name, obj.generation))).status).toBe(204);
    }
    expect(publisher.published).toHaveLength(0);
  });
});

describe('egressValidator: size limit without a size in the event', () => {
  it('refuses an oversized object by its stored size, without downloading it', async () => {
    const big = `${VALID}# ${'x'.repeat(DEFAULT_POLICY.manifest.maxFileBytes)}\n`;
    const obj = await upload(OBJECT, big);
    const ev = event('finalized', OBJECT, obj.generation);
    delete (ev.body as Record<string, unknown>).size;
    const res = await deliver(ev);

    expect(res.status).toBe(204);
    expect(store.calls.filter((c) => c.method === 'read')).toHaveLength(0);
    expect(changes()).toHaveLength(0);
    const st = decodeStatus({ data: statuses()[0]!.message.data, attributes: statuses()[0]!.message.attributes });
    expect(st.ok && st.event.data.diagnostics?.[0]?.code).toBe('FILE_TOO_LARGE');
  });
});

describe('egressValidator: two spellings of one manifest (issue 19, item 2)', () => {
  const YML = 'manifests/payment-gateway.yml';

  it('refuses p.yml beside a live p.yaml with a rejected status naming both; p.yaml keeps its rules', async () => {
    await upload(OBJECT, VALID);
    const second = await upload(YML, VALID_V2);
    const res = await deliver(event('finalized', YML, second.generation));

    expect(res.status).toBe(204);
    expect(changes()).toHaveLength(0);
    expect(statuses()).toHaveLength(1);
    const st = decodeStatus({ data: statuses()[0]!.message.data, attributes: statuses()[0]!.message.attributes });
    if (!st.ok) throw new Error(st.errors.join('; '));
    expect(st.event.data).toMatchObject({
      outcome: 'rejected',
      project: 'payment-gateway',
      source: { object: YML, generation: second.generation },
    });
    const d = st.event.data.diagnostics![0]!;
    expect(d.code).toBe('DUPLICATE_PROJECT');
    expect(d.message).toContain(YML);
    expect(d.message).toContain(`${OBJECT} is its live manifest`);
    // Refused before reading: the second spelling's content never matters.
    expect(store.calls.filter((c) => c.method === 'read')).toHaveLength(0);
  });

  it("the live spelling is the layout's whatever the order: an edit of p.yaml beside p.yml is applied", async () => {
    await upload(YML, VALID);
    const live = await upload(OBJECT, VALID_V2);
    const res = await deliver(event('finalized', OBJECT, live.generation));
    expect(res.status).toBe(204);
    expect(changes()).toHaveLength(1);
    expect(decodedChange(0).data.source).toMatchObject({ object: OBJECT, generation: live.generation });
  });
});

describe.each(['deleted', 'archived'] as const)('egressValidator: %s', (kind) => {
  it('does not revoke a project renamed from .yml to .yaml (the other spelling is live, and is re-published)', async () => {
    const old = await upload('manifests/payment-gateway.yml', VALID);
    const live = await upload(OBJECT, VALID_V2);
    await store.delete('manifests/payment-gateway.yml');
    const res = await deliver(event(kind, 'manifests/payment-gateway.yml', old.generation));

    expect(res.status).toBe(204);
    // The live spelling is re-published (naming what it replaces), so the firewall follows it: never a delete.
    expect(changes()).toHaveLength(1);
    expect(decodedChange(0).data).toMatchObject({
      reason: 'upsert',
      source: { object: OBJECT, generation: live.generation },
      supersedes: { object: 'manifests/payment-gateway.yml', generation: old.generation },
    });
    expect(logger.at('INFO').some((e) => e.fields.liveObject === OBJECT)).toBe(true);
    // Reported as skipped under the id the delete would have had, so a waiter on the status topic gets an answer.
    expect(statuses()).toHaveLength(1);
    const st = decodeStatus({ data: statuses()[0]!.message.data, attributes: statuses()[0]!.message.attributes });
    if (!st.ok) throw new Error(st.errors.join('; '));
    const source = { bucket: BUCKET, object: 'manifests/payment-gateway.yml', generation: old.generation };
    expect(st.event.data).toMatchObject({ outcome: 'skipped', project: 'payment-gateway', source });
    expect(st.event.data.changeId).toBe(changeEventId(source, 'delete'));
  });

  it('ignores the old generation of an overwrite while a live generation exists', async () => {
    const v1 = await upload(OBJECT, VALID);
    await upload(OBJECT, VALID_V2);
    const res = await deliver(event(kind, OBJECT, v1.generation));

    expect(res.status).toBe(204);
    expect(publisher.published).toHaveLength(0);
    expect(store.calls).toContainEqual({ method: 'stat', name: OBJECT });
  });

  it('publishes a delete change keyed by the object base name when no live generation exists', async () => {
    const v1 = await upload(OBJECT, VALID);
    await store.delete(OBJECT);
    const res = await deliver(event(kind, OBJECT, v1.generation));

    expect(res.status).toBe(204);
    expect(changes()).toHaveLength(1);
    const ev = decodedChange(0);
    const source = { bucket: BUCKET, object: OBJECT, generation: v1.generation };
    expect(ev.id).toBe(changeEventId(source, 'delete'));
    expect(ev.subject).toBe('payment-gateway');
    expect(changes()[0]!.message.orderingKey).toBe('payment-gateway');
    expect(ev.data).toMatchObject({ reason: 'delete', entries: [], project: { name: 'payment-gateway' } });
    expect(ev.data.source).toMatchObject(source);
  });
});

describe('egressValidator: objects that are not manifests', () => {
  it.each([
    ['another prefix', 'other/payment-gateway.yaml'],
    ['another extension', 'manifests/README.md'],
    ['a folder placeholder', 'manifests/team/'],
    // Not a second manifest of payment-gateway: the layout is flat, and deleting it would revoke the project.
    ['a manifest in a sub-folder', 'manifests/team/payment-gateway.yaml'],
  ])('ignores %s (INFO log, no store access, nothing published)', async (_what, name) => {
    const res = await deliver(event('finalized', name, '1700000000000001'));
    expect(res.status).toBe(204);
    expect(store.calls).toHaveLength(0);
    expect(publisher.published).toHaveLength(0);
    expect(logger.at('INFO').some((e) => e.message.startsWith(`ignored ${name}`))).toBe(true);
  });

  it('ignores storage event types it does not handle', async () => {
    const res = await deliver(event('metadataUpdated', OBJECT, '1700000000000001'));
    expect(res.status).toBe(204);
    expect(store.calls).toHaveLength(0);
    expect(publisher.published).toHaveLength(0);
  });
});

describe('egressValidator: failures', () => {
  // The framework prints the stack of every failed invocation (its crash response); the assertions are on status.
  beforeEach(() => jest.spyOn(console, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['GCS 503', 'read', new FakeApiError('backendError', 503)],
    ['GCS 429', 'read', new FakeApiError('rateLimitExceeded', 429)],
    ['a network error', 'read', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['GCS 500 on stat', 'stat', new FakeApiError('internal', 500)],
  ] as const)(
    'fails the delivery on %s so Eventarc retries, and succeeds on the redelivery',
    async (_w, method, err) => {
      const v1 = await upload(OBJECT, VALID);
      let ce = event('finalized', OBJECT, v1.generation);
      if (method === 'stat') {
        await store.delete(OBJECT);
        ce = event('deleted', OBJECT, v1.generation);
      }
      store.failNext(method, err);
      const first = await deliver(ce);
      expect(first.status).toBeGreaterThanOrEqual(500);
      expect(publisher.published).toHaveLength(0);
      expect(logger.at('WARNING').some((e) => /retried/.test(e.message))).toBe(true);

      const again = await deliver(ce);
      expect(again.status).toBe(204);
      expect(changes()).toHaveLength(1);
    },
  );

  it('fails the delivery when the store does not show the event generation yet (a lagging store), to retry', async () => {
    const v1 = await upload(OBJECT, VALID);
    const res = await deliver(event('finalized', OBJECT, String(BigInt(v1.generation) + 1n)));
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(publisher.published).toHaveLength(0);
  });

  it('fails the delivery when Pub/Sub is unavailable (gRPC UNAVAILABLE), publishing nothing', async () => {
    const v1 = await upload(OBJECT, VALID);
    publisher.failNext(new FakeApiError('14 UNAVAILABLE: connection refused', 14));
    const res = await deliver(event('finalized', OBJECT, v1.generation));
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(publisher.published).toHaveLength(0);
  });

  it('acknowledges a permanent API failure (403) with an ERROR log instead of retrying forever', async () => {
    const v1 = await upload(OBJECT, VALID);
    store.failNext('read', new FakeApiError('caller does not have storage.objects.get access', 403));
    const res = await deliver(event('finalized', OBJECT, v1.generation));
    expect(res.status).toBe(204);
    expect(publisher.published).toHaveLength(0);
    expect(logger.at('ERROR')[0]?.message).toContain('storage.objects.get');
  });

  it.each([
    ['no generation', (b: Record<string, unknown>) => ({ ...b, generation: undefined })],
    ['a generation that is not decimal', (b: Record<string, unknown>) => ({ ...b, generation: 'abc' })],
    ['an unsafe numeric generation', (b: Record<string, unknown>) => ({ ...b, generation: 2 ** 60 })],
    ['no object name', (b: Record<string, unknown>) => ({ ...b, name: '' })],
  ])('acknowledges a malformed event with %s and logs ERROR', async (_w, mutate) => {
    const ce = event('finalized', OBJECT, '1700000000000001');
    const res = await deliver({ headers: ce.headers, body: mutate(ce.body) });
    expect(res.status).toBe(204);
    expect(store.calls).toHaveLength(0);
    expect(publisher.published).toHaveLength(0);
    expect(logger.at('ERROR')).toHaveLength(1);
    expect(logger.at('ERROR')[0]!.message).toMatch(/malformed storage CloudEvent/);
  });

  // A text/plain body never reaches any function: functions-framework 5.0.5 crashes in its own middleware on
  // string bodies (`'context' in body`). Eventarc always sends JSON, so only JSON-shaped and raw bodies are tested.
  it.each([
    ['a JSON array', 'application/json', '[1, 2, 3]'],
    ['bytes that are not JSON', 'application/octet-stream', Buffer.from([0xff, 0x00, 0x7b])],
  ])('acknowledges a body that is %s and logs ERROR', async (_w, contentType, body) => {
    const ce = event('finalized', OBJECT, '1700000000000001');
    const res = await request(getTestServer('egressValidator'))
      .post('/')
      .set({ ...ce.headers, 'content-type': contentType })
      .send(body);
    expect(res.status).toBe(204);
    expect(publisher.published).toHaveLength(0);
    expect(logger.at('ERROR')[0]!.message).toMatch(/not a JSON StorageObjectData/);
  });
});
