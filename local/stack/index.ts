/**
 * The local stack: the whole pipeline on one machine, shared by the e2e tests, `npm start` and the bench.
 *
 *   fake GCS ──storage CloudEvent (binary mode, Eventarc-like)──▶ egressValidator (functions framework, 127.0.0.1)
 *   egressValidator ──publish──▶ Pub/Sub emulator topic egress-changes ──push (ordering on)──▶ egressApplier
 *   egressApplier ──REST (the real @google-cloud/compute client)──▶ fake Compute server (one firewall policy)
 *   both functions ──publish──▶ egress-status ──pull──▶ whoever waits (tests, `npm start`)
 *
 * The functions run either in this process (`mode: 'in-process'`: composed from the same EGRESS_* environment by
 * their composition roots, then given a recording logger; fast, used by the e2e tests) or as child processes
 * (`mode: 'child'`: `local/functionHost` over `dist/functions/index.js` with the EGRESS_* environment, logs
 * to files; used by `npm start` and the cold-start bench). Either way each function is served by the functions
 * framework on its own 127.0.0.1 port, and a tap records every delivery (to count redeliveries).
 * The fakes always run in this process, so callers can read and fault the firewall engine directly.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { fromApiRule } from '../../shared/adapters/compute';
import { gcsManifestStore } from '../../shared/adapters/storage';
import type { StatusEvent } from '../../shared/core/events/types';
import { ownedRules } from '../../shared/core/firewall';
import type { ObservedRule } from '../../shared/core/firewall/types';
import type { Logger, LogSeverity } from '../../shared/ports/logger';
import type { ManifestStore } from '../../shared/ports/storage';
import type { RetryOptions } from '../../shared/usecases/retry';
import { type PubsubEmulator, startPubsubEmulator } from '../emulator';
import { FirewallPolicyEngine, type FirewallPolicyRule } from '../fakes/compute/engine';
import { type FakeComputeServer, startFakeComputeServer } from '../fakes/compute/server';
import { stateFileIn } from '../fakes/compute/state';
import { type FakeGcs, startFakeGcs } from '../fakes/gcs';
import type { Delivery, HostMessage } from '../functionHost';
import { EmulatorPubsub, LOCAL_PROJECT } from '../pubsub';

export type { Delivery } from '../functionHost';

/** Where the functions run (see the file comment). */
export type FunctionsMode = 'in-process' | 'child';

/** Options of `startLocalStack`; every field has a local default. */
export interface LocalStackOptions {
  mode?: FunctionsMode;
  /** Pub/Sub project of the topics (default LOCAL_PROJECT). */
  projectId?: string;
  /** Appended to topic and subscription names, so several stacks can share one emulator (parallel test files). */
  suffix?: string;
  bucket?: string;
  /** Object-name prefix of manifests (EGRESS_MANIFEST_PREFIX). */
  prefix?: string;
  hostProject?: string;
  firewallPolicy?: string;
  /** Persist the fake firewall in `<stateDir>/compute.json` (reloaded on the next start); in memory when omitted. */
  stateDir?: string;
  /** Child mode: function output goes to `<logDir>/<validator|applier>.log`. In-process: JSON lines appended there too. */
  logDir?: string;
  /** In-process only: the applier's in-process retry tuning (e.g. fewer, shorter retries in tests). */
  applierRetry?: RetryOptions;
  /** Child mode: the functions entry (default `dist/functions/index.js`, or `functions/index.ts` from sources). */
  functionsSource?: string;
  /** Extra environment of the function processes (child mode) or of their composition (in-process). */
  env?: Record<string, string>;
  /** Called with one line per start-up step (for `npm start --verbose`). */
  onStep?: (message: string) => void;
}

/** One log entry of an in-process function. */
export interface LogEntry {
  component: 'validator' | 'applier';
  severity: LogSeverity;
  message: string;
  fields: Record<string, unknown>;
}

/** A running local stack. */
export interface LocalStack {
  mode: FunctionsMode;
  projectId: string;
  bucket: string;
  prefix: string;
  hostProject: string;
  firewallPolicy: string;
  topics: { changes: string; status: string };
  subscriptions: { push: string; status: string };
  emulator: PubsubEmulator;
  pubsub: EmulatorPubsub;
  gcs: FakeGcs;
  compute: FakeComputeServer;
  engine: FirewallPolicyEngine;
  /** The manifest store over the fake bucket (the same adapter the validator uses). */
  store: ManifestStore;
  storage: Storage;
  validatorUrl: string;
  applierUrl: string;
  /** The EGRESS_* (and emulator) environment the functions were given. */
  env: Record<string, string>;
  /** Every CloudEvent each function received, in arrival order (with outcome once finished). */
  deliveries: { validator: Delivery[]; applier: Delivery[] };
  /** In-process mode: the functions' log entries (child mode: see `logDir`). */
  logs: LogEntry[];
  /** Child mode: the functions' PIDs. */
  pids: number[];
  /** The owned (marker-carrying) rules of `project` (or of every project) in the fake policy, by priority. */
  rules(project?: string): ObservedRule[];
  /** All rules of the policy, foreign and baseline included. */
  allRules(): ObservedRule[];
  /** Waits for a status event matching `predicate` on the status pull subscription. */
  waitForStatus(predicate: (event: StatusEvent) => boolean, timeoutMs?: number): Promise<StatusEvent>;
  /** Stops deliveries first, then the functions, the fakes and (if started here) the emulator. Idempotent. */
  stop(): Promise<void>;
}

/** The zero-trust baseline terraform puts at the bottom of the policy (deny all egress, logged); never touched. */
export function baselineRules(basePriority = 2147483000): FirewallPolicyRule[] {
  return [
    { range: '0.0.0.0/0', offset: 10 },
    { range: '::/0', offset: 11 },
  ].map(({ range, offset }) => ({
    priority: basePriority + offset,
    ruleName: `zero-trust-deny-egress-${offset === 10 ? 'v4' : 'v6'}`,
    description: 'Zero-trust default: egress not allowed by a higher-priority rule is denied and logged.',
    direction: 'EGRESS',
    action: 'deny',
    enableLogging: true,
    match: { destIpRanges: [range], layer4Configs: [{ ipProtocol: 'all' }] },
  }));
}

/** Whether this module runs from TypeScript sources (jest, `-r registerTs`) or from compiled `dist/`. */
const FROM_SOURCES = __filename.endsWith('.ts');
/** The repository root (this file is `local/stack/index.ts` or `dist/local/stack/index.js`). */
export const REPO_ROOT = resolve(__dirname, FROM_SOURCES ? '../..' : '../../..');

/** How to run a script of this repo in a child process: compiled JS, or TS sources through the swc require hook. */
export function childScript(relativeTs: string): { file: string; execArgv: string[] } {
  if (FROM_SOURCES)
    return {
      file: join(REPO_ROOT, relativeTs),
      execArgv: ['-r', join(REPO_ROOT, 'local/registerTs.js')],
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
  const host = childScript('local/functionHost.ts');
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

function listen(server: Server): Promise<string> {
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((ok) => {
    server.close(() => ok());
    server.closeAllConnections();
  });
}

function recordingLogger(component: LogEntry['component'], logs: LogEntry[], file?: string): Logger {
  return {
    log(severity, message, fields = {}) {
      logs.push({ component, severity, message, fields });
      if (file) appendFileSync(file, `${JSON.stringify({ severity, message, component, ...fields })}\n`);
    },
  };
}

function firewallEngine(opts: {
  stateDir?: string;
  hostProject: string;
  firewallPolicy: string;
}): FirewallPolicyEngine {
  const seed = (e: FirewallPolicyEngine) => {
    try {
      e.rules(opts.hostProject, opts.firewallPolicy);
    } catch {
      e.createPolicy(opts.hostProject, opts.firewallPolicy, { rules: baselineRules() });
    }
    return e;
  };
  if (!opts.stateDir) return seed(new FirewallPolicyEngine());
  mkdirSync(opts.stateDir, { recursive: true });
  const stateFile = stateFileIn(opts.stateDir);
  return seed(
    existsSync(stateFile)
      ? FirewallPolicyEngine.load(stateFile, { stateFile })
      : new FirewallPolicyEngine({ stateFile }),
  );
}

/**
 * Starts the stack. Reuses the emulator named by PUBSUB_EMULATOR_HOST (the e2e globalSetup's), otherwise starts one
 * (throws EmulatorSetupError naming what to install when Java or the jar is missing). On any failure, whatever was
 * started is stopped again before the error propagates.
 */
export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  const mode = opts.mode ?? 'in-process';
  const projectId = opts.projectId ?? LOCAL_PROJECT;
  const sfx = opts.suffix ? `-${opts.suffix}` : '';
  const bucket = opts.bucket ?? 'egress-manifests';
  const prefix = opts.prefix ?? 'manifests/';
  const hostProject = opts.hostProject ?? 'infrastream-host';
  const firewallPolicy = opts.firewallPolicy ?? 'egress-zero-trust';
  const topics = { changes: `egress-changes${sfx}`, status: `egress-status${sfx}` };
  const subscriptions = { push: `egress-applier-push${sfx}`, status: `egress-status-watch${sfx}` };
  const step = opts.onStep ?? (() => undefined);
  const cleanups: (() => Promise<unknown>)[] = [];
  const deliveries: LocalStack['deliveries'] = { validator: [], applier: [] };
  const logs: LogEntry[] = [];
  const pids: number[] = [];
  if (opts.logDir) mkdirSync(opts.logDir, { recursive: true });

  const stopAll = async () => {
    // Reverse start order: the push subscription goes first (the emulator re-pushes failures forever), the emulator last.
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  };

  try {
    const emulator = await startPubsubEmulator();
    cleanups.push(() => emulator.stop());
    step(`Pub/Sub emulator on ${emulator.host}${emulator.reused ? ' (reused)' : ` (pid ${emulator.pid})`}`);
    const pubsub = new EmulatorPubsub(projectId, emulator.host);
    await pubsub.createTopic(topics.changes);
    await pubsub.createTopic(topics.status);
    await pubsub.createPullSubscription(topics.status, subscriptions.status);
    cleanups.push(() => pubsub.deleteSubscription(subscriptions.status));

    const engine = firewallEngine({
      hostProject,
      firewallPolicy,
      ...(opts.stateDir ? { stateDir: opts.stateDir } : {}),
    });
    const compute = await startFakeComputeServer({ engine });
    cleanups.push(() => compute.close());
    step(`fake Compute on ${compute.url}${opts.stateDir ? ` (state ${stateFileIn(opts.stateDir)})` : ''}`);

    // Deliveries start once the validator listens (setNotifyUrl below); uploads before that are only recorded.
    const gcs = await startFakeGcs({ buckets: [bucket] });
    cleanups.push(() => gcs.close());
    step(`fake GCS on ${gcs.url} (bucket ${bucket})`);
    const storage = new Storage({ apiEndpoint: gcs.url, projectId });
    const store = gcsManifestStore(bucket, storage);

    const env: Record<string, string> = {
      EGRESS_PUBSUB_PROJECT: projectId,
      EGRESS_CHANGES_TOPIC: topics.changes,
      EGRESS_STATUS_TOPIC: topics.status,
      EGRESS_MANIFEST_PREFIX: prefix,
      EGRESS_HOST_PROJECT: hostProject,
      EGRESS_FIREWALL_POLICY: firewallPolicy,
      EGRESS_COMPUTE_ENDPOINT: compute.url,
      EGRESS_MANIFEST_BUCKET: bucket,
      GOOGLE_CLOUD_PROJECT: projectId,
      PUBSUB_EMULATOR_HOST: emulator.host,
      // storage@7 uses this verbatim as the JSON API base (no /storage/v1); the fake accepts that form.
      STORAGE_EMULATOR_HOST: gcs.url,
      // The Google clients must not probe the GCE metadata server (a slow timeout off GCP).
      METADATA_SERVER_DETECTION: 'none',
      ...opts.env,
    };

    let validatorUrl: string;
    let applierUrl: string;
    if (mode === 'in-process') {
      ({ validatorUrl, applierUrl } = await startInProcess(opts, env, logs, deliveries, cleanups));
    } else {
      const source = opts.functionsSource ?? defaultFunctionsSource();
      const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, NODE_ENV: 'production' };
      const start = (target: string, name: 'validator' | 'applier') =>
        startFunctionChild({
          target,
          source,
          env: childEnv,
          tap: true,
          onDelivery: (d) => deliveries[name].push(d),
          ...(opts.logDir ? { logFile: join(opts.logDir, `${name}.log`) } : {}),
        });
      const [v, a] = await Promise.all([start('egressValidator', 'validator'), start('egressApplier', 'applier')]);
      cleanups.push(
        () => v.stop(),
        () => a.stop(),
      );
      pids.push(v.child.pid ?? 0, a.child.pid ?? 0);
      validatorUrl = v.url;
      applierUrl = a.url;
    }
    step(`egressValidator on ${validatorUrl}, egressApplier on ${applierUrl} (${mode})`);

    await pubsub.createPushSubscription(topics.changes, subscriptions.push, applierUrl);
    cleanups.push(() => pubsub.deleteSubscription(subscriptions.push));
    gcs.setNotifyUrl(validatorUrl);
    cleanups.push(async () => gcs.setNotifyUrl(undefined));

    const allRules = () => engine.rules(hostProject, firewallPolicy).map(fromApiRule);
    let stopped: Promise<void> | undefined;
    return {
      mode,
      projectId,
      bucket,
      prefix,
      hostProject,
      firewallPolicy,
      topics,
      subscriptions,
      emulator,
      pubsub,
      gcs,
      compute,
      engine,
      store,
      storage,
      validatorUrl,
      applierUrl,
      env,
      deliveries,
      logs,
      pids,
      allRules,
      rules: (project) => ownedRules(allRules(), project),
      waitForStatus: (predicate, timeoutMs) => pubsub.waitForStatus(subscriptions.status, predicate, timeoutMs),
      stop() {
        stopped ??= stopAll();
        return stopped;
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** In-process functions: the real composition roots over `env`, with a recording logger and the fake bucket's client. */
async function startInProcess(
  opts: LocalStackOptions,
  env: Record<string, string>,
  logs: LogEntry[],
  deliveries: LocalStack['deliveries'],
  cleanups: (() => Promise<unknown>)[],
): Promise<{ validatorUrl: string; applierUrl: string }> {
  // The Pub/Sub client reads the emulator address from process.env when it is constructed.
  const saved = { PUBSUB_EMULATOR_HOST: process.env.PUBSUB_EMULATOR_HOST };
  process.env.PUBSUB_EMULATOR_HOST = env.PUBSUB_EMULATOR_HOST;
  process.env.METADATA_SERVER_DETECTION = 'none';
  cleanups.push(async () => {
    if (saved.PUBSUB_EMULATOR_HOST === undefined) delete process.env.PUBSUB_EMULATOR_HOST;
    else process.env.PUBSUB_EMULATOR_HOST = saved.PUBSUB_EMULATOR_HOST;
  });
  await import('../../functions/index');
  const { getTestServer } = await import('@google-cloud/functions-framework/testing');
  const { registerTap } = await import('../functionHost');
  const { composeValidator, setValidatorDeps } = await import('../../shared/runtime/validator');
  const { composeApplier, setApplierDeps } = await import('../../shared/runtime/applier');
  const fileOf = (name: string) => (opts.logDir ? join(opts.logDir, `${name}.log`) : undefined);

  const storage = new Storage({ apiEndpoint: env.STORAGE_EMULATOR_HOST!, projectId: env.EGRESS_PUBSUB_PROJECT! });
  const vdeps = await composeValidator(env);
  setValidatorDeps({
    ...vdeps,
    // The composition root's default client reads STORAGE_EMULATOR_HOST from process.env; give it the fake's.
    storeFor: (bucket) => gcsManifestStore(bucket, storage),
    logger: recordingLogger('validator', logs, fileOf('validator')),
  });
  const adeps = await composeApplier(env);
  setApplierDeps({
    ...adeps,
    logger: recordingLogger('applier', logs, fileOf('applier')),
    ...(opts.applierRetry ? { retry: opts.applierRetry } : {}),
  });
  // Warm the compute client (gax loads its REST protos on the first call: seconds under jest) so the first event's
  // latency is the pipeline's, not the client's; costs one policy read.
  await adeps.firewall.getPolicy();
  cleanups.push(async () => {
    setValidatorDeps(undefined);
    setApplierDeps(undefined);
    await Promise.all(
      [vdeps.publisher, adeps.publisher].map((p) => (p as { close?: () => Promise<void> } | undefined)?.close?.()),
    );
  });

  const validator = getTestServer(registerTap('egressValidator', (d) => deliveries.validator.push(d)));
  const applier = getTestServer(registerTap('egressApplier', (d) => deliveries.applier.push(d)));
  const validatorUrl = await listen(validator);
  cleanups.push(() => closeServer(validator));
  const applierUrl = await listen(applier);
  cleanups.push(() => closeServer(applier));
  return { validatorUrl, applierUrl };
}
