/**
 * The target-mode reads through the REAL Google clients against the fake REST server: @google-cloud/compute's
 * SubnetworksClient (aggregatedList) and @google-cloud/resource-manager's TagValuesClient (getNamespacedTagValue).
 */
import { exampleSubnetworks, type FakeComputeServer, startFakeComputeServer } from '../../../local/fakes/compute';
import { computeSubnetSource, subnetworksClient } from '../../../shared/adapters/subnets';
import { resourceManagerTags, tagValuesClient } from '../../../shared/adapters/tags';

jest.setTimeout(30_000);

let server: FakeComputeServer;
beforeAll(async () => {
  server = await startFakeComputeServer();
  server.engine.directory.putSubnetworks('host-prj', exampleSubnetworks('host-prj'));
  server.engine.directory.putTagValues([
    { namespacedName: '42/egress-project/payment-gateway', name: 'tagValues/7001' },
  ]);
});
afterAll(async () => server.close());

it('lists every region of the host project with primary, secondary and IPv6 ranges', async () => {
  const c = subnetworksClient({ endpoint: server.url });
  try {
    const subnets = await computeSubnetSource('host-prj', c.api).listSubnets();
    const pg = subnets.find((s) => s.name === 'payment-gateway-usc1');
    expect(pg).toEqual({
      name: 'payment-gateway-usc1',
      region: 'us-central1',
      network: 'https://www.googleapis.com/compute/v1/projects/host-prj/global/networks/shared-vpc',
      primary: '10.10.0.0/24',
      secondary: [
        { name: 'pods', range: '10.64.0.0/14' },
        { name: 'services', range: '10.68.0.0/20' },
      ],
      ipv6: [],
    });
    expect(subnets.find((s) => s.name === 'customer-portal-usc1')?.ipv6).toEqual(['fd20:a:b:1000::/64']);
    expect(new Set(subnets.map((s) => s.region))).toEqual(new Set(['us-central1', 'europe-west1']));
    expect(await computeSubnetSource('other-host', c.api).listSubnets()).toEqual([]);
  } finally {
    await c.close();
  }
});

it('resolves a namespaced tag value to tagValues/N, and a missing one (403 PERMISSION_DENIED) to null', async () => {
  const c = tagValuesClient({ endpoint: server.url });
  try {
    const tags = resourceManagerTags(c.api);
    expect(await tags.lookup('42/egress-project/payment-gateway')).toBe('tagValues/7001');
    expect(await tags.lookup('42/egress-project/nobody')).toBeNull();
    expect(tags.cached()).toBe(1);
  } finally {
    await c.close();
  }
});
