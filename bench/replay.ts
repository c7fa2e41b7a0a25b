/**
 * Replay figures (issue 5), on a virtual clock so the quota-bound run takes simulated minutes and real seconds:
 *  (a) a full replay of 5,000 unchanged projects: firewall reads/writes (writes must be 0);
 *  (b) a full resync of 5,000 projects from an empty policy under a 1,500 writes/min fake quota: simulated time as a
 *      ratio to the quota's minimum (total writes / 1,500 per minute) and the 429s that escaped (must be 0).
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
  /** Hands every published change to the applier in-process. */
  publisher: EventPublisher & { outcomes: ApplyOutcome[]; escaped: number };
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
  /** The platform policy of the applier and of replay (default DEFAULT_POLICY). */
  policy?: PlatformPolicy;
}): Promise<SimPipeline> {
  const clock = virtualClock(Date.UTC(2025, 0, 1));
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
  const counted = async (op: () => Promise<void>) => {
    try {
      await op();
    } catch (err) {
      if (isRateLimited(err)) counts.rateLimited++;
      throw err;
    }
  };
  let forProject: string | undefined;
  const firewall: FirewallPolicyPort = opts.mirror
    ? {
        getPolicy: async () => ({
          rules: [...current().values()].map((e) =>
            forProject === undefined || e.owner === forProject ? e.rule : e.stub,
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
  const policy = opts.policy ?? DEFAULT_POLICY;
  const outcomes: ApplyOutcome[] = [];
  let n = 0;
  const publisher = {
    outcomes,
    escaped: 0,
    async publish(_topic: string, message: PubSubMessage) {
      forProject = message.attributes['ce-subject'];
      try {
        outcomes.push(
          await handleEgressMessage(
            {
              firewall,
              policy,
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
      } finally {
        forProject = undefined;
      }
      return String(++n);
    },
  };
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

/** Runs both measurements and returns the report lines. */
export async function benchReplay(projects = 5000, quota = 1500): Promise<string[]> {
  const lines: string[] = [];
  const t0 = Date.now();

  // (b) first: a full resync from an empty policy under the quota.
  const sim = await simPipeline({ projects, writeQuota: quota, mirror: true });
  const start = sim.clock.now();
  const r = await sim.replayAll({ quotaPerMinute: quota });
  const simMs = sim.clock.now() - start;
  const applied = sim.engine.counters().applied;
  const minimumMs = (applied / quota) * 60_000;
  const rejected = sim.rateLimited();
  lines.push(
    `replay resync: ${projects} projects from an empty policy, ${applied} writes under ${quota} writes/min: ` +
      `${(simMs / 60_000).toFixed(2)} min simulated = ${(simMs / minimumMs).toFixed(3)}x the quota minimum ` +
      `(${(minimumMs / 60_000).toFixed(2)} min); 429s returned by Compute: ${rejected}, escaped: ${sim.publisher.escaped}; ` +
      `events ${r.published}, failed applies ${sim.publisher.outcomes.filter((o) => o.outcome === 'apply-failed').length}`,
  );

  // (a) the same bucket replayed again: every project is unchanged.
  sim.engine.resetCounters();
  const before = sim.clock.now();
  const again = await sim.replayAll({ quotaPerMinute: quota });
  const c2 = sim.engine.counters();
  const applierReads = sim.publisher.outcomes.slice(-again.published).reduce((s, o) => s + o.reads, 0);
  lines.push(
    `replay unchanged: ${projects} projects, ${again.published} events: firewall writes ${c2.writes} (must be 0), ` +
      `reads ${again.reads} by replay + ${applierReads} by the applier (1 per event); simulated ${((sim.clock.now() - before) / 1000).toFixed(1)} s`,
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
