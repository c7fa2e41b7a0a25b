/**
 * `npm run chaos -- --schedules 200 [--seed N] [--case I] [--same-project]`: random fault schedules against the applier use
 * case (handleEgressMessage → applyChange → the production Compute adapter → the fake Compute client and engine).
 * After each schedule the faults stop and every unacknowledged event is redelivered until none is left; then the
 * policy must hold, for every project, exactly the compile of its newest manifest version, and every rule without
 * the product's marker must be as it was. Prints `chaos: <S> schedules, <K> converged, <U> unmanaged rules touched`;
 * exit 1 unless K = S and U = 0. A failing schedule is printed in one line with the flags that replay it.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  type Completion,
  FakeGlobalOperationsClient,
  FakeNetworkFirewallPoliciesClient,
  FirewallPolicyEngine,
  type FirewallPolicyRule,
} from '../local/fakes/compute';
import { computeFirewall } from '../shared/adapters/compute';
import { encodeEvent, makeEgressChange } from '../shared/core/events/codec';
import type { PubSubMessage, StatusData } from '../shared/core/events/types';
import {
  appliedGeneration,
  deletedGeneration,
  desiredRules,
  groupOwnedRules,
  parseMarker,
  ruleContent,
} from '../shared/core/firewall';
import type { ObservedRule } from '../shared/core/firewall/types';
import { DEFAULT_POLICY } from '../shared/core/policy';
import type { PlatformPolicy } from '../shared/core/policy/types';
import { singlePolicy } from '../shared/ports/firewall';
import { nullLogger } from '../shared/ports/logger';
import { type ApplyDeps, handleEgressMessage } from '../shared/usecases/applyChange';
import { CALL_BUDGET, foreignRule, Transport, virtualClock } from './reliability/faults';
import { intFlag, parseFlags, Rng, randomSeed, UsageError } from './reliability/rng';
import {
  chaosPolicy,
  describeSchedule,
  type Fault,
  makeSchedule,
  type Schedule,
  type Version,
} from './reliability/schedule';

const HOST = 'host';
const POLICY = 'egress';
/** Deliveries after the faults stop before a schedule is declared not to converge. */
const QUIESCE_LIMIT = 400;
/** The outcome of one schedule. */
export interface ScheduleResult {
  converged: boolean;
  unmanagedTouched: number;
  problems: string[];
  deliveries: number;
}

/** Runs one schedule to quiescence and checks convergence. */
export async function runSchedule(s: Schedule, policy: PlatformPolicy): Promise<ScheduleResult> {
  const clock = virtualClock();
  const engine = new FirewallPolicyEngine({ clock, completion: s.completion, ruleAttributeQuota: 1_000_000 });
  const seeded = s.foreign.map((p, k) => foreignRule(p, k));
  engine.createPolicy(HOST, POLICY, { rules: seeded });
  const transport = new Transport();
  const firewall = computeFirewall({
    project: HOST,
    policy: POLICY,
    policies: transport.wrap(new FakeNetworkFirewallPoliciesClient(engine)),
    operations: transport.operations(new FakeGlobalOperationsClient(engine)),
    clock,
    operationTimeoutMs: 60_000,
  });
  const statuses: StatusData[] = [];
  const deps: ApplyDeps = {
    policies: singlePolicy(transport.port(firewall), POLICY),
    publisher: {
      publish: async (_t, m) => {
        statuses.push(JSON.parse(m.data.toString()) as StatusData);
        return String(statuses.length);
      },
    },
    statusTopic: 'egress-status',
    policy,
    logger: nullLogger,
    clock,
    hostProject: HOST,
    retry: { random: () => 0.5 },
    storeFor: liveBucket(s),
  };
  const events = s.versions.map((v) => message(v));
  const queue = s.deliveries.map((i) => ({ i, msg: events[i]! }));
  const foreign = new Map(
    engine
      .rules(HOST, POLICY)
      .filter((r) => !ours(r))
      .map((r) => [r.priority!, r]),
  );
  const problems: string[] = [];
  let step = 0;
  let calm = false;
  const ends: { at: number; fault: Fault }[] = [];

  const inject = async (f: Fault) => {
    switch (f.kind) {
      case 'http':
        engine.failNext({
          count: f.count,
          status: f.status,
          reason: f.reason,
          ...(f.reason === 'resourceNotReady'
            ? { message: `The resource 'projects/${HOST}/global/firewallPolicies/${POLICY}' is not ready` }
            : {}),
          ...(f.writesOnly ? { methods: ['addRule', 'patchRule', 'removeRule', 'patch'] } : {}),
        });
        return;
      case 'operation':
        engine.failOperations({ count: f.count, code: f.code, httpStatus: f.httpStatus });
        return;
      case 'timeout':
        transport.timeouts.push({ count: f.count, afterEffect: f.afterEffect });
        return;
      case 'slow-operations':
        await finishOperations(engine, { afterMs: f.afterMs });
        ends.push({ at: f.until, fault: f });
        return;
      case 'outage':
        engine.crashAfterWrites(f.afterWrites);
        ends.push({ at: f.until, fault: f });
        return;
      case 'quota':
        engine.setWriteQuota(f.perMinute, f.status);
        ends.push({ at: f.until, fault: f });
        return;
      case 'crash':
        transport.crashAfter = f.afterWrites;
        return;
      case 'foreign-write': {
        // A human adds a rule while the appliers run (skipped if the priority is taken).
        const rule = foreignRule(f.priority, foreign.size + 7);
        if (engine.rules(HOST, POLICY).some((r) => r.priority === f.priority)) return;
        try {
          const op = await engine.addRule({ project: HOST, firewallPolicy: POLICY, firewallPolicyRuleResource: rule });
          await engine.wait({ project: HOST, operation: op.name ?? '' });
          const stored = engine.rules(HOST, POLICY).find((r) => r.priority === f.priority);
          if (stored && !ours(stored)) foreign.set(f.priority, stored);
        } catch {
          // an injected fault or a priority taken by an in-flight write: the human retries another day
        }
        return;
      }
    }
  };
  const stopAll = async () => {
    engine.clearFaults();
    await finishOperations(engine, s.completion);
    transport.timeouts = [];
    transport.crashAfter = undefined;
    calm = true;
  };

  const busy = new Set<string>();
  let active = 0;
  let deliveries = 0;
  const worker = async () => {
    for (;;) {
      if (!calm && step > s.deliveries.length + 6) await stopAll();
      const k = queue.findIndex((q) => s.sameProject || !busy.has(s.versions[q.i]!.project));
      if (k < 0) {
        if (queue.length === 0 && active === 0) return;
        await new Promise<void>((r) => setImmediate(r));
        continue;
      }
      const [{ i, msg }] = queue.splice(k, 1) as [{ i: number; msg: PubSubMessage }];
      const project = s.versions[i]!.project;
      active++;
      busy.add(project);
      if (!calm) {
        for (const f of s.faults) if (f.step === step) await inject(f);
        for (const e of ends.filter((x) => x.at === step)) {
          engine.clearFaults();
          await finishOperations(engine, s.completion);
          ends.splice(ends.indexOf(e), 1);
        }
      }
      // Redeliveries after the faults stopped come after Pub/Sub's backoff (10 s or more): by then Compute has
      // finished every accepted operation, polled or not (the fake completes them only when polled).
      if (calm) await finishOperations(engine, s.completion);
      step++;
      deliveries++;
      try {
        await handleEgressMessage(deps, msg);
      } catch {
        // Not acknowledged (RetryLaterError, a crash, anything thrown): Pub/Sub redelivers it later.
        queue.push({ i, msg });
      } finally {
        active--;
        busy.delete(project);
      }
      if (calm && deliveries > s.deliveries.length + QUIESCE_LIMIT) {
        if (queue.length)
          problems.push(`still ${queue.length} unacknowledged event(s) after ${QUIESCE_LIMIT} calm redeliveries`);
        queue.length = 0;
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: s.workers }, () => worker()));
  if (!calm) await stopAll();

  if (transport.budget < 0) problems.push(`runaway: more than ${CALL_BUDGET} API calls`);
  const rules = engine.rules(HOST, POLICY);
  problems.push(...convergenceProblems(s, policy, rules, statuses));
  let touched = 0;
  for (const [priority, before] of foreign) {
    const now = rules.find((r) => r.priority === priority);
    if (!now || !isDeepStrictEqual(now, before)) {
      touched++;
      problems.push(`unmanaged rule @${priority} ${now ? 'changed' : 'removed'}`);
    }
  }
  return { converged: problems.length === 0, unmanagedTouched: touched, problems, deliveries };
}

/**
 * Finishes every operation still RUNNING, as time passing would on Compute, then switches the engine to `next`
 * completion. (The fake completes an operation only in the mode it was created for: one created while operations
 * were slow would never finish in `immediate` mode, and a waiting adapter would poll it forever.)
 */
async function finishOperations(engine: FirewallPolicyEngine, next: Completion): Promise<void> {
  engine.setCompletion({ afterPolls: 1 });
  // A fault injected for the appliers' next calls may answer this poll; the operation is then finished later.
  for (const operation of engine.pendingOperations())
    await engine.wait({ project: HOST, operation }).catch(() => undefined);
  engine.setCompletion(next);
}

function ours(r: FirewallPolicyRule): boolean {
  return parseMarker(r.description) !== null;
}

function message(v: Version): PubSubMessage {
  return encodeEvent(
    makeEgressChange({
      project: { name: v.project, environment: 'production' },
      reason: v.reason,
      entries: v.entries,
      source: { bucket: 'chaos-bucket', object: `manifests/${v.project}.yaml`, generation: v.generation },
      time: new Date(Date.UTC(2026, 11, 1)),
    }),
  );
}

/**
 * The bucket as the applier reads it: every upload of the schedule has happened (deliveries are what is late), so each
 * object's live generation is its project's newest version, none when that is a delete.
 */
function liveBucket(s: Schedule): NonNullable<ApplyDeps['storeFor']> {
  const live = new Map([...newest(s).values()].map((v) => [`manifests/${v.project}.yaml`, v]));
  return () => ({
    stat: async (name: string) => {
      const v = live.get(name);
      return v && v.reason !== 'delete' ? { name, generation: v.generation, size: 1 } : null;
    },
  });
}

/** The newest version of each project: the highest generation, a delete beating an upsert of the same one. */
function newest(s: Schedule): Map<string, Version> {
  const out = new Map<string, Version>();
  for (const v of s.versions) {
    const cur = out.get(v.project);
    const g = BigInt(v.generation);
    if (!cur || g > BigInt(cur.generation) || (g === BigInt(cur.generation) && v.reason === 'delete'))
      out.set(v.project, v);
  }
  return out;
}

/** Why the policy is not the compile of every project's newest version (empty: converged). */
function convergenceProblems(
  s: Schedule,
  policy: PlatformPolicy,
  rules: FirewallPolicyRule[],
  statuses: StatusData[],
): string[] {
  const out: string[] = [];
  const observed = groupOwnedRules(
    rules.map(
      (r) =>
        ({
          priority: r.priority ?? 0,
          ruleName: r.ruleName ?? '',
          description: r.description ?? '',
          direction: 'EGRESS',
          action: r.action,
          enableLogging: !!r.enableLogging,
          disabled: !!r.disabled,
          match: {
            ...(r.match?.destFqdns?.length ? { destFqdns: r.match.destFqdns } : {}),
            ...(r.match?.destIpRanges?.length ? { destIpRanges: r.match.destIpRanges } : {}),
            layer4Configs: (r.match?.layer4Configs ?? []).map((l) => ({
              ipProtocol: l.ipProtocol ?? '',
              ...(l.ports?.length ? { ports: l.ports } : {}),
            })),
          },
          ...(r.targetServiceAccounts?.length ? { targetServiceAccounts: r.targetServiceAccounts } : {}),
        }) as ObservedRule,
    ),
  );
  const want = newest(s);
  for (const p of observed.keys()) if (!want.has(p)) out.push(`rules of unknown project ${p}`);
  for (const [project, v] of want) {
    const owned = observed.get(project) ?? [];
    // A deleted manifest whose delete found no rule writes no tombstone: no rule at all is that project converged.
    if (v.reason === 'delete' && owned.length === 0) continue;
    const desired = desiredRules({ name: project, environment: 'production' }, v.entries, {
      policy,
      generation: v.generation,
      reason: v.reason,
      hostProject: HOST,
    });
    const have = owned.map(ruleContent).sort();
    const expect = desired.map(ruleContent).sort();
    const failed = statuses.filter((x) => x.project === project && x.outcome === 'apply-failed').map((x) => x.error);
    if (!isDeepStrictEqual(have, expect))
      out.push(
        `${project}: ${owned.length} rule(s) [${owned.map((r) => r.ruleName).join(',')}], want ${desired.length} of ${v.reason} ${v.generation}` +
          (failed.length ? ` (apply-failed: ${failed[0]})` : ''),
      );
    const revoked = v.reason === 'delete' || v.entries.length === 0;
    const recorded = revoked ? deletedGeneration(owned) : appliedGeneration(owned);
    if (recorded !== v.generation) out.push(`${project}: records generation ${recorded}, newest is ${v.generation}`);
  }
  return out;
}

/** The figures of a run. */
export interface ChaosReport {
  seed: number;
  schedules: number;
  converged: number;
  unmanagedTouched: number;
  failures: { schedule: Schedule; result: ScheduleResult }[];
}

/** Runs schedules `from .. from+count-1` of `seed`. */
export async function runChaos(opts: {
  schedules: number;
  seed: number;
  from?: number;
  /** Let two workers apply events of one project at once (docs/reliability.md: not converging yet). */
  sameProject?: boolean;
}): Promise<ChaosReport> {
  const policy = chaosPolicy(DEFAULT_POLICY);
  const report: ChaosReport = { seed: opts.seed, schedules: 0, converged: 0, unmanagedTouched: 0, failures: [] };
  const from = opts.from ?? 0;
  for (let index = from; index < from + opts.schedules; index++) {
    const made = makeSchedule(Rng.forCase(opts.seed, index), opts.seed, index, policy);
    const schedule = opts.sameProject ? made : { ...made, sameProject: false };
    let result: ScheduleResult;
    try {
      result = await runSchedule(schedule, policy);
    } catch (err) {
      result = {
        converged: false,
        unmanagedTouched: 0,
        problems: [`harness threw: ${(err as Error).stack}`],
        deliveries: 0,
      };
    }
    report.schedules++;
    if (result.converged) report.converged++;
    report.unmanagedTouched += result.unmanagedTouched;
    if (!result.converged || result.unmanagedTouched) report.failures.push({ schedule, result });
  }
  return report;
}

/** The one summary line. */
export function chaosLine(r: ChaosReport): string {
  return `chaos: ${r.schedules} schedules, ${r.converged} converged, ${r.unmanagedTouched} unmanaged rules touched`;
}

async function main(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, ['schedules', 'seed', 'case', 'same-project']);
  const seed = intFlag(flags, 'seed', randomSeed());
  const only = flags.has('case') ? intFlag(flags, 'case', 0) : undefined;
  const schedules = only === undefined ? intFlag(flags, 'schedules', 200) : 1;
  process.stderr.write(
    `chaos: seed ${seed}${only === undefined ? '' : `, case ${only}`} (repeat with --seed ${seed})\n`,
  );
  const sameProject = flags.get('same-project') === 'true';
  const report = await runChaos({ schedules, seed, sameProject, ...(only === undefined ? {} : { from: only }) });
  for (const { schedule: s, result } of report.failures.slice(0, 20))
    process.stderr.write(
      `failed: case ${s.index}: ${result.problems.slice(0, 3).join('; ')}\n  ${describeSchedule(s)}\n` +
        `  replay: npm run chaos -- --seed ${s.seed} --case ${s.index}${sameProject ? ' --same-project' : ''}\n`,
    );
  process.stdout.write(`${chaosLine(report)}\n`);
  return report.converged === report.schedules && report.unmanagedTouched === 0 ? 0 : 1;
}

if (require.main === module)
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`chaos: ${err instanceof UsageError ? err.message : (err as Error).stack}\n`);
      process.exitCode = err instanceof UsageError ? 2 : 1;
    },
  );
