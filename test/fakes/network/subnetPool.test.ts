import * as ipaddr from 'ipaddr.js';
import { exampleSubnetworks, rangesOverlap, subnetRanges } from '../../../local/fakes/compute/subnets';
import {
  allocatePoolSubnet,
  DEFAULT_SUBNET_POOL,
  hasAssignedSubnet,
  poolSize,
  poolSlot,
  poolSubnetName,
  SubnetPoolError,
} from '../../../local/program/stack/subnetPool';

const inside = (range: string, block: string) => {
  const [a, p] = ipaddr.parseCIDR(range);
  const [b, q] = ipaddr.parseCIDR(block);
  return p >= q && a.match(b, q);
};

describe('the local subnet pool', () => {
  test('a project gets a dual-stack subnet from the documented pool, named after the template', () => {
    const s = allocatePoolSubnet('zz-ledger-7', 'europe-west4', []);
    expect(s).toMatchObject({
      name: 'zz-ledger-7-europe-west4',
      region: 'europe-west4',
      project: 'zz-ledger-7',
      stackType: 'IPV4_IPV6',
      ipv6AccessType: 'INTERNAL',
    });
    expect(inside(s.ipCidrRange!, DEFAULT_SUBNET_POOL.v4)).toBe(true);
    expect(s.ipCidrRange).toMatch(/\/24$/);
    expect(inside(s.internalIpv6Prefix!, DEFAULT_SUBNET_POOL.v6)).toBe(true);
    expect(inside(s.internalIpv6Prefix!, 'fd20::/20')).toBe(true);
    expect(s.internalIpv6Prefix).toMatch(/\/64$/);
  });

  test('deterministic: the same project and network give the same subnet', () => {
    const net = exampleSubnetworks('h');
    expect(allocatePoolSubnet('zz-ledger-7', 'us-central1', net)).toEqual(
      allocatePoolSubnet('zz-ledger-7', 'us-central1', net),
    );
  });

  test('no overlaps: 60 projects allocated one after the other never share a range, nor overlap the examples', () => {
    const net: ReturnType<typeof exampleSubnetworks> = exampleSubnetworks('h');
    for (let i = 0; i < 60; i++) {
      const s = allocatePoolSubnet(`team-${i}`, 'us-central1', net);
      net.push({ ...s, network: 'n' });
    }
    const ranges = net.flatMap(subnetRanges);
    const overlapping: string[] = [];
    for (let i = 0; i < ranges.length; i++)
      for (let j = i + 1; j < ranges.length; j++)
        if (rangesOverlap(ranges[i]!, ranges[j]!)) overlapping.push(`${ranges[i]} ${ranges[j]}`);
    expect(overlapping).toEqual([]);
    expect(net).toHaveLength(exampleSubnetworks('h').length + 60);
  });

  test('a collision takes the next free slot, wrapping around', () => {
    const pool = { v4: '10.0.0.0/22', v4Prefix: 24, v6: 'fd20:0:0:10::/62' };
    expect(poolSize(pool)).toBe(4);
    const first = allocatePoolSubnet('p', 'us-central1', [], { pool });
    const slots = [0, 1, 2, 3].map((i) => poolSlot(pool, i).v4);
    const at = slots.indexOf(first.ipCidrRange!);
    expect(at).toBeGreaterThanOrEqual(0);
    // Something else holds that /24 (only its IPv4 range): the next slot, both families moving together.
    const second = allocatePoolSubnet('p', 'us-central1', [{ ipCidrRange: `10.0.${at}.0/25` }], { pool });
    expect(second.ipCidrRange).toBe(slots[(at + 1) % 4]);
    expect(second.internalIpv6Prefix).toBe(poolSlot(pool, (at + 1) % 4).v6);
  });

  test('a full pool is an error with a hint', () => {
    const pool = { v4: '10.0.0.0/23', v4Prefix: 24, v6: 'fd20:0:0:10::/63' };
    const taken = [{ ipCidrRange: '10.0.0.0/24' }, { internalIpv6Prefix: 'fd20:0:0:11::/64' }];
    expect(() => allocatePoolSubnet('p', 'us-central1', taken, { pool })).toThrow(SubnetPoolError);
    expect(() => allocatePoolSubnet('p', 'us-central1', taken, { pool })).toThrow(
      /pool 10\.0\.0\.0\/23 \+ fd20:0:0:10::\/63 is full: no free slot for p \(hint: describe the subnets in a network file/,
    );
  });

  test('names follow the template; one the stack cannot fill is an error naming --network', () => {
    expect(poolSubnetName('{project}-*', 'ledger', 'us-east1')).toBe('ledger-us-east1');
    expect(poolSubnetName('net-{project}-*', 'ledger', 'us-east1')).toBe('net-ledger-us-east1');
    expect(poolSubnetName('/{project}(-.*)?/', 'ledger', 'us-east1')).toBe('ledger-us-east1');
    expect(() => poolSubnetName('/{project}-[0-9]+/', 'ledger', 'us-east1')).toThrow(/--network FILE/);
  });

  test("a project the network already gives a subnet to needs none (the applier's rule, network included)", () => {
    const net = exampleSubnetworks('h');
    const target = { mode: 'subnets' as const, subnets: '{project}-*' };
    expect(hasAssignedSubnet(target, 'payment-gateway', net)).toBe(true);
    expect(hasAssignedSubnet(target, 'zz-ledger-7', net)).toBe(false);
    expect(hasAssignedSubnet({ ...target, network: 'other-vpc' }, 'payment-gateway', net)).toBe(false);
  });
});
