/**
 * One end-to-end hop on the real Pub/Sub emulator: a storage CloudEvent POSTed to the validator (listening on a real
 * port, as Eventarc would call it) becomes an egress-change event that a pull subscription receives, and that a push
 * subscription delivers to a functions-framework CloudEvent function the way the applier receives it.
 */
import '../../functions/validator';
import { emulatorPubsub, LOCAL_PROJECT, waitForChange, waitForStatus } from '../../local/harness/pubsub';
import { EmulatorSetupError, findEmulatorJar, startPubsubEmulator } from '../../local/program/emulator';
import { memoryLogger, memoryManifestStore } from '../../shared/adapters/memory';
import { pubsubPublisher } from '../../shared/adapters/pubsub';
import { decodeEgressChange } from '../../shared/core/events/codec';
import { DEFAULT_POLICY } from '../../shared/core/policy';
import { setValidatorDeps } from '../../shared/runtime/validator';
import { cloudEventRecorder, type ListeningFunction, listenFunction, uniqueName } from '../support/functions';
import { storageEventRequest } from '../support/storageEvents';

const CHANGES = uniqueName('egress-changes');
const STATUS = uniqueName('egress-status');
const BUCKET = 'egress-manifests';

const MANIFEST = `apiVersion: lowops.manifests.v1
kind: Project
metadata:
  name: payment-gateway
  environment: production
spec:
  allowedEgress:
    - "api.stripe.com" # Payment processor API
`;

// A stand-in for the applier: records the CloudEvents the push subscription delivers.
const recorder = cloudEventRecorder('smokeRecorder');

const pubsub = emulatorPubsub();
const store = memoryManifestStore(BUCKET);
const logger = memoryLogger();
const publisher = pubsubPublisher(LOCAL_PROJECT);
let validator: ListeningFunction | undefined;
let recorderServer: ListeningFunction | undefined;

beforeAll(async () => {
  await pubsub.createTopic(CHANGES);
  await pubsub.createTopic(STATUS);
  await pubsub.createPullSubscription(CHANGES, `${CHANGES}-pull`);
  await pubsub.createPullSubscription(STATUS, `${STATUS}-pull`);
  recorderServer = await listenFunction(recorder.name);
  await pubsub.createPushSubscription(CHANGES, `${CHANGES}-push`, recorderServer.url);
  setValidatorDeps({
    storeFor: () => store,
    publisher,
    logger,
    policy: DEFAULT_POLICY,
    changesTopic: CHANGES,
    statusTopic: STATUS,
    manifestPrefix: 'manifests/',
  });
  validator = await listenFunction('egressValidator');
});

afterAll(async () => {
  setValidatorDeps(undefined);
  // Deleting the push subscription first stops its deliveries (the emulator re-pushes failures forever).
  await pubsub.deleteSubscription(`${CHANGES}-push`).catch(() => undefined);
  await pubsub.deleteSubscription(`${CHANGES}-pull`).catch(() => undefined);
  await pubsub.deleteSubscription(`${STATUS}-pull`).catch(() => undefined);
  await publisher.close();
  await Promise.all([validator?.close(), recorderServer?.close()]);
});

async function upload(name: string, text: string) {
  const obj = await store.write(name, Buffer.from(text));
  const ce = storageEventRequest({
    kind: 'finalized',
    bucket: BUCKET,
    name,
    generation: obj.generation,
    content: text,
  });
  const res = await fetch(validator!.url, { method: 'POST', headers: ce.headers, body: JSON.stringify(ce.body) });
  expect(res.status).toBe(204);
  return obj;
}

it('a storage event becomes an egress-change event on the changes topic, pushed as a Pub/Sub CloudEvent', async () => {
  const obj = await upload('manifests/payment-gateway.yaml', MANIFEST);

  const pulled = await waitForChange(`${CHANGES}-pull`, (e) => e.data.source.generation === obj.generation);
  expect(pulled.subject).toBe('payment-gateway');
  expect(pulled.data.reason).toBe('upsert');
  expect(pulled.data.entries).toEqual([
    { value: 'api.stripe.com', type: 'hostname', description: 'Payment processor API' },
  ]);

  // The functions framework turns the wrapped push body into a messagePublished CloudEvent whose source names the
  // topic (from the endpoint path) and whose data.message carries our binary-mode attributes.
  const pushed = await recorder.waitFor();
  expect(pushed.type).toBe('google.cloud.pubsub.topic.v1.messagePublished');
  expect(pushed.source).toBe(`//pubsub.googleapis.com/projects/${LOCAL_PROJECT}/topics/${CHANGES}`);
  const message = (pushed.data as { message: { data: string; attributes: Record<string, string> } }).message;
  const decoded = decodeEgressChange(message);
  expect(decoded.ok && decoded.event.id).toBe(pulled.id);
});

it('an invalid manifest ends as a rejected status event', async () => {
  const obj = await upload('manifests/billing.yaml', MANIFEST);
  const status = await waitForStatus(
    `projects/${LOCAL_PROJECT}/subscriptions/${STATUS}-pull`,
    (s) => s.data.source?.generation === obj.generation,
  );
  expect(status.data.outcome).toBe('rejected');
  // Reported against the object's project (billing), not the project the file wrongly declares.
  expect(status.data.project).toBe('billing');
  expect(status.subject).toBe('billing');
  expect(status.data.diagnostics?.some((d) => d.path.startsWith('metadata.name'))).toBe(true);
});

describe('the emulator harness', () => {
  it('reuses the emulator named by PUBSUB_EMULATOR_HOST instead of starting another', async () => {
    const emu = await startPubsubEmulator();
    expect(emu.reused).toBe(true);
    expect(emu.host).toBe(process.env.PUBSUB_EMULATOR_HOST);
    await emu.stop(); // a no-op for a reused emulator: the next test still talks to it
    await expect(pubsub.createTopic(CHANGES)).resolves.toBeUndefined();
  });

  it('names what to install when java is missing', async () => {
    await expect(startPubsubEmulator({ reuseHost: '', java: '/nonexistent/java' })).rejects.toThrow(
      /needs Java; install a Java runtime \(11 or newer\), e\.g\. `apt-get install openjdk-17-jre-headless`/,
    );
  });

  it('names what to install when the emulator jar is missing', () => {
    expect(() => findEmulatorJar(['/nonexistent-sdk'], { askGcloud: false })).toThrow(EmulatorSetupError);
    expect(() => findEmulatorJar(['/nonexistent-sdk'], { askGcloud: false })).toThrow(
      /jar not found .*\/nonexistent-sdk.*gcloud components install pubsub-emulator/,
    );
  });

  it('finds the installed jar from the usual SDK roots', () => {
    expect(findEmulatorJar()).toMatch(/platform\/pubsub-emulator\/lib\/cloud-pubsub-emulator-.*-all\.jar$/);
  });

  it('refuses a PUBSUB_EMULATOR_HOST that does not answer, saying what to do', async () => {
    await expect(startPubsubEmulator({ reuseHost: '127.0.0.1:1' })).rejects.toThrow(
      /does not answer HTTP: start that emulator, or unset/,
    );
  });
});
