/**
 * egressApplier: Pub/Sub CloudEvents (`google.cloud.pubsub.topic.v1.messagePublished`) of the egress-change topic →
 * the project's firewall rules. Thin on purpose: the composition root builds the clients on first use.
 */
import { type CloudEvent, cloudEvent } from '@google-cloud/functions-framework';
import { runApplier } from '../../shared/runtime/applier';

/** Name of the entry point (Terraform's `entry_point`, `--target` locally). */
export const APPLIER_FUNCTION = 'egressApplier';

cloudEvent(APPLIER_FUNCTION, async (event: CloudEvent<unknown>) => {
  // Resolving acknowledges (the outcome is in the logs and on the status topic); a rejection makes Pub/Sub redeliver.
  await runApplier(event);
});

/** The first event's code paths without I/O, for the code cache `npm run package` records (scripts/package/codeCache.ts). */
export { warmUpApplier as warmUp } from '../../shared/runtime/warmUp/applier';
