/**
 * Eventarc-like delivery of storage CloudEvents: binary mode (ce-* headers, JSON `StorageObjectData` body), one HTTP
 * POST per event, asynchronous, retried with exponential backoff on non-2xx or network errors, no ordering guarantee.
 */
import { cloudEventHeaders, type StorageCloudEvent } from './events';

export type { StorageCloudEvent } from './events';
export { cloudEventHeaders, storageCloudEvent } from './events';

/** Where events go: an HTTP endpoint (binary-mode POST) or an in-process handler (a throw/reject means retry). */
export type NotifyTarget = { url: string } | ((ev: StorageCloudEvent) => void | Promise<void>);

/** The outcome of one event's delivery, for tests that assert retries. */
export interface Delivery {
  event: StorageCloudEvent;
  attempts: number;
  state: 'pending' | 'delivered' | 'failed' | 'dropped';
  /** Last HTTP status (0 for a network error or a thrown handler). */
  lastStatus?: number;
}

/** Retry shape: Eventarc retries far longer (up to 24 h); a fake gives up after `attempts` so tests terminate. */
export interface RetryOptions {
  attempts: number;
  baseDelayMs: number;
}

/** Delivers events to the current target; `flush()` resolves once nothing is pending. */
export class Notifier {
  target: NotifyTarget | undefined;
  /** Every event ever emitted, in emission order (delivered or not). */
  readonly events: StorageCloudEvent[] = [];
  readonly deliveries: Delivery[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  /** Backoff timers with their wake-up, so `close()` can end them at once. */
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private closed = false;

  constructor(
    target: NotifyTarget | undefined,
    private readonly retry: RetryOptions,
  ) {
    this.target = target;
  }

  emit(ev: StorageCloudEvent): void {
    this.events.push(ev);
    if (!this.target || this.closed) return;
    const d: Delivery = { event: ev, attempts: 0, state: 'pending' };
    this.deliveries.push(d);
    const p = this.run(d).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** Resolves when every delivery has succeeded or given up (including deliveries started meanwhile). */
  async flush(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  /** Stops retrying: pending deliveries end as `dropped`. */
  close(): void {
    this.closed = true;
    for (const [t, wake] of this.timers) {
      clearTimeout(t);
      wake();
    }
    this.timers.clear();
  }

  private async run(d: Delivery): Promise<void> {
    for (;;) {
      const target = this.target;
      if (this.closed || !target) {
        d.state = 'dropped';
        return;
      }
      d.attempts += 1;
      d.lastStatus = await this.attempt(target, d.event);
      if (d.lastStatus >= 200 && d.lastStatus < 300) {
        d.state = 'delivered';
        return;
      }
      if (d.attempts >= this.retry.attempts) {
        d.state = 'failed';
        return;
      }
      const delay = this.retry.baseDelayMs * 2 ** (d.attempts - 1);
      const ok = await this.sleep(delay);
      if (!ok) {
        d.state = 'dropped';
        return;
      }
    }
  }

  private async attempt(target: NotifyTarget, ev: StorageCloudEvent): Promise<number> {
    try {
      if (typeof target === 'function') {
        await target(ev);
        return 200;
      }
      const res = await fetch(target.url, {
        method: 'POST',
        headers: cloudEventHeaders(ev),
        body: JSON.stringify(ev.data),
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.status;
    } catch {
      return 0;
    }
  }

  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.closed) return resolve(false);
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve(!this.closed);
      }, ms);
      this.timers.set(t, () => resolve(false));
    });
  }
}
