/**
 * The live NetworkReader (shared/adapters/networkLive.ts) with the REAL @google-cloud/compute clients against the fake
 * Compute REST server, and the state-file reader on the same engine's state file: the network's enforcement order,
 * its VPC firewall rules (only the network's), the product's policy and the subnets; then `egress explain --live` and
 * `egress probe` (state file) through `main()` answer from that model, before and after a VPC egress allow and a
 * switch to BEFORE_CLASSIC_FIREWALL made through the REST API.
 */
import { rmSync } from 'node:fs';
import { FirewallsClient, NetworksClient } from '@google-cloud/compute';
import type { ClientOptions } from 'google-gax';
import { type FakeComputeServer, FirewallPolicyEngine, startFakeComputeServer } from '../../../local/fakes/compute';
import { type FakeLoggingServer, startFakeLogging } from '../../../local/fakes/logging';
import { liveNetwork, networkClients } from '../../../shared/adapters/networkLive';
import { stateFileNetwork } from '../../../shared/adapters/networkState';
import { computeSubnetSource, subnetworksClient } from '../../../shared/adapters/subnets';
import { buildModel } from '../../../shared/core/network/build';
import { DEFAULT_POLICY } from '../../../shared/core/policy/defaults';
import { livePolicies } from '../../../shared/runtime/cliClients';
import { readConfig } from '../../../shared/runtime/config';
import type { ExplainAnswer } from '../../../shared/usecases/explain';
import type { ProbeResult } from '../../../shared/usecases/probe';
import { runCli } from '../../support/cli';
import { diagnoseFixture } from '../../support/diagnoseFixture';

jest.setTimeout(120_000);

const HOST = 'host';
const NET = 'shared-vpc';
const { root, dir, state } = diagnoseFixture();
let server: FakeComputeServer;
let firewalls: FirewallsClient;
let networks: NetworksClient;
let env: Record<string, string>;
let logging: FakeLoggingServer;

beforeAll(async () => {
  const engine = FirewallPolicyEngine.load(state, { stateFile: state });
  engine.ensureNetwork(HOST, NET);
  engine.ensureNetwork(HOST, 'other-vpc');
  engine.persist();
  server = await startFakeComputeServer({ engine });
  logging = await startFakeLogging();
  const opts = { apiEndpoint: '127.0.0.1', port: server.port, protocol: 'http', apiKey: 'fake', fallback: true };
  firewalls = new FirewallsClient(opts as ClientOptions);
  networks = new NetworksClient(opts as ClientOptions);
  // As a running stack's cli.env gives it (local/program/stack/cliEnv.ts).
  env = {
    EGRESS_COMPUTE_ENDPOINT: server.url,
    EGRESS_HOST_PROJECT: HOST,
    EGRESS_FIREWALL_POLICY: 'egress',
    EGRESS_NETWORK: NET,
    EGRESS_STATE_FILE: state,
    METADATA_SERVER_DETECTION: 'none',
  };
});
afterAll(async () => {
  await Promise.all([firewalls?.close(), networks?.close()]);
  await server?.close();
  await logging?.close();
  rmSync(root, { recursive: true, force: true });
});

async function cli(...args: string[]) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await runCli(...args);
  } finally {
    process.env = saved;
  }
}

const vpcAllow = (name: string, network: string) => ({
  name,
  network: `global/networks/${network}`,
  direction: 'EGRESS',
  priority: 1000,
  destinationRanges: ['0.0.0.0/0'],
  allowed: [{ IPProtocol: 'tcp', ports: ['443'] }],
});

/** The VPC egress allows of both networks, inserted through the REST API once (each test may run alone). */
async function ensureVpcAllows() {
  const [have] = await firewalls.list({ project: HOST });
  for (const [name, network] of [
    ['allow-https-out', NET],
    ['other-net-allow', 'other-vpc'],
  ] as const)
    if (!have.some((f) => f.name === name))
      await firewalls.insert({ project: HOST, firewallResource: vpcAllow(name, network) });
}

async function readBoth() {
  const clients = networkClients({ endpoint: server.url });
  const subnets = subnetworksClient({ endpoint: server.url });
  const pols = livePolicies(
    { computeEndpoint: server.url, hostProject: HOST, firewallPolicy: 'egress' },
    DEFAULT_POLICY,
    readConfig({}),
  );
  try {
    const live = await liveNetwork({
      hostProject: HOST,
      network: NET,
      api: clients.api,
      policies: pols.policies,
      subnets: computeSubnetSource(HOST, subnets.api),
    }).read();
    const fromState = await stateFileNetwork(state, { hostProject: HOST, network: NET, choose: () => true }).read();
    return { live, fromState };
  } finally {
    await Promise.all([clients.close(), subnets.close(), pols.close()]);
  }
}

const modelOf = (snap: Awaited<ReturnType<typeof readBoth>>['live']) => {
  const { source: _source, ...m } = buildModel(snap, {
    target: DEFAULT_POLICY.firewall.target,
    projects: ['payment-gateway'],
  });
  return m;
};

test('the live reader reads the order, the network’s VPC rules, the policy and the subnets; the state reader agrees', async () => {
  await ensureVpcAllows();
  const { live, fromState } = await readBoth();
  expect(live.source).not.toMatch(/not found/);
  const model = modelOf(live);
  expect(model.enforcementOrder).toBe('AFTER_CLASSIC_FIREWALL');
  expect(model.vpcRules.map((r) => r.ruleName)).toEqual(['allow-https-out']);
  expect(model.global?.name).toBe('egress');
  expect(model.global?.rules.map((r) => r.ruleName)).toContain('egress-baseline-deny-all-v4');
  expect(model.subnets.map((x) => [x.name, x.project])).toEqual(
    expect.arrayContaining([['payment-gateway-usc1', 'payment-gateway']]),
  );
  expect(model).toEqual(modelOf(fromState));

  await networks.patch({
    project: HOST,
    network: NET,
    networkResource: { networkFirewallPolicyEnforcementOrder: 'BEFORE_CLASSIC_FIREWALL' },
  });
  const after = await readBoth();
  expect(modelOf(after.live).enforcementOrder).toBe('BEFORE_CLASSIC_FIREWALL');
  expect(modelOf(after.live)).toEqual(modelOf(after.fromState));
  await networks.patch({
    project: HOST,
    network: NET,
    networkResource: { networkFirewallPolicyEnforcementOrder: 'AFTER_CLASSIC_FIREWALL' },
  });
});

test('explain --live and probe answer from the model: the VPC allow first, then the policy under BEFORE_CLASSIC_FIREWALL', async () => {
  const explain = async (dest: string, ...more: string[]) => {
    const r = await cli('explain', 'payment-gateway', dest, '--manifests', dir, '--format', 'json', ...more);
    expect(r.err).toBe('');
    return JSON.parse(r.out) as ExplainAnswer;
  };
  const probe = async (dest: string) => {
    const r = await cli('probe', 'payment-gateway', dest, '--format', 'json', '--logging-endpoint', logging.url);
    return { ...r, json: r.out ? (JSON.parse(r.out) as ProbeResult) : undefined };
  };
  // AFTER_CLASSIC_FIREWALL: the VPC allow decides before the policy.
  await ensureVpcAllows();
  for (const flags of [['--live'], ['--state', state]]) {
    const e = await explain('93.184.216.34', ...flags);
    expect(e).toMatchObject({ allowed: true, firewall: { allowed: true } });
    expect(JSON.stringify(e.firewall.decidedBy)).toContain('allow-https-out');
  }
  const open = await probe('93.184.216.34');
  expect(open.json).toMatchObject({
    disposition: 'ALLOWED',
    enforcementOrder: 'AFTER_CLASSIC_FIREWALL',
    decidedBy: { tier: 'vpc-rules', ruleName: 'allow-https-out', beforePolicy: true },
  });

  await networks.patch({
    project: HOST,
    network: NET,
    networkResource: { networkFirewallPolicyEnforcementOrder: 'BEFORE_CLASSIC_FIREWALL' },
  });
  for (const flags of [['--live'], ['--state', state]]) {
    const unlisted = await explain('93.184.216.34', ...flags);
    expect(unlisted).toMatchObject({ allowed: false, firewall: { allowed: false } });
    expect(unlisted.firewall.decidedBy).toMatchObject({ ruleName: 'egress-baseline-deny-all-v4' });
    const listed = await explain('api.stripe.com', ...flags);
    expect(listed).toMatchObject({ allowed: true, firewall: { allowed: true } });
    expect(JSON.stringify(listed.firewall.decidedBy)).not.toContain('allow-https-out');
  }
  const denied = await probe('93.184.216.34');
  expect(denied.json).toMatchObject({
    disposition: 'DENIED',
    enforcementOrder: 'BEFORE_CLASSIC_FIREWALL',
    decidedBy: { tier: 'global', ruleName: 'egress-baseline-deny-all-v4', beforePolicy: false },
  });
  const listed = await probe('api.stripe.com');
  expect(listed.json).toMatchObject({ disposition: 'ALLOWED', decidedBy: { tier: 'global', how: 'fqdn' } });
  await networks.patch({
    project: HOST,
    network: NET,
    networkResource: { networkFirewallPolicyEnforcementOrder: 'AFTER_CLASSIC_FIREWALL' },
  });
});

test('a network the API does not know: Google’s defaults, said in the source, and no VPC rule of another network', async () => {
  const clients = networkClients({ endpoint: server.url });
  const pols = livePolicies(
    { computeEndpoint: server.url, hostProject: HOST, firewallPolicy: 'egress' },
    DEFAULT_POLICY,
    readConfig({}),
  );
  try {
    const snap = await liveNetwork({
      hostProject: HOST,
      network: 'nope',
      api: clients.api,
      policies: pols.policies,
    }).read();
    expect(snap.source).toMatch(/not found: reading the network, reading the effective firewalls/);
    const model = buildModel(snap, { target: DEFAULT_POLICY.firewall.target, projects: ['payment-gateway'] });
    expect(model.enforcementOrder).toBe('AFTER_CLASSIC_FIREWALL');
    expect(model.vpcRules).toEqual([]);
  } finally {
    await Promise.all([clients.close(), pols.close()]);
  }
});
