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
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { fromApiRule } from '../../../shared/adapters/compute';
import { gcsManifestStore } from '../../../shared/adapters/storage';
import { DEFAULT_DNS_TABLE } from '../../../shared/core/diagnose/dns';
import { ownedRules } from '../../../shared/core/firewall';
import { placementPolicies } from '../../../shared/core/policy/placement';
import { loadPolicyFile } from '../../../shared/runtime/policy';
import { startFakeComputeServer } from '../../fakes/compute/server';
import { stateFileIn } from '../../fakes/compute/state';
import { cloudEventHeaders, type StorageCloudEvent, startFakeGcs } from '../../fakes/gcs';
import { startFakeLogging } from '../../fakes/logging';
import { EmulatorPubsub, LOCAL_PROJECT } from '../../harness/pubsub';
import { startPubsubEmulator } from '../emulator';
import { defaultFunctionsSource, startFunctionChild } from './children';
import { firewallEngine } from './firewall';
import { startInProcess } from './inProcess';
import { type StackNetwork, stackNetwork } from './network';
import { SubnetPoolError } from './subnetPool';
import type { LocalStack, LocalStackOptions, LogEntry } from './types';

export { NetworkFileError } from '../../fakes/compute/subnets';
export type { Delivery } from '../functionHost';
export { BASELINE, BASELINE_PRIORITY, type BaselineRule, baselineRules } from './baseline';
export { childScript, defaultFunctionsSource, type FunctionChild, REPO_ROOT, startFunctionChild } from './children';
export { cliEnv, renderCliEnv } from './cliEnv';
export type { StackNetwork } from './network';
export type { FunctionsMode, LocalStack, LocalStackOptions, LogEntry, StackFiles } from './types';

/** The files of a state dir (next to `compute.json`, whose one definition is local/fakes/compute/state.ts). */
export const GCS_STATE_FILE = 'gcs-state.json';
export const LOGGING_STATE_FILE = 'logging.json';
export const DNS_TABLE_FILE = 'dns.json';
export const CLI_ENV_FILE = 'cli.env';

/**
 * Prepares a state dir: seeds `dns.json` from the default DNS table when absent, and forgets the fake bucket when
 * the fake firewall is gone (a bucket whose manifests were applied to a firewall that no longer exists would never
 * be re-applied: nothing changed in it). Returns the files the stack uses.
 */
function prepareStateDir(dir: string): { state: string; dns: string; logging: string } {
  mkdirSync(dir, { recursive: true });
  const files = { state: stateFileIn(dir), dns: join(dir, DNS_TABLE_FILE), logging: join(dir, LOGGING_STATE_FILE) };
  if (!existsSync(files.state)) rmSync(join(dir, GCS_STATE_FILE), { force: true });
  if (!existsSync(files.dns))
    writeFileSync(files.dns, `${JSON.stringify({ version: 1, names: DEFAULT_DNS_TABLE }, null, 2)}\n`);
  return files;
}

/** Gives the project of a manifest's content its subnet; a full pool is said (the applier then says no-subnets). */
function ensureSubnetOf(network: StackNetwork, content: Buffer | undefined): void {
  if (!content) return;
  try {
    network.ensureForManifest(content.toString('utf8'));
  } catch (err) {
    if (!(err instanceof SubnetPoolError)) throw err;
    process.stderr.write(`local stack: ${err.message}\n`);
  }
}

/** One storage event to `url` as Eventarc sends it (binary mode); a non-2xx answer throws, so the fake retries. */
async function deliver(url: string, ev: StorageCloudEvent): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: cloudEventHeaders(ev), body: JSON.stringify(ev.data) });
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
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
  // `operators` is terraform's egress-status-operators: never acknowledged here, read by `egress status`.
  const subscriptions = {
    push: `egress-applier-push${sfx}`,
    status: `egress-status-watch${sfx}`,
    operators: `egress-status-operators${sfx}`,
  };
  const step = opts.onStep ?? (() => undefined);
  const cleanups: (() => Promise<unknown>)[] = [];
  const deliveries: LocalStack['deliveries'] = { validator: [], applier: [] };
  const logs: LogEntry[] = [];
  const pids: number[] = [];
  if (opts.logDir) mkdirSync(opts.logDir, { recursive: true });
  const files = opts.stateDir ? prepareStateDir(opts.stateDir) : undefined;

  const stopAll = async () => {
    // Reverse start order: the push subscription goes first (the emulator re-pushes failures forever), the emulator last.
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  };

  try {
    // The platform policy decides the placement (core/policy/placement.ts): which policies terraform would create.
    // Read with the network file before anything starts, so an unusable file stops nothing half-started.
    const platform = loadPolicyFile(opts.policyFile ?? opts.env?.EGRESS_POLICY_FILE ?? '');
    const policyRefs = placementPolicies(platform.firewall, firewallPolicy);
    const engine = firewallEngine({
      hostProject,
      firewallPolicy,
      placement: platform.firewall,
      ...(opts.stateDir ? { stateDir: opts.stateDir } : {}),
    });
    const network = stackNetwork(engine, hostProject, platform.firewall.target, opts.networkFile);
    // The network the subnets name exists in the fake, with its enforcement order (AFTER_CLASSIC_FIREWALL unless
    // a state dir or a developer's patch says otherwise), and terraform's default DNS server policy with query logging.
    engine.ensureNetwork(hostProject, network.name, 'egress-dns-logging');

    const emulator = await startPubsubEmulator();
    cleanups.push(() => emulator.stop());
    step(`Pub/Sub emulator on ${emulator.host}${emulator.reused ? ' (reused)' : ` (pid ${emulator.pid})`}`);
    const pubsub = new EmulatorPubsub(projectId, emulator.host);
    await pubsub.createTopic(topics.changes);
    await pubsub.createTopic(topics.status);
    await pubsub.createPullSubscription(topics.status, subscriptions.status);
    cleanups.push(() => pubsub.deleteSubscription(subscriptions.status));
    await pubsub.createPullSubscription(topics.status, subscriptions.operators);
    cleanups.push(() => pubsub.deleteSubscription(subscriptions.operators));

    const compute = await startFakeComputeServer({ engine });
    cleanups.push(() => compute.close());
    step(`fake Compute on ${compute.url}${opts.stateDir ? ` (state ${stateFileIn(opts.stateDir)})` : ''}`);

    // Deliveries start once the validator listens (setNotifyUrl below); uploads before that are only recorded.
    // With a state dir the bucket persists (gcs-state.json): a restart uploads, and so writes, nothing unchanged.
    const gcs = await startFakeGcs({ buckets: [bucket], ...(opts.stateDir ? { persistDir: opts.stateDir } : {}) });
    cleanups.push(() => gcs.close());
    step(
      `fake GCS on ${gcs.url} (bucket ${bucket}${opts.stateDir ? `, state ${join(opts.stateDir, GCS_STATE_FILE)}` : ''})`,
    );
    const logging = await startFakeLogging(files ? { stateFile: files.logging } : {});
    cleanups.push(() => logging.close());
    step(`fake Cloud Logging on ${logging.url}${files ? ` (state ${files.logging})` : ''}`);
    // Manifests already in the bucket (an earlier run's) are projects the stack has seen: their subnets first.
    for (const o of gcs.listObjects(bucket, { prefix }))
      ensureSubnetOf(network, gcs.getObject(bucket, o.name)?.content);
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
      EGRESS_LOGGING_ENDPOINT: logging.url,
      EGRESS_MANIFEST_BUCKET: bucket,
      GOOGLE_CLOUD_PROJECT: projectId,
      PUBSUB_EMULATOR_HOST: emulator.host,
      // storage@7 uses this verbatim as the JSON API base (no /storage/v1); the fake accepts that form.
      STORAGE_EMULATOR_HOST: gcs.url,
      // The Google clients must not probe the GCE metadata server (a slow timeout off GCP).
      METADATA_SERVER_DETECTION: 'none',
      ...(opts.policyFile ? { EGRESS_POLICY_FILE: opts.policyFile } : {}),
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
    // Each manifest written gets its project's subnet before its event reaches the validator (then the applier).
    gcs.setNotify(async (ev) => {
      if (ev.type.endsWith('.finalized'))
        ensureSubnetOf(network, gcs.getObject(ev.data.bucket, ev.data.name, ev.data.generation)?.content);
      await deliver(validatorUrl, ev);
    });
    cleanups.push(async () => gcs.setNotifyUrl(undefined));

    // Every policy of the placement (the global one first): a project's rules are in one of them.
    const allRules = () => policyRefs.flatMap((r) => engine.rules(hostProject, r.name, r.region).map(fromApiRule));
    let stopped: Promise<void> | undefined;
    return {
      mode,
      projectId,
      bucket,
      prefix,
      hostProject,
      firewallPolicy,
      policies: policyRefs,
      topics,
      subscriptions,
      emulator,
      pubsub,
      gcs,
      compute,
      logging,
      engine,
      network,
      ...(files ? { files } : {}),
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
