/**
 * A one-line progress bar on stderr for long CLI runs (sync, replay). Silent when stderr is not a TTY, so logs and
 * CI output stay clean and `--format json` on stdout is never mixed with it.
 */

/** The part of a TTY stream the bar needs (process.stderr in the CLI; a stub in tests). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

/** A running bar: `update` redraws (throttled), `done` clears the line. */
export interface ProgressBar {
  update(done: number, total: number, label?: string): void;
  /** Clears the bar so the next output starts on a clean line. */
  done(): void;
  /** False when the stream is not a TTY (nothing is ever written). */
  readonly active: boolean;
}

/** Options of {@link progressBar}. */
export interface ProgressOptions {
  stream?: ProgressStream;
  /** Text before the bar (`sync`, `replay`). */
  title: string;
  /** Minimum time between redraws, so thousands of fast updates do not flood the terminal (default 50 ms). */
  minIntervalMs?: number;
  /** Clock for the throttle (tests). */
  now?: () => number;
}

/** How many times any bar has drawn in this process: the waiting line stays silent once a bar speaks. */
let barDraws = 0;

/** Creates a bar; on a non-TTY stream every method is a no-op. */
export function progressBar(opts: ProgressOptions): ProgressBar {
  const stream = opts.stream ?? process.stderr;
  const active = stream.isTTY === true;
  const now = opts.now ?? Date.now;
  const interval = opts.minIntervalMs ?? 50;
  let last = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    active,
    update(done, total, label = '') {
      if (!active) return;
      const t = now();
      // Always draw the final state; otherwise at most one redraw per interval.
      if (done < total && t - last < interval) return;
      last = t;
      // A pty without a size reports 0 columns: assume a classic 80.
      const columns = stream.columns && stream.columns >= 20 ? stream.columns : 80;
      stream.write(`\r\x1b[K${renderBar(done, total, opts.title, label, columns)}`);
      drawn = true;
      barDraws++;
    },
    done() {
      if (active && drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}

/** The bar's text for a terminal `columns` wide, e.g. `sync [########------] 12/30 manifests/a.yaml`. */
export function renderBar(done: number, total: number, title: string, label: string, columns: number): string {
  const safeTotal = Math.max(total, 1);
  const ratio = Math.min(Math.max(done / safeTotal, 0), 1);
  const count = `${done}/${total}`;
  const width = Math.max(10, Math.min(30, columns - title.length - count.length - 20));
  const filled = Math.round(ratio * width);
  const bar = `${title} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${count}`;
  const room = columns - bar.length - 2;
  if (!label || room < 8) return bar;
  // Keep the end of long object names: the file name is the informative part.
  const shown = label.length > room ? `…${label.slice(label.length - room + 1)}` : label;
  return `${bar} ${shown}`;
}

/** A running waiting line: `stop` clears it (and its timers). */
export interface WaitingLine {
  stop(): void;
}

/**
 * Progress for work that has no count (a Google call, a read of the fleet): after `afterMs` (2 s) a line on a TTY
 * stderr, `egress drift: still working (3 s)`, redrawn every second until `stop()`. Silent on a non-TTY stream and
 * while a progress bar (sync, replay) draws, which says more. The timers never keep the process alive.
 */
export function waitingLine(opts: { title: string; stream?: ProgressStream; afterMs?: number }): WaitingLine {
  const stream = opts.stream ?? process.stderr;
  if (stream.isTTY !== true) return { stop() {} };
  const start = Date.now();
  let drawn = false;
  let ticker: ReturnType<typeof setInterval> | undefined;
  const draw = () => {
    if (barDraws > 0) return;
    stream.write(`\r\x1b[K${opts.title}: still working (${Math.round((Date.now() - start) / 1000)} s)`);
    drawn = true;
  };
  const first = setTimeout(() => {
    draw();
    ticker = setInterval(draw, 1000);
    ticker.unref?.();
  }, opts.afterMs ?? 2000);
  first.unref?.();
  return {
    stop() {
      clearTimeout(first);
      if (ticker) clearInterval(ticker);
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
