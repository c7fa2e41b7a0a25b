/**
 * Evidence that says what it is (issue 18 item 3): `egress denials`, `egress explain --evidence` and MCP
 * `list_denied_connections` say what evidence was available, the same in text and JSON, when (a) the network has no
 * DNS query logging, (b) a deny rule writes no firewall log, (c) reading the logs is denied. The world: diagnoseFixture
 * (host project `host`, network `shared-vpc`), its state file changed per case, the fake Cloud Logging.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { type FakeLoggingServer, startFakeLogging } from '../../../local/fakes/logging';
import { createEgressMcpServer } from '../../../shared/cli/mcp/server';
import { commandContext } from '../../../shared/runtime/context';
import type { DenialsResult } from '../../../shared/usecases/denials';
import type { ExplainAnswer } from '../../../shared/usecases/explain';
import { runCli } from '../../support/cli';
import { diagnoseFixture } from '../../support/diagnoseFixture';

let fake: FakeLoggingServer;
beforeAll(async () => {
  fake = await startFakeLogging();
});
afterAll(async () => {
  await fake.close();
});

type State = { policies: { rules: { ruleName?: string; enableLogging?: boolean }[] }[]; dnsPolicies?: unknown[] };

/** A fresh world whose state file `edit` changed. */
function world(edit: (s: State) => void): { dir: string; state: string } {
  const { dir, state } = diagnoseFixture();
  const s = JSON.parse(readFileSync(state, 'utf8')) as State;
  edit(s);
  writeFileSync(state, JSON.stringify(s, null, 2));
  return { dir, state };
}

/** denials in JSON and text, explain --evidence in JSON and text, and the MCP tool, for one world and destination. */
async function answers(w: { dir: string; state: string }, destination: string) {
  const src = ['--manifests', w.dir, '--state', w.state, '--logging-endpoint', fake.url];
  const denials = await runCli('denials', 'payment-gateway', '--destination', destination, ...src, '--format', 'json');
  const denialsText = await runCli('denials', 'payment-gateway', '--destination', destination, ...src);
  const explain = await runCli('explain', 'payment-gateway', destination, ...src, '--evidence', '--format', 'json');
  const explainText = await runCli('explain', 'payment-gateway', destination, ...src, '--evidence');
  for (const r of [denials, denialsText, explain, explainText]) expect(r).toMatchObject({ code: 0, err: '' });
  const server = createEgressMcpServer({
    ctx: commandContext({ manifests: w.dir, state: w.state, loggingEndpoint: fake.url }, {}),
    version: '0.0.0-test',
  });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: 'egress-test', version: '1.0.0' });
  await client.connect(b);
  const mcp = (await client.callTool({
    name: 'list_denied_connections',
    arguments: { project: 'payment-gateway', since: '1h', destination },
  })) as CallToolResult;
  await client.close();
  expect(mcp.isError).toBeFalsy();
  const j = JSON.parse(denials.out) as DenialsResult;
  const e = (JSON.parse(explain.out) as ExplainAnswer).evidence!;
  const m = mcp.structuredContent as unknown as DenialsResult;
  const mcpText = mcp.content.map((c) => (c as { text?: string }).text ?? '').join('\n');
  // One value: the three JSON answers carry the same summary, and every text prints each of its notes.
  expect(e.available).toEqual(j.available);
  expect(m.available).toEqual(j.available);
  for (const note of j.available.notes) {
    expect(denialsText.out).toContain(note);
    expect(explainText.out).toContain(note);
    expect(mcpText).toContain(note);
  }
  return { j, text: denialsText.out, explainText: explainText.out };
}

const probe = (state: string, dest: string) =>
  runCli('probe', 'payment-gateway', dest, '--state', state, '--logging-endpoint', fake.url);

it('(a) no DNS server policy on the network: hostnames cannot be named, and the text says what to enable', async () => {
  const w = world((s) => {
    s.dnsPolicies = [];
  });
  expect((await probe(w.state, 'api.evidence-a.example')).code).toBe(0);
  const { j, text } = await answers(w, 'api.evidence-a.example');
  expect(j.available).toMatchObject({
    dnsLogs: { status: 'not-enabled', policyName: null },
    hostnames: 'cannot-be-named',
    alternativeNameServers: false,
  });
  expect(text).toContain(
    'no DNS server policy is bound to network shared-vpc; hostnames cannot be named: enable Cloud DNS query logging',
  );
  // A policy that does not log, with alternative name servers: said as such.
  const v = world((s) => {
    s.dnsPolicies = [
      {
        project: 'host',
        name: 'corp-dns',
        enableLogging: false,
        networks: [{ networkUrl: 'https://www.googleapis.com/compute/v1/projects/host/global/networks/shared-vpc' }],
        alternativeNameServerConfig: { targetNameServers: [{ ipv4Address: '10.0.0.53' }] },
      },
    ];
  });
  const second = await answers(v, 'api.evidence-a.example');
  expect(second.j.available).toMatchObject({
    dnsLogs: { status: 'not-enabled', policyName: 'corp-dns' },
    alternativeNameServers: true,
  });
  expect(second.text).toContain('the DNS server policy corp-dns of network shared-vpc does not log');
  expect(second.text).toContain('Cloud NGFW FQDN objects do not work there');
});

it('(b) the baseline deny does not log: no evidence for its denials, never "no denied connections"', async () => {
  const w = world((s) => {
    for (const r of s.policies[0]!.rules)
      if (r.ruleName?.startsWith('egress-baseline-deny-all')) r.enableLogging = false;
  });
  const { j, text, explainText } = await answers(w, 'api.evidence-b.example');
  expect(j.groups).toEqual([]);
  expect(j.available.firewallEvidence).toBe('partial');
  expect(j.available.unloggedDenyRules).toEqual([
    expect.objectContaining({ ruleName: 'egress-baseline-deny-all-v4' }),
    expect.objectContaining({ ruleName: 'egress-baseline-deny-all-v6' }),
  ]);
  expect(j.available.directVpcEgress).toBe('unknown');
  expect(text).toContain('no evidence available for denials by rules that do not log: egress-baseline-deny-all-v4');
  expect(text).toContain('Cloud Run with Direct VPC egress: unknown whether payment-gateway runs any');
  for (const t of [text, explainText]) expect(t).not.toMatch(/no denied connections|nothing denied/);
});

it('(c) reading the logs is denied: said with the permission needed, no evidence, exit 0', async () => {
  const w = world(() => undefined);
  fake.unreadable.add('host');
  try {
    const { j, text } = await answers(w, 'api.evidence-c.example');
    expect(j.groups).toEqual([]);
    expect(j.available).toMatchObject({
      firewallLogs: { status: 'denied', permission: 'logging.logEntries.list', role: 'roles/logging.viewer' },
      dnsLogs: { status: 'denied' },
      hostnames: 'cannot-be-named',
      firewallEvidence: 'none',
    });
    expect(text).toMatch(
      /^no evidence available for payment-gateway to api\.evidence-c\.example since .*: the firewall logs could not be read\n/,
    );
    expect(text).toContain(
      "firewall logs: reading them was denied (Permission 'logging.logEntries.list' denied on resource projects/host (or it may not exist).); it needs logging.logEntries.list on projects/host (role roles/logging.viewer): no evidence available",
    );
  } finally {
    fake.unreadable.delete('host');
  }
});
