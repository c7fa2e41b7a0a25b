/**
 * Temporary folders of a test file, removed after it: `tempDir('capacity')` makes `<os.tmpdir()>/egress-capacity-XXXXXX`
 * and the module's `afterAll` (registered when a test file imports this) removes every folder it made, even when a
 * test failed. Call it anywhere (top level, beforeAll, a test).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();

/** A fresh empty folder named `egress-<name>-…` in the temp dir, removed after the test file. */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `egress-${name}-`));
  made.add(dir);
  return dir;
}

/** Removes every folder tempDir made so far (the afterAll below; call it earlier when a test needs to). */
export function removeTempDirs(): void {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made.clear();
}

afterAll(removeTempDirs);
