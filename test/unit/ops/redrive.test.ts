import { redriveText } from '../../../shared/cli/commands/replay';
import { encodeEvent, makeEgressChange, makeStatus } from '../../../shared/core/events/codec';
import type { PubSubMessage } from '../../../shared/core/events/types';
import { virtualClock } from '../../../shared/ports/clock';
import type { MessagePuller, PulledMessage } from '../../../shared/ports/puller';
import { redriveDeadLetters } from '../../../shared/usecases/redrive';

/** Status events as a status subscription holds them (what an operator may give by mistake). */
function statusMessages(n: number, outcome: 'apply-failed' | 'applied' = 'apply-failed'): PulledMessage[] {
  return Array.from({ length: n }, (_, i) => {
    const m = encodeEvent(makeStatus({ outcome, project: `p${i}` }, '//infrastream-egress/applier', new Date(i)));
    return { ackId: `status-${i}`, message: { data: m.data, attributes: m.attributes } };
  });
}

const noPublish = {
  publish: async (): Promise<string> => {
    throw new Error('must not publish');
  },
};

function deadLetters(n: number): PulledMessage[] {
  return Array.from({ length: n }, (_, i) => {
    const ev = makeEgressChange({
      project: { name: `p${i}`, environment: 'prod' },
      reason: 'upsert',
      entries: [{ value: 'api.x.com', type: 'hostname' }],
      source: { bucket: 'b', object: `manifests/p${i}.yaml`, generation: String(100 + i) },
      time: new Date(0),
    });
    const m = encodeEvent(ev);
    // As delivered from a dead-letter subscription: Pub/Sub adds its own attribute.
    return {
      ackId: `ack-${i}`,
      message: { data: m.data, attributes: { ...m.attributes, googclient_deliveryattempt: '5' } },
    };
  });
}

function puller(messages: PulledMessage[]): MessagePuller & { acked: string[]; nacked: string[]; pulls: number } {
  const queue = [...messages];
  const p = {
    acked: [] as string[],
    nacked: [] as string[],
    pulls: 0,
    async pull(max: number) {
      p.pulls++;
      return queue.splice(0, max);
    },
    async ack(ids: string[]) {
      p.acked.push(...ids);
    },
    async nack(ids: string[]) {
      p.nacked.push(...ids);
    },
  };
  return p;
}

describe('redriveDeadLetters', () => {
  it('re-publishes data and attributes unchanged with the project as ordering key, acking after each publish', async () => {
    const msgs = deadLetters(5);
    const pl = puller(msgs);
    const sent: { topic: string; m: PubSubMessage }[] = [];
    const r = await redriveDeadLetters(
      {
        puller: pl,
        publisher: {
          publish: async (topic, m) => {
            sent.push({ topic, m });
            return 'id';
          },
        },
        changesTopic: 'egress-changes',
        clock: virtualClock(),
      },
      { batch: 2 },
    );
    expect(r).toMatchObject({ redriven: 5, failed: 0 });
    expect(pl.acked).toEqual(msgs.map((m) => m.ackId));
    expect(sent.map((s) => s.topic)).toEqual(Array(5).fill('egress-changes'));
    sent.forEach((s, i) => {
      expect(s.m.data.equals(msgs[i]!.message.data)).toBe(true);
      expect(s.m.attributes).toEqual(msgs[i]!.message.attributes);
      expect(s.m.orderingKey).toBe(`p${i}`);
    });
  });

  it('never acknowledges a message whose publish failed', async () => {
    const msgs = deadLetters(3);
    const pl = puller(msgs);
    let n = 0;
    const r = await redriveDeadLetters({
      puller: pl,
      publisher: {
        publish: async () => {
          if (n++ === 1) throw new Error('UNAVAILABLE');
          return 'id';
        },
      },
      changesTopic: 'c',
      clock: virtualClock(),
    });
    expect(r).toMatchObject({ redriven: 2, failed: 1 });
    expect(pl.acked).toEqual(['ack-0', 'ack-2']);
    // Handed back at the end (not left leased until the ack deadline), so the next run sees it at once.
    expect(pl.nacked).toEqual(['ack-1']);
    expect(r.messages[1]).toMatchObject({ project: 'p1', status: 'failed', error: 'UNAVAILABLE' });
  });

  it('dry run counts every message, acknowledges nothing and hands them all back at once', async () => {
    const msgs = deadLetters(5);
    const pl = puller(msgs);
    const r = await redriveDeadLetters(
      { puller: pl, publisher: { publish: async () => 'x' }, changesTopic: 'c', clock: virtualClock() },
      { dryRun: true, batch: 2 },
    );
    expect(r.seen).toBe(5);
    expect(pl.acked).toEqual([]);
    // Left leased, they would be invisible to a real run started right after the dry run (it re-drove 0).
    expect(pl.nacked).toEqual(msgs.map((m) => m.ackId));
  });

  it('refuses a subscription of status events, naming what it holds, and publishes or acknowledges nothing', async () => {
    const msgs = [...statusMessages(3), ...statusMessages(2, 'applied')];
    const pl = puller(msgs);
    const r = await redriveDeadLetters(
      { puller: pl, publisher: noPublish, changesTopic: 'c', clock: virtualClock() },
      { subscription: 'egress-status-operators' },
    );
    expect(r.redriven).toBe(0);
    expect(r.other).toEqual({ 'status events (apply-failed)': 3, 'status events (applied)': 2 });
    expect(r.refused).toMatch(
      /^egress-status-operators holds 3 status events \(apply-failed\), 2 status events \(applied\), not egress-change events/,
    );
    expect(pl.acked).toEqual([]);
    expect(pl.nacked).toEqual(msgs.map((m) => m.ackId));
    // One pull: a refused run does not drain the subscription.
    expect(pl.pulls).toBe(1);
    expect(redriveText(r, false, 'egress-status-operators', 'c')).toMatch(/^replay --dead-letter refused: /);
  });

  it('re-drives only the egress-change events of a mixed subscription; the others stay, counted by kind', async () => {
    const changes = deadLetters(2);
    const pl = puller([statusMessages(1)[0]!, changes[0]!, statusMessages(1)[0]!, changes[1]!]);
    const sent: PubSubMessage[] = [];
    const r = await redriveDeadLetters({
      puller: pl,
      publisher: {
        publish: async (_t, m) => {
          sent.push(m);
          return 'id';
        },
      },
      changesTopic: 'c',
      clock: virtualClock(),
    });
    expect(r).toMatchObject({ redriven: 2, other: { 'status events (apply-failed)': 2 } });
    expect(sent.map((m) => m.orderingKey)).toEqual(['p0', 'p1']);
    expect(pl.acked).toEqual(['ack-0', 'ack-1']);
    expect(pl.nacked).toEqual(['status-0', 'status-0']);
  });

  it('dry run counts only egress-change events', async () => {
    const pl = puller([...deadLetters(2), ...statusMessages(3)]);
    const r = await redriveDeadLetters(
      { puller: pl, publisher: noPublish, changesTopic: 'c', clock: virtualClock() },
      { dryRun: true },
    );
    expect(r.seen).toBe(2);
    expect(r.other).toEqual({ 'status events (apply-failed)': 3 });
    expect(redriveText(r, true, 'dl', 'c')).toContain('2 dead-lettered egress-change events seen');
  });

  it('stops at its bound and hands the rest back', async () => {
    const msgs = deadLetters(7);
    const pl = puller(msgs);
    const r = await redriveDeadLetters(
      { puller: pl, publisher: { publish: async () => 'id' }, changesTopic: 'c', clock: virtualClock() },
      { limit: 3, batch: 2 },
    );
    expect(r.redriven).toBe(3);
    expect(r.stopped).toMatch(/bound of 3/);
    expect(pl.acked).toEqual(['ack-0', 'ack-1', 'ack-2']);
    expect(pl.nacked).toEqual(['ack-3']);
    // It stopped pulling: the rest was never leased.
    expect(pl.pulls).toBe(2);
  });

  it('stops when an event it re-drove comes back (the subscription receives what the run publishes)', async () => {
    const [m] = deadLetters(1);
    const queue: PulledMessage[] = [m!];
    let n = 0;
    const pl: MessagePuller & { acked: string[] } = {
      acked: [],
      pull: async () => queue.splice(0),
      ack: async (ids) => void pl.acked.push(...ids),
    };
    const r = await redriveDeadLetters({
      puller: pl,
      publisher: {
        publish: async (_t, msg) => {
          queue.push({ ackId: `again-${n++}`, message: msg });
          return 'id';
        },
      },
      changesTopic: 'c',
      clock: virtualClock(),
    });
    expect(r.redriven).toBe(1);
    expect(r.stopped).toMatch(/came back/);
  });
});
