/** EventPublisher and MessagePuller over @google-cloud/pubsub (the client itself honours PUBSUB_EMULATOR_HOST). */
import { type ClientConfig, PubSub, type Topic, v1 } from '@google-cloud/pubsub';
import type { PubSubMessage } from '../core/events/types';
import { type EventPublisher, PublishError } from '../ports/publisher';
import type { MessagePuller } from '../ports/puller';
import { classifyClientError } from './clientErrors';

/**
 * The product's Pub/Sub client: the REST transport (JSON over HTTP/1.1, google-gax `fallback`) instead of gRPC, which
 * answers a cold instance's first publish sooner (no gRPC channel, no proto-loader descriptors; docs/deploy.md,
 * "Cold start"). Pub/Sub's REST API has every RPC the product calls (Publish, Pull, Acknowledge). Against the emulator
 * (`emulatorHost`, whose address the client takes from PUBSUB_EMULATOR_HOST itself) the calls are plain HTTP with a
 * placeholder API key: the emulator has no authentication, and without a key the REST transport would look for
 * Application Default Credentials.
 */
export function pubsubClient(projectId: string, emulatorHost = process.env.PUBSUB_EMULATOR_HOST): PubSub {
  // gax's client options, which PubSub hands to its generated clients as they are (its ClientConfig type omits them).
  const rest: { fallback: boolean; protocol?: string; apiKey?: string } = {
    fallback: true,
    ...(emulatorHost ? { protocol: 'http', apiKey: 'emulator' } : {}),
  };
  return new PubSub({ projectId, ...rest } as ClientConfig);
}

/**
 * Publishes with message ordering enabled (ordering key = project key); one Topic object per topic name.
 * `timeoutMs` caps the client's own retries (its default is 600 s): during an outage a function should fail fast and
 * let its trigger redeliver, not hang until the function's own timeout.
 */
export function pubsubPublisher(
  projectId: string,
  client: PubSub = pubsubClient(projectId),
  timeoutMs = 20_000,
): EventPublisher & {
  close(): Promise<void>;
} {
  const topics = new Map<string, Topic>();
  const topicFor = (name: string): Topic => {
    let t = topics.get(name);
    if (!t) {
      t = client.topic(name, {
        messageOrdering: true,
        batching: { maxMessages: 100, maxMilliseconds: 10 },
        // gax turns `timeout` into the total retry budget of a publish call.
        gaxOpts: { timeout: timeoutMs },
      });
      topics.set(name, t);
    }
    return t;
  };
  return {
    async publish(topic: string, message: PubSubMessage): Promise<string> {
      const t = topicFor(topic);
      try {
        return await t.publishMessage({
          data: message.data,
          attributes: message.attributes,
          ...(message.orderingKey ? { orderingKey: message.orderingKey } : {}),
        });
      } catch (err) {
        // After a failed publish the ordering key is paused; resume so a retry (redelivery) can publish again.
        if (message.orderingKey) t.resumePublishing(message.orderingKey);
        throw classifyClientError(err, (msg, transient, cause) => new PublishError(msg, transient, { cause }));
      }
    },
    async close(): Promise<void> {
      await Promise.all([...topics.values()].map((t) => t.flush().catch(() => undefined)));
      await client.close();
    },
  };
}

/**
 * Synchronous pull from one subscription (for `egress replay --dead-letter`): `pull` returns what is available now
 * (an empty list ends a drain), `ack` acknowledges by ack id. Uses the low-level SubscriberClient with the PubSub
 * object's resolved options, so PUBSUB_EMULATOR_HOST is honoured exactly as for publishing.
 */
export function pubsubPuller(
  projectId: string,
  subscription: string,
  client: PubSub = pubsubClient(projectId),
): Required<MessagePuller> & { close(): Promise<void> } {
  const name = client.subscription(subscription).name;
  // ClientConfig and ClientOptions are the same gax options under two names.
  const sub = new v1.SubscriberClient(client.options as ConstructorParameters<typeof v1.SubscriberClient>[0]);
  return {
    async pull(max) {
      let res: {
        receivedMessages?:
          | {
              ackId?: string | null;
              message?: {
                data?: unknown;
                attributes?: Record<string, string> | null;
                orderingKey?: string | null;
              } | null;
            }[]
          | null;
      };
      try {
        // A short deadline: on an empty subscription the server may hold the call open; "nothing now" is the answer.
        [res] = await sub.pull({ subscription: name, maxMessages: max }, { timeout: 10_000 });
      } catch (err) {
        if ((err as { code?: number }).code === 4) return []; // DEADLINE_EXCEEDED
        throw err;
      }
      return (res.receivedMessages ?? []).map((m) => ({
        ackId: m.ackId ?? '',
        message: {
          data: Buffer.from((m.message?.data as Uint8Array | string | undefined) ?? ''),
          attributes: { ...(m.message?.attributes ?? {}) },
          ...(m.message?.orderingKey ? { orderingKey: m.message.orderingKey } : {}),
        },
      }));
    },
    async ack(ackIds) {
      if (ackIds.length) await sub.acknowledge({ subscription: name, ackIds });
    },
    async nack(ackIds) {
      // Deadline 0 makes the messages deliverable again now, rather than after the subscription's ack deadline.
      if (ackIds.length) await sub.modifyAckDeadline({ subscription: name, ackIds, ackDeadlineSeconds: 0 });
    },
    async close() {
      await sub.close();
      await client.close();
    },
  };
}
