/** The CLI progress bar: silent off a TTY, throttled redraws, final state always drawn, line cleared at the end. */
import { progressBar, renderBar } from '../../../shared/cli/progress';

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return { isTTY, columns: 80, chunks, write: (s: string) => chunks.push(s) };
}

describe('progressBar', () => {
  it('writes nothing when the stream is not a TTY', () => {
    const s = stream(false);
    const bar = progressBar({ title: 'sync', stream: s });
    bar.update(1, 2, 'a');
    bar.update(2, 2, 'b');
    bar.done();
    expect(bar.active).toBe(false);
    expect(s.chunks).toEqual([]);
  });

  it('throttles intermediate redraws but always draws the final state, then clears the line', () => {
    const s = stream(true);
    let t = 0;
    const bar = progressBar({ title: 'sync', stream: s, minIntervalMs: 50, now: () => t });
    bar.update(1, 10);
    t = 10;
    bar.update(2, 10); // within the interval: skipped
    t = 100;
    bar.update(3, 10);
    t = 101;
    bar.update(10, 10); // final: drawn despite the interval
    bar.done();
    expect(s.chunks).toHaveLength(4);
    expect(s.chunks[0]).toContain('1/10');
    expect(s.chunks[1]).toContain('3/10');
    expect(s.chunks[2]).toContain('10/10');
    expect(s.chunks[3]).toBe('\r\x1b[K');
  });
});

describe('renderBar', () => {
  it('fills proportionally and fits the terminal width, keeping the end of long labels', () => {
    const half = renderBar(5, 10, 'sync', '', 80);
    const filled = half.match(/#/g)?.length ?? 0;
    const empty = half.match(/-/g)?.length ?? 0;
    expect(filled).toBe(empty);
    const long = renderBar(1, 3, 'sync', `manifests/${'x'.repeat(200)}/payment-gateway.yaml`, 60);
    expect(long.length).toBeLessThanOrEqual(60);
    expect(long).toMatch(/ …x*\/?[a-z-]*gateway\.yaml$/);
    expect(renderBar(0, 0, 'sync', '', 80)).toContain('0/0');
  });
});
