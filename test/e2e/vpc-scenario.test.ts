/**
 * Issue 16's scenario on the local stack (real Pub/Sub emulator, fake GCS and Compute, functions in process), with
 * project names that are not the examples: their rules apply; a VPC firewall rule inserted through the fake's REST
 * `global/firewalls` (the REAL FirewallsClient) that allows tcp:443 to 0.0.0.0/0 decides before the policy under the
 * default AFTER_CLASSIC_FIREWALL, so `egress probe` and `egress explain` say ALLOWED naming it; patching the network
 * to BEFORE_CLASSIC_FIREWALL (NetworksClient) makes them answer from the policy again; a probe of a listed IP followed
 * by `egress denials` never proposes adding it. explain is asked from the state file and --live, and both agree.
 * Waits on status events and on conditions, never on sleeps; the machine may be loaded, so the waits are generous.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirewallsClient, NetworksClient } from '@google-cloud/compute';
import type { ClientOptions } from 'google-gax';
import { cliEnv, type LocalStack, startLocalStack } from '../../local/program/stack';
import type { StatusEvent } from '../../shared/core/events/types';
import { firstUsable } from '../../shared/core/network/model';
import type { DenialsResult } from '../../shared/usecases/denials';
import type { ExplainAnswer } from '../../shared/usecases/explain';
import type { ProbeResult } from '../../shared/usecases/probe';
import { runCli } from '../support/cli';
import { manifestYaml } from '../support/manifests';

jest.setTimeout(600_000);

const PREFIX = 'manifests/';
const LEDGER = 'zz-ledger-7';
const BILLING = 'qq-billing-2';
const UNLISTED = 'api.unlisted-partner.io';
const dir = mkdtempSync(join(tmpdir(), 'e2e-vpc-scenario-'));

let stack: LocalStack;
let firewalls: FirewallsClient;
let networks: NetworksClient;
let applied: StatusEvent[] = [];

beforeAll(async () => {
  stack = await startLocalStack({
    mode: 'in-process',
    suffix: `vpc-scenario-${process.pid}`,
    prefix: PREFIX,
    stateDir: join(dir, 'state'),
  });
  const opts = { apiEndpoint: '127.0.0.1', port: stack.compute.port, protocol: 'http', apiKey: 'fake', fallback: true };
  firewalls = new FirewallsClient(opts as ClientOptions);
  networks = new NetworksClient(opts as ClientOptions);
  // Every test below works on these two projects (so each runs alone too).
  applied = [
    await apply(LEDGER, ['api.ledger.io', '1.1.1.1', '2606:4700:4700::1111']),
    await apply(BILLING, ['api.billing-partner.io']),
  ];
}, 600_000);
afterAll(async () => {
  await Promise.all([firewalls?.close(), networks?.close()]);
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Uploads a manifest and waits for its final status (generously: the machine may be loaded). */
async function apply(project: string, egress: string[]): Promise<StatusEvent> {
  const object = `${PREFIX}${project}.yaml`;
  const { generation } = await stack.store.write(object, Buffer.from(manifestYaml(project, egress)), {
    contentType: 'application/yaml',
  });
  return stack.waitForStatus(
    (e) => e.data.source?.object === object && e.data.source.generation === generation,
    240_000,
  );
}

/** The CLI against the running stack, with its cli.env (as `set -a; . .local/cli.env` does). */
async function cli(...args: string[]) {
  const saved = { ...process.env };
  Object.assign(process.env, cliEnv(stack));
  try {
    return await runCli(...args);
  } finally {
    process.env = saved;
  }
}

async function probe(project: string, dest: string): Promise<ProbeResult> {
  const r = await cli('probe', project, dest, '--format', 'json');
  expect(r).toMatchObject({ code: 0, err: '' });
  return JSON.parse(r.out) as ProbeResult;
}

/** explain from the state file the stack writes and from the live Compute API; asserts both give the same answer. */
async function explain(project: string, dest: string): Promise<ExplainAnswer> {
  // One after the other: runCli swaps process.stdout and the env for the run.
  const run = async (...flags: string[]) => {
    const r = await cli('explain', project, dest, '--format', 'json', ...flags);
    expect(r.err).toBe('');
    return JSON.parse(r.out) as ExplainAnswer;
  };
  const fromState = await run('--state', cliEnv(stack).EGRESS_STATE_FILE!);
  const live = await run('--live');
  const answer = (e: ExplainAnswer) => ({ allowed: e.allowed, status: e.status, decidedBy: e.firewall.decidedBy });
  expect(answer(live)).toEqual(answer(fromState));
  return fromState;
}

const setOrder = (order: 'AFTER_CLASSIC_FIREWALL' | 'BEFORE_CLASSIC_FIREWALL') =>
  networks.patch({
    project: stack.hostProject,
    network: stack.network.name,
    networkResource: { networkFirewallPolicyEnforcementOrder: order },
  });

test('projects with their own names get rules', () => {
  expect(applied.map((e) => [e.data.project, e.data.outcome])).toEqual([
    [LEDGER, 'applied'],
    [BILLING, 'applied'],
  ]);
  for (const p of [LEDGER, BILLING]) expect(stack.rules(p).length).toBeGreaterThan(0);
});

test('a VPC egress allow decides before the policy under AFTER_CLASSIC_FIREWALL; BEFORE_CLASSIC_FIREWALL puts the policy first', async () => {
  // Before the VPC rule: the policy answers (baseline deny for an unlisted host).
  expect(await probe(LEDGER, UNLISTED)).toMatchObject({ disposition: 'DENIED', decidedBy: { tier: 'global' } });

  await firewalls.insert({
    project: stack.hostProject,
    firewallResource: {
      name: 'allow-https-out',
      network: `global/networks/${stack.network.name}`,
      direction: 'EGRESS',
      priority: 1000,
      destinationRanges: ['0.0.0.0/0'],
      allowed: [{ IPProtocol: 'tcp', ports: ['443'] }],
    },
  });
  const open = await probe(LEDGER, UNLISTED);
  expect(open).toMatchObject({
    disposition: 'ALLOWED',
    enforcementOrder: 'AFTER_CLASSIC_FIREWALL',
    decidedBy: { tier: 'vpc-rules', ruleName: 'allow-https-out', beforePolicy: true },
  });
  const e = await explain(LEDGER, UNLISTED);
  expect(e).toMatchObject({ allowed: true, firewall: { allowed: true } });
  expect(JSON.stringify(e.firewall.decidedBy)).toContain('allow-https-out');
  expect(e.firewall.decidedBy).toMatchObject({
    ruleName: open.decidedBy?.ruleName,
    priority: open.decidedBy?.priority,
  });

  await setOrder('BEFORE_CLASSIC_FIREWALL');
  const closed = await probe(LEDGER, UNLISTED);
  expect(closed).toMatchObject({
    disposition: 'DENIED',
    enforcementOrder: 'BEFORE_CLASSIC_FIREWALL',
    decidedBy: { tier: 'global', beforePolicy: false },
  });
  const denied = await explain(LEDGER, UNLISTED);
  expect(denied).toMatchObject({ allowed: false, firewall: { allowed: false } });
  expect(denied.firewall.decidedBy).toMatchObject({ ruleName: closed.decidedBy?.ruleName });
  expect(await probe(LEDGER, 'api.ledger.io')).toMatchObject({ disposition: 'ALLOWED', decidedBy: { tier: 'global' } });
  const listed = await explain(LEDGER, 'api.ledger.io');
  expect(listed).toMatchObject({ allowed: true, firewall: { allowed: true } });
  expect(JSON.stringify(listed.firewall.decidedBy)).not.toContain('allow-https-out');
});

test('a probe of listed IPs (v4 and v6), then denials: never a proposal to add it', async () => {
  await setOrder('BEFORE_CLASSIC_FIREWALL');
  const listedIps = ['1.1.1.1', '2606:4700:4700::1111'];
  expect(await probe(LEDGER, '1.1.1.1')).toMatchObject({ disposition: 'ALLOWED', decidedBy: { tier: 'global' } });
  // An IPv6 destination: probe's default source is then an address of the project's IPv6 prefix.
  const subnets = Object.values(stack.engine.directory.aggregated(stack.hostProject).items).flatMap(
    (x) => x.subnetworks ?? [],
  );
  const prefix = subnets.find((x) => x.name?.startsWith(`${LEDGER}-`))?.internalIpv6Prefix;
  expect(prefix).toBeTruthy();
  const v6 = await cli('probe', LEDGER, '2606:4700:4700::1111', '--format', 'json');
  expect(v6).toMatchObject({ code: 0, err: '' });
  expect(JSON.parse(v6.out)).toMatchObject({
    disposition: 'ALLOWED',
    decidedBy: { tier: 'global' },
    source: { ip: firstUsable(prefix!) },
  });
  // And one real denial, so denials has something to say (probe has stored its log entries when it returns).
  expect(await probe(LEDGER, '9.9.9.9')).toMatchObject({ disposition: 'DENIED' });
  const r = await cli('denials', LEDGER, '--format', 'json');
  expect(r).toMatchObject({ code: 0, err: '' });
  const d = JSON.parse(r.out) as DenialsResult;
  for (const ip of listedIps) {
    expect(d.groups.filter((g) => g.destination.ip === ip)).toEqual([]);
    for (const g of d.groups) expect(g.fix?.entry ?? '').not.toContain(ip);
  }
  expect(d.groups.find((g) => g.destination.ip === '9.9.9.9')).toMatchObject({ class: 'NOT_LISTED' });
});
