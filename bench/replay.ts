/**
 * Replay figures (issues 5 and 9), on a simulated clock so hours of resync take real seconds:
 *  (a) a full replay of 5,000 unchanged projects: firewall reads/writes (writes must be 0);
 *  (b) a full resync of 5,000 projects from an empty policy as Google would run it (bench/resync.ts: per-write
 *      operation latency, one batch-update patch per project (docs/applier.md, "Writes"), the policy quotas raised
 *      to hold 5,000 projects (UNLIMITED_CAPACITY, local/sim.ts), one mutation at a time per policy, 3 applier instances, the 1,500 writes/min quota):
 *      simulated wall time, its ratio to the quota's minimum (total writes / 1,500 per minute), the 403s.
 *
 * The pipeline is the production code in one process (local/sim.ts): `replay` (paced by the write Pacer) publishes to a publisher
 * that hands each message to the applier's `handleEgressMessage`, whose writes go through the compute adapter to the
 * fake Compute engine (write quota, requestId idempotency, rule validation). The engine's `get` would convert 10,000
 * rules per event; the bench serves reads from a mirror of the engine's committed rules instead (kept equal by
 * re-reading the engine's rules whenever a write lands), so the run stays CPU-light. Reads are still counted.
 */
import { simPipeline } from '../local/sim';
import { ASSUMED_WRITE_LATENCY, eventClock, hm, logNormalSampler } from './resync';

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
  // One write per project changed: the applier's batch-update patch (its effect reaches the engine rule by rule in
  // the mirror, local/sim.ts, so the engine's counters are not the write count).
  const applied = sim.publisher.outcomes.reduce((n, o) => n + o.writes, 0);
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
