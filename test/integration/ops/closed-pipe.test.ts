/**
 * `egress <command> --help | head -1`: the reader closes the pipe after one line. The CLI stops quietly (no
 * "write EPIPE" trace on stderr) instead of throwing from the stream. Runs the built CLI as the shell does.
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

jest.setTimeout(180_000);

beforeAll(() => {
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore', timeout: 170_000 });
});

test.each([['explain'], ['plan'], ['doctor']])('egress %s --help | head -1: no trace', async (command) => {
  const child = spawn(process.execPath, [join(ROOT, 'bin/egress.js'), command, '--help'], { cwd: ROOT });
  let err = '';
  child.stderr.on('data', (b: Buffer) => {
    err += b.toString();
  });
  // `head -1`: read the first chunk, then close our end of the pipe.
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  expect(err).not.toMatch(/EPIPE|^\s+at /m);
  expect(code).toBe(0);
});
