/**
 * Replay figures (issues 5 and 9), on a simulated clock so hours of resync take real seconds:
 *  (a) a full replay of 5,000 unchanged projects: firewall reads/writes (writes must be 0);
 *  (b) a full resync of 5,000 projects from an empty policy as Google would run it (bench/resync.ts: per-write
 *      operation latency, one mutation at a time per policy, 3 applier instances, the 1,500 writes/min quota):
 *      simulated wall time, its ratio to the quota's minimum (total writes / 1,500 per minute), the 403s.
 *
 * The pipeline is the production code in one process: `replay` (paced by the write Pacer) publishes to a publisher
 * that hands each message to the applier's `handleEgressMessage`, whose writes go through the compute adapter to the
 * fake Compute engine (write quota, requestId idempotency, rule validation). The engine's `get` would convert 10,000
 * rules per event; the bench serves reads from a mirror of the engine's committed rules instead (kept equal by
 * re-reading the engine's rules whenever a write lands), so the run stays CPU-light. Reads are still counted.
 */
import { createHash } from 'node:crypto';
import { computeFirewall, fromApiRule } from '../shared/adapters/compute';
import { encodeEvent, makeEgressChange } from '../shared/core/events/codec';
import type { PubSubMessage } from '../shared/core/events/types';
import { parseMarker } from '../shared/core/firewall/marker';
import type { ObservedRule } from '../shared/core/firewall/types';
import { DEFAULT_POLICY } from '../shared/core/policy/defaults';
import type { PlatformPolicy } from '../shared/core/policy/types';
import type { Clock } from '../shared/ports/clock';
import type { FirewallPolicyPort } from '../shared/ports/firewall';
import { nullLogger } from '../shared/ports/logger';
import type { EventPublisher } from '../shared/ports/publisher';
import { type ApplyOutcome, handleEgressMessage, RetryLaterError } from '../shared/usecases/applyChange';
import { isRateLimited, Pacer, virtualClock } from '../shared/usecases/pacer';
import { loadBucketManifests, replay, sourceOf } from '../shared/usecases/replay';
import {
  FakeGlobalOperationsClient,
  FakeNetworkFirewallPoliciesClient,
  FirewallPolicyEngine,
} from '../test/fakes/compute';
import { type MemoryManifestStore, memoryManifestStore } from '../test/support/memory';
import { ASSUMED_WRITE_LATENCY, eventClock, hm, logNormalSampler } from './resync';

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
  /** Our rules as the engine holds them (priority order). */
  rules(): ObservedRule[];
  /** Publishes an `upsert` per manifest, as the validator does after each upload (the normal way rules appear). */
  upsertAll(): Promise<void>;
  /** Replays every manifest through the applier. */
  replayAll(opts?: { quotaPerMinute?: number; dryRun?: boolean }): ReturnType<typeof replay>;
}

/** Builds the simulated pipeline with `projects` manifests uploaded. */
export async function simPipeline(opts: {
  projects: number;
  writeQuota?: number;
  mirror?: boolean;
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
  // The per-policy rule-attribute quota is raised: 5,000 projects need far more than a default policy allows (see
  // docs/operations.md, "Scale limits"); the bench measures pacing, not that quota.
  const engine = new FirewallPolicyEngine({ clock, completion: 'immediate', ruleAttributeQuota: 1e9 });
  engine.createPolicy(SIM_HOST, SIM_POLICY);
  if (opts.writeQuota) engine.setWriteQuota(opts.writeQuota, 403);
  const store = memoryManifestStore(BUCKET);
  for (let i = 0; i < opts.projects; i++) {
    const m = simManifest(i);
    await store.write(`${PREFIX}${m.name}.yaml`, Buffer.from(m.text));
  }
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
          }),
          addRule: async (r, id) => {
            await counted(() => adapter.addRule(r, id));
            current().set(r.priority, entry({ ...r }));
          },
          patchRule: async (p, r, id) => {
            await counted(() => adapter.patchRule(p, r, id));
            current().set(p, entry({ ...r, priority: p }));
          },
          removeRule: async (p, id) => {
            await counted(() => adapter.removeRule(p, id));
            current().delete(p);
          },
        }
      : adapter;
  const inline = { project: undefined as string | undefined };
  const firewall = portFor(inline);
  const policy = DEFAULT_POLICY;
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
          { firewall: port, policy, logger: nullLogger, clock, retry: { attempts: 5, random: () => 0.5 } },
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
          firewall,
          pacer: new Pacer({ perMinute: o.quotaPerMinute ?? 1500, clock }),
          concurrency: 1,
        },
        { dryRun: !!o.dryRun },
      ),
  };
}

/** Applier instances of the modelled resync: terraform's default `applier_max_instances`. */
export const RESYNC_INSTANCES = 3;

/** Runs both measurements and returns the report lines. */
export async function benchReplay(projects = 5000, quota = 1500, instances = RESYNC_INSTANCES): Promise<string[]> {
  const lines: string[] = [];
  const t0 = Date.now();

  // (b) first: a full resync from an empty policy, as Google would run it (bench/resync.ts).
  const clock = eventClock(Date.UTC(2025, 0, 1));
  const lat = ASSUMED_WRITE_LATENCY;
  const sim = await simPipeline({
    projects,
    writeQuota: quota,
    mirror: true,
    clock,
    writeLatencyMs: logNormalSampler(lat),
    serializedWrites: true,
    instances,
  });
  const start = clock.now();
  const r = await clock.run(sim.replayAll({ quotaPerMinute: quota }).then((x) => sim.publisher.drain().then(() => x)));
  const simMs = clock.now() - start;
  const applied = sim.engine.counters().applied;
  const minimumMs = (applied / quota) * 60_000;
  lines.push(
    `replay resync: ${projects} projects from an empty policy, ${applied} writes, ${instances} applier instances, ` +
      `write operations log-normal median ${lat.medianMs / 1000} s p95 ${lat.p95Ms / 1000} s (assumed), one mutation ` +
      `at a time per policy, quota ${quota} writes/min: ${hm(simMs)} simulated = ${(simMs / minimumMs).toFixed(1)}x ` +
      `the quota minimum (${hm(minimumMs)}); 403s from Compute: ${sim.rateLimited()}, escaped: ${sim.publisher.escaped}; ` +
      `events ${r.published}, failed applies ${sim.publisher.outcomes.filter((o) => o.outcome === 'apply-failed').length}`,
  );

  // (a) the same bucket replayed again: every project is unchanged.
  sim.engine.resetCounters();
  const before = clock.now();
  const again = await clock.run(
    sim.replayAll({ quotaPerMinute: quota }).then((x) => sim.publisher.drain().then(() => x)),
  );
  const c2 = sim.engine.counters();
  const applierReads = sim.publisher.outcomes.slice(-again.published).reduce((s, o) => s + o.reads, 0);
  lines.push(
    `replay unchanged: ${projects} projects, ${again.published} events: firewall writes ${c2.writes} (must be 0), ` +
      `reads ${again.reads} by replay + ${applierReads} by the applier (1 per event); simulated ${((clock.now() - before) / 1000).toFixed(1)} s`,
  );
  lines.push(`replay bench wall time: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return lines;
}

if (require.main === module) {
  benchReplay(Number(process.argv[2] ?? 5000)).then(
    (l) => process.stdout.write(`${l.join('\n')}\n`),
    (e) => {
      process.stderr.write(`${(e as Error).stack}\n`);
      process.exitCode = 1;
    },
  );
}
