import { encodeEvent, makeEgressChange } from '../../../shared/core/events/codec';
import type { PubSubMessage } from '../../../shared/core/events/types';
import { virtualClock } from '../../../shared/ports/clock';
import type { MessagePuller, PulledMessage } from '../../../shared/ports/puller';
import { redriveDeadLetters } from '../../../shared/usecases/redrive';

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
});
