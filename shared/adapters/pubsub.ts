/** EventPublisher and MessagePuller over @google-cloud/pubsub (the client itself honours PUBSUB_EMULATOR_HOST). */
import { type ClientConfig, PubSub, type Topic, v1 } from '@google-cloud/pubsub';
import type { PubSubMessage } from '../core/events/types';
import { type EventPublisher, PublishError } from '../ports/publisher';
import type { MessagePuller } from '../ports/puller';
import { classifyClientError, gaxCallOptions } from './clientErrors';

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

/** How long `pubsubPuller` lets one pull wait (Google; the emulator is asked to answer at once). */
export interface PullWaits {
  /** The first pull of a drain: Google may hold it (a bounded time) until a message is available (default 10 s). */
  firstMs?: number;
  /** Every later pull: messages were there a moment ago, so a pull that finds none need not wait long (default 1 s). */
  nextMs?: number;
}

/**
 * Synchronous pull from one subscription (`egress status`, `egress replay --dead-letter`): `pull` returns what is
 * available now (an empty list ends a drain), `ack` acknowledges by ack id. Uses the low-level SubscriberClient with
 * the PubSub object's resolved options, so PUBSUB_EMULATOR_HOST is honoured exactly as for publishing.
 *
 * Not waiting when nothing more is there: Pub/Sub's Pull "may wait (for a bounded amount of time) until at least one
 * message is available" unless `returnImmediately` is set, which Google discourages (PullRequest.return_immediately,
 * https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions/pull). The emulator holds such a pull
 * until a message arrives (measured: 10 s on an empty subscription), so against the emulator every pull sets
 * `returnImmediately`; against Google the first pull waits up to `firstMs` and the later ones up to `nextMs`, and a
 * pull that reaches its deadline is an empty answer. docs/operations.md, "Reading a subscription".
 */
export function pubsubPuller(
  projectId: string,
  subscription: string,
  client: PubSub = pubsubClient(projectId),
  waits: PullWaits = {},
): Required<MessagePuller> & { close(): Promise<void> } {
  const name = client.subscription(subscription).name;
  // ClientConfig and ClientOptions are the same gax options under two names.
  const sub = new v1.SubscriberClient(client.options as ConstructorParameters<typeof v1.SubscriberClient>[0]);
  const emulator = client.isEmulator;
  let pulls = 0;
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
      const waitMs = pulls++ === 0 ? (waits.firstMs ?? 10_000) : (waits.nextMs ?? 1_000);
      try {
        [res] = await sub.pull(
          { subscription: name, maxMessages: max, ...(emulator ? { returnImmediately: true } : {}) },
          // The emulator is on this machine: a refused connection is a stopped stack, not retried (clientErrors.ts).
          { ...(emulator ? gaxCallOptions(`http://${client.options.servicePath}`) : {}), timeout: waitMs },
        );
      } catch (err) {
        // DEADLINE_EXCEEDED of the pull itself: nothing now. Retries that ran out (gax: "… retrying error …") failed.
        const e = err as { code?: number; message?: string };
        if (e.code === 4 && !/retrying error/.test(e.message ?? '')) return [];
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
