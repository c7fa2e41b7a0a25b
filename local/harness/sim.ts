/**
 * The simulated pipeline in one process, on a virtual clock: a memory bucket of generated manifests, the fake Compute
 * engine behind the real compute adapter, and the applier behind a publisher (`replay` publishes, the applier applies
 * at once). Used by the replay bench (bench/replay.ts) and by the replay/drift integration tests.
 *
 * The engine's `get` would convert 10,000 rules per event; with `mirror` reads are served from a mirror of the
 * engine's committed rules instead (kept equal by re-reading the engine's rules whenever a write lands), so a run stays
 * CPU-light. Reads are still counted.
 */
import { createHash } from 'node:crypto';
import { computeFirewall, fromApiRule, toApiRule } from '../../shared/adapters/compute';
import { type MemoryManifestStore, memoryManifestStore } from '../../shared/adapters/memory';
import { computeSubnetSource } from '../../shared/adapters/subnets';
import { encodeEvent, makeEgressChange } from '../../shared/core/events/codec';
import type { PubSubMessage } from '../../shared/core/events/types';
import { parseMarker } from '../../shared/core/firewall/marker';
import { deterministicRequestId } from '../../shared/core/firewall/requestId';
import type { ObservedRule } from '../../shared/core/firewall/types';
import { DEFAULT_CAPACITY } from '../../shared/core/policy/capacity';
import { DEFAULT_POLICY } from '../../shared/core/policy/defaults';
import type { PlatformPolicy } from '../../shared/core/policy/types';
import type { Clock } from '../../shared/ports/clock';
import { virtualClock } from '../../shared/ports/clock';
import { FirewallApiError, type FirewallPolicyPort, singlePolicy } from '../../shared/ports/firewall';
import { nullLogger } from '../../shared/ports/logger';
import type { EventPublisher } from '../../shared/ports/publisher';
import type { SubnetSource } from '../../shared/ports/workloads';
import { type ApplyOutcome, handleEgressMessage, RetryLaterError } from '../../shared/usecases/applyChange';
import { loadBucketManifests } from '../../shared/usecases/bucketManifests';
import { isRateLimited, Pacer } from '../../shared/usecases/pacer';
import { replay, sourceOf } from '../../shared/usecases/replay';
import {
  FakeGlobalOperationsClient,
  FakeNetworkFirewallPoliciesClient,
  FirewallPolicyEngine,
  fakeSubnetworksClient,
} from '../fakes/compute';

/** One subnet per simulated project (`proj-00042-usc1`, 10.x.y.0/24), under the default naming template. */
export function simSubnets(projects: number) {
  return Array.from({ length: projects }, (_, i) => ({
    name: `${simManifest(i).name}-usc1`,
    region: 'us-central1',
    network: `https://www.googleapis.com/compute/v1/projects/${SIM_HOST}/global/networks/shared-vpc`,
    ipCidrRange: `10.${i >> 8}.${i & 255}.0/24`,
  }));
}

/** Per-policy quotas no simulated fleet reaches (the simulation measures pacing, not capacity). */
export const UNLIMITED_CAPACITY = { ...DEFAULT_CAPACITY, attributesPerPolicy: 1e9, fqdnsPerPolicy: 1e9 };

/** The host project and policy of the simulated Shared VPC. */
export const SIM_HOST = 'host-project';
export const SIM_POLICY = 'egress-policy';
const BUCKET = 'egress-manifests';
const PREFIX = 'manifests/';

/** A realistic manifest for project i: hostnames, sometimes a range, sometimes the Google APIs wildcard. */
export function simManifest(i: number, variant = 0): { name: string; text: string } {
  const name = `proj-${String(i).padStart(5, '0')}`;
  const h = createHash('sha256').update(`${name}:${variant}`).digest();
  const lines = [`    - "api.partner${h[0]! % 50}.example.com"  # partner API`, `    - "hooks.${name}.example.org"`];
  for (let k = 0; k < (h[1]! % 8) + 2; k++) lines.push(`    - "svc${k}.vendor${h[2]! % 20}.example.net"`);
  if (h[3]! % 3 === 0) lines.push(`    - "34.${(h[4]! % 100) + 100}.${h[5]}.0/24"  # partner range`);
  if (h[6]! % 4 === 0) lines.push('    - "*.googleapis.com"  # Google APIs');
  const text = `apiVersion: lowops.manifests.v1\nkind: Project\nmetadata:\n  name: ${name}\n  environment: production\nspec:\n  allowedEgress:\n${lines.join('\n')}\n`;
  return { name, text };
}

/** The simulated pipeline: bucket, fake Compute, and the applier behind a publisher. */
export interface SimPipeline {
  clock: Clock & { slept: number };
  engine: FirewallPolicyEngine;
  store: MemoryManifestStore;
  /** The port the applier and replay use (adapter over the fake clients; reads from the mirror when `mirror`). */
  firewall: FirewallPolicyPort;
  /** Hands every published change to the applier in-process (inline, or to `instances` parallel appliers). */
  publisher: EventPublisher & { outcomes: ApplyOutcome[]; escaped: number; drain(): Promise<void> };
  /** Writes that Compute answered with 403 rateLimitExceeded (retried inside the applier, or escaped). */
  rateLimited(): number;
  policy: PlatformPolicy;
  /** The applier's subnet reads (target mode subnets): the engine's subnetworks through the adapter. */
  workloads: { subnets: SubnetSource };
  /** Our rules as the engine holds them (priority order). */
  rules(): ObservedRule[];
  /** Publishes an `upsert` per manifest, as the validator does after each upload (the normal way rules appear). */
  upsertAll(): Promise<void>;
  /** Replays every manifest through the applier (`fleet`: as the fleet reconcile, one patch per policy, nothing published). */
  replayAll(opts?: { quotaPerMinute?: number; dryRun?: boolean; fleet?: boolean }): ReturnType<typeof replay>;
}

/** Builds the simulated pipeline with `projects` manifests uploaded. */
export async function simPipeline(opts: {
  projects: number;
  writeQuota?: number;
  mirror?: boolean;
  /** The platform policy of the applier and of replay (default DEFAULT_POLICY). */
  policy?: PlatformPolicy;
  /** The clock (default: a virtual clock where a sleep just moves time on; see bench/resync.ts for parallel runs). */
  clock?: Clock & { slept: number };
  /** Mirror only: how long a write's operation takes to finish (ms, sampled per write); default 0. */
  writeLatencyMs?: () => number;
  /** With writeLatencyMs: the policy runs one mutation at a time, so writes queue behind each other. */
  serializedWrites?: boolean;
  /** Applier instances handling published events in parallel; undefined: each publish applies inline. */
  instances?: number;
}): Promise<SimPipeline> {
  const clock = opts.clock ?? virtualClock(Date.UTC(2025, 0, 1));
  // The per-policy quotas are raised (in the fake and in the policy the applier checks headroom with): 5,000 projects
  // need far more than one default policy holds (docs/capacity.md); the bench measures pacing, not those quotas.
  const engine = new FirewallPolicyEngine({ clock, completion: 'immediate', capacity: UNLIMITED_CAPACITY });
  engine.createPolicy(SIM_HOST, SIM_POLICY);
  // With the mirror, a patch reaches the engine as several rule writes (applyDiff below): the write quota (one request
  // per patch) is then the sim's own, counted per patch; otherwise the engine's.
  if (opts.writeQuota && !opts.mirror) engine.setWriteQuota(opts.writeQuota, 403);
  const quota = { times: [] as number[] };
  const spendQuota = () => {
    if (!opts.writeQuota || !opts.mirror) return;
    const now = clock.now();
    quota.times = quota.times.filter((t) => t > now - 60_000);
    if (quota.times.length >= opts.writeQuota)
      throw new FirewallApiError('Rate Limit Exceeded', 403, 'rateLimitExceeded', true);
    quota.times.push(now);
  };
  const store = memoryManifestStore(BUCKET);
  for (let i = 0; i < opts.projects; i++) {
    const m = simManifest(i);
    await store.write(`${PREFIX}${m.name}.yaml`, Buffer.from(m.text));
  }
  // Target mode subnets (the default): one Shared VPC subnet per project, read by the applier at each event.
  engine.directory.putSubnetworks(SIM_HOST, simSubnets(opts.projects));
  const workloads = { subnets: computeSubnetSource(SIM_HOST, fakeSubnetworksClient(engine.directory)) };
  const adapter = computeFirewall({
    project: SIM_HOST,
    policy: SIM_POLICY,
    policies: new FakeNetworkFirewallPoliciesClient(engine),
    operations: new FakeGlobalOperationsClient(engine),
    clock,
  });
  // The mirror follows each successful write (the engine stays the source of truth for quota and validation). While
  // the applier handles project P, other projects' rules are shown as stubs (same priority, no marker): P's plan and
  // its priority allocation see exactly what they would, without re-parsing every marker of the policy per event.
  let mirror: Map<number, { rule: ObservedRule; owner: string | undefined; stub: ObservedRule }> | undefined;
  const entry = (rule: ObservedRule) => ({
    rule,
    owner: parseMarker(rule.description)?.project,
    stub: { ...rule, ruleName: '', description: '' },
  });
  const current = () => {
    mirror ??= new Map(engine.rules(SIM_HOST, SIM_POLICY).map((r) => [r.priority!, entry(fromApiRule(r))]));
    return mirror;
  };
  // The mirror's fingerprint: a patch planned from an older read is refused with 412, as Google does.
  // The mirror's fingerprint: a patch planned from an older read is refused with 412, and a patch while another one
  // is being applied with 400 resourceNotReady (transient), as Google does. The mirror changes at once at the end.
  const version = { n: 1, busy: false };
  const applyDiff = async (rules: readonly ObservedRule[], fingerprint: string | undefined, id: string) => {
    if (version.busy)
      throw new FirewallApiError(`The resource '${SIM_POLICY}' is not ready`, 400, 'resourceNotReady', true);
    if (fingerprint !== `mirror-${version.n}`)
      throw new FirewallApiError(
        'Supplied fingerprint does not match current metadata fingerprint.',
        412,
        'conditionNotMet',
        false,
      );
    version.busy = true;
    try {
      const mirrored = current();
      const next = new Map(rules.map((r) => [r.priority, r]));
      const at = { project: SIM_HOST, firewallPolicy: SIM_POLICY };
      const done = async (op: Promise<{ name?: string | null }>) =>
        engine.wait({ project: SIM_HOST, operation: (await op).name ?? '' });
      let n = 0;
      const rid = () => deterministicRequestId(id, n++);
      const changed: [number, ObservedRule | undefined][] = [];
      for (const [priority, e] of mirrored) {
        const r = next.get(priority);
        if (r === e.rule || r === e.stub) continue;
        const req = { ...at, priority, requestId: rid() };
        if (!r) await done(engine.removeRule(req));
        else await done(engine.patchRule({ ...req, firewallPolicyRuleResource: toApiRule(r, priority) }));
        changed.push([priority, r]);
      }
      for (const [priority, r] of next) {
        if (mirrored.has(priority)) continue;
        await done(engine.addRule({ ...at, requestId: rid(), firewallPolicyRuleResource: toApiRule(r, priority) }));
        changed.push([priority, r]);
      }
      for (const [priority, r] of changed)
        if (r) mirrored.set(priority, entry({ ...r }));
        else mirrored.delete(priority);
      version.n++;
    } finally {
      version.busy = false;
    }
  };
  const counts = { rateLimited: 0 };
  let busyUntil = 0;
  const counted = async (op: () => Promise<void>) => {
    try {
      await op();
    } catch (err) {
      if (isRateLimited(err)) counts.rateLimited++;
      throw err;
    }
    // The accepted write's operation runs (after the one in flight, when the policy serializes mutations); the
    // applier waits for it before its next write.
    const latency = opts.writeLatencyMs?.() ?? 0;
    if (latency > 0) {
      const start = opts.serializedWrites ? Math.max(clock.now(), busyUntil) : clock.now();
      busyUntil = start + latency;
      await clock.sleep(busyUntil - clock.now());
    }
  };
  // Which project the applier using a port is handling (one context per applier instance).
  const portFor = (ctx: { project?: string }): FirewallPolicyPort =>
    opts.mirror
      ? {
          getPolicy: async () => ({
            rules: [...current().values()].map((e) =>
              ctx.project === undefined || e.owner === ctx.project ? e.rule : e.stub,
            ),
            fingerprint: `mirror-${version.n}`,
          }),
          // One patch, counted as one write; its effect reaches the engine as the rule-level difference between the
          // mirror and the new list (rules kept are the mirror's own objects or stubs), so a 10,000-rule list is not
          // converted and validated whole at every event.
          patchPolicy: async (rules, fingerprint, id) => {
            await counted(async () => {
              spendQuota();
              await applyDiff(rules, fingerprint, id);
            });
          },
        }
      : adapter;
  const inline = { project: undefined as string | undefined };
  const firewall = portFor(inline);
  const policy: PlatformPolicy = { ...(opts.policy ?? DEFAULT_POLICY), capacity: UNLIMITED_CAPACITY };
  const outcomes: ApplyOutcome[] = [];
  let n = 0;
  // Parallel instances: each takes the next published message (Pub/Sub push, one request per instance at a time).
  const queue: PubSubMessage[] = [];
  const idle: (() => void)[] = [];
  let busy = 0;
  const drained: (() => void)[] = [];
  const worker = async (): Promise<never> => {
    const ctx = { project: undefined as string | undefined };
    const port = portFor(ctx);
    for (;;) {
      const message = queue.shift();
      if (!message) {
        if (busy === 0) for (const d of drained.splice(0)) d();
        await new Promise<void>((r) => idle.push(r));
        continue;
      }
      busy++;
      ctx.project = message.attributes['ce-subject'];
      await apply(message, port);
      ctx.project = undefined;
      busy--;
    }
  };
  const apply = async (message: PubSubMessage, port: FirewallPolicyPort) => {
    try {
      outcomes.push(
        await handleEgressMessage(
          {
            policies: singlePolicy(port, SIM_POLICY),
            policy,
            workloads,
            logger: nullLogger,
            clock,
            retry: { attempts: 5, random: () => 0.5 },
            manifestPrefix: PREFIX,
          },
          { data: message.data, attributes: message.attributes },
        ),
      );
    } catch (err) {
      // Thrown out of the applier = Pub/Sub would redeliver: the failure "escaped" the in-process retries.
      if (!(err instanceof RetryLaterError)) throw err;
      publisher.escaped++;
    }
  };
  const publisher = {
    outcomes,
    escaped: 0,
    async publish(_topic: string, message: PubSubMessage) {
      if (opts.instances) {
        queue.push(message);
        idle.shift()?.();
        return String(++n);
      }
      inline.project = message.attributes['ce-subject'];
      try {
        await apply(message, firewall);
      } finally {
        inline.project = undefined;
      }
      return String(++n);
    },
    /** Resolves once every published message has been applied (parallel instances). */
    drain: () =>
      queue.length === 0 && busy === 0
        ? Promise.resolve()
        : new Promise<void>((r) => {
            drained.push(r);
          }),
  };
  for (let i = 0; i < (opts.instances ?? 0); i++) void worker();
  return {
    clock,
    engine,
    store,
    firewall,
    publisher,
    policy,
    workloads,
    rateLimited: () => counts.rateLimited,
    rules: () =>
      engine
        .rules(SIM_HOST, SIM_POLICY)
        .map(fromApiRule)
        .filter((r) => r.description.startsWith('managed-by=')),
    upsertAll: async () => {
      const ms = await loadBucketManifests(store, PREFIX, policy);
      for (const m of ms) {
        if (!m.valid || !m.project) continue;
        const ev = makeEgressChange({
          project: m.project,
          reason: 'upsert',
          entries: m.entries,
          source: sourceOf(BUCKET, m.object),
        });
        await publisher.publish('egress-changes', encodeEvent(ev));
      }
    },
    replayAll: (o = {}) =>
      replay(
        {
          store,
          bucket: BUCKET,
          prefix: PREFIX,
          publisher,
          changesTopic: 'egress-changes',
          policy,
          clock,
          policies: singlePolicy(firewall, SIM_POLICY),
          workloads,
          pacer: new Pacer({ perMinute: o.quotaPerMinute ?? 1500, clock }),
          concurrency: 1,
        },
        { dryRun: !!o.dryRun, ...(o.fleet ? { fleet: true } : {}) },
      ),
  };
}
