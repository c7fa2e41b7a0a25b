/**
 * `egress status` reads the last status event from a subscription without waiting when nothing more is there
 * (issue 19, item 7). The emulator holds a pull on an empty subscription until a message arrives (10 s and more on
 * main: each status paid it, and messages whose lease ran out meanwhile were pulled again), so the adapter asks it to
 * answer at once; the whole read of a few dozen events takes well under 2 s, and the messages stay for the next reader.
 */

import { EmulatorPubsub, LOCAL_PROJECT } from '../../local/harness/pubsub';
import { pubsubPuller } from '../../shared/adapters/pubsub';
import { makeStatus } from '../../shared/core/events/codec';
import { lastStatusEvent } from '../../shared/usecases/status';

jest.setTimeout(60_000);

const sfx = `pull-${process.pid}`;
const topic = `egress-status-${sfx}`;
const subscription = `egress-status-operators-${sfx}`;
const pubsub = new EmulatorPubsub(LOCAL_PROJECT, process.env.PUBSUB_EMULATOR_HOST!);

beforeAll(async () => {
  await pubsub.createTopic(topic);
  await pubsub.createPullSubscription(topic, subscription);
});
afterAll(async () => {
  await pubsub.deleteSubscription(subscription);
});

/** One read as `egress status` does it (its own client, closed after). */
async function read(project: string) {
  const puller = pubsubPuller(LOCAL_PROJECT, subscription);
  const t0 = performance.now();
  try {
    const event = await lastStatusEvent(puller, project);
    return { event, ms: performance.now() - t0 };
  } finally {
    await puller.close();
  }
}

test('an empty subscription answers at once: no event, no wait', async () => {
  const { event, ms } = await read('checkout');
  expect(event).toBeNull();
  expect(ms).toBeLessThan(2000);
});

test('the newest of 30 events about the project, in under 2 s; a second read sees the same (read-only)', async () => {
  const t = Date.parse('2026-01-01T00:00:00Z');
  for (let i = 0; i < 30; i++) {
    const project = i % 3 === 0 ? 'checkout' : 'ledger';
    await pubsub.publishEvent(
      topic,
      makeStatus({ outcome: 'applied', project, reason: `n${i}` }, 'test', new Date(t + i * 1000)),
    );
  }
  const first = await read('checkout');
  expect(first.event?.data).toMatchObject({ project: 'checkout', reason: 'n27' });
  expect(first.ms).toBeLessThan(2000);
  const second = await read('checkout');
  expect(second.event?.id).toBe(first.event?.id);
  expect(second.ms).toBeLessThan(2000);
});
