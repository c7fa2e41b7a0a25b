/**
 * Runs registered functions-framework functions on real 127.0.0.1 ports (what a push subscription or the fake GCS
 * notifier needs), and records CloudEvents delivered to a stand-in function so tests can wait for them.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CloudEvent, cloudEvent } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';

/** A function served on a port. */
export interface ListeningFunction {
  /** `http://127.0.0.1:PORT` (any path reaches the function). */
  url: string;
  server: Server;
  /** Stops accepting connections and ends idle keep-alive ones. */
  close(): Promise<void>;
}

/** Serves the registered function `name` (its module must have been imported) on a free port of 127.0.0.1. */
export function listenFunction(name: string, port = 0): Promise<ListeningFunction> {
  const server = getTestServer(name);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve({
        url,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}

/** Records every CloudEvent delivered to a registered stand-in function (e.g. in place of the applier). */
export interface CloudEventRecorder {
  readonly name: string;
  /** Everything received so far, in arrival order. */
  readonly received: CloudEvent<unknown>[];
  /** Resolves with the first received event (past or future) satisfying `predicate`; rejects after `timeoutMs`. */
  waitFor(predicate?: (ev: CloudEvent<unknown>) => boolean, timeoutMs?: number): Promise<CloudEvent<unknown>>;
  /** The HTTP status the stand-in answers with (default 204; 500 simulates a failing consumer). */
  respondWith(status: number): void;
}

/**
 * Registers a CloudEvent function `name` that records deliveries. Serve it with `listenFunction(name)`. Register
 * each name once per process (the framework's registry is global).
 */
export function cloudEventRecorder(name: string): CloudEventRecorder {
  const received: CloudEvent<unknown>[] = [];
  const waiters = new Set<() => void>();
  let status = 204;
  cloudEvent(name, (ev: CloudEvent<unknown>) => {
    received.push(ev);
    for (const w of [...waiters]) w();
    if (status >= 300) throw new Error(`${name} answers ${status} (simulated consumer failure)`);
  });
  return {
    name,
    received,
    respondWith(s) {
      status = s;
    },
    waitFor(predicate = () => true, timeoutMs = 10_000) {
      const found = received.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const ev = received.find(predicate);
          if (!ev) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(ev);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${name}: no matching CloudEvent within ${timeoutMs} ms (${received.length} received)`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
  };
}

/** A topic/subscription name unique to this worker process, so parallel e2e files can share one emulator. */
export function uniqueName(base: string): string {
  return `${base}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
