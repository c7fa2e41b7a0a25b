/**
 * Replay figures (issue 5), on a virtual clock so the quota-bound run takes simulated minutes and real seconds:
 *  (a) a full replay of 5,000 unchanged projects: firewall reads/writes (writes must be 0);
 *  (b) a full resync of 5,000 projects from an empty policy under a 1,500 writes/min fake quota: simulated time as a
 *      ratio to the quota's minimum (total writes / 1,500 per minute) and the 429s that escaped (must be 0).
 *
 * The pipeline is the production code in one process (local/sim.ts): `replay` (paced by the write Pacer) publishes
 * to a publisher that hands each message to the applier's `handleEgressMessage`, whose writes go through the compute
 * adapter to the fake Compute engine (write quota, requestId idempotency, rule validation).
 */
import { simPipeline } from '../local/sim';

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
