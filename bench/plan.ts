/**
 * `npm run bench` part (issue 3): plan time for 5,000 projects × 12 entries against a policy holding all their rules,
 * and the Compute API calls of a no-op event and of a one-entry change, counted by the fake Compute engine through
 * the production adapter (fake client transport).
 */
import { performance } from 'node:perf_hooks';
import {
  FakeGlobalOperationsClient,
  FakeNetworkFirewallPoliciesClient,
  FirewallPolicyEngine,
  fakeSubnetworksClient,
} from '../local/fakes/compute';
import { computeFirewall, toApiRule } from '../shared/adapters/compute';
import { computeSubnetSource } from '../shared/adapters/subnets';
import { makeEgressChange } from '../shared/core/events/codec';
import { allocatePriorities, compileProject, previewPlan } from '../shared/core/firewall';
import type { DesiredRule, ObservedRule } from '../shared/core/firewall/types';
import type { EgressEntry, ProjectMeta } from '../shared/core/manifest/types';
import { DEFAULT_POLICY } from '../shared/core/policy';
import { singlePolicy } from '../shared/ports/firewall';
import { nullLogger } from '../shared/ports/logger';
import { applyChange } from '../shared/usecases/applyChange';
import { benchSubnetwork, benchWorkloads } from './subnets';

const VENDORS = ['stripe', 'slack', 'sendgrid', 'twilio', 'datadoghq', 'sentry', 'segment', 'okta', 'github'];

/** Deterministic entries of project `i`: 9 hostnames, 2 IPv4 ranges, 1 wildcard (expanding to v4 + v6). */
export function projectEntries(i: number, n = 12): EgressEntry[] {
  const out: EgressEntry[] = [];
  for (let j = 0; j < n - 3; j++)
    out.push({
      value: `api${j}.${VENDORS[(i + j) % VENDORS.length]}-${i % 97}.com`,
      type: 'hostname',
      description: `partner ${j}`,
    });
  out.push({ value: `34.${(i >> 8) & 255}.${i & 255}.0/24`, type: 'cidr' });
  out.push({ value: `35.${(i >> 8) & 255}.${i & 255}.0/24`, type: 'cidr' });
  out.push({ value: '*.googleapis.com', type: 'wildcard', description: 'Google APIs' });
  return out;
}

const meta = (i: number): ProjectMeta => ({ name: `project-${i}`, environment: 'production' });

/** Warm-up runs (JIT) before the measured rounds, and the measured rounds (the figure is their median). */
export const WARMUP = 1;
export const ROUNDS = 5;

/**
 * Runs `fn` WARMUP times unmeasured, then ROUNDS times; the median time and the last result. `setup` (not timed)
 * makes each run's input.
 */
export function timed<I, T>(setup: () => I, fn: (input: I) => T): { ms: number; value: T } {
  let value = fn(setup());
  for (let i = 1; i < WARMUP; i++) value = fn(setup());
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const input = setup();
    const t0 = performance.now();
    value = fn(input);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, value };
}

const fmt = (x: number): string => `${x.toFixed(0)} ms`;

/** Compiles project i (target mode subnets, the default: its one bench subnet is the rules' source). */
const compile = (i: number, es: EgressEntry[], generation: string, policy = DEFAULT_POLICY) =>
  compileProject(meta(i), es, { policy, generation, workloads: benchWorkloads(meta(i).name, i) });

/** `egress plan`'s planning step over one global policy: every project's changes and the patches of its event. */
const planAll = (rules: ObservedRule[], desired: Map<string, DesiredRule[]>, policy = DEFAULT_POLICY) =>
  previewPlan([{ ref: { name: 'global' }, snapshot: { rules } }], desired, () => ({ ref: { name: 'global' } }), policy);
const patches = (r: ReturnType<typeof planAll>) => r.previews.reduce((n, p) => n + p.writes.length, 0);

/** Runs the measurements over `projects` projects (a multiple of 100); one line per figure. */
export async function benchPlan(projects = 5000): Promise<string[]> {
  const out: string[] = [];
  const policy = DEFAULT_POLICY;
  const how = `median of ${ROUNDS} after ${WARMUP} warm-up`;

  // Desired state of every project, then a "current" policy that already holds all of it.
  const compiled = timed(
    () => undefined,
    () => {
      const d = new Map<string, DesiredRule[]>();
      for (let i = 0; i < projects; i++) d.set(meta(i).name, compile(i, projectEntries(i), '1', policy));
      return d;
    },
  );
  const desired = compiled.value;
  const taken = new Set<number>();
  const current: ObservedRule[] = [];
  for (const [name, rules] of desired) {
    const prios = allocatePriorities(taken, rules.length, policy, name);
    rules.forEach((r, k) => {
      taken.add(prios[k]!);
      current.push({ ...r, priority: prios[k]! });
    });
  }
  out.push(`plan: ${projects} projects × 12 entries = ${current.length} rules; compile ${fmt(compiled.ms)} (${how})`);

  // Each round plans fresh copies of the rules (made untimed), so ruleContent's per-rule memo starts empty, as in a
  // real plan.
  const fresh = <T extends object>(xs: readonly T[]): T[] => xs.map((x) => ({ ...x }));
  const freshMap = (m: Map<string, DesiredRule[]>) => new Map([...m].map(([k, v]) => [k, fresh(v)]));
  const same = timed(
    () => [fresh(current), freshMap(desired)] as const,
    ([c, d]) => planAll(c, d, policy),
  );
  out.push(
    `plan: all ${projects} projects, nothing changed: ${fmt(same.ms)} (${same.value.plan.unchanged} unchanged, ${patches(same.value)} writes planned; ${how})`,
  );

  // One entry changed in 1% of the projects.
  const changed = new Map(desired);
  for (let i = 0; i < projects; i += 100) {
    const es = projectEntries(i);
    es[0] = { ...es[0]!, value: `new-endpoint.example-${i}.com` };
    changed.set(meta(i).name, compile(i, es, '2', policy));
  }
  const one = timed(
    () => [fresh(current), freshMap(changed)] as const,
    ([c, d]) => planAll(c, d, policy),
  );
  const p = one.value.plan;
  out.push(
    `plan: all ${projects} projects, 1 entry changed in ${projects / 100}: ${fmt(one.ms)} (${p.update.length} updates, ${p.create.length} creates, ${p.delete.length} deletes, ${patches(one.value)} writes planned; ${how})`,
  );

  // API economy on the fake engine: 50 projects already applied, then a redelivery and a one-entry change.
  const engine = new FirewallPolicyEngine({
    completion: { afterPolls: 1 },
    capacity: { attributesPerPolicy: 1_000_000, fqdnsPerPolicy: 1_000_000 },
  });
  engine.createPolicy('host', 'egress', { rules: current.slice(0, 150).map((r) => toApiRule(r, r.priority)) });
  engine.directory.putSubnetworks('host', [benchSubnetwork('host', meta(7).name, 7)]);
  const deps = {
    policies: singlePolicy(
      computeFirewall({
        project: 'host',
        policy: 'egress',
        policies: new FakeNetworkFirewallPoliciesClient(engine),
        operations: new FakeGlobalOperationsClient(engine),
      }),
    ),
    policy,
    logger: nullLogger,
    clock: { now: () => Date.now(), sleep: async () => undefined },
    workloads: { subnets: computeSubnetSource('host', fakeSubnetworksClient(engine.directory)) },
  };
  const event = (gen: string, es: EgressEntry[]) =>
    makeEgressChange({
      project: meta(7),
      reason: 'upsert',
      entries: es,
      source: { bucket: 'b', object: 'manifests/project-7.yaml', generation: gen },
    });
  engine.resetCounters();
  await applyChange(deps, event('1', projectEntries(7)));
  let c = engine.counters();
  out.push(`apply: no-op event: ${c.reads} read, ${c.writes} writes, ${c.polls} operation polls`);
  const es = projectEntries(7);
  es[0] = { ...es[0]!, value: 'new-endpoint.example.com' };
  engine.resetCounters();
  const r = await applyChange(deps, event('2', es));
  c = engine.counters();
  out.push(
    `apply: one-entry change (project of ${r.plan.update + r.plan.unchanged} rules): ${c.reads} read, ${c.writes} write (${r.plan.update} rule updated, ${r.plan.unchanged} untouched), ${c.polls} operation poll`,
  );
  return out;
}

if (require.main === module)
  benchPlan().then(
    (lines) => process.stdout.write(`${lines.join('\n')}\n`),
    (err) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exitCode = 1;
    },
  );
