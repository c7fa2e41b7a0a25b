import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirewallPolicyEngine } from '../../../local/fakes/compute/engine';
import { NetworkFileError } from '../../../local/fakes/compute/subnets';
import { manifestProject, stackNetwork } from '../../../local/program/stack/network';
import { manifestYaml } from '../../support/manifests';

const HOST = 'host';
const target = { mode: 'subnets' as const, subnets: '{project}-*' };
const names = (e: FirewallPolicyEngine) =>
  Object.values(e.directory.aggregated(HOST).items)
    .flatMap((r) => r.subnetworks.map((s) => `${s.region.split('/').at(-1)}/${s.name}`))
    .sort();

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stack-network-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('the examples are seeded; a manifest of a new project gets its pool subnet once, in its region', () => {
  const engine = new FirewallPolicyEngine();
  const net = stackNetwork(engine, HOST, target);
  expect(net.name).toBe('shared-vpc');
  expect(names(engine)).toContain('us-central1/checkout-usc1');
  const added = net.ensureForManifest(manifestYaml('zz-ledger-7', ['api.ledger.io'], { region: 'asia-east1' }));
  expect(added).toMatchObject({ name: 'zz-ledger-7-asia-east1', region: 'asia-east1' });
  expect(names(engine)).toContain('asia-east1/zz-ledger-7-asia-east1');
  // Seen again (a second save, a restart's bucket scan): nothing more.
  expect(net.ensureForManifest(manifestYaml('zz-ledger-7', []))).toBeUndefined();
  // An example project has its described subnet; a manifest naming no valid project gets nothing.
  expect(net.ensureForManifest(manifestYaml('checkout', []))).toBeUndefined();
  expect(net.ensureForManifest('metadata: {name: Not_Valid}\n')).toBeUndefined();
  expect(net.ensureForManifest(': not yaml [')).toBeUndefined();
});

test('manifestProject: metadata.name and spec.region, default us-central1', () => {
  expect(manifestProject(manifestYaml('p-1', []))).toEqual({ project: 'p-1', region: 'us-central1' });
  expect(manifestProject(manifestYaml('p-1', [], { region: 'europe-west4' }))).toEqual({
    project: 'p-1',
    region: 'europe-west4',
  });
});

test('a network file replaces the subnets at each start; its network must be the policy target network', () => {
  const file = join(dir, 'n.yaml');
  writeFileSync(
    file,
    'network: corp\nsubnets:\n  - {name: a-x, region: us-east1, project: a, ipCidrRange: 10.0.0.0/24}\n',
  );
  const engine = new FirewallPolicyEngine();
  stackNetwork(engine, HOST, target).ensureSubnet('zz');
  expect(names(engine)).toContain('us-central1/zz-us-central1');
  const net = stackNetwork(engine, HOST, target, file);
  expect(net.name).toBe('corp');
  expect(names(engine)).toEqual(['us-east1/a-x']);
  expect(() => stackNetwork(engine, HOST, { ...target, network: 'shared-vpc' }, file)).toThrow(NetworkFileError);
  expect(() => stackNetwork(engine, HOST, { ...target, network: 'shared-vpc' }, file)).toThrow(
    /n\.yaml: network corp is not the platform policy's firewall\.target\.network shared-vpc \(hint: set network: shared-vpc\)/,
  );
});
