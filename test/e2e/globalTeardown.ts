/** Stops the emulator globalSetup started (by PID); a reused emulator is left running. */
import type { PubsubEmulator } from '../../local/program/emulator';
import { EMULATOR_KEY } from './globalSetup';

export default async function globalTeardown(): Promise<void> {
  const g = globalThis as Record<string, unknown>;
  const emulator = g[EMULATOR_KEY] as PubsubEmulator | undefined;
  delete g[EMULATOR_KEY];
  if (!emulator) return;
  await emulator.stop();
  if (!emulator.reused) delete process.env.PUBSUB_EMULATOR_HOST;
}
