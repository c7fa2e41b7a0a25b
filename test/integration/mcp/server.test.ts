/**
 * The MCP server through the SDK's own Client over the in-memory transport: the five tools with their schemas and
 * annotations, structured answers that equal the CLI's JSON (the same use cases), and failures as tool errors in
 * the CLI's words. The world: diagnoseFixture (manifests folder + state file + dns.json) and the fake Cloud Logging,
 * with connections probed through `egress probe` first.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { type FakeLoggingServer, startFakeLogging } from '../../../local/fakes/logging';
import { createEgressMcpServer } from '../../../shared/cli/mcp/server';
import { validateManifest } from '../../../shared/core/manifest/validate';
import { DEFAULT_POLICY } from '../../../shared/core/policy/defaults';
import { commandContext } from '../../../shared/runtime/context';
import type { DenialsResult } from '../../../shared/usecases/denials';
import type { DraftResult } from '../../../shared/usecases/draftChange';
import type { ExplainAnswer } from '../../../shared/usecases/explain';
import type { ProjectEgressResult } from '../../../shared/usecases/projectEgress';
import { runCli } from '../../support/cli';
import { diagnoseFixture, PAYMENT_GATEWAY } from '../../support/diagnoseFixture';

const TOOLS = ['check_drift', 'draft_egress_change', 'explain_egress', 'get_project_egress', 'list_denied_connections'];

const { dir, state } = diagnoseFixture();
let fake: FakeLoggingServer;
let client: Client;

async function connect(flags: Record<string, unknown>): Promise<Client> {
  const server = createEgressMcpServer({ ctx: commandContext(flags, {}), version: '0.0.0-test' });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const c = new Client({ name: 'egress-test', version: '1.0.0' });
  await c.connect(b);
  return c;
}

const call = async (name: string, args: Record<string, unknown>) =>
  (await client.callTool({ name, arguments: args })) as CallToolResult;

const textOf = (r: CallToolResult) =>
  r.content
    .filter((c) => c.type === 'text')
    .map((c) => (c as { text: string }).text)
    .join('\n');

beforeAll(async () => {
  fake = await startFakeLogging();
  for (const dest of ['api.unlisted.example', 'cdn.example.com', 'blocked.example'])
    expect(
      (await runCli('probe', 'payment-gateway', dest, '--state', state, '--logging-endpoint', fake.url)).code,
    ).toBe(0);
  client = await connect({ manifests: dir, state, loggingEndpoint: fake.url });
});
afterAll(async () => {
  await client?.close();
  await fake?.close();
});

describe('tools/list', () => {
  it('lists the five tools, each with an input schema, an output schema and read-only annotations', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    for (const t of tools) {
      expect(t.inputSchema.type).toBe('object');
      expect(t.outputSchema?.type).toBe('object');
      expect(t.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, idempotentHint: true });
      expect(typeof t.annotations?.openWorldHint).toBe('boolean');
      expect(t.description).toBeTruthy();
    }
    const by = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(by.explain_egress!.inputSchema.required).toEqual(['project', 'destination']);
    expect(by.list_denied_connections!.inputSchema.required).toEqual(['project']);
    expect(by.draft_egress_change!.inputSchema.required).toEqual(['project', 'destination', 'reason']);
    expect(by.check_drift!.inputSchema.required ?? []).toEqual([]);
  });
});

describe('structured answers, the same as the CLI', () => {
  it('get_project_egress: the manifest entries and the owned rules of the project', async () => {
    const r = await call('get_project_egress', { project: 'payment-gateway' });
    expect(r.isError).toBeFalsy();
    const s = r.structuredContent as unknown as ProjectEgressResult;
    expect(s.manifest).toMatchObject({ path: join(dir, 'payment-gateway.yaml'), found: true, valid: true });
    expect(s.manifest.entries.map((e) => e.value)).toEqual(['api.stripe.com', 'cdn.example.com', '*.googleapis.com']);
    expect(s.firewall.consulted).toBe(true);
    expect(s.firewall.rules.length).toBeGreaterThan(0);
    expect(s.firewall.rules.every((x) => x.generation === '3' && x.action === 'allow')).toBe(true);
    expect(s.firewall.rules.flatMap((x) => x.destinations)).toEqual(expect.arrayContaining(['api.stripe.com']));
    // The foreign rule and the baseline are not the project's.
    expect(s.firewall.rules.map((x) => x.ruleName)).not.toContain('security-block');
    const none = (await call('get_project_egress', { project: 'no-such-project' })).structuredContent;
    expect(none).toMatchObject({ manifest: { found: false, entries: [] }, firewall: { rules: [] } });
  });

  it('explain_egress: equals `egress explain --format json`; with evidence it carries the denials', async () => {
    const r = await call('explain_egress', { project: 'payment-gateway', destination: 'api.newpartner.com' });
    const cli = await runCli(
      'explain',
      'payment-gateway',
      'api.newpartner.com',
      '--manifests',
      dir,
      '--state',
      state,
      '--format',
      'json',
    );
    expect(r.structuredContent).toEqual(JSON.parse(cli.out));
    const s = r.structuredContent as unknown as ExplainAnswer;
    expect(s).toMatchObject({ allowed: false, fix: { entry: 'api.newpartner.com' } });
    expect(textOf(r)).toContain(s.summary);
    const ev = await call('explain_egress', {
      project: 'payment-gateway',
      destination: 'api.unlisted.example',
      evidence: true,
      since: '1h',
    });
    const e = (ev.structuredContent as unknown as ExplainAnswer).evidence!;
    expect(e.groups).toEqual([expect.objectContaining({ class: 'NOT_LISTED', hostname: 'api.unlisted.example' })]);
    expect(textOf(ev)).toContain('evidence (firewall logs):');
  });

  it('list_denied_connections: the three classes, as `egress denials --format json` reports them', async () => {
    const r = await call('list_denied_connections', { project: 'payment-gateway', since: '1h' });
    expect(r.isError).toBeFalsy();
    const s = r.structuredContent as unknown as DenialsResult;
    const cli = JSON.parse(
      (
        await runCli(
          'denials',
          'payment-gateway',
          '--manifests',
          dir,
          '--state',
          state,
          '--logging-endpoint',
          fake.url,
          '--format',
          'json',
        )
      ).out,
    ) as DenialsResult;
    expect(s.groups).toEqual(cli.groups);
    const by = Object.fromEntries(s.groups.map((g) => [g.hostname, g]));
    expect(by['api.unlisted.example']).toMatchObject({
      class: 'NOT_LISTED',
      fix: { file: join(dir, 'payment-gateway.yaml'), line: '- "api.unlisted.example"' },
    });
    expect(by['cdn.example.com']).toMatchObject({ class: 'LISTED_DNS_MISMATCH', mismatch: { reason: 'ROTATION' } });
    expect(by['blocked.example']).toMatchObject({ class: 'DENIED_ELSEWHERE', rule: { ruleName: 'security-block' } });
    const one = await call('list_denied_connections', { project: 'payment-gateway', destination: 'blocked.example' });
    expect((one.structuredContent as unknown as DenialsResult).groups.map((g) => g.hostname)).toEqual([
      'blocked.example',
    ]);
  });

  it('check_drift: the project without rules is missing; one project narrows the report', async () => {
    const all = await call('check_drift', {});
    expect(all.isError).toBeFalsy();
    const report = (
      all.structuredContent as { report: { drifted: { project: string; findings: { kind: string }[] }[] } }
    ).report;
    const dp = report.drifted.find((p) => p.project === 'data-pipeline');
    expect(dp?.findings.map((f) => f.kind)).toContain('missing');
    const one = await call('check_drift', { project: 'data-pipeline' });
    expect(one.structuredContent).toMatchObject({ project: 'data-pipeline', report: { clean: false } });
    const drifted = (one.structuredContent as { report: { drifted: { project: string }[] } }).report.drifted;
    expect(drifted.map((p) => p.project)).toEqual(['data-pipeline']);
    expect(textOf(one)).toContain('data-pipeline');
  });

  it('draft_egress_change: the diff and a pull request text, valid by the validator; nothing is written', async () => {
    const r = await call('draft_egress_change', {
      project: 'payment-gateway',
      destination: 'https://api.newpartner.com/v1/orders',
      reason: 'order sync with the partner',
    });
    expect(r.isError).toBeFalsy();
    const d = r.structuredContent as unknown as DraftResult;
    expect(d).toMatchObject({
      status: 'drafted',
      file: join(dir, 'payment-gateway.yaml'),
      entry: 'api.newpartner.com',
      line: '- "api.newpartner.com"  # order sync with the partner',
    });
    expect(d.diff).toContain('\n+    - "api.newpartner.com"  # order sync with the partner\n');
    expect(d.diff.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'))).toHaveLength(1);
    expect(d.pullRequest!.title).toBe('egress(payment-gateway): allow api.newpartner.com');
    expect(d.pullRequest!.body).toContain('order sync with the partner');
    expect(d.pullRequest!.body).toContain(d.diff.trimEnd());
    // Applying the diff's one added line gives a manifest the validator accepts with the new entry.
    const after = PAYMENT_GATEWAY.replace(
      '    - "*.googleapis.com"  # Google Cloud APIs\n',
      '    - "*.googleapis.com"  # Google Cloud APIs\n    - "api.newpartner.com"  # order sync with the partner\n',
    );
    const v = validateManifest(after, { path: 'payment-gateway.yaml', policy: DEFAULT_POLICY });
    expect(v.valid).toBe(true);
    expect(v.egress.map((e) => e.value)).toContain('api.newpartner.com');
    expect(readFileSync(join(dir, 'payment-gateway.yaml'), 'utf8')).toBe(PAYMENT_GATEWAY);
    const listed = await call('draft_egress_change', {
      project: 'payment-gateway',
      destination: 'api.stripe.com',
      reason: 'payments',
    });
    expect(listed.structuredContent).toMatchObject({ status: 'already-listed', diff: '', pullRequest: null });
    const fresh = await call('draft_egress_change', {
      project: 'new-project',
      destination: 'api.example-vendor.com',
      reason: 'first egress',
    });
    const f = fresh.structuredContent as unknown as DraftResult;
    // The fixture's folder is in no git work tree and not under the current directory: the path from the folder.
    expect(f.file).toBe(join(dir, 'new-project.yaml'));
    expect(f.diff.startsWith('--- /dev/null\n+++ b/new-project.yaml\n@@ -0,0 +1,8 @@')).toBe(true);
  });
});

describe('errors are tool errors in the CLI words', () => {
  it('a bad project key: the same message and hint as `egress explain`', async () => {
    const r = await call('explain_egress', { project: 'Bad_Key', destination: 'api.example.com' });
    const cli = await runCli('explain', 'Bad_Key', 'api.example.com', '--manifests', dir);
    expect(cli.code).toBe(2);
    expect(r.isError).toBe(true);
    expect(textOf(r)).toBe(cli.err.trim());
    expect(textOf(r)).toMatch(/\(hint: /);
  });

  it('a bad duration: the same message as `egress denials`', async () => {
    const r = await call('list_denied_connections', { project: 'payment-gateway', since: '1week' });
    const cli = await runCli('denials', 'payment-gateway', '--since', '1week', '--state', state);
    expect(r.isError).toBe(true);
    expect(textOf(r)).toBe(cli.err.trim());
  });

  it('draft refuses what the validator refuses, with its message and hint', async () => {
    const r = await call('draft_egress_change', {
      project: 'payment-gateway',
      destination: '0.0.0.0/0',
      reason: 'everything',
    });
    expect(r.isError).toBe(true);
    const ex = JSON.parse(
      (await runCli('explain', 'payment-gateway', '0.0.0.0/0', '--manifests', dir, '--format', 'json')).out,
    ) as ExplainAnswer;
    expect(ex.cannotList).not.toBeNull();
    expect(textOf(r)).toBe(
      `error: ${ex.cannotList!.entry}: ${ex.cannotList!.reason} (hint: ${ex.cannotList!.hint ?? 'the validator refuses this entry'})`,
    );
    const special = await call('draft_egress_change', {
      project: 'payment-gateway',
      destination: 'api.unlisted.example',
      reason: 'a test host',
    });
    expect(special.isError).toBe(true);
    expect(textOf(special)).toMatch(/^error: .*special-use.*\(hint: /);
    const empty = await call('draft_egress_change', {
      project: 'payment-gateway',
      destination: 'a.example',
      reason: ' ',
    });
    expect(empty).toMatchObject({ isError: true });
    expect(textOf(empty)).toMatch(/^error: reason is empty \(hint: /);
  });

  it('arguments outside the input schema are refused before any use case runs', async () => {
    const r = await call('explain_egress', { project: 'payment-gateway' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/destination/);
  });

  it('without a firewall source, check_drift says which flag is missing', async () => {
    const c = await connect({ manifests: dir });
    try {
      const r = (await c.callTool({ name: 'check_drift', arguments: {} })) as CallToolResult;
      expect(r.isError).toBe(true);
      expect(textOf(r)).toBe(
        'error: drift needs the firewall: --state FILE (the fake Compute) or --live (the live policy)',
      );
    } finally {
      await c.close();
    }
  });
});
