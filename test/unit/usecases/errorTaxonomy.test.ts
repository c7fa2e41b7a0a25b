/**
 * The one error taxonomy: adapters turn raw client failures into the port's error, classified transient or
 * permanent; use cases decide with the one `isTransient`; RetryLaterError is the one "redeliver" error.
 */
import type { PubSub } from '@google-cloud/pubsub';
import { classifyClientError, isTransientClientError } from '../../../shared/adapters/clientErrors';
import { pubsubPublisher } from '../../../shared/adapters/pubsub';
import { isTransient, PortError, RetryLaterError } from '../../../shared/ports/errors';
import { FirewallApiError } from '../../../shared/ports/firewall';
import { PublishError } from '../../../shared/ports/publisher';
import { PreconditionFailedError, StorageApiError } from '../../../shared/ports/storage';

const grpc = (code: number, message: string) => Object.assign(new Error(message), { code });

/** A PubSub client whose every publish rejects with `err` (the adapter's only client call here). */
function failingClient(err: Error): { client: PubSub; resumed: string[] } {
  const resumed: string[] = [];
  const topic = {
    publishMessage: () => Promise.reject(err),
    resumePublishing: (key: string) => resumed.push(key),
  };
  return { client: { topic: () => topic } as unknown as PubSub, resumed };
}

describe('isTransient (the one classification)', () => {
  it.each([
    ['a transient firewall error', new FirewallApiError('x', 503, 'backendError', true), true],
    ['a permanent firewall error', new FirewallApiError('x', 400, 'invalid', false), false],
    ['a transient storage error', new StorageApiError('x', 429, 'rateLimitExceeded', true), true],
    ['a generation precondition', new PreconditionFailedError('manifests/p.yaml'), false],
    ['a RetryLaterError', new RetryLaterError('later', undefined), true],
    ['an unclassified error (no port classified it)', Object.assign(new Error('x'), { code: 503 }), false],
  ])('%s', (_w, err, want) => {
    expect(isTransient(err)).toBe(want);
  });

  it('reads the quota and precondition answers from the port error, not from its status', () => {
    expect(new FirewallApiError('x', 403, 'rateLimitExceeded', true).rateLimited).toBe(true);
    expect(new FirewallApiError('x', 429, '429', true).rateLimited).toBe(true);
    expect(new FirewallApiError('x', 403, 'quotaExceeded', false).rateLimited).toBe(false);
    expect(new FirewallApiError('x', 412, 'conditionNotMet', false).precondition).toBe(true);
    expect(new FirewallApiError('gone', 404, 'notFound', false).detail).toBe('404 notFound: gone');
  });
});

describe('the adapters classify raw client failures at the port', () => {
  it.each([
    ['HTTP 503', Object.assign(new Error('backendError'), { code: 503 }), true],
    ['HTTP 403', Object.assign(new Error('forbidden'), { code: 403 }), false],
    ['gRPC UNAVAILABLE', grpc(14, '14 UNAVAILABLE'), true],
    ['gRPC PERMISSION_DENIED', grpc(7, '7 PERMISSION_DENIED'), false],
    ['a dropped connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    ['a programming error', new TypeError('x is not a function'), false],
  ])('%s', (_w, raw, transient) => {
    expect(isTransientClientError(raw)).toBe(transient);
    const e = classifyClientError(raw, (m, t, cause) => new PublishError(m, t, { cause }));
    expect(e).toBeInstanceOf(PublishError);
    expect(e).toMatchObject({ message: raw.message, transient, cause: raw });
  });

  it('passes an already classified port error through unchanged', () => {
    const e = new StorageApiError('x', 500, 'backendError', true);
    expect(classifyClientError(e, (m, t) => new PublishError(m, t))).toBe(e);
  });

  it.each([
    [14, true],
    [7, false],
  ])(
    'pubsubPublisher throws a PublishError for gRPC %i (transient: %s) and resumes the ordering key',
    async (code, t) => {
      const { client, resumed } = failingClient(grpc(code, `${code} failed`));
      const publisher = pubsubPublisher('p', client);
      const err = await publisher
        .publish('t', { data: Buffer.from('{}'), attributes: {}, orderingKey: 'k' })
        .catch((e) => e);
      expect(err).toBeInstanceOf(PublishError);
      expect(err).toBeInstanceOf(PortError);
      expect(isTransient(err)).toBe(t);
      expect(resumed).toEqual(['k']);
    },
  );
});
