/**
 * egressValidator: Cloud Storage CloudEvents (`google.cloud.storage.object.v1.finalized|deleted|archived`) of the
 * manifest bucket → egress-change events. Thin on purpose: the composition root loads the clients on first use.
 */
import { type CloudEvent, cloudEvent } from '@google-cloud/functions-framework';
import { runValidator } from '../../shared/runtime/validator';

/** Name of the entry point (Terraform's `entry_point`, `--target` locally). */
export const VALIDATOR_FUNCTION = 'egressValidator';

cloudEvent(VALIDATOR_FUNCTION, async (event: CloudEvent<unknown>) => {
  // Resolve with nothing: any 2xx acknowledges; the outcome is in the logs, not the response.
  await runValidator(event);
});

/** The first event's code paths without I/O, for the code cache `npm run package` records (scripts/package/codeCache.ts). */
export { warmUpValidator as warmUp } from '../../shared/runtime/warmUp/validator';
