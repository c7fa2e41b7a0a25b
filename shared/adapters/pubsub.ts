/** EventPublisher over @google-cloud/pubsub. The client itself honours PUBSUB_EMULATOR_HOST; no emulator branch here. */
import { PubSub, type Topic } from '@google-cloud/pubsub';
import type { PubSubMessage } from '../core/events/types';
import type { EventPublisher } from '../ports/publisher';

/** Publishes with message ordering enabled (ordering key = project key); one Topic object per topic name. */
export function pubsubPublisher(
  projectId: string,
  client: PubSub = new PubSub({ projectId }),
): EventPublisher & {
  close(): Promise<void>;
} {
  const topics = new Map<string, Topic>();
  const topicFor = (name: string): Topic => {
    let t = topics.get(name);
    if (!t) {
      t = client.topic(name, { messageOrdering: true, batching: { maxMessages: 100, maxMilliseconds: 10 } });
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
        throw err;
      }
    },
    async close(): Promise<void> {
      await Promise.all([...topics.values()].map((t) => t.flush().catch(() => undefined)));
      await client.close();
    },
  };
}
