/** Log lines never interleave with text output or a progress bar (shared/cli/output.ts). */
import { cliLogger, progressStream, setVerbose } from '../../../shared/cli/output';
import { progressBar } from '../../../shared/cli/progress';

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return { isTTY, columns: 80, chunks, write: (c: string) => chunks.push(c) };
}

afterEach(() => setVerbose(false));

test('on a terminal without --verbose: no log line, the bar draws', () => {
  const s = stream(true);
  cliLogger('egress-test', s).log('INFO', 'hello');
  expect(s.chunks).toEqual([]);
  expect(progressBar({ title: 't', stream: progressStream(s) }).active).toBe(true);
});

test('on a terminal with --verbose: JSON log lines, and the bar gives way', () => {
  setVerbose(true);
  const s = stream(true);
  cliLogger('egress-test', s).log('INFO', 'hello', { project: 'p' });
  expect(s.chunks.map((c) => JSON.parse(c))).toEqual([
    { severity: 'INFO', message: 'hello', component: 'egress-test', project: 'p' },
  ]);
  expect(progressBar({ title: 't', stream: progressStream(s) }).active).toBe(false);
});

test('not a terminal (a job, CI, a redirect): JSON log lines, never a bar', () => {
  const s = stream(false);
  cliLogger('egress-test', s).log('WARNING', 'w');
  expect(s.chunks).toHaveLength(1);
  expect(s.chunks[0]).toMatch(/^\{.*\}\n$/);
  expect(progressBar({ title: 't', stream: progressStream(s) }).active).toBe(false);
});
