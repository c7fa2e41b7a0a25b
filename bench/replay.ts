/**
 * Replay figures (issues 5 and 9), on a simulated clock so hours of resync take real seconds:
 *  (a) a full replay of 5,000 unchanged projects: firewall reads/writes (writes must be 0);
 *  (b) a full resync of 5,000 projects from an empty policy as Google would run it (bench/resync.ts: per-write
 *      operation latency, the policy quotas raised to hold 5,000 projects (UNLIMITED_CAPACITY, local/harness/sim.ts), one
 *      mutation at a time per policy, the 1,500 writes/min quota) by `replay --all`, the fleet reconcile (one
 *      batch-update patch per policy, docs/applier.md "Fleet reconcile"): simulated wall time, writes, the 403s.
 *
 * The pipeline is the production code in one process (local/harness/sim.ts): `replay` (paced by the write Pacer) publishes to a publisher
 * that hands each message to the applier's `handleEgressMessage`, whose writes go through the compute adapter to the
 * fake Compute engine (write quota, requestId idempotency, rule validation). The engine's `get` would convert 10,000
 * rules per event; the bench serves reads from a mirror of the engine's committed rules instead (kept equal by
 * re-reading the engine's rules whenever a write lands), so the run stays CPU-light. Reads are still counted.
 */
import { simPipeline } from '../local/harness/sim';
import { ASSUMED_WRITE_LATENCY, eventClock, hm, logNormalSampler } from './resync';

/** Applier instances of the modelled resync: terraform's default `applier_max_instances`. */
export const RESYNC_INSTANCES = 3;

/** Runs both measurements and returns the report lines. */
export async function benchReplay(projects = 5000, quota = 1500, instances = RESYNC_INSTANCES): Promise<string[]> {
  const lines: string[] = [];
  const t0 = Date.now();

  // (b) first: a full resync from an empty policy, as Google would run it (bench/resync.ts): `replay --all`, the fleet
  // reconcile (docs/applier.md, "Fleet reconcile"): one patch of the policy for every project.
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
  const r = await clock.run(sim.replayAll({ quotaPerMinute: quota, fleet: true }));
  const simMs = clock.now() - start;
  const writes = r.fleet?.writes ?? 0;
  const rules = sim.rules().length;
  lines.push(
    `replay resync: ${projects} projects from an empty policy (quotas raised to hold them: UNLIMITED_CAPACITY), ` +
      `replay --all as the fleet reconcile: ${plural(writes, 'write', 'writes')} (${plural(r.fleet?.patches.length ?? 0, 'patch', 'patches')}, ` +
      `${rules} rules), write operations log-normal median ${lat.medianMs / 1000} s p95 ${lat.p95Ms / 1000} s (assumed), ` +
      `quota ${quota} writes/min: ${hm(simMs)} (${(simMs / 1000).toFixed(1)} s) simulated; 403s from Compute: ${sim.rateLimited()}; ` +
      `projects ${r.published}, events published ${sim.publisher.outcomes.length}${r.fleet?.failed ? `; FAILED: ${r.fleet.failed}` : ''}`,
  );

  // (a) the same bucket replayed again: every project is unchanged, nothing is written.
  sim.engine.resetCounters();
  const before = clock.now();
  const again = await clock.run(sim.replayAll({ quotaPerMinute: quota, fleet: true }));
  const c2 = sim.engine.counters();
  lines.push(
    `replay unchanged: ${projects} projects: firewall writes ${c2.writes + (again.fleet?.writes ?? 0)} (must be 0), ` +
      `patches planned ${again.fleet?.patches.length ?? 0}, policy reads ${again.reads}; simulated ${((clock.now() - before) / 1000).toFixed(1)} s`,
  );
  lines.push(`replay bench wall time: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return lines;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

if (require.main === module) {
  benchReplay(Number(process.argv[2] ?? 5000)).then(
    (l) => process.stdout.write(`${l.join('\n')}\n`),
    (e) => {
      process.stderr.write(`${(e as Error).stack}\n`);
      process.exitCode = 1;
    },
  );
}
