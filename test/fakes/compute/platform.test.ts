/**
 * What the fake Compute serves for `egress doctor` (local/fakes/compute/platformRoutes.ts, dnsPolicies.ts;
 * docs/fake-quotas.md): Cloud DNS server policies in the recorded wire form, kept in the state file; the adapters'
 * reads of them (REST and state file); testIamPermissions through the real Compute clients, 404 for a missing policy.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirewallPolicyEngine } from '../../../local/fakes/compute/engine';
import { type FakeComputeServer, startFakeComputeServer } from '../../../local/fakes/compute/server';
import { dnsPolicyReader, permissionTester, stateFileDnsPolicies } from '../../../shared/adapters/doctorReads';

let dir: string;
let server: FakeComputeServer;
const NET = 'https://www.googleapis.com/compute/v1/projects/host/global/networks/shared-vpc';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fake-platform-'));
  const engine = new FirewallPolicyEngine({ stateFile: join(dir, 'compute.json') });
  engine.createPolicy('host', 'egress');
  server = await startFakeComputeServer({ engine });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = async (method: string, path: string, body?: unknown) => {
  const r = await fetch(`${server.url}${path}`, {
    method,
    ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};

test('DNS server policies: create, update with alternative name servers, read back as Google writes them, persisted', async () => {
  const created = await call('POST', '/dns/v1/projects/host/policies', {
    name: 'egress-dns-logging',
    enableLogging: true,
    networks: [{ networkUrl: NET }],
  });
  expect(created.body).toEqual({
    enableLogging: true,
    id: expect.any(String),
    kind: 'dns#policy',
    name: 'egress-dns-logging',
    networks: [{ kind: 'dns#policyNetwork', networkUrl: NET }],
  });
  expect((await call('POST', '/dns/v1/projects/host/policies', { name: 'egress-dns-logging' })).status).toBe(409);
  const put = await call('PUT', '/dns/v1/projects/host/policies/egress-dns-logging', {
    name: 'egress-dns-logging',
    networks: [{ networkUrl: NET }],
    alternativeNameServerConfig: { targetNameServers: [{ ipv4Address: '10.9.9.9' }] },
  });
  expect(put.body.policy).toMatchObject({
    alternativeNameServerConfig: {
      kind: 'dns#policyAlternativeNameServerConfig',
      targetNameServers: [{ ipv4Address: '10.9.9.9', kind: 'dns#policyTargetNameServer' }],
    },
  });
  expect((put.body.policy as Record<string, unknown>).enableLogging).toBeUndefined();
  const missing = await call('GET', '/dns/v1/projects/host/policies/nope');
  expect(missing.status).toBe(404);
  expect(JSON.stringify(missing.body)).toContain('policy \\"projects/host/policies/nope\\" not found');

  const viaRest = await dnsPolicyReader({ endpoint: server.url }).list('host');
  const viaFile = await stateFileDnsPolicies(join(dir, 'compute.json')).list('host');
  expect(viaRest.map((p) => p.name)).toEqual(['egress-dns-logging']);
  expect(viaFile).toEqual([
    expect.objectContaining({
      name: 'egress-dns-logging',
      alternativeNameServerConfig: { targetNameServers: [{ ipv4Address: '10.9.9.9' }] },
    }),
  ]);
  expect(await dnsPolicyReader({ endpoint: server.url }).list('other')).toEqual([]);
});

test('testIamPermissions: the granted subset through the real clients; a denied one is left out; 404 for no policy', async () => {
  const tester = permissionTester({ endpoint: server.url });
  try {
    const asked = ['compute.firewallPolicies.get', 'compute.firewallPolicies.update'];
    expect(await tester.test('host', { name: 'egress' }, asked)).toEqual(asked);
    await call('POST', '/__fake/permissions', { denied: ['compute.firewallPolicies.update'] });
    expect(await tester.test('host', { name: 'egress' }, asked)).toEqual(['compute.firewallPolicies.get']);
    await expect(tester.test('host', { name: 'missing' }, asked)).rejects.toThrow(/404|not found/i);
  } finally {
    await tester.close();
  }
}, 30_000);
