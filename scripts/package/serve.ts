/**
 * Serves a packaged function directory (build/functions/<name>/) with the real `functions-framework` CLI of that
 * directory, as the runtime does: `functions-framework --target=T --source=DIR --port=P`, on this Node. Used by the
 * packaged-function test and by the cold-start bench. The CLI announces nothing when NODE_ENV=production, so
 * `invoke` retries a refused connection until the server listens.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A served function: its URL, the child process and how to stop it. */
export interface ServedFunction {
  url: string;
  child: ChildProcess;
  /** Everything the function wrote (its JSON log lines). */
  output(): string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

/** Starts `functions-framework` for `target` from `dir` (its own node_modules) with `env`. */
export async function servePackaged(
  dir: string,
  target: string,
  env: NodeJS.ProcessEnv,
  execArgv: string[] = [],
): Promise<ServedFunction> {
  const port = await freePort();
  const cli = join(dir, 'node_modules/@google-cloud/functions-framework/build/src/main.js');
  const child = spawn(
    process.execPath,
    [...execArgv, cli, `--target=${target}`, `--source=${dir}`, `--port=${port}`, '--signature-type=cloudevent'],
    { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * POSTs `body` to the served function, retrying while the connection is refused (the server is still starting) or
 * until `timeoutMs`; resolves with the HTTP status and body of the first answer.
 */
export async function invoke(
  fn: ServedFunction,
  path: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs = 60_000,
): Promise<{ status: number; text: string }> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    try {
      const res = await fetch(`${fn.url}${path}`, { method: 'POST', headers, body });
      return { status: res.status, text: await res.text() };
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code;
      if (code !== 'ECONNREFUSED' || Date.now() > deadline || fn.child.exitCode !== null)
        throw new Error(`${fn.url}${path}: ${(err as Error).message} ${code ?? ''}\n${fn.output()}`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
