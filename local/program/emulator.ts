/**
 * Runs the real Pub/Sub emulator for tests and the local pipeline. The jar is started directly (not through
 * `gcloud beta emulators pubsub start`) because killing the gcloud wrapper orphans its java child; here the PID we
 * hold is the java process itself. Known emulator gaps are listed in docs/events.md ("Local emulator").
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';

/** A running (or reused) emulator. `host` is `127.0.0.1:PORT`, the form PUBSUB_EMULATOR_HOST takes. */
export interface PubsubEmulator {
  host: string;
  port: number;
  /** True when an emulator named by PUBSUB_EMULATOR_HOST was reused; `stop()` then leaves it running. */
  reused: boolean;
  /** PID of the java process we started (undefined when reused). */
  pid?: number;
  /** Where the emulator's own output goes (undefined when reused); removed by a `stop()` after a healthy start. */
  logFile?: string;
  /** Stops the java process we started (SIGTERM, then SIGKILL); idempotent; a no-op for a reused emulator. */
  stop(): Promise<void>;
}

/** Options mostly for tests of the harness itself. */
export interface StartOptions {
  /** Reuse the emulator named by this value (`host:port`); defaults to process.env.PUBSUB_EMULATOR_HOST. */
  reuseHost?: string;
  /** How long to wait for the HTTP port to answer; the emulator is normally ready in 1-2 s. */
  readyTimeoutMs?: number;
  /** Overrides the jar lookup (tests of the error messages). */
  jar?: string;
  /** Overrides the java binary (tests of the error messages). */
  java?: string;
}

/** Thrown when Java or the emulator jar is missing; the message says what to install. */
export class EmulatorSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmulatorSetupError';
  }
}

const JAR_DIR = join('platform', 'pubsub-emulator', 'lib');
const JAR_RE = /^cloud-pubsub-emulator-.*-all\.jar$/;
const INSTALL_EMULATOR =
  'install the Pub/Sub emulator: `gcloud components install pubsub-emulator beta` (or, for the apt-installed SDK, ' +
  '`apt-get install google-cloud-cli-pubsub-emulator`), or point PUBSUB_EMULATOR_HOST at a running emulator';
const INSTALL_JAVA =
  'install a Java runtime (11 or newer), e.g. `apt-get install openjdk-17-jre-headless` or `brew install openjdk`, ' +
  'or point PUBSUB_EMULATOR_HOST at a running emulator';

/** The SDK root of the `gcloud` on PATH, from its real path (`<root>/bin/gcloud`); cheap, unlike `gcloud info`. */
function sdkRootFromPath(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'gcloud');
    if (!existsSync(candidate)) continue;
    try {
      const real = realpathSync(candidate);
      if (basename(dirname(real)) === 'bin') return dirname(dirname(real));
    } catch {
      // A dangling link: keep looking.
    }
  }
  return undefined;
}

/** `gcloud info`'s SDK root (a Python start-up, ~1 s: only asked when the cheap lookups found no jar). */
function sdkRootFromGcloudInfo(): string | undefined {
  const info = spawnSync('gcloud', ['info', '--format=value(installation.sdk_root)'], {
    encoding: 'utf8',
    timeout: 15_000,
  });
  return info.status === 0 && info.stdout.trim() ? info.stdout.trim() : undefined;
}

/** The gcloud SDK roots to look in, cheapest first: $CLOUDSDK_ROOT_DIR, the gcloud on PATH, usual install paths. */
export function sdkRootCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const roots: string[] = [];
  if (env.CLOUDSDK_ROOT_DIR) roots.push(env.CLOUDSDK_ROOT_DIR);
  const fromPath = sdkRootFromPath(env);
  if (fromPath) roots.push(fromPath);
  roots.push('/usr/lib/google-cloud-sdk', '/usr/share/google-cloud-sdk', '/opt/google-cloud-sdk');
  if (env.HOME) roots.push(join(env.HOME, 'google-cloud-sdk'));
  return [...new Set(roots)];
}

function jarIn(root: string): string | undefined {
  const dir = join(root, JAR_DIR);
  if (!existsSync(dir)) return undefined;
  const jars = readdirSync(dir)
    .filter((f) => JAR_RE.test(f))
    .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
  return jars[0] ? join(dir, jars[0]) : undefined;
}

/**
 * Finds the emulator jar (newest version name wins) under `roots`, then under `gcloud info`'s SDK root; throws an
 * EmulatorSetupError naming what to install.
 */
export function findEmulatorJar(roots: string[] = sdkRootCandidates(), opts: { askGcloud?: boolean } = {}): string {
  for (const root of roots) {
    const jar = jarIn(root);
    if (jar) return jar;
  }
  const fromInfo = opts.askGcloud === false ? undefined : sdkRootFromGcloudInfo();
  const jar = fromInfo ? jarIn(fromInfo) : undefined;
  if (jar) return jar;
  const looked = [...new Set([...roots, ...(fromInfo ? [fromInfo] : [])])];
  throw new EmulatorSetupError(
    `Pub/Sub emulator jar not found (looked for ${JAR_DIR}/cloud-pubsub-emulator-*-all.jar under ${looked.join(', ')}): ${INSTALL_EMULATOR}`,
  );
}

/** Throws an EmulatorSetupError when `java` cannot be run. */
export function checkJava(java = 'java'): void {
  const r = spawnSync(java, ['-version'], { encoding: 'utf8', timeout: 15_000 });
  if (r.error || r.status !== 0) {
    const why = r.error ? (r.error as NodeJS.ErrnoException).code || r.error.message : `exit ${r.status}`;
    throw new EmulatorSetupError(
      `cannot run \`${java} -version\` (${why}): the Pub/Sub emulator needs Java; ${INSTALL_JAVA}`,
    );
  }
}

/** A port that was free a moment ago on 127.0.0.1 (the emulator binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** True when the emulator's HTTP endpoint answers `GET /` with 200 ("Ok"). */
export async function emulatorReady(host: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function parseHost(value: string): { host: string; port: number } {
  const m = /^(?:https?:\/\/)?([^:/]+):(\d+)\/?$/.exec(value.trim());
  if (!m) throw new EmulatorSetupError(`PUBSUB_EMULATOR_HOST=${value} is not host:port (e.g. 127.0.0.1:8085)`);
  return { host: `${m[1]}:${m[2]}`, port: Number(m[2]) };
}

const started = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Last-resort cleanup: if the process exits without stop() (a crash, Ctrl-C), do not leave java running. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
}

/**
 * Starts the emulator on a free port of 127.0.0.1 and resolves once it answers HTTP, or reuses the one named by
 * PUBSUB_EMULATOR_HOST. Does not modify process.env: callers export `host` as PUBSUB_EMULATOR_HOST.
 */
export async function startPubsubEmulator(opts: StartOptions = {}): Promise<PubsubEmulator> {
  const reuse = opts.reuseHost ?? process.env.PUBSUB_EMULATOR_HOST;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  if (reuse) {
    const { host, port } = parseHost(reuse);
    if (!(await emulatorReady(host)))
      throw new EmulatorSetupError(
        `PUBSUB_EMULATOR_HOST=${reuse} does not answer HTTP: start that emulator, or unset the variable to let the tests start one`,
      );
    return { host, port, reused: true, stop: async () => undefined };
  }

  const java = opts.java ?? 'java';
  checkJava(java);
  const jar = opts.jar ?? findEmulatorJar();
  if (!existsSync(jar)) throw new EmulatorSetupError(`Pub/Sub emulator jar ${jar} does not exist: ${INSTALL_EMULATOR}`);
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  // Output goes to a file, not a pipe: the emulator logs every connection and a pipe nobody drains would block it.
  const logFile = join(tmpdir(), `pubsub-emulator-${process.pid}-${port}.log`);
  const fd = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    child = spawn(java, ['-jar', jar, '--host=127.0.0.1', `--port=${port}`], { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  started.add(child);
  installExitHook();
  child.unref();
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let spawnError: Error | undefined;
  child.once('error', (e) => {
    spawnError = e;
  });

  let ready = false;
  const stop = async (): Promise<void> => {
    started.delete(child);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    // The log of a healthy run is noise; a failed start keeps it (the error message names it).
    if (ready) rmSync(logFile, { force: true });
  };

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (spawnError) throw new EmulatorSetupError(`cannot start ${java} -jar ${jar}: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null)
      throw new EmulatorSetupError(
        `the Pub/Sub emulator exited (code ${child.exitCode}, signal ${child.signalCode}) before answering on ${host}; its output (${logFile}):\n${tail(logFile)}`,
      );
    if (await emulatorReady(host)) {
      ready = true;
      break;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new EmulatorSetupError(
        `the Pub/Sub emulator did not answer on http://${host}/ within ${readyTimeoutMs} ms; its output (${logFile}):\n${tail(logFile)}`,
      );
    }
    // Readiness polling, not a test sleep: the emulator has no other signal that it listens.
    await new Promise((r) => setTimeout(r, 100));
  }
  return { host, port, reused: false, pid: child.pid, logFile, stop };
}
