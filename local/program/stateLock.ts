/**
 * One `npm start` per state dir: `<state-dir>/start.lock` holds the owner's pid. A second start on the same state dir
 * is refused while the owner runs (it would share the fake firewall's file and, when it stopped, delete the owner's
 * cli.env); a lock whose pid is dead (the owner was killed with SIGKILL, the machine restarted) is stale and taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = 'start.lock';

/** Thrown when another live process holds the state dir; the message names it and what to do. */
export class StateDirLockedError extends Error {
  constructor(
    readonly file: string,
    readonly pid: number,
  ) {
    super(
      `another npm start (pid ${pid}) is running on this state dir (${file}); stop it first (Ctrl-C in its ` +
        `terminal, or kill ${pid}), or use another --state-dir`,
    );
    this.name = 'StateDirLockedError';
  }
}

/** True when a process with this pid exists (signal 0 checks without sending anything; EPERM: it exists). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerOf(file: string): number | undefined {
  try {
    const pid = Number((JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid);
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined; // missing, or half-written by an owner that died writing it: stale
  }
}

/** A held lock; `release()` removes the file if it is still ours (idempotent). */
export interface StateLock {
  file: string;
  /** The pid of a stale lock that was taken over, if any. */
  tookOverFrom?: number;
  release(): void;
}

/** Takes the state dir's lock for `pid` (this process), or throws StateDirLockedError naming the live owner. */
export function acquireStateLock(stateDir: string, pid = process.pid): StateLock {
  mkdirSync(stateDir, { recursive: true });
  const file = join(stateDir, LOCK_FILE);
  const body = `${JSON.stringify({ pid, started: new Date().toISOString() })}\n`;
  let tookOverFrom: number | undefined;
  try {
    const fd = openSync(file, 'wx');
    try {
      writeFileSync(fd, body);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const owner = ownerOf(file);
    if (owner !== undefined && owner !== pid && pidAlive(owner)) throw new StateDirLockedError(file, owner);
    // Stale: its owner is gone. Two starts taking it over at once: the last write wins, the other sees it below.
    writeFileSync(file, body);
    tookOverFrom = owner;
    const now = ownerOf(file);
    if (now !== pid && now !== undefined && pidAlive(now)) throw new StateDirLockedError(file, now);
  }
  return {
    file,
    ...(tookOverFrom !== undefined ? { tookOverFrom } : {}),
    release() {
      if (ownerOf(file) === pid) rmSync(file, { force: true });
    },
  };
}
