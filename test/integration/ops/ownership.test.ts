/**
 * One ownership registry (issue 20): only the product's marker makes a rule a project's own. A rule of the policy
 * marked by another tool (`managed-by=someone-else project=data-pipeline …`) is nobody's project for every reader:
 * `egress status`, the MCP `get_project_egress` tool and `egress denials`, as for `egress plan` and `egress drift`.
 * The world: diagnoseFixture (data-pipeline has a manifest and no rule yet) plus that rule, which carries the hostname
 * data-pipeline lists but sources no workload uses (so it allows nothing the probe sends).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { type FakeLoggingServer, startFakeLogging } from '../../../local/fakes/logging';
import { createEgressMcpServer } from '../../../shared/cli/mcp/server';
import { commandContext } from '../../../shared/runtime/context';
import type { DenialsResult } from '../../../shared/usecases/denials';
import type { ProjectEgressResult } from '../../../shared/usecases/projectEgress';
import type { ProjectStatus } from '../../../shared/usecases/status';
import { runCli } from '../../support/cli';
import { diagnoseFixture } from '../../support/diagnoseFixture';

const FOREIGN = 'managed-by=someone-else project=data-pipeline generation=1 hash=abcdef | partner feed';
const { dir, state } = diagnoseFixture();
const saved = JSON.parse(readFileSync(state, 'utf8')) as { policies: { rules: unknown[] }[] };
saved.policies[0]!.rules.push({
  priority: 1500,
  action: 'allow',
  direction: 'EGRESS',
  description: FOREIGN,
  ruleName: 'egress-data-pipeline-fqdn-1',
  enableLogging: true,
  match: {
    destFqdns: ['feeds.partner-data.com'],
    srcIpRanges: ['10.250.0.0/24'],
    layer4Configs: [{ ipProtocol: 'all' }],
  },
});
writeFileSync(state, JSON.stringify(saved, null, 2));

let fake: FakeLoggingServer;
beforeAll(async () => {
  fake = await startFakeLogging();
});
afterAll(async () => {
  await fake.close();
});

const src = ['--manifests', dir, '--state', state];

it('egress status: the other tool’s rule is not data-pipeline’s (no rule, its rule missing)', async () => {
  const r = await runCli('status', 'data-pipeline', ...src, '--format', 'json');
  expect(r).toMatchObject({ code: 0, err: '' });
  const s = JSON.parse(r.out) as ProjectStatus;
  expect(s.rules).toEqual([]);
  expect(s.appliedGeneration).toBeUndefined();
  expect(s.findings.map((f) => f.kind)).toEqual(['missing']);
});

it('MCP get_project_egress: no owned rule for data-pipeline', async () => {
  const server = createEgressMcpServer({
    ctx: commandContext({ manifests: dir, state }, {}),
    version: '0.0.0-test',
  });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: 'egress-test', version: '1.0.0' });
  await client.connect(b);
  try {
    const r = (await client.callTool({
      name: 'get_project_egress',
      arguments: { project: 'data-pipeline' },
    })) as CallToolResult;
    expect(r.isError).toBeFalsy();
    const s = r.structuredContent as unknown as ProjectEgressResult;
    expect(s.firewall.consulted).toBe(true);
    expect(s.firewall.rules).toEqual([]);
  } finally {
    await client.close();
  }
});

it('egress denials: a listed hostname only the other tool’s rule carries is "not applied yet" for data-pipeline', async () => {
  const probe = await runCli(
    'probe',
    'data-pipeline',
    'feeds.partner-data.com',
    '--state',
    state,
    '--logging-endpoint',
    fake.url,
  );
  expect(probe).toMatchObject({ code: 0 });
  const r = await runCli('denials', 'data-pipeline', ...src, '--logging-endpoint', fake.url, '--format', 'json');
  expect(r).toMatchObject({ code: 0, err: '' });
  const j = JSON.parse(r.out) as DenialsResult;
  expect(j.groups).toEqual([
    expect.objectContaining({
      hostname: 'feeds.partner-data.com',
      class: 'LISTED_DNS_MISMATCH',
      mismatch: { reason: 'NOT_APPLIED' },
    }),
  ]);
  expect(j.groups[0]!.detail).toContain('no rule of the project carries it yet');
});

it('egress plan and egress drift keep ignoring it: data-pipeline’s rule is missing, the other rule is not extra', async () => {
  const plan = await runCli('plan', dir, '--state', state, '--format', 'json');
  expect(plan).toMatchObject({ code: 0 });
  expect(plan.out).toContain('egress-data-pipeline-fqdn-1');
  const p = JSON.parse(plan.out) as { delete?: unknown[]; update?: unknown[] };
  expect(JSON.stringify(p.delete ?? [])).not.toContain('someone-else');
  expect(JSON.stringify(p.update ?? [])).not.toContain('someone-else');
  const drift = await runCli('drift', ...src, '--project', 'data-pipeline', '--format', 'json');
  const d = JSON.parse(drift.out) as { report: { drifted: { project: string; findings: { kind: string }[] }[] } };
  expect(d.report.drifted.find((x) => x.project === 'data-pipeline')?.findings.map((f) => f.kind)).toEqual(['missing']);
});
