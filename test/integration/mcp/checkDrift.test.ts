/**
 * MCP `check_drift` answers exactly what `egress drift --format json` answers for the same sources (one composition,
 * runtime/agreementSources.ts): a state file with a manifests folder, the bucket (`--bucket`), and the live policy
 * (`--live`, the fake Compute's REST API over the same state); after an out-of-band change (a range added to an owned
 * rule) both say the project drifted; an unknown project is "no such project" with a did-you-mean in both.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { FirewallPolicyEngine } from '../../../local/fakes/compute';
import { type FakeComputeServer, startFakeComputeServer } from '../../../local/fakes/compute/server';
import { type FakeGcs, startFakeGcs } from '../../../local/fakes/gcs';
import { createEgressMcpServer } from '../../../shared/cli/mcp/server';
import { commandContext } from '../../../shared/runtime/context';
import type { SourceFlags } from '../../../shared/runtime/sources';
import type { DriftRun } from '../../../shared/usecases/drift';
import { runCli } from '../../support/cli';
import { DATA_PIPELINE, diagnoseFixture, PAYMENT_GATEWAY } from '../../support/diagnoseFixture';

jest.setTimeout(60_000);

const { root, dir, state } = diagnoseFixture();
let gcs: FakeGcs;
let compute: FakeComputeServer | undefined;
const saved = { ...process.env };

async function checkDrift(flags: SourceFlags, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  const server = createEgressMcpServer({ ctx: commandContext(flags, {}), version: '0.0.0-test' });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const c = new Client({ name: 'egress-test', version: '1.0.0' });
  await c.connect(b);
  try {
    return (await c.callTool({ name: 'check_drift', arguments: args })) as CallToolResult;
  } finally {
    await c.close();
  }
}

/** The sources, as MCP flags and as the same CLI flags. */
function sourcesOf(kind: 'state' | 'bucket' | 'live'): { flags: SourceFlags; cli: string[] } {
  if (kind === 'state') return { flags: { manifests: dir, state }, cli: ['--manifests', dir, '--state', state] };
  const bucket = { bucket: 'gs://egress-manifests/manifests/' };
  if (kind === 'bucket') return { flags: { ...bucket, state }, cli: ['--bucket', bucket.bucket, '--state', state] };
  const live = { computeEndpoint: compute!.url, hostProject: 'host', firewallPolicy: 'egress' };
  return {
    flags: { ...bucket, live: true, ...live },
    cli: ['--bucket', bucket.bucket, '--live', '--compute-endpoint', live.computeEndpoint, '--host-project', 'host'],
  };
}

beforeAll(async () => {
  gcs = await startFakeGcs({ buckets: ['egress-manifests'] });
  process.env.STORAGE_EMULATOR_HOST = gcs.url;
  // The Google clients must not probe the GCE metadata server (as npm start's cli.env sets it).
  process.env.METADATA_SERVER_DETECTION = 'none';
  const { Storage } = await import('@google-cloud/storage');
  const b = new Storage({ apiEndpoint: gcs.url, projectId: 'local' }).bucket('egress-manifests');
  await b.file('manifests/payment-gateway.yaml').save(PAYMENT_GATEWAY);
  await b.file('manifests/data-pipeline.yaml').save(DATA_PIPELINE);
});
afterAll(async () => {
  process.env = saved;
  await Promise.all([gcs.close(), compute?.close()]);
  rmSync(root, { recursive: true, force: true });
});

async function expectSameAnswer(kind: 'state' | 'bucket' | 'live') {
  const { flags, cli } = sourcesOf(kind);
  const tool = await checkDrift(flags);
  const run = await runCli('drift', ...cli, '--firewall-policy', 'egress', '--format', 'json');
  expect(tool.isError).toBeFalsy();
  expect(run.code).toBe(0);
  expect(tool.structuredContent).toEqual(JSON.parse(run.out));
  return JSON.parse(run.out) as DriftRun;
}

test.each(['state', 'bucket'] as const)('check_drift equals egress drift --format json (%s)', async (kind) => {
  const r = await expectSameAnswer(kind);
  // payment-gateway's rules are what its manifest compiles to (its sources read): no "sources out of date".
  expect(r.report.agreements).toEqual([
    expect.objectContaining({ project: 'data-pipeline', status: 'drifted' }),
    expect.objectContaining({ project: 'payment-gateway', status: 'in-sync' }),
  ]);
  expect(r.report.drifted.map((p) => p.project)).toEqual(['data-pipeline']);
});

test('after an out-of-band change both say the project drifted: state file, bucket and live alike', async () => {
  const file = JSON.parse(readFileSync(state, 'utf8')) as {
    policies: { rules: { ruleName?: string; match: { destIpRanges?: string[] } }[] }[];
  };
  const v4 = file.policies[0]!.rules.find((r) => r.ruleName === 'egress-payment-gateway-v4-1')!;
  v4.match.destIpRanges = [...(v4.match.destIpRanges ?? []), '8.8.0.0/16'];
  writeFileSync(state, JSON.stringify(file));
  compute = await startFakeComputeServer({ engine: FirewallPolicyEngine.load(state) });
  for (const kind of ['state', 'bucket', 'live'] as const) {
    const r = await expectSameAnswer(kind);
    const pg = r.report.drifted.find((p) => p.project === 'payment-gateway');
    expect(pg?.findings).toEqual([expect.objectContaining({ kind: 'changed', detail: 'destIpRanges +8.8.0.0/16' })]);
    expect(r.report.agreements.find((a) => a.project === 'payment-gateway')?.status).toBe('drifted');
  }
  // status and explain read the same agreement.
  const status = await runCli('status', 'payment-gateway', '--manifests', dir, '--state', state, '--format', 'json');
  expect(JSON.parse(status.out).agreement).toBe('drifted');
  const explain = await runCli(
    'explain',
    'payment-gateway',
    '8.8.8.8',
    '--manifests',
    dir,
    '--state',
    state,
    '--format',
    'json',
  );
  expect(JSON.parse(explain.out).agreement.status).toBe('drifted');
});

test('an unknown project is "no such project" with a did-you-mean, in check_drift, drift --project and status', async () => {
  const { flags, cli } = sourcesOf('state');
  const tool = await checkDrift(flags, { project: 'payment-gatewy' });
  expect(tool.isError).toBe(true);
  const message =
    'no such project payment-gatewy: no manifest in ' +
    dir +
    ' and no owned rule in the firewall (hint: did you mean payment-gateway?)';
  expect((tool.content[0] as { text: string }).text).toBe(`error: ${message}`);
  const run = await runCli('drift', ...cli, '--project', 'payment-gatewy');
  expect(run.code).toBe(2);
  expect(run.err).toContain(`error: ${message}\n`);
  const status = await runCli('status', 'payment-gatewy', ...cli);
  expect(status.code).toBe(2);
  expect(status.err).toBe(`error: ${message}\n`);
  const one = await checkDrift(flags, { project: 'payment-gateway' });
  expect(one.structuredContent).toEqual(
    JSON.parse((await runCli('drift', ...cli, '--project', 'payment-gateway', '--format', 'json')).out),
  );
});
