/** Function child processes of the local stack (`mode: 'child'`, `npm start`, the cold-start bench). */
import { type ChildProcess, fork } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Delivery, HostMessage } from '../functionHost';

/** Whether this module runs from TypeScript sources (jest, `-r registerTs`) or from compiled `dist/`. */
const FROM_SOURCES = __filename.endsWith('.ts');
/** The repository root (this file is `local/program/stack/index.ts` or `dist/local/program/stack/index.js`). */
export const REPO_ROOT = resolve(__dirname, FROM_SOURCES ? '../../..' : '../../../..');

/** How to run a script of this repo in a child process: compiled JS, or TS sources through the swc require hook. */
export function childScript(relativeTs: string): { file: string; execArgv: string[] } {
  if (FROM_SOURCES)
    return {
      file: join(REPO_ROOT, relativeTs),
      execArgv: ['-r', join(REPO_ROOT, 'local/harness/registerTs.js')],
    };
  return { file: join(REPO_ROOT, 'dist', relativeTs.replace(/\.ts$/, '.js')), execArgv: [] };
}

/** The functions entry module for child processes. */
export function defaultFunctionsSource(): string {
  return FROM_SOURCES ? join(REPO_ROOT, 'functions/index.ts') : join(REPO_ROOT, 'dist/functions/index.js');
}

/** A child process serving one function; resolves once it listens. */
export interface FunctionChild {
  child: ChildProcess;
  url: string;
  /** Milliseconds from spawn to listening (module load + server start). */
  readyMs: number;
  /** The host's own measure of `require(source)` + server creation. */
  loadMs: number;
  stop(): Promise<void>;
}

/**
 * Starts `local/functionHost` for `target` of `source` with `env`; output goes to `logFile` (or is dropped).
 * `onDelivery` receives the tap's reports. Rejects with the log's tail if the child dies before listening.
 */
export async function startFunctionChild(args: {
  target: string;
  source: string;
  env: NodeJS.ProcessEnv;
  logFile?: string;
  tap?: boolean;
  onDelivery?: (d: Delivery) => void;
  readyTimeoutMs?: number;
}): Promise<FunctionChild> {
  const host = childScript('local/program/functionHost.ts');
  const out = args.logFile ? openSync(args.logFile, 'w') : 'ignore';
  const t0 = performance.now();
  let child: ChildProcess;
  try {
    child = fork(host.file, ['--source', args.source, '--target', args.target, ...(args.tap ? ['--tap'] : [])], {
      execArgv: host.execArgv,
      env: args.env,
      stdio: ['ignore', out, out, 'ipc'],
    });
  } finally {
    if (typeof out === 'number') closeSync(out);
  }
  const exited = new Promise<void>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once('exit', () => r());
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(killer);
  };
  const ready = await new Promise<{ url: string; loadMs: number }>((ok, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`${args.target} did not listen within ${args.readyTimeoutMs ?? 30_000} ms`)),
      args.readyTimeoutMs ?? 30_000,
    );
    child.on('message', (m: HostMessage) => {
      if (m.kind === 'ready') {
        clearTimeout(timer);
        ok({ url: m.url, loadMs: m.loadMs });
      } else if (m.kind === 'delivery') args.onDelivery?.(m.delivery);
      else if (m.kind === 'error') {
        clearTimeout(timer);
        fail(new Error(`${args.target} failed to start: ${m.message.split('\n')[0]}`));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(
        new Error(
          `${args.target} exited (code ${code}, signal ${signal}) before listening${args.logFile ? `; see ${args.logFile}` : ''}`,
        ),
      );
    });
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  // The IPC channel must not keep the parent alive on its own; stop() ends the child explicitly.
  child.unref();
  (child.channel as { unref?: () => void } | undefined)?.unref?.();
  return { child, url: ready.url, loadMs: ready.loadMs, readyMs: Math.round(performance.now() - t0), stop };
}
