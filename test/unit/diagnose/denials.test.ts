import fc from 'fast-check';
import { classifyDenials, DEFAULT_INTERNAL_RANGES, type DenialContext } from '../../../shared/core/diagnose/denials';
import type { DnsRecordSeen, FirewallRecord } from '../../../shared/core/diagnose/logEntries';
import type { NetworkModel } from '../../../shared/core/network/model';
import { vpcRuleOf } from '../../../shared/core/network/source';
import { DEFAULT_POLICY } from '../../../shared/core/policy/defaults';
import { subnet, testModel } from '../network/fixtures';

const REF = 'network:vpc/firewallPolicy:egress';
const rec = (destIp: string, timestamp: string, over: Partial<FirewallRecord> = {}): FirewallRecord => ({
  timestamp,
  disposition: 'DENIED',
  srcIp: '10.128.0.2',
  destIp,
  destPort: 443,
  protocol: 6,
  reference: REF,
  priority: 2147483010,
  project: 'p1',
  ...over,
});
const dnsSeen = (name: string, addresses: string[], timestamp = '2026-12-01T19:59:00.000Z'): DnsRecordSeen => ({
  timestamp,
  name,
  responseCode: 'NOERROR',
  addresses,
  sourceIp: '10.128.0.2',
});
const ctx = (over: Partial<DenialContext> = {}): DenialContext => ({
  product: {
    reference: REF,
    priorityMax: 2000000000,
    rules: [
      {
        priority: 500,
        ruleName: 'security-block',
        direction: 'EGRESS',
        action: 'deny',
        match: { destIpRanges: ['192.0.2.0/24'] },
      },
      {
        priority: 2147483010,
        ruleName: 'deny-all-v4',
        direction: 'EGRESS',
        action: 'deny',
        match: { destIpRanges: ['0.0.0.0/0'] },
      },
    ],
  },
  manifest: {
    file: 'examples/manifests/p1.yaml',
    entries: [
      { type: 'hostname', value: 'cdn.example.com' },
      { type: 'hostname', value: 'gone.example' },
      { type: 'wildcard', value: '*.googleapis.com' },
    ],
  },
  internalRanges: DEFAULT_INTERNAL_RANGES,
  ...over,
});

test('groups by destination and port with count and first/last seen, most frequent first', () => {
  const g = classifyDenials(
    [
      rec('198.51.100.7', '2026-12-01T20:00:02.000Z'),
      rec('198.51.100.7', '2026-12-01T20:00:01.000Z'),
      rec('198.51.100.7', '2026-12-01T20:00:03.000Z', { destPort: 80 }),
      rec('198.51.100.7', '2026-12-01T20:00:05.000Z', { disposition: 'ALLOWED' }),
    ],
    [dnsSeen('api.unlisted.example', ['198.51.100.7'])],
    ctx(),
  );
  expect(g.map((x) => [x.destination.port, x.count, x.firstSeen, x.lastSeen])).toEqual([
    [443, 2, '2026-12-01T20:00:01.000Z', '2026-12-01T20:00:02.000Z'],
    [80, 1, '2026-12-01T20:00:03.000Z', '2026-12-01T20:00:03.000Z'],
  ]);
});

test('NOT_LISTED: the hostname from the DNS query log and the exact line to add to the manifest file', () => {
  const [g] = classifyDenials(
    [rec('198.51.100.7', '2026-12-01T20:00:00.000Z')],
    [dnsSeen('api.unlisted.example', ['198.51.100.7'])],
    ctx(),
  );
  expect(g).toMatchObject({
    class: 'NOT_LISTED',
    hostname: 'api.unlisted.example',
    rule: { ruleName: 'deny-all-v4' },
    fix: {
      file: 'examples/manifests/p1.yaml',
      line: '- "api.unlisted.example"',
      entry: 'api.unlisted.example',
      valid: true,
    },
  });
  const [bare] = classifyDenials([rec('198.51.100.9', '2026-12-01T20:00:00.000Z')], [], ctx());
  expect(bare).toMatchObject({ class: 'NOT_LISTED', hostname: null, fix: { line: '- "198.51.100.9"' } });
});

test('LISTED_DNS_MISMATCH says why: rotation, more than 32 addresses, NXDOMAIN at the firewall, not applied', () => {
  const at = '2026-12-01T20:00:00.000Z';
  const rot = classifyDenials(
    [rec('198.51.100.40', at)],
    [dnsSeen('cdn.example.com', ['198.51.100.40'])],
    ctx({
      firewallDns: { 'cdn.example.com': { a: ['198.51.100.40'], firewall: { a: ['198.51.100.41'] } } },
    }),
  );
  expect(rot[0]).toMatchObject({
    class: 'LISTED_DNS_MISMATCH',
    mismatch: { reason: 'ROTATION', programmed: ['198.51.100.41'] },
  });
  const many = Array.from({ length: 33 }, (_, i) => `198.51.100.${i + 100}`);
  const big = classifyDenials(
    [rec(many[32]!, at)],
    [dnsSeen('cdn.example.com', many)],
    ctx({
      firewallDns: { 'cdn.example.com': { a: many } },
    }),
  );
  expect(big[0]?.mismatch?.reason).toBe('MORE_THAN_32');
  const nx = classifyDenials(
    [rec('198.51.100.50', at)],
    [dnsSeen('gone.example', ['198.51.100.50'])],
    ctx({
      firewallDns: { 'gone.example': { a: ['198.51.100.50'], firewall: { nxdomain: true } } },
    }),
  );
  expect(nx[0]?.mismatch?.reason).toBe('NXDOMAIN_AT_FIREWALL');
  const pending = classifyDenials(
    [rec('198.51.100.40', at)],
    [dnsSeen('cdn.example.com', ['198.51.100.40'])],
    ctx({ appliedFqdns: [] }),
  );
  expect(pending[0]?.mismatch?.reason).toBe('NOT_APPLIED');
  const wild = classifyDenials(
    [rec('198.51.100.60', at)],
    [dnsSeen('storage.googleapis.com', ['198.51.100.60'])],
    ctx(),
  );
  expect(wild[0]).toMatchObject({ class: 'LISTED_DNS_MISMATCH', mismatch: { reason: 'WILDCARD_RANGES' } });
});

test('DENIED_ELSEWHERE names the foreign rule (same policy inside the band, or another policy); INTERNAL comes first', () => {
  const at = '2026-12-01T20:00:00.000Z';
  const [foreign] = classifyDenials([rec('192.0.2.5', at, { priority: 500 })], [], ctx());
  expect(foreign).toMatchObject({
    class: 'DENIED_ELSEWHERE',
    rule: { reference: REF, priority: 500, ruleName: 'security-block' },
  });
  expect(foreign?.detail).toContain('security-block');
  const [hier] = classifyDenials(
    [rec('203.0.113.5', at, { reference: '1/firewallPolicy:123', priority: 10 })],
    [],
    ctx(),
  );
  // a hierarchical policy decides before the network's policies: the new class names it
  expect(hier).toMatchObject({ class: 'DENIED_BEFORE_POLICY', rule: { reference: '1/firewallPolicy:123' } });
  expect(hier!.detail).toMatch(/hierarchical policy 1\/firewallPolicy:123/);
  const [internal] = classifyDenials(
    [rec('10.20.0.5', at, { reference: 'network:vpc/firewall:deny-db', priority: 100 })],
    [],
    ctx(),
  );
  expect(internal?.class).toBe('INTERNAL');
});

test('the suggested line is checked with the validator: a special-use name is flagged, a public one is not', () => {
  const at = '2026-12-01T20:00:00.000Z';
  const g = classifyDenials(
    [rec('198.51.100.7', at), rec('198.51.100.8', at)],
    [dnsSeen('api.unlisted.example', ['198.51.100.7']), dnsSeen('api.partner.com', ['198.51.100.8'])],
    ctx({ policy: DEFAULT_POLICY }),
  );
  const by = Object.fromEntries(g.map((x) => [x.hostname, x]));
  expect(by['api.partner.com']?.fix).toEqual({
    file: 'examples/manifests/p1.yaml',
    line: '- "api.partner.com"',
    entry: 'api.partner.com',
    valid: true,
  });
  expect(by['api.unlisted.example']?.fix).toMatchObject({
    valid: false,
    problem: expect.stringContaining('special-use domain'),
  });
  expect(by['api.unlisted.example']?.detail).toContain('the validator would refuse it');
});

describe('never wrong about the manifest, and the network model decides the rest', () => {
  const listed = ctx({
    manifest: {
      file: 'p1.yaml',
      entries: [
        { type: 'cidr', value: '1.1.1.1/32' },
        { type: 'cidr', value: '2606:4700:4700::1111/128' },
        { type: 'cidr', value: '34.117.0.0/16' },
      ],
    },
  });
  it('a listed address (IPv4, IPv6, inside a listed range) is LISTED_NOT_APPLIED, never NOT_LISTED', () => {
    for (const ip of ['1.1.1.1', '2606:4700:4700::1111', '34.117.59.7']) {
      const [g] = classifyDenials([rec(ip, '2026-12-01T20:00:00.000Z')], [], listed);
      expect({ ip, class: g!.class, fix: g!.fix }).toEqual({ ip, class: 'LISTED_NOT_APPLIED', fix: undefined });
    }
  });

  it('property: an address inside any listed range is never proposed as a line to add', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), (a, b) => {
        const [g] = classifyDenials([rec(`34.117.${a}.${b}`, '2026-12-01T20:00:00.000Z')], [], listed);
        expect(g!.class).not.toBe('NOT_LISTED');
      }),
      { numRuns: 100 },
    );
  });

  const model = (over: Partial<NetworkModel> = {}): NetworkModel =>
    testModel(
      [subnet('p1-a', '10.20.0.0/24', 'p1'), subnet('spare', '10.128.0.0/20')],
      [
        {
          priority: 2147483010,
          ruleName: 'deny-all-v4',
          direction: 'EGRESS',
          action: 'deny',
          match: { destIpRanges: ['0.0.0.0/0'] },
        },
      ],
      over,
    );

  it('SOURCE_NOT_COVERED: a connection from an unassigned subnet names it (and is not NOT_LISTED)', () => {
    const [g] = classifyDenials([rec('1.1.1.1', '2026-12-01T20:00:00.000Z')], [], {
      ...listed,
      model: model(),
      subnetsMode: true,
    });
    expect(g!.class).toBe('SOURCE_NOT_COVERED');
    expect(g!.detail).toMatch(/subnet spare .*unassigned.*10\.20\.0\.0\/24/);
  });

  it('DENIED_BEFORE_POLICY / ALLOWED_BEFORE_POLICY name the VPC rule evaluated before the policy', () => {
    const from = { srcIp: '10.20.0.2' };
    const deny = vpcRuleOf({
      name: 'deny-dns',
      direction: 'EGRESS',
      priority: 10,
      destinationRanges: ['8.8.8.8/32'],
      denied: [{ IPProtocol: 'all' }],
    });
    const [d] = classifyDenials([rec('8.8.8.8', '2026-12-01T20:00:00.000Z', from)], [], {
      ...ctx(),
      model: model({ vpcRules: [deny] }),
      subnetsMode: true,
    });
    expect(d).toMatchObject({ class: 'DENIED_BEFORE_POLICY' });
    expect(d!.detail).toMatch(/VPC firewall rule deny-dns .*evaluated before the policy/);
    const open = vpcRuleOf({
      name: 'allow-all',
      direction: 'EGRESS',
      destinationRanges: ['0.0.0.0/0'],
      allowed: [{ IPProtocol: 'all' }],
    });
    const [a] = classifyDenials([rec('8.8.8.8', '2026-12-01T20:00:00.000Z', from)], [], {
      ...ctx(),
      model: model({ vpcRules: [open] }),
      subnetsMode: true,
    });
    expect(a).toMatchObject({ class: 'ALLOWED_BEFORE_POLICY' });
    const [p] = classifyDenials([rec('8.8.8.8', '2026-12-01T20:00:00.000Z', from)], [], {
      ...ctx(),
      model: model({ vpcRules: [open], enforcementOrder: 'BEFORE_CLASSIC_FIREWALL' }),
      subnetsMode: true,
    });
    expect(p!.class).toBe('NOT_LISTED');
  });

  it('ALLOWED_NOW: a denial the current policy allows is never NOT_LISTED (explain --evidence cannot say ALLOWED and NOT_LISTED)', () => {
    const m = model();
    const allow = {
      priority: 1000,
      ruleName: 'platform-allow',
      direction: 'EGRESS',
      action: 'allow',
      match: { destIpRanges: ['8.8.8.0/24'] },
    };
    const now = model({ global: { ...m.global!, rules: [allow, ...m.global!.rules] } });
    const [g] = classifyDenials([rec('8.8.8.8', '2026-12-01T20:00:00.000Z', { srcIp: '10.20.0.2' })], [], {
      ...ctx(),
      model: now,
      subnetsMode: true,
    });
    expect(g).toMatchObject({ class: 'ALLOWED_NOW' });
    expect(g!.fix).toBeUndefined();
  });
});
