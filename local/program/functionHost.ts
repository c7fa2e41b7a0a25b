/**
 * Serves one Cloud Function with the Functions Framework on 127.0.0.1, as a child process of the local stack
 * (local/program/stack) and of the cold-start bench:
 *
 *   node dist/local/program/functionHost.js --source dist/functions/index.js --target egressApplier [--port N] [--tap]
 *
 * Why not the framework's own `functions-framework` binary: it listens on every interface and reports readiness only
 * as text on stdout, which here is the function's log file. This host loads the source the same way (a plain
 * `require`), builds the same express server (`getTestServer` is `getServer` with the registered signature type) and
 * tells its parent over the IPC channel when it listens (`{kind: 'ready'}`) and, with `--tap`, about each delivery
 * (`{kind: 'delivery'}`), so tests can count how often Pub/Sub pushed a message without parsing logs.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** A message from the host to its parent over IPC. */
export type HostMessage =
  | { kind: 'ready'; url: string; port: number; loadMs: number }
  | { kind: 'delivery'; delivery: Delivery }
  | { kind: 'error'; message: string };

/** One CloudEvent the function received, and how it ended (`ok` false: it threw, the caller sees HTTP 500). */
export interface Delivery {
  target: string;
  /** CloudEvent id (for Pub/Sub pushes: the Pub/Sub message id). */
  id: string;
  type: string;
  /** For Pub/Sub pushes: the message's `ce-id` attribute (our change id), when it has one. */
  changeId?: string;
  /** For storage events: the object name and generation. */
  object?: string;
  generation?: string;
  ok?: boolean;
  error?: string;
  /** Milliseconds the function took. */
  ms?: number;
}

/** Summarizes a CloudEvent for the tap (no payloads: they may be large). */
export function describeDelivery(target: string, event: unknown): Delivery {
  const ev = (event ?? {}) as { id?: string; type?: string; data?: unknown };
  const data = (ev.data ?? {}) as {
    message?: { attributes?: Record<string, string> };
    name?: string;
    generation?: string;
  };
  const changeId = data.message?.attributes?.['ce-id'];
  return {
    target,
    id: String(ev.id ?? ''),
    type: String(ev.type ?? ''),
    ...(changeId ? { changeId } : {}),
    ...(typeof data.name === 'string' ? { object: data.name } : {}),
    ...(typeof data.generation === 'string' ? { generation: data.generation } : {}),
  };
}

/**
 * Registers `<target>__tap`, a CloudEvent function that reports each event to `report` and then runs the real
 * `target` (its result or rejection unchanged), and returns its name. The real function stays the one registered by
 * the source module, so the tap observes the exact events the framework builds (e.g. from a Pub/Sub push body).
 */
export function registerTap(target: string, report: (d: Delivery) => void, inflight?: Set<Promise<unknown>>): string {
  // Required lazily: the framework is a dependency of the functions, not of modules importing these types.
  const ff = require('@google-cloud/functions-framework') as typeof import('@google-cloud/functions-framework');
  const { getFunction } =
    require('@google-cloud/functions-framework/testing') as typeof import('@google-cloud/functions-framework/testing');
  const real = getFunction(target) as ((event: unknown) => unknown) | undefined;
  if (!real)
    throw new Error(`function ${target} is not registered: did the source module call cloudEvent('${target}', …)?`);
  const name = `${target}__tap`;
  ff.cloudEvent(name, async (event: unknown) => {
    const d = describeDelivery(target, event);
    const t0 = performance.now();
    const run = Promise.resolve().then(() => real(event));
    // The in-process stack waits for these before it closes the functions' clients (local/program/stack/inProcess.ts).
    inflight?.add(run);
    try {
      await run;
      report({ ...d, ok: true, ms: Math.round(performance.now() - t0) });
    } catch (err) {
      report({ ...d, ok: false, error: String(err), ms: Math.round(performance.now() - t0) });
      throw err;
    } finally {
      inflight?.delete(run);
    }
  });
  return name;
}

function send(msg: HostMessage): void {
  if (process.send) process.send(msg);
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      source: { type: 'string' },
      target: { type: 'string' },
      port: { type: 'string', default: '0' },
      tap: { type: 'boolean', default: false },
    },
  });
  if (!values.source || !values.target)
    throw new Error('usage: functionHost --source FILE --target NAME [--port N] [--tap]');
  const t0 = performance.now();
  require(resolve(values.source));
  const { getTestServer } =
    require('@google-cloud/functions-framework/testing') as typeof import('@google-cloud/functions-framework/testing');
  const served = values.tap
    ? registerTap(values.target, (delivery) => send({ kind: 'delivery', delivery }))
    : values.target;
  const server = getTestServer(served);
  const loadMs = Math.round(performance.now() - t0);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(Number(values.port), '127.0.0.1', () => ok());
  });
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : 0;
  send({ kind: 'ready', url: `http://127.0.0.1:${port}`, port, loadMs });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections?.();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // The parent going away (crash, kill -9) must not leave this server running.
  process.once('disconnect', stop);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`functionHost: ${message}\n`);
    send({ kind: 'error', message });
    process.exit(1);
  });
}
