/**
 * The baseline of the cold-start bench (bench/pipeline.ts): a CloudEvent function that does nothing, served by the
 * same functions framework host, so `validator / bare` and `applier / bare` isolate what our modules cost.
 */
import { cloudEvent } from '@google-cloud/functions-framework';

/** Entry point name of the bare function. */
export const BARE_FUNCTION = 'bareCloudEvent';

cloudEvent(BARE_FUNCTION, () => undefined);
