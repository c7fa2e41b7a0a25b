/** Publishing events. Adapter: @google-cloud/pubsub (emulator via PUBSUB_EMULATOR_HOST). */
import type { PubSubMessage } from '../core/events/types';
import { PortError } from './errors';

export interface EventPublisher {
  /**
   * Publish to `topic` (short name or full path); resolves with the message id once the server accepted it. Throws
   * {@link PublishError} (classified transient or permanent) when it was not.
   */
  publish(topic: string, message: PubSubMessage): Promise<string>;
}

/** A publish the server did not accept, classified by the adapter (transient: UNAVAILABLE, DEADLINE_EXCEEDED…). */
export class PublishError extends PortError {
  constructor(message: string, transient: boolean, options?: { cause?: unknown }) {
    super(message, transient, options);
    this.name = 'PublishError';
  }
}
