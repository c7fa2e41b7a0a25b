/** The waiting line: progress on a TTY for work longer than 2 s, silent before, on a pipe, and after stop. */
import { waitingLine } from '../../../shared/cli/progress';

const tty = () => {
  const out: string[] = [];
  return { out, stream: { isTTY: true, columns: 80, write: (s: string) => out.push(s) } };
};

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test('nothing before 2 s; then the elapsed time each second; stop clears the line', () => {
  const { out, stream } = tty();
  const w = waitingLine({ title: 'egress drift', stream });
  jest.advanceTimersByTime(1999);
  expect(out).toEqual([]);
  jest.advanceTimersByTime(1);
  expect(out.at(-1)).toBe('\r\x1b[Kegress drift: still working (2 s)');
  jest.advanceTimersByTime(1000);
  expect(out.at(-1)).toBe('\r\x1b[Kegress drift: still working (3 s)');
  w.stop();
  expect(out.at(-1)).toBe('\r\x1b[K');
  const n = out.length;
  jest.advanceTimersByTime(5000);
  expect(out).toHaveLength(n);
});

test('a command that ends within 2 s writes nothing; a pipe never gets the line', () => {
  const { out, stream } = tty();
  waitingLine({ title: 'egress status', stream }).stop();
  jest.advanceTimersByTime(5000);
  expect(out).toEqual([]);
  const piped: string[] = [];
  const w = waitingLine({ title: 'egress status', stream: { isTTY: false, write: (s: string) => piped.push(s) } });
  jest.advanceTimersByTime(5000);
  w.stop();
  expect(piped).toEqual([]);
});
