/**
 * The local stack is the user's network in small (issue 16): a project with any name gets a dual-stack subnet from
 * the pool before its manifest reaches the pipeline, so its rules apply (IPv6 entries too); a network file given with
 * `networkFile` (`npm start -- --network FILE`) describes the subnets instead, and the projects it leaves out still
 * get pool subnets. Waits on status events, never on fixed sleeps.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ipaddr from 'ipaddr.js';
import { cliEnv, type LocalStack, startLocalStack } from '../../local/program/stack';
import type { StatusEvent } from '../../shared/core/events/types';
import { manifestYaml } from '../support/manifests';

jest.setTimeout(120_000);

const PREFIX = 'manifests/';
const inside = (range: string, block: string) => {
  const [a, p] = ipaddr.parseCIDR(range);
  const [b, q] = ipaddr.parseCIDR(block);
  return p >= q && a.kind() === b.kind() && a.match(b, q);
};

let dir: string;
const stacks: LocalStack[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'e2e-network-'));
});
afterAll(async () => {
  for (const s of stacks) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(name: string, networkFile?: string): Promise<LocalStack> {
  const s = await startLocalStack({
    mode: 'in-process',
    suffix: `network-${name}-${process.pid}`,
    prefix: PREFIX,
    stateDir: join(dir, name),
    ...(networkFile ? { networkFile } : {}),
  });
  stacks.push(s);
  return s;
}

/** Uploads a manifest and waits for its final status. */
async function apply(s: LocalStack, project: string, egress: string[], region?: string): Promise<StatusEvent> {
  const object = `${PREFIX}${project}.yaml`;
  const text = manifestYaml(project, egress, region ? { region } : {});
  const { generation } = await s.store.write(object, Buffer.from(text), { contentType: 'application/yaml' });
  return s.waitForStatus((e) => e.data.source?.object === object && e.data.source.generation === generation, 60_000);
}

const sourcesOf = (s: LocalStack, project: string) =>
  [...new Set(s.rules(project).flatMap((r) => r.match.srcIpRanges ?? []))].sort();

test('a project with an arbitrary name gets a pool subnet in its region, and its IPv4 and IPv6 rules apply', async () => {
  const s = await start('pool');
  expect(s.network.name).toBe('shared-vpc');
  expect(cliEnv(s).EGRESS_NETWORK).toBe('shared-vpc');
  const status = await apply(s, 'zz-ledger-7', ['api.ledger.io', '2606:4700:4700::1111'], 'europe-west4');
  expect(status.data).toMatchObject({ outcome: 'applied', project: 'zz-ledger-7' });

  const subnet = s.engine.directory.aggregated(s.hostProject).items['regions/europe-west4']?.subnetworks ?? [];
  expect(subnet).toEqual([expect.objectContaining({ name: 'zz-ledger-7-europe-west4', stackType: 'IPV4_IPV6' })]);
  const src = sourcesOf(s, 'zz-ledger-7');
  expect(src).toEqual([subnet[0]!.ipCidrRange, subnet[0]!.internalIpv6Prefix].sort());
  expect(inside(subnet[0]!.ipCidrRange!, '10.160.0.0/11')).toBe(true);
  expect(inside(subnet[0]!.internalIpv6Prefix!, 'fd20:a:b:8000::/49')).toBe(true);
  // The IPv6 destination applies from the IPv6 prefix (dual-stack); the FQDN once per source family.
  const rules = s.rules('zz-ledger-7');
  expect(rules.filter((r) => r.match.destIpRanges?.includes('2606:4700:4700::1111/128'))).toEqual([
    expect.objectContaining({ match: expect.objectContaining({ srcIpRanges: [subnet[0]!.internalIpv6Prefix] }) }),
  ]);
  expect(rules.filter((r) => r.match.destFqdns?.includes('api.ledger.io')).flatMap((r) => r.match.srcIpRanges)).toEqual(
    expect.arrayContaining([subnet[0]!.ipCidrRange, subnet[0]!.internalIpv6Prefix]),
  );
  // The example projects keep their described subnets (examples/network.yaml).
  expect(await apply(s, 'checkout', ['api.stripe.com'])).toMatchObject({ data: { outcome: 'applied' } });
  expect(sourcesOf(s, 'checkout')).toEqual(['10.16.0.0/24']);
});

test('--network FILE describes the subnets; a project it leaves out still gets a pool subnet', async () => {
  const file = join(dir, 'net.yaml');
  writeFileSync(
    file,
    [
      'network: corp-vpc',
      'subnets:',
      '  - name: zz-ledger-7-euw4',
      '    region: europe-west4',
      '    project: zz-ledger-7',
      '    ipCidrRange: 172.20.4.0/24',
      '    secondaryIpRanges:',
      '      - { rangeName: pods, ipCidrRange: 172.24.0.0/16 }',
      '',
    ].join('\n'),
  );
  const s = await start('file', file);
  expect(cliEnv(s).EGRESS_NETWORK).toBe('corp-vpc');
  expect(await apply(s, 'zz-ledger-7', ['api.ledger.io'])).toMatchObject({ data: { outcome: 'applied' } });
  expect(sourcesOf(s, 'zz-ledger-7')).toEqual(['172.20.4.0/24', '172.24.0.0/16']);
  // Not in the file (the examples are not either): a pool subnet of the file's network.
  expect(await apply(s, 'payment-gateway', ['api.stripe.com'])).toMatchObject({ data: { outcome: 'applied' } });
  const [src] = sourcesOf(s, 'payment-gateway');
  expect(inside(src!, '10.160.0.0/11')).toBe(true);
  const all = Object.values(s.engine.directory.aggregated(s.hostProject).items).flatMap((x) => x.subnetworks);
  expect(all.map((x) => x.network.split('/').at(-1))).toEqual(['corp-vpc', 'corp-vpc']);
});
