/**
 * VPC firewall rules, networks and the effective-firewall reads of the fake Compute, through the REAL
 * @google-cloud/compute clients (FirewallsClient, NetworksClient, RegionNetworkFirewallPoliciesClient) against the
 * fake REST server, and the state file's `networks`/`firewalls` (contract C1).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FirewallsClient,
  NetworksClient,
  type protos,
  RegionNetworkFirewallPoliciesClient,
} from '@google-cloud/compute';
import { FirewallPolicyEngine } from '../../../local/fakes/compute';
import { withRealClients } from './realClients';

type IFirewall = protos.google.cloud.compute.v1.IFirewall;

const PROJECT = 'host-project';
const NET = 'shared-vpc';
const NET_URL = `https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/networks/${NET}`;

jest.setTimeout(30_000);

const engine = new FirewallPolicyEngine();
engine.ensureNetwork(PROJECT, NET);
engine.createPolicy(PROJECT, 'egress-global');
engine.createPolicy(PROJECT, 'egress-usc1', { region: 'us-central1' });
engine.createPolicy(PROJECT, 'egress-euw1', { region: 'europe-west1' });
const fake = withRealClients(engine, {
  firewalls: FirewallsClient,
  networks: NetworksClient,
  regional: RegionNetworkFirewallPoliciesClient,
});
const c = fake.clients;
let seq = 0;
let NAME = '';

beforeEach(() => {
  NAME = `allow-egress-${++seq}`;
});

const egress = (over: IFirewall = {}): IFirewall => ({
  name: NAME,
  network: `projects/${PROJECT}/global/networks/${NET}`,
  direction: 'EGRESS',
  allowed: [{ IPProtocol: 'tcp', ports: ['443'] }],
  destinationRanges: ['34.117.59.0/24'],
  ...over,
});
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('VPC firewall rules (global/firewalls)', () => {
  test('insert answers a DONE insert operation; get shows the full network URL and the defaults', async () => {
    const [op] = await c.firewalls.insert({ project: PROJECT, firewallResource: egress() });
    expect(op.latestResponse).toMatchObject({ operationType: 'insert', status: 'DONE' });
    expect((op.latestResponse as { targetLink?: string }).targetLink).toMatch(`/global/firewalls/${NAME}`);
    const [fw] = await c.firewalls.get({ project: PROJECT, firewall: NAME });
    expect(fw).toMatchObject({
      kind: 'compute#firewall',
      name: NAME,
      network: NET_URL,
      direction: 'EGRESS',
      priority: 1000,
      disabled: false,
      destinationRanges: ['34.117.59.0/24'],
      logConfig: { enable: false },
      allowed: [{ IPProtocol: 'tcp', ports: ['443'] }],
    });
    expect(fw.selfLink).toBe(`https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/firewalls/${NAME}`);
    expect(fw.id).toMatch(/^\d+$/);
  });

  test('an INGRESS rule without sources gets sourceRanges 0.0.0.0/0 (as recorded)', async () => {
    await c.firewalls.insert({
      project: PROJECT,
      firewallResource: { name: NAME, network: NET_URL, allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] },
    });
    const [fw] = await c.firewalls.get({ project: PROJECT, firewall: NAME });
    expect(fw).toMatchObject({ direction: 'INGRESS', sourceRanges: ['0.0.0.0/0'], priority: 1000 });
  });

  test('a taken name is 409 alreadyExists; a missing rule 404 notFound', async () => {
    await c.firewalls.insert({ project: PROJECT, firewallResource: egress() });
    const dup = await failure(c.firewalls.insert({ project: PROJECT, firewallResource: egress() }));
    expect(dup).toMatchObject({ httpStatusCode: 409, message: expect.stringContaining('already exists') });
    const missing = await failure(c.firewalls.get({ project: PROJECT, firewall: 'no-such-rule' }));
    expect(missing).toMatchObject({
      httpStatusCode: 404,
      message: `The resource 'projects/${PROJECT}/global/firewalls/no-such-rule' was not found`,
    });
  });

  test.each<[string, IFirewall, string]>([
    ['an upper-case name', { name: 'Bad_Name' }, "field 'resource.name'"],
    ['a priority over 65535', { priority: 70000 }, "field 'resource.priority'"],
    ['both allowed and denied', { denied: [{ IPProtocol: 'all' }] }, "field 'resource.denied'"],
    ['neither allowed nor denied', { allowed: [] }, "'resource.allowed'"],
    ['source tags on an EGRESS rule', { sourceTags: ['web'] }, "field 'resource.sourceTags'"],
    ['ports on icmp', { allowed: [{ IPProtocol: 'icmp', ports: ['1'] }] }, 'ports'],
    ['IPv4 and IPv6 ranges together', { destinationRanges: ['10.0.0.0/8', '2001:db8::/32'] }, 'not both'],
    [
      'target service accounts with target tags',
      { targetServiceAccounts: ['a@b.iam.gserviceaccount.com'], targetTags: ['x'] },
      'targetServiceAccounts',
    ],
  ])('refuses %s with 400', async (_what, over, message) => {
    const err = await failure(c.firewalls.insert({ project: PROJECT, firewallResource: egress(over) }));
    expect(err).toMatchObject({ httpStatusCode: 400, message: expect.stringContaining(message) });
    expect(engine.firewalls.list(PROJECT).items.map((f) => f.name)).not.toContain(over.name ?? NAME);
  });

  test('a rule on a network that does not exist is 404', async () => {
    const err = await failure(
      c.firewalls.insert({ project: PROJECT, firewallResource: egress({ network: 'global/networks/nope' }) }),
    );
    expect(err).toMatchObject({ httpStatusCode: 404, message: expect.stringContaining('global/networks/nope') });
  });

  test('patch replaces the fields it carries; list shows the change; delete removes the rule', async () => {
    await c.firewalls.insert({ project: PROJECT, firewallResource: egress() });
    const [op] = await c.firewalls.patch({
      project: PROJECT,
      firewall: NAME,
      firewallResource: { priority: 10, disabled: true },
    });
    expect(op.latestResponse).toMatchObject({ operationType: 'patch', status: 'DONE' });
    const [list] = await c.firewalls.list({ project: PROJECT });
    expect(list.find((f) => f.name === NAME)).toMatchObject({
      priority: 10,
      disabled: true,
      destinationRanges: ['34.117.59.0/24'],
    });
    const bad = await failure(
      c.firewalls.patch({ project: PROJECT, firewall: NAME, firewallResource: { priority: -1 } }),
    );
    expect(bad).toMatchObject({ httpStatusCode: 400 });
    expect(engine.firewalls.get(PROJECT, NAME).priority).toBe(10);
    await c.firewalls.delete({ project: PROJECT, firewall: NAME });
    expect(await failure(c.firewalls.get({ project: PROJECT, firewall: NAME }))).toMatchObject({ httpStatusCode: 404 });
    expect(await failure(c.firewalls.delete({ project: PROJECT, firewall: NAME }))).toMatchObject({
      httpStatusCode: 404,
    });
  });
});

describe('the network (global/networks)', () => {
  test('get answers the network with AFTER_CLASSIC_FIREWALL by default; list holds it', async () => {
    const [net] = await c.networks.get({ project: PROJECT, network: NET });
    expect(net).toMatchObject({
      kind: 'compute#network',
      name: NET,
      selfLink: NET_URL,
      networkFirewallPolicyEnforcementOrder: 'AFTER_CLASSIC_FIREWALL',
    });
    const [list] = await c.networks.list({ project: PROJECT });
    expect(list.map((n) => n.name)).toEqual([NET]);
    expect(await failure(c.networks.get({ project: PROJECT, network: 'nope' }))).toMatchObject({ httpStatusCode: 404 });
  });

  test('patch sets the enforcement order (and refuses an unknown one)', async () => {
    const patch = (order: string) =>
      c.networks.patch({
        project: PROJECT,
        network: NET,
        networkResource: { networkFirewallPolicyEnforcementOrder: order },
      });
    const [op] = await patch('BEFORE_CLASSIC_FIREWALL');
    expect(op.latestResponse).toMatchObject({ operationType: 'patch', status: 'DONE' });
    expect((await c.networks.get({ project: PROJECT, network: NET }))[0].networkFirewallPolicyEnforcementOrder).toBe(
      'BEFORE_CLASSIC_FIREWALL',
    );
    expect(await failure(patch('FIRST'))).toMatchObject({ httpStatusCode: 400 });
    await patch('AFTER_CLASSIC_FIREWALL');
    expect((await c.networks.get({ project: PROJECT, network: NET }))[0].networkFirewallPolicyEnforcementOrder).toBe(
      'AFTER_CLASSIC_FIREWALL',
    );
  });
});

describe('getEffectiveFirewalls', () => {
  test("the network's: its VPC rules and the global network policies, no regional policy", async () => {
    await c.firewalls.insert({ project: PROJECT, firewallResource: egress() });
    const [res] = await c.networks.getEffectiveFirewalls({ project: PROJECT, network: NET });
    expect(res.firewalls?.map((f) => f.name)).toContain(NAME);
    expect(res.firewallPolicys?.map((p) => [p.name, p.type])).toEqual([['egress-global', 'NETWORK']]);
    expect(res.firewallPolicys?.[0]?.rules?.map((r) => r.priority)).toEqual([
      2147483644, 2147483645, 2147483646, 2147483647,
    ]);
  });

  test("the region's: the same plus that region's regional policies", async () => {
    const [res] = await c.regional.getEffectiveFirewalls({ project: PROJECT, region: 'us-central1', network: NET_URL });
    expect(res.firewallPolicys?.map((p) => [p.name, p.type])).toEqual([
      ['egress-global', 'NETWORK'],
      ['egress-usc1', 'NETWORK_REGIONAL'],
    ]);
    expect(res.firewalls?.length).toBe(engine.firewalls.list(PROJECT).items.length);
  });
});

describe('state file (contract C1)', () => {
  test('networks and firewalls survive save/load; a file without them loads with none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-vpc-'));
    try {
      const e = new FirewallPolicyEngine();
      e.ensureNetwork('p', 'net');
      e.networks.patch('p', 'net', { networkFirewallPolicyEnforcementOrder: 'BEFORE_CLASSIC_FIREWALL' });
      e.firewalls.insert('p', { name: 'r1', network: 'global/networks/net', allowed: [{ IPProtocol: 'all' }] });
      const file = join(dir, 'compute.json');
      e.save(file);
      const state = e.toJSON();
      expect(state.networks).toEqual([
        {
          project: 'p',
          name: 'net',
          id: expect.any(String),
          networkFirewallPolicyEnforcementOrder: 'BEFORE_CLASSIC_FIREWALL',
        },
      ]);
      expect(state.firewalls).toEqual([
        expect.objectContaining({ project: 'p', name: 'r1', kind: 'compute#firewall' }),
      ]);
      const back = FirewallPolicyEngine.load(file);
      expect(back.networks.get('p', 'net').networkFirewallPolicyEnforcementOrder).toBe('BEFORE_CLASSIC_FIREWALL');
      expect(back.firewalls.get('p', 'r1').sourceRanges).toEqual(['0.0.0.0/0']);

      const old = join(dir, 'old.json');
      const subnet = {
        project: 'p',
        name: 's',
        region: 'us-central1',
        network: `https://www.googleapis.com/compute/v1/projects/p/global/networks/legacy`,
      };
      writeFileSync(
        old,
        JSON.stringify({ version: 1, nextId: 1, policies: [], operations: [], requestIds: [], subnetworks: [subnet] }),
      );
      const legacy = FirewallPolicyEngine.load(old);
      expect(legacy.firewalls.list('p').items).toEqual([]);
      // A network only its subnetworks name exists with the default order (C1: a missing entry is AFTER_CLASSIC).
      expect(legacy.networks.get('p', 'legacy').networkFirewallPolicyEnforcementOrder).toBe('AFTER_CLASSIC_FIREWALL');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
