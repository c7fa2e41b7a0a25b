/**
 * Starts the Pub/Sub emulator once for all e2e tests (or reuses the one named by PUBSUB_EMULATOR_HOST) and exports
 * its address to the test workers, which jest forks after this runs. See local/program/emulator.ts.
 */
import { type PubsubEmulator, startPubsubEmulator } from '../../local/program/emulator';

/** Where globalTeardown finds the emulator (globalSetup and globalTeardown share the jest parent process). */
export const EMULATOR_KEY = '__EGRESS_PUBSUB_EMULATOR__';

export default async function globalSetup(): Promise<void> {
  // The Google clients must not probe the GCE metadata server (a slow timeout off GCP).
  process.env.METADATA_SERVER_DETECTION = 'none';
  const emulator: PubsubEmulator = await startPubsubEmulator();
  process.env.PUBSUB_EMULATOR_HOST = emulator.host;
  // Teardown unsets the variable again for an emulator we started, so a watch-mode rerun does not "reuse" a dead one.
  (globalThis as Record<string, unknown>)[EMULATOR_KEY] = emulator;
}
