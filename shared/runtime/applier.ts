/**
 * Composition root of the applier function. The Compute and Pub/Sub clients and the platform policy are built on the
 * first event, once per instance (module load stays cheap; a failed composition is retried on the next event).
 * Configuration: EGRESS_HOST_PROJECT, EGRESS_FIREWALL_POLICY, EGRESS_STATUS_TOPIC, EGRESS_POLICY_FILE,
 * EGRESS_PUBSUB_PROJECT (or GOOGLE_CLOUD_PROJECT), EGRESS_COMPUTE_ENDPOINT (the fake REST server, locally).
 */
import type { IncomingMessage } from '../core/events/codec';
import type { PlatformPolicy } from '../core/policy/types';
import { systemClock } from '../ports/clock';
import type { FirewallPolicyPort } from '../ports/firewall';
import type { ApplyDeps, ApplyOutcome } from '../usecases/applyChange';
import { readConfig, requireConfig } from './config';
import { lazy } from './lazy';
import { quotaCapacities } from './limits';
import { jsonLogger } from './logger';

let deps: Promise<ApplyDeps> | undefined;

/**
 * The reads of the policy's target mode, built once per instance: the host project's subnetworks (`subnets`, read
 * at each event) or the Resource Manager tag values (`secureTags`, cached). The CLI builds the same (cliClients.ts).
 */
export async function workloadReaders(
  policy: PlatformPolicy,
  hostProject: string,
  endpoint: { endpoint?: string },
): Promise<NonNullable<ApplyDeps['workloads']>> {
  const mode = policy.firewall.target.mode;
  if (mode === 'subnets') {
    const { computeSubnetSource, subnetworksClient } = await import('../adapters/subnets');
    return { subnets: computeSubnetSource(hostProject, subnetworksClient(endpoint).api) };
  }
  if (mode === 'secureTags') {
    const { resourceManagerTags, tagValuesClient } = await import('../adapters/tags');
    return { tags: resourceManagerTags(tagValuesClient(endpoint).api) };
  }
  return {};
}

/**
 * The FirewallPolicies of the placement over the real clients (global placement: the one global policy; regional:
 * each region's too, its clients built on first use). The CLI builds the same.
 */
export async function placementPolicies(
  policy: PlatformPolicy,
  hostProject: string,
  firewallPolicy: string,
  global: FirewallPolicyPort,
  endpoint: { endpoint?: string },
): Promise<ApplyDeps['policies']> {
  const { computePolicies, regionalComputeClients } = await import('../adapters/regionalCompute');
  return computePolicies({
    hostProject,
    policy: firewallPolicy,
    placement: policy.firewall,
    global,
    regional: () => regionalComputeClients(endpoint),
  });
}

/** Builds the applier's dependencies from `env` (see runtime/config); throws naming any missing variable. */
export async function composeApplier(env: NodeJS.ProcessEnv = process.env): Promise<ApplyDeps> {
  const cfg = readConfig(env);
  requireConfig(cfg, 'pubsubProject', 'hostProject', 'firewallPolicy');
  const [{ computeClients, computeFirewall }, { pubsubPublisher }, { loadPolicyFile }] = await Promise.all([
    import('../adapters/compute'),
    import('../adapters/pubsub'),
    import('./policy'),
  ]);
  // An unreadable or invalid policy file throws here, naming the file and line: every event fails loudly until fixed.
  const policy = loadPolicyFile(cfg.policyFile);
  const endpoint = cfg.computeEndpoint ? { endpoint: cfg.computeEndpoint } : {};
  const logger = jsonLogger({ component: 'applier' });
  const clients = computeClients(endpoint);
  const firewall = computeFirewall({ project: cfg.hostProject, policy: cfg.firewallPolicy, ...clients });
  const composed: ApplyDeps = {
    workloads: await workloadReaders(policy, cfg.hostProject, endpoint),
    policies: await placementPolicies(policy, cfg.hostProject, cfg.firewallPolicy, firewall, endpoint),
    publisher: pubsubPublisher(cfg.pubsubProject),
    statusTopic: cfg.statusTopic,
    policy,
    logger,
    clock: systemClock,
    hostProject: cfg.hostProject,
    manifestPrefix: cfg.manifestPrefix,
    storeFor: manifestStores(),
  };
  // The headroom check's limits: each policy's quotas (Cloud Quotas API, runtime/limits.ts) replace the policy file's
  // once read. The read starts after the instance's first event, so the cold start neither loads the quotas client
  // nor waits for it; until it answers (or if it fails: logged), the policy file's limits apply (docs/capacity.md).
  readLimits = (inUse) =>
    quotaCapacities(policy, cfg.hostProject, inUse.policies.list(), endpoint, inUse.logger).then(
      (capacities) => {
        inUse.capacities = capacities;
      },
      (err) => inUse.logger.log('WARNING', `quota read failed; the policy file's limits apply: ${String(err)}`),
    );
  return composed;
}

/** The deferred quota read of the composed instance (composeApplier): once, after its first event, into `inUse`. */
let readLimits: ((inUse: ApplyDeps) => Promise<void>) | undefined;

/**
 * The manifest buckets' stores, one per bucket, the storage client required on the first project's first apply only
 * (applyChange `storeFor`), so the applier's cold start does not load it.
 */
function manifestStores(): NonNullable<ApplyDeps['storeFor']> {
  const stores = new Map<string, ReturnType<NonNullable<ApplyDeps['storeFor']>>>();
  return (bucket) => {
    let s = stores.get(bucket);
    if (!s) {
      s = lazy.storage().gcsManifestStore(bucket);
      stores.set(bucket, s);
    }
    return s;
  };
}

/** The instance's dependencies, composed on first use. */
export function applierDeps(): Promise<ApplyDeps> {
  if (!deps) {
    const p = composeApplier();
    deps = p;
    p.catch(() => {
      if (deps === p) deps = undefined;
    });
  }
  return deps;
}

/** Replaces the dependencies (tests, and the local pipeline's in-process functions); `undefined` resets. */
export function setApplierDeps(next: ApplyDeps | undefined): void {
  deps = next ? Promise.resolve(next) : undefined;
}

/** The Pub/Sub message inside a `google.cloud.pubsub.topic.v1.messagePublished` CloudEvent, if it has one. */
export function pubsubMessageOf(cloudEvent: unknown): IncomingMessage | undefined {
  const data = (cloudEvent as { data?: unknown } | null)?.data;
  const message = (data as { message?: unknown } | null | undefined)?.message;
  return message && typeof message === 'object' ? (message as IncomingMessage) : undefined;
}

/**
 * The function body: resolves to acknowledge (applied, skipped, or a permanent failure already reported), rejects
 * to have Pub/Sub redeliver (transient failure).
 */
export async function runApplier(cloudEvent: unknown): Promise<ApplyOutcome> {
  const d = await applierDeps();
  const { handleEgressMessage } = await import('../usecases/applyChange');
  // A CloudEvent without a message decodes as a poison message: reported and acknowledged like any other.
  try {
    return await handleEgressMessage(d, pubsubMessageOf(cloudEvent) ?? {});
  } finally {
    const read = readLimits;
    readLimits = undefined;
    if (read) setImmediate(() => void read(d));
  }
}
