/**
 * `npm run bench` part (issue 4): the local pipeline's figures, on the local stack (local/stack) with the
 * functions in child processes, as `npm start` runs them.
 *
 * - upload→applied latency: from the start of the object upload to the arrival of the `applied` status event on the
 *   status subscription, for 50 sequential changes that each rewrite one rule (after a warm-up change per project,
 *   so the functions' cold starts are not counted). The status subscription is polled every 25 ms, which bounds the
 *   resolution.
 * - cold start: a fresh child process per measurement, from spawn to the response of its first invocation (node
 *   start + module load + first invocation, i.e. lazy client composition and the real I/O of one event), for the
 *   validator, the applier and a bare functions-framework function served by the same host; the median of 3 runs
 *   each, interleaved, and each function's ratio to the bare one.
 */

import { cloudEventHeaders } from '../local/fakes/gcs';
import {
  childScript,
  defaultFunctionsSource,
  type LocalStack,
  startFunctionChild,
  startLocalStack,
} from '../local/stack';
import { encodeEvent, makeEgressChange } from '../shared/core/events/codec';
import type { StatusEvent } from '../shared/core/events/types';

const PROJECTS = ['bench-alpha', 'bench-beta', 'bench-gamma', 'bench-delta', 'bench-epsilon'];
const CHANGES = 50;
const COLD_RUNS = 3;

function manifest(name: string, i: number): string {
  return [
    'apiVersion: lowops.manifests.v1',
    'kind: Project',
    'metadata:',
    `  name: ${name}`,
    '  environment: production',
    'spec:',
    '  allowedEgress:',
    '    - "api.stripe.com" # payments',
    `    - "api${i}.partner-feed.io" # change ${i}`,
    '',
  ].join('\n');
}

/** The value at quantile `q` (nearest rank) of `xs`. */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? Number.NaN;
}

async function change(stack: LocalStack, project: string, i: number): Promise<{ ms: number; status: StatusEvent }> {
  const object = `${stack.prefix}${project}.yaml`;
  const t0 = performance.now();
  const obj = await stack.store.write(object, Buffer.from(manifest(project, i)), { contentType: 'application/yaml' });
  const status = await stack.waitForStatus(
    (s) => s.data.source?.object === object && s.data.source.generation === obj.generation,
    30_000,
  );
  const ms = performance.now() - t0;
  if (status.data.outcome !== 'applied')
    throw new Error(`${object} ended ${status.data.outcome}: ${status.data.reason ?? ''} ${status.data.error ?? ''}`);
  return { ms, status };
}

/** Spawns a fresh host for `target`, invokes it once with `request`, and returns spawn→first response in ms. */
async function coldStart(
  stack: LocalStack,
  target: string,
  source: string,
  request: { path: string; headers: Record<string, string>; body: string },
): Promise<number> {
  const t0 = performance.now();
  const fn = await startFunctionChild({
    target,
    source,
    env: { ...process.env, ...stack.env, NODE_ENV: 'production' },
  });
  try {
    const res = await fetch(`${fn.url}${request.path}`, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
    });
    await res.arrayBuffer();
    if (res.status >= 300) throw new Error(`${target}: first invocation answered HTTP ${res.status}`);
    return performance.now() - t0;
  } finally {
    await fn.stop();
  }
}

/** Runs the pipeline figures; resolves with the report lines. */
export async function benchPipeline(): Promise<string[]> {
  const stack = await startLocalStack({ mode: 'child' });
  try {
    // Warm-up: one change per project (cold functions, first rules of each project); not measured.
    for (const [k, p] of PROJECTS.entries()) await change(stack, p, 1000 + k);
    const latencies: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const { ms } = await change(stack, PROJECTS[i % PROJECTS.length]!, i);
      latencies.push(ms);
    }

    // Cold start requests: a storage finalize of a live manifest for the validator; for the applier (and the bare
    // function) the Pub/Sub push body of an egress change the firewall already reflects (one read, no write).
    const project = PROJECTS[0]!;
    const { status } = await change(stack, project, 9999);
    await stack.gcs.flushNotifications();
    const ev = [...stack.gcs.events]
      .reverse()
      .find((e) => e.type.endsWith('.finalized') && e.data.name === `${stack.prefix}${project}.yaml`)!;
    const storageRequest = { path: '/', headers: cloudEventHeaders(ev), body: JSON.stringify(ev.data) };
    const msg = encodeEvent(
      makeEgressChange({
        project: { name: project, environment: 'production' },
        reason: 'replay',
        entries: [
          { value: 'api.stripe.com', type: 'hostname', description: 'payments' },
          { value: 'api9999.partner-feed.io', type: 'hostname', description: 'change 9999' },
        ],
        source: status.data.source!,
      }),
    );
    const pushRequest = {
      path: `/projects/${stack.projectId}/topics/${stack.topics.changes}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        subscription: `projects/${stack.projectId}/subscriptions/bench-cold-start`,
        message: {
          data: msg.data.toString('base64'),
          attributes: msg.attributes,
          messageId: 'cold-start-1',
          publishTime: new Date().toISOString(),
        },
      }),
    };
    const functions = defaultFunctionsSource();
    const bare = childScript('local/bareFunction.ts').file;
    const runs = { validator: [] as number[], applier: [] as number[], bare: [] as number[] };
    for (let i = 0; i < COLD_RUNS; i++) {
      runs.bare.push(await coldStart(stack, 'bareCloudEvent', bare, pushRequest));
      runs.validator.push(await coldStart(stack, 'egressValidator', functions, storageRequest));
      runs.applier.push(await coldStart(stack, 'egressApplier', functions, pushRequest));
    }
    const med = (xs: number[]) => quantile(xs, 0.5);
    const b = med(runs.bare);
    const f = (ms: number) => ms.toFixed(0);
    return [
      `pipeline: upload->applied p50 ${f(quantile(latencies, 0.5))} ms, p95 ${f(quantile(latencies, 0.95))} ms (${CHANGES} changes, functions in child processes)`,
      `cold start: validator ${f(med(runs.validator))} ms (${(med(runs.validator) / b).toFixed(1)}x bare), ` +
        `applier ${f(med(runs.applier))} ms (${(med(runs.applier) / b).toFixed(1)}x bare), bare ${f(b)} ms ` +
        `(spawn to first response, median of ${COLD_RUNS})`,
    ];
  } finally {
    await stack.stop();
  }
}

if (require.main === module) {
  benchPipeline().then(
    (lines) => {
      for (const l of lines) process.stdout.write(`${l}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`bench/pipeline: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
