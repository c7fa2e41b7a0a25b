/**
 * `egress doctor` on the local stack (`npm start`'s, started the same way, the shipped examples applied), through the
 * CLI with the stack's cli.env, as the README shows it: no FAIL on a clean stack; a VPC firewall rule allowing egress
 * inserted through the fake's `global/firewalls` fails `egress-before-policy` naming it (exit 1); the network patched
 * to BEFORE_CLASSIC_FIREWALL passes that check; `--format json` has the documented shape; `--report-status` publishes
 * each FAIL as a status event.
 */
import { join } from 'node:path';
import { syncAndWait } from '../../local/program/converge';
import { cliEnv, type LocalStack, startLocalStack } from '../../local/program/stack';
import { type CliRun, runCli } from '../support/cli';
import { tempDir } from '../support/tempDir';

jest.setTimeout(180_000);

const ROOT = join(__dirname, '../..');
let stack: LocalStack;
const stateDir = tempDir('doctor');

beforeAll(async () => {
  stack = await startLocalStack({ mode: 'in-process', suffix: `doctor-${process.pid}`, stateDir });
  await syncAndWait(stack, join(ROOT, 'examples/manifests'), 60_000);
});
afterAll(async () => {
  await stack?.stop();
});

async function cli(...args: string[]): Promise<CliRun> {
  const saved = { ...process.env };
  Object.assign(process.env, cliEnv(stack));
  try {
    return await runCli(...args);
  } finally {
    process.env = saved;
  }
}
const doctor = (...args: string[]) => cli('doctor', ...args);

type Json = { checks: { id: string; status: string; message: string; fix: string }[] };
const statusOf = (r: CliRun, id: string) => (JSON.parse(r.out) as Json).checks.find((c) => c.id === id)?.status;

async function compute(method: string, path: string, body: unknown): Promise<void> {
  const r = await fetch(`${stack.compute.url}/compute/v1/projects/${stack.hostProject}/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(r.status).toBe(200);
}

test('a clean stack: no check fails (exit 0), one line per check, the quotas read from the fake', async () => {
  const r = await doctor();
  expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
  const lines = r.out.trimEnd().split('\n');
  expect(lines).toHaveLength(10);
  expect(lines[0]).toMatch(/^WARN enforcement-order: network shared-vpc: AFTER_CLASSIC_FIREWALL/);
  expect(r.out).toMatch(/^PASS egress-before-policy: /m);
  expect(r.out).toMatch(/^PASS baseline: /m);
  // The stack mirrors terraform's default DNS server policy with query logging (create_dns_server_policy).
  expect(r.out).toMatch(
    /^PASS dns-logging: DNS server policy egress-dns-logging logs the queries of network shared-vpc/m,
  );
  expect(r.out).toMatch(/^PASS project-sources: each of 5 projects has its own subnets/m);
  expect(r.out).toMatch(/^PASS capacity: .*attributes \d+\/2000 \(quotas API\), fqdns \d+\/1000 \(quotas API\)/m);
  expect(r.out).toMatch(
    /^PASS applier-permissions: compute.firewallPolicies.get, compute.firewallPolicies.update granted/m,
  );
  expect(lines.at(-1)).toMatch(/^\d+ passed, \d+ warnings, 0 failed$/);
});

test('capacity --live reads the limits from the fake Cloud Quotas endpoint and says so; they follow the fake', async () => {
  const before = await cli('capacity', '--live', '--format', 'json');
  expect(before.code).toBe(0);
  const p = JSON.parse(before.out).policies[0];
  expect(p.attributes.limit).toBe(2000);
  expect(p.limitSources).toEqual({ attributes: 'quotas API', fqdns: 'quotas API' });
  // doctor says the same figures as capacity (Google's ruleTupleCount where the read has it).
  const d = (JSON.parse((await doctor('--format', 'json')).out) as Json).checks.find((c) => c.id === 'capacity');
  expect(d?.message).toContain(
    `${p.policy}: attributes ${p.attributes.used}/2000 (quotas API), fqdns ${p.fqdns.used}/1000`,
  );
  const r = await fetch(`${stack.compute.url}/__fake/faults`, { method: 'POST', body: '{"ruleAttributeQuota": 2500}' });
  expect(r.status).toBe(200);
  const after = await cli('capacity', '--live');
  expect(after.out).toMatch(/attributes \d+\/2500 .*limits: attributes from quotas API, fqdns from quotas API/);
  await fetch(`${stack.compute.url}/__fake/faults`, { method: 'POST', body: '{"ruleAttributeQuota": 2000}' });
});

test('a VPC egress allow fails naming it; BEFORE_CLASSIC_FIREWALL makes that check pass; the JSON shape', async () => {
  await compute('POST', 'global/firewalls', {
    name: 'allow-all-egress-443',
    network: `global/networks/${stack.network.name}`,
    direction: 'EGRESS',
    priority: 1000,
    destinationRanges: ['0.0.0.0/0'],
    allowed: [{ IPProtocol: 'tcp', ports: ['443'] }],
  });
  const failed = await doctor();
  expect(failed.code).toBe(1);
  expect(failed.out).toMatch(
    /^FAIL egress-before-policy: .*VPC firewall rule allow-all-egress-443 \(priority 1000\) allows tcp:443 to 0\.0\.0\.0\/0/m,
  );

  await compute('PATCH', `global/networks/${stack.network.name}`, {
    networkFirewallPolicyEnforcementOrder: 'BEFORE_CLASSIC_FIREWALL',
  });
  const json = await doctor('--format', 'json');
  expect(json.code).toBe(0);
  const parsed = JSON.parse(json.out) as Json;
  for (const c of parsed.checks) {
    expect(Object.keys(c)).toEqual(expect.arrayContaining(['id', 'status', 'message', 'fix']));
    expect(['PASS', 'WARN', 'FAIL']).toContain(c.status);
  }
  expect(statusOf(json, 'egress-before-policy')).toBe('PASS');
  expect(statusOf(json, 'enforcement-order')).toBe('PASS');
});

test('a missing permission fails, and --report-status publishes it as a precondition-failed status event', async () => {
  const r = await fetch(`${stack.compute.url}/__fake/permissions`, {
    method: 'POST',
    body: JSON.stringify({ denied: ['compute.firewallPolicies.update'] }),
  });
  expect(r.status).toBe(200);
  const run = await doctor('--report-status');
  expect(run.code).toBe(1);
  expect(run.out).toMatch(/^FAIL applier-permissions: missing on .*compute\.firewallPolicies\.update/m);
  const ev = await stack.waitForStatus((e) => e.data.outcome === 'precondition-failed', 30_000);
  expect(ev.data).toMatchObject({ project: stack.hostProject, reason: 'applier-permissions' });
});
