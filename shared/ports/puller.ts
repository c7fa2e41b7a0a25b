/** Pulling from a Pub/Sub subscription (adapter: `pubsubPuller` in shared/adapters/pubsub). */
import type { PubSubMessage } from '../core/events/types';

/** A message pulled from a subscription. */
export interface PulledMessage {
  ackId: string;
  message: PubSubMessage;
}

/** Synchronous pull and acknowledgement of one subscription. */
export interface MessagePuller {
  /** Up to `max` messages; an empty list when none are available now. */
  pull(max: number): Promise<PulledMessage[]>;
  ack(ackIds: string[]): Promise<void>;
  /** Gives messages back at once (ack deadline 0) instead of leaving them leased until their deadline expires. */
  nack?(ackIds: string[]): Promise<void>;
}
