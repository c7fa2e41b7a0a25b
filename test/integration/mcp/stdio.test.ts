/**
 * `egress mcp` end to end, as an assistant starts it: the SDK's Client spawns `node bin/egress.js mcp` (the built CLI,
 * over stdio) with the manifests folder and the state file as flags and the fake Cloud Logging in the environment,
 * lists the five tools and calls each. `npm run build` first (incremental: nothing to compile when dist/ is current).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { type FakeLoggingServer, startFakeLogging } from '../../../local/fakes/logging';
import { runCli } from '../../support/cli';
import { diagnoseFixture } from '../../support/diagnoseFixture';

jest.setTimeout(180_000);

const ROOT = join(__dirname, '../../..');
const { dir, state } = diagnoseFixture();
let fake: FakeLoggingServer;
let client: Client;
let stderr = '';

beforeAll(async () => {
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore', timeout: 170_000 });
  fake = await startFakeLogging();
  expect(
    (await runCli('probe', 'payment-gateway', 'blocked.example', '--state', state, '--logging-endpoint', fake.url))
      .code,
  ).toBe(0);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [join(ROOT, 'bin/egress.js'), 'mcp', '--manifests', dir, '--state', state],
    cwd: ROOT,
    env: { ...getDefaultEnvironment(), EGRESS_LOGGING_ENDPOINT: fake.url },
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  client = new Client({ name: 'egress-stdio-test', version: '1.0.0' });
  await client.connect(transport);
});
afterAll(async () => {
  await client?.close();
  await fake?.close();
});

const call = async (name: string, args: Record<string, unknown>) => {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  expect(r.isError).toBeFalsy();
  return r.structuredContent as Record<string, unknown>;
};

it('lists the five tools and answers each with structured content over stdio', async () => {
  expect(client.getServerVersion()).toMatchObject({ name: 'infrastream-egress' });
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual([
    'check_drift',
    'draft_egress_change',
    'explain_egress',
    'get_project_egress',
    'list_denied_connections',
  ]);
  expect(await call('get_project_egress', { project: 'payment-gateway' })).toMatchObject({
    manifest: { found: true, valid: true },
    firewall: { consulted: true },
  });
  expect(await call('explain_egress', { project: 'payment-gateway', destination: 'api.stripe.com' })).toMatchObject({
    allowed: true,
    status: 'allowed',
  });
  const denials = await call('list_denied_connections', { project: 'payment-gateway', since: '1h' });
  expect(denials.groups).toEqual([
    expect.objectContaining({
      hostname: 'blocked.example',
      class: 'DENIED_ELSEWHERE',
      rule: expect.objectContaining({ ruleName: 'security-block' }),
    }),
  ]);
  const drift = await call('check_drift', { project: 'data-pipeline' });
  expect(drift).toMatchObject({ project: 'data-pipeline', report: { clean: false } });
  const draft = await call('draft_egress_change', {
    project: 'payment-gateway',
    destination: 'api.newpartner.com',
    reason: 'partner orders',
  });
  expect(draft).toMatchObject({ status: 'drafted', entry: 'api.newpartner.com' });
  // stdout carries the protocol only; nothing was reported on stderr.
  expect(stderr).toBe('');
});
