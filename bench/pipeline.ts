/**
 * `npm run bench` part (issue 4): the local pipeline's figures, on the local stack (local/program/stack) with the
 * functions in child processes, as `npm start` runs them.
 *
 * - upload→applied latency: from the start of the object upload to the arrival of the `applied` status event on the
 *   status subscription, for 50 sequential changes that each rewrite one rule (after a warm-up change per project,
 *   so the functions' cold starts are not counted). The status subscription is polled every 25 ms, which bounds the
 *   resolution.
 * - cold start (bench/coldstart.ts): the packaged functions (`npm run package`) served by the real functions-framework
 *   CLI, from spawn to the answer to their first real event, against a bare function, in paired rounds.
 */

import { cloudEventHeaders } from '../local/fakes/gcs';
import { type LocalStack, REPO_ROOT, startLocalStack } from '../local/program/stack';
import { encodeEvent, makeEgressChange } from '../shared/core/events/codec';
import type { StatusEvent } from '../shared/core/events/types';
import { COLD_ROUNDS, coldStartFigures } from './coldstart';

const PROJECTS = ['bench-alpha', 'bench-beta', 'bench-gamma', 'bench-delta', 'bench-epsilon'];
const CHANGES = 50;

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

/** Runs the pipeline figures (`changes` measured changes, `coldRounds` paired cold-start rounds); the report lines. */
export async function benchPipeline(changes = CHANGES, coldRounds = COLD_ROUNDS): Promise<string[]> {
  const stack = await startLocalStack({ mode: 'child' });
  try {
    // Target mode subnets (the default): each bench project gets its own Shared VPC subnet first.
    stack.compute.engine.directory.putSubnetworks(
      stack.hostProject,
      PROJECTS.map((p, k) => ({
        name: `${p}-usc1`,
        region: 'us-central1',
        network: `https://www.googleapis.com/compute/v1/projects/${stack.hostProject}/global/networks/shared-vpc`,
        ipCidrRange: `10.200.${k}.0/24`,
      })),
    );
    // Warm-up: one change per project (cold functions, first rules of each project); not measured.
    for (const [k, p] of PROJECTS.entries()) await change(stack, p, 1000 + k);
    const latencies: number[] = [];
    for (let i = 0; i < changes; i++) {
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
    const med = (xs: number[]) => quantile(xs, 0.5);
    const f = (ms: number) => ms.toFixed(0);
    const cold = await coldStartFigures(
      REPO_ROOT,
      { ...process.env, ...stack.env, NODE_ENV: 'production' },
      {
        storage: storageRequest,
        push: pushRequest,
      },
      coldRounds,
    );
    return [
      `pipeline: upload->applied p50 ${f(med(latencies))} ms, p95 ${f(quantile(latencies, 0.95))} ms (${changes} changes, functions in child processes)`,
      ...cold,
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
