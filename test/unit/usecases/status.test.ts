/** `egress status`'s use case: the last status event is read without acknowledging; agreement without a manifest. */
import { NoSuchProjectError } from '../../../shared/core/agreement';
import { encodeEvent, makeStatus } from '../../../shared/core/events/codec';
import { DEFAULT_POLICY } from '../../../shared/core/policy';
import type { PulledMessage } from '../../../shared/ports/puller';
import { lastStatusEvent, projectStatus } from '../../../shared/usecases/status';

function puller(messages: PulledMessage[]) {
  const queue = [...messages];
  const nacked: string[] = [];
  return {
    nacked,
    acked: [] as string[],
    async pull(max: number) {
      return queue.splice(0, max);
    },
    async ack(ids: string[]) {
      this.acked.push(...ids);
    },
    async nack(ids: string[]) {
      nacked.push(...ids);
    },
  };
}

const status = (project: string, outcome: 'applied' | 'rejected', time: string, i: number): PulledMessage => ({
  ackId: `a${i}`,
  message: encodeEvent(makeStatus({ outcome, project }, '//test', new Date(time))),
});

test('the newest event of the project wins; every message is given back, none acknowledged', async () => {
  const p = puller([
    status('p', 'applied', '2026-01-01T00:00:02Z', 1),
    status('q', 'rejected', '2026-01-01T00:00:09Z', 2),
    status('p', 'rejected', '2026-01-01T00:00:05Z', 3),
    status('p', 'applied', '2026-01-01T00:00:01Z', 4),
  ]);
  const e = await lastStatusEvent(p, 'p');
  expect(e?.data.outcome).toBe('rejected');
  expect(e?.time).toBe('2026-01-01T00:00:05.000Z');
  expect(p.nacked.sort()).toEqual(['a1', 'a2', 'a3', 'a4']);
  expect(p.acked).toEqual([]);
});

test('no manifest and no rules: no such project, naming the nearest key', async () => {
  const policy = DEFAULT_POLICY;
  const source = { kind: 'dir' as const, dir: '/nonexistent', find: () => null };
  const none = projectStatus({
    project: 'payment-gatewy',
    policy,
    source,
    firewall: { source: 'x', rules: [] },
    knownProjects: async () => ['payment-gateway', 'data-pipeline'],
  });
  await expect(none).rejects.toThrow(NoSuchProjectError);
  await expect(none).rejects.toMatchObject({
    message: 'no such project payment-gatewy: no manifest in /nonexistent and no owned rule in the firewall',
    hint: 'did you mean payment-gateway?',
  });
});
