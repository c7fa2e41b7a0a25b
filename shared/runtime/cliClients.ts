/**
 * Composition for the operations commands (replay, drift, explain): real clients built from flags, then the
 * environment (shared/runtime/config.ts), then the platform policy file. Clients are created only when a command
 * needs them, and each comes with a `close`. Every missing value fails with a message naming the flag and variable.
 */

import type { StateFileJson } from '../adapters/firewallState';
import type { ObservedRule } from '../core/firewall/types';
import { placementPolicies, policyRefKey } from '../core/policy/placement';
import type { PlatformPolicy } from '../core/policy/types';
import type { FirewallPolicies, FirewallPolicyPort } from '../ports/firewall';
import type { EventPublisher } from '../ports/publisher';
import type { ManifestStore } from '../ports/storage';
import type { WorkloadDeps } from '../usecases/workloads';
import type { RuntimeConfig } from './config';
import { GsUrlError, parseGsUrl } from './gsUrl';
import { lazy } from './lazy';
import { setting } from './options';
import { loadPolicyFile } from './policy';

/** A usage problem in flags/env (the CLI maps it to exit 2). */
export class CliConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliConfigError';
  }
}

/** Flags shared by the operations commands. */
export interface OpsFlags {
  bucket?: string;
  policy?: string;
  hostProject?: string;
  firewallPolicy?: string;
  computeEndpoint?: string;
  /** `--storage-endpoint` (or sync's old `--endpoint`). */
  storageEndpoint?: string;
  endpoint?: string;
  pubsubProject?: string;
  writeQuota?: string;
}

/**
 * Parses `gs://BUCKET[/PREFIX]` with the CLI's one parser (shared/runtime/gsUrl.ts): `gs://B` = `defaultPrefix`, `gs://B/`
 * = the bucket root, `gs://B/P` = `P/`. A bad URL is a usage error naming `label` (the flag or variable).
 */
export function parseBucketUrl(
  url: string,
  defaultPrefix = 'manifests/',
  label = '--bucket',
): { bucket: string; prefix: string } {
  try {
    return parseGsUrl(url, { defaultPrefix });
  } catch (e) {
    if (e instanceof GsUrlError) throw new CliConfigError(`${label} ${e.message}`);
    throw e;
  }
}

/** The manifest bucket and prefix: `--bucket gs://B/P`, else EGRESS_MANIFEST_BUCKET + EGRESS_MANIFEST_PREFIX. */
export function resolveBucket(flags: OpsFlags, cfg: RuntimeConfig): { bucket: string; prefix: string } {
  if (flags.bucket) return parseBucketUrl(flags.bucket, cfg.manifestPrefix);
  const env = cfg.manifestBucket ?? '';
  if (!env)
    throw new CliConfigError(
      'no manifest bucket: pass --bucket gs://BUCKET/PREFIX or set EGRESS_MANIFEST_BUCKET (and EGRESS_MANIFEST_PREFIX)',
    );
  // A bare name is the same as gs://NAME: the bucket with EGRESS_MANIFEST_PREFIX.
  return parseBucketUrl(env.startsWith('gs://') ? env : `gs://${env}`, cfg.manifestPrefix, 'EGRESS_MANIFEST_BUCKET');
}

/** The platform policy: `--policy FILE`, else EGRESS_POLICY_FILE, else the defaults. */
export function resolvePolicy(flags: OpsFlags, cfg: RuntimeConfig): PlatformPolicy {
  return loadPolicyFile(setting('policyFile', flags, cfg));
}

/** Host project and firewall policy: flags, then env, then the policy file's `firewall` section. */
export function resolveFirewallTarget(
  flags: OpsFlags,
  policy: PlatformPolicy,
  cfg: RuntimeConfig,
): { hostProject: string; firewallPolicy: string } {
  const hostProject = setting('hostProject', flags, cfg, policy);
  const firewallPolicy = setting('firewallPolicy', flags, cfg, policy);
  const missing = [
    ...(hostProject ? [] : ['--host-project (EGRESS_HOST_PROJECT, or firewall.hostProject in the policy file)']),
    ...(firewallPolicy ? [] : ['--firewall-policy (EGRESS_FIREWALL_POLICY, or firewall.policy in the policy file)']),
  ];
  if (missing.length) throw new CliConfigError(`the live firewall needs ${missing.join(' and ')}`);
  return { hostProject, firewallPolicy };
}

/** The write quota per minute: `--write-quota N`, else EGRESS_WRITE_QUOTA, else 1,500. */
export function resolveWriteQuota(flags: OpsFlags, cfg: RuntimeConfig): number {
  const raw = setting('writeQuota', flags, cfg); // the table's default: 1,500 (usecases/pacer.ts)
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new CliConfigError(`write quota "${raw}" is not a positive number of writes per minute (hint: 1500)`);
  return n;
}

/**
 * The deadline of one Google API call, retries included (EGRESS_CALL_TIMEOUT seconds, default 60): the clients'
 * own budget is up to 600 s of retries. A local endpoint that refuses is not retried at all (adapters/clientErrors.ts).
 */
export function callDeadlineMs(cfg: RuntimeConfig): number {
  const raw = setting('callTimeout', {}, cfg); // no flag: the environment, else the table's default
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new CliConfigError(`EGRESS_CALL_TIMEOUT "${raw}" is not a positive number of seconds (hint: 60)`);
  return n * 1000;
}

/** Parses `--rate N/s` (or `N`, or `N/m`) into events per minute. */
export function parseRate(raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|sec|m|min))?\s*$/.exec(raw);
  const n = m ? Number(m[1]) : Number.NaN;
  if (!m || !(n > 0)) throw new CliConfigError(`--rate ${raw} is not a rate (hint: --rate 20/s)`);
  return m[2]?.startsWith('m') ? n : n * 60;
}

/** The live firewall over @google-cloud/compute (or the fake REST server with EGRESS_COMPUTE_ENDPOINT). */
export function liveFirewall(
  flags: OpsFlags,
  policy: PlatformPolicy,
  cfg: RuntimeConfig,
): { port: FirewallPolicyPort; source: string; hostProject: string; close(): Promise<void> } {
  const { hostProject, firewallPolicy } = resolveFirewallTarget(flags, policy, cfg);
  // Required lazily: @google-cloud/compute is heavy and only these paths need it.
  const { computeClients, computeFirewall } = lazy.compute();
  const endpoint = setting('computeEndpoint', flags, cfg);
  const clients = computeClients({ ...(endpoint ? { endpoint } : {}), deadlineMs: callDeadlineMs(cfg) });
  return {
    port: computeFirewall({
      project: hostProject,
      policy: firewallPolicy,
      policies: clients.policies,
      operations: clients.operations,
    }),
    source: `live policy ${firewallPolicy} of ${hostProject}${endpoint ? ` at ${endpoint}` : ''}`,
    hostProject,
    close: () => clients.close(),
  };
}

/** Every policy of the placement over `fw`'s global port; the regional clients are built once, on first use. */
function policiesOver(
  fw: ReturnType<typeof liveFirewall>,
  flags: OpsFlags,
  policy: PlatformPolicy,
  cfg: RuntimeConfig,
): { policies: FirewallPolicies; close(): Promise<void> } {
  const { firewallPolicy } = resolveFirewallTarget(flags, policy, cfg);
  const { computePolicies, regionalComputeClients } = lazy.regionalCompute();
  const endpoint = setting('computeEndpoint', flags, cfg);
  let regional: ReturnType<typeof regionalComputeClients> | undefined;
  return {
    policies: computePolicies({
      hostProject: fw.hostProject,
      policy: firewallPolicy,
      placement: policy.firewall,
      global: fw.port,
      regional: () => {
        regional ??= regionalComputeClients({ ...(endpoint ? { endpoint } : {}), deadlineMs: callDeadlineMs(cfg) });
        return regional;
      },
    }),
    close: async () => {
      await Promise.all([fw.close(), regional?.close()]);
    },
  };
}

/**
 * Every live policy of the placement (core/policy/placement.ts): the global one and, under regional placement, each
 * listed region's over the regional clients (built once, on first use). `liveFirewall` is the global one alone.
 */
export function livePolicies(
  flags: OpsFlags,
  policy: PlatformPolicy,
  cfg: RuntimeConfig,
): { policies: FirewallPolicies; hostProject: string; close(): Promise<void> } {
  const fw = liveFirewall(flags, policy, cfg);
  return { ...policiesOver(fw, flags, policy, cfg), hostProject: fw.hostProject };
}

/**
 * The live global policy (`port`) and, under regional placement only, every policy of the placement over the same
 * global clients (`policies`): what drift, replay and release hand their use case (one set of clients each).
 */
export function liveFleet(
  flags: OpsFlags,
  policy: PlatformPolicy,
  cfg: RuntimeConfig,
): ReturnType<typeof liveFirewall> & { policies?: FirewallPolicies } {
  const fw = liveFirewall(flags, policy, cfg);
  return policy.firewall.placement === 'regional' ? { ...fw, ...policiesOver(fw, flags, policy, cfg) } : fw;
}

/**
 * The live rules of every policy of the placement, together (plan, explain, status: a project's owned rules are in
 * one of them); one read per policy. Under global placement: the global policy's, as `liveFirewall`.
 */
export async function liveRules(
  flags: OpsFlags,
  policy: PlatformPolicy,
  cfg: RuntimeConfig,
): Promise<{ rules: ObservedRule[]; source: string; hostProject: string; byPolicy: ByPolicy }> {
  const live = livePolicies(flags, policy, cfg);
  try {
    const refs = live.policies.list();
    const byPolicy: ByPolicy = [];
    for (const ref of refs) byPolicy.push({ ref, rules: (await live.policies.forPolicy(ref).getPolicy()).rules });
    const rules = byPolicy.flatMap((p) => p.rules);
    const { firewallPolicy } = resolveFirewallTarget(flags, policy, cfg);
    const endpoint = setting('computeEndpoint', flags, cfg);
    const extra = refs.length > 1 ? ` + ${refs.length - 1} regional policies` : '';
    return {
      rules,
      byPolicy,
      source: `live policy ${firewallPolicy}${extra} of ${live.hostProject}${endpoint ? ` at ${endpoint}` : ''}`,
      hostProject: live.hostProject,
    };
  } finally {
    await live.close();
  }
}

/** Each policy's rules, the global policy first (explain's evaluation order under regional placement). */
export type ByPolicy = { ref: import('../core/policy/placement').PolicyRef; rules: ObservedRule[] }[];

import type { StatePolicy } from '../adapters/firewallState';

export type { StatePolicy };

/**
 * The policies of a fake-Compute state file (`npm start` keeps one) that match `--host-project`/`--firewall-policy`
 * (flags, env, policy file), all of them when none is set. Under regional placement `--firewall-policy` names the
 * global policy and the regional ones of the placement match too (core/policy/placement.ts).
 */
export function stateFilePolicies(
  file: string,
  flags: OpsFlags,
  policy: PlatformPolicy,
  cfg: RuntimeConfig,
): { all: string[]; matching: StatePolicy[] } {
  // The file's format is read in one adapter (adapters/firewallState.ts), the format the fake Compute writes.
  const { readStateFile, StateFileError, statePolicies } = lazy.firewallState();
  let state: StateFileJson;
  try {
    state = readStateFile(file);
  } catch (err) {
    if (err instanceof StateFileError) throw new CliConfigError(`--state: ${err.message}`);
    throw err;
  }
  const hp = setting('hostProject', flags, cfg, policy);
  const fp = setting('firewallPolicy', flags, cfg, policy);
  const refs = fp ? new Set(placementPolicies(policy.firewall, fp).map(policyRefKey)) : undefined;
  const inPlacement = (p: { name: string; region?: string }) =>
    !refs || refs.has(policyRefKey(p.region ? { name: p.name, region: p.region } : { name: p.name }));
  return {
    all: state.policies.map((p) => `${p.project}/${p.region ? `${p.region}/` : ''}${p.name}`),
    matching: statePolicies(state).filter(
      (p) =>
        (!hp || p.hostProject === hp) && inPlacement({ name: p.policy, ...(p.region ? { region: p.region } : {}) }),
    ),
  };
}

/**
 * The rules of a fake-Compute state file (`npm start` keeps one; `egress plan --state` reads the same). With several
 * policies in the file, `--host-project`/`--firewall-policy` choose one; under regional placement its regional
 * policies' rules come with it (explain, status, probe and plan read a project's owned rules wherever they are).
 */
export function stateFileRules(
  file: string,
  flags: OpsFlags,
  policy: PlatformPolicy,
  cfg: RuntimeConfig,
): { rules: ObservedRule[]; source: string; hostProject: string; policy: string; byPolicy: ByPolicy } {
  const { all, matching: found } = stateFilePolicies(file, flags, policy, cfg);
  const matching = found.filter((p) => !p.region); // the global policy (regional ones: stateFilePolicies)
  if (matching.length !== 1)
    throw new CliConfigError(
      `--state ${file}: ${matching.length === 0 ? 'no' : 'several'} matching policies (${all.join(', ')}); ` +
        'choose with --host-project and --firewall-policy',
    );
  const chosen = matching[0]!;
  // Regional placement: the rules of every policy of the placement (a project's owned rules are in one of them).
  const regional = found.filter((p) => p.region && p.hostProject === chosen.hostProject);
  return {
    rules: [chosen, ...regional].flatMap((p) => p.rules),
    byPolicy: [chosen, ...regional].map((p) => ({
      ref: p.region ? { name: p.policy, region: p.region } : { name: p.policy },
      rules: p.rules,
    })),
    source: `state file ${file} (${chosen.hostProject}/${chosen.policy}${regional.length ? ` + ${regional.length} regional policies` : ''})`,
    hostProject: chosen.hostProject,
    policy: chosen.policy,
  };
}

/**
 * The reads of the policy's target mode from the same source as the rules: a state file's subnetworks and tag values
 * (the fake's `subnetworks`/`tagValues`, of the chosen host project), or the live APIs (the applier's readers).
 */
export function workloadDeps(
  flags: OpsFlags,
  policy: PlatformPolicy,
  cfg: RuntimeConfig,
  stateFile?: string,
): WorkloadDeps {
  if (!stateFile) {
    const hostProject = resolveFirewallTarget(flags, policy, cfg).hostProject;
    const endpoint = setting('computeEndpoint', flags, cfg);
    const mode = policy.firewall.target.mode;
    if (mode === 'subnets') {
      const { computeSubnetSource, subnetworksClient } = lazy.subnets();
      return {
        subnets: computeSubnetSource(
          hostProject,
          subnetworksClient({ ...(endpoint ? { endpoint } : {}), deadlineMs: callDeadlineMs(cfg) }).api,
        ),
        hostProject,
      };
    }
    if (mode === 'secureTags') {
      const { resourceManagerTags, tagValuesClient } = lazy.tags();
      const api = tagValuesClient({ ...(endpoint ? { endpoint } : {}), deadlineMs: callDeadlineMs(cfg) }).api;
      return { tags: resourceManagerTags(api), hostProject };
    }
    return { hostProject };
  }
  const { readStateFile, stateWorkloads } = lazy.firewallState();
  const chosen = stateFileRules(stateFile, flags, policy, cfg);
  return { hostProject: chosen.hostProject, ...stateWorkloads(readStateFile(stateFile), chosen.hostProject) };
}

/** The storage endpoint of parsed flags (`--storage-endpoint`, else sync's old `--endpoint`). */
export function storageEndpointOf(flags: { storageEndpoint?: string; endpoint?: string }): string | undefined {
  return flags.storageEndpoint ?? flags.endpoint;
}

/**
 * The manifest store of a bucket: `endpoint` (`--storage-endpoint`) when given, else the client's own
 * STORAGE_EMULATOR_HOST handling, else Google.
 */
export function bucketStore(bucket: string, endpoint?: string): ManifestStore {
  if (endpoint && !/^https?:\/\/[^/]+/.test(endpoint))
    throw new CliConfigError(`--storage-endpoint '${endpoint}' is not a URL (hint: http://127.0.0.1:4443)`);
  const { Storage } = lazy.storageSdk();
  const { gcsManifestStore } = lazy.storage();
  return gcsManifestStore(bucket, new Storage(endpoint ? { apiEndpoint: endpoint } : {}));
}

/** A publisher to the configured Pub/Sub project (PUBSUB_EMULATOR_HOST is honoured by the client itself). */
export function publisherFor(
  flags: OpsFlags,
  cfg: RuntimeConfig,
): EventPublisher & { close(): Promise<void>; project: string } {
  const project = setting('pubsubProject', flags, cfg);
  if (!project)
    throw new CliConfigError(
      'no Pub/Sub project: pass --pubsub-project or set EGRESS_PUBSUB_PROJECT (or GOOGLE_CLOUD_PROJECT)',
    );
  const { pubsubPublisher } = lazy.pubsub();
  return Object.assign(pubsubPublisher(project), { project });
}

/** A puller of one subscription of the configured Pub/Sub project. */
export function pullerFor(subscription: string, flags: OpsFlags, cfg: RuntimeConfig) {
  const project = setting('pubsubProject', flags, cfg);
  if (!project)
    throw new CliConfigError(
      'no Pub/Sub project: pass --pubsub-project or set EGRESS_PUBSUB_PROJECT (or GOOGLE_CLOUD_PROJECT)',
    );
  const { pubsubPuller } = lazy.pubsub();
  return pubsubPuller(project, subscription);
}
