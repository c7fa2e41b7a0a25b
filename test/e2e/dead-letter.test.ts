/**
 * `egress replay --dead-letter SUB` given a status subscription by mistake (issue 19, item 1), on the real Pub/Sub
 * emulator through the CLI: refused, naming what the subscription holds; nothing is published to the changes topic and
 * nothing is acknowledged (the messages stay for their real consumer).
 */
import { EmulatorPubsub } from '../../local/harness/pubsub';
import { encodeEvent, makeStatus } from '../../shared/core/events/codec';
import { runCli } from '../support/cli';

jest.setTimeout(60_000);

const PROJECT = `e2e-dead-letter-${process.pid}`;
const saved = { ...process.env };
afterAll(() => {
  process.env = saved;
});

test('a status subscription is refused, naming what it holds; nothing re-published or acknowledged', async () => {
  const ps = new EmulatorPubsub(PROJECT);
  await ps.createTopic('egress-status');
  await ps.createPullSubscription('egress-status', 'egress-status-operators');
  await ps.createTopic('egress-changes');
  await ps.createPullSubscription('egress-changes', 'egress-changes-watch');
  const statuses = Array.from({ length: 4 }, (_, i) =>
    encodeEvent(makeStatus({ outcome: 'apply-failed', project: `p${i}` }, '//infrastream-egress/applier')),
  );
  await ps.publishRaw('egress-status', statuses);
  process.env.EGRESS_PUBSUB_PROJECT = PROJECT;
  process.env.EGRESS_CHANGES_TOPIC = 'egress-changes';

  const r = await runCli('replay', '--dead-letter', 'egress-status-operators');
  expect(r.code).toBe(1);
  expect(r.out).toMatch(
    /^replay --dead-letter refused: egress-status-operators holds 4 status events \(apply-failed\), not egress-change events/,
  );
  expect(await ps.pullOnce('egress-changes-watch')).toEqual([]);
  // Handed back, not acknowledged: the operators' subscription still holds them.
  expect((await ps.pullOnce('egress-status-operators')).length).toBe(4);
});
