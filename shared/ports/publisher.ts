/** Publishing events. Adapter: @google-cloud/pubsub (emulator via PUBSUB_EMULATOR_HOST). */
import type { PubSubMessage } from '../core/events/types';

export interface EventPublisher {
  /** Publish to `topic` (short name or full path); resolves with the message id once the server accepted it. */
  publish(topic: string, message: PubSubMessage): Promise<string>;
}
