/**
 * Tests remove the temporary folders they create: a test file makes them with test/support/tempDir.ts (removed after
 * the file), or removes what it makes itself. On main, several files made `egress-*` folders in the temp dir and left
 * them there.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const TEST = join(__dirname, '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('every test file that makes a temp folder uses tempDir() or removes it', () => {
  const leaking = files(TEST)
    .filter((p) => !p.endsWith(join('support', 'tempDir.ts')))
    .filter((p) => {
      const text = readFileSync(p, 'utf8');
      return /\bmkdtemp(Sync)?\(/.test(text) && !/\brmSync\(|\brm\(/.test(text);
    })
    .map((p) => relative(TEST, p));
  expect(leaking).toEqual([]);
});
