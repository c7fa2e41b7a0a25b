import * as ipaddr from 'ipaddr.js';
import {
  DEFAULT_DNS_TABLE,
  lookup,
  programFqdn,
  resolveForApp,
  SYNTHESIZED_V4_BLOCK,
  SYNTHESIZED_V6_BLOCK,
  synthesizedAnswer,
} from '../../../shared/core/diagnose/dns';
import { evaluateTiers, type Source } from '../../../shared/core/network/evaluate';
import type { NetRule, Tier } from '../../../shared/core/network/model';

const inBlock = (ip: string, block: string) => ipaddr.parse(ip).match(ipaddr.parseCIDR(block));

describe('the local resolver: a name the table lacks', () => {
  test('resolves to one A and one AAAA inside the documented blocks, the same at every call', () => {
    const a = resolveForApp({}, 'api.newpartner-zz.com');
    expect(a.nxdomain).toBeUndefined();
    expect(a.a).toHaveLength(1);
    expect(a.aaaa).toHaveLength(1);
    expect(inBlock(a.a![0]!, SYNTHESIZED_V4_BLOCK)).toBe(true);
    expect(inBlock(a.aaaa![0]!, SYNTHESIZED_V6_BLOCK)).toBe(true);
    // Canonical text (what the logs and the firewall print), and stable.
    expect(ipaddr.parse(a.aaaa![0]!).toString()).toBe(a.aaaa![0]);
    expect(resolveForApp({}, 'API.NewPartner-ZZ.com.')).toEqual(a);
  });

  test('different names get different addresses (no collision among many names)', () => {
    const names = Array.from({ length: 500 }, (_, i) => `host${i}.partner${i % 7}.com`);
    const v4 = new Set(names.map((n) => synthesizedAnswer(n).a![0]));
    const v6 = new Set(names.map((n) => synthesizedAnswer(n).aaaa![0]));
    expect(v4.size).toBeGreaterThan(495);
    expect(v6.size).toBe(v4.size);
  });

  test('the firewall programs what the workload resolves (one answer for both views)', () => {
    const app = resolveForApp(DEFAULT_DNS_TABLE, 'api.brand-new.io');
    const fw = programFqdn(DEFAULT_DNS_TABLE, 'api.brand-new.io');
    expect(fw.ignored).toBeUndefined();
    expect(fw.v4).toEqual(app.a);
    expect(fw.v6).toEqual(app.aaaa);
  });

  test('the synthesized block is distinct from every address of the default table', () => {
    for (const r of Object.values(DEFAULT_DNS_TABLE))
      for (const ip of [...(r.a ?? []), ...(r.aaaa ?? []), ...(r.firewall?.a ?? []), ...(r.firewall?.aaaa ?? [])])
        expect(inBlock(ip, ip.includes(':') ? SYNTHESIZED_V6_BLOCK : SYNTHESIZED_V4_BLOCK)).toBe(false);
  });

  test('the table still overrides', () => {
    expect(resolveForApp(DEFAULT_DNS_TABLE, 'api.stripe.com').a).toEqual(['203.0.113.10', '203.0.113.11']);
    expect(lookup({ 'x.test': { a: ['192.0.2.1'] } }, 'x.test').a).toEqual(['192.0.2.1']);
    expect(resolveForApp({ 'gone.com': { nxdomain: true } }, 'gone.com').nxdomain).toBe(true);
  });

  test.each([
    'printer.local',
    'foo.localhost',
    'localhost',
    'api.test',
    'x.invalid',
    'api.unknown.example',
    'abc.onion',
    'metadata.google.internal',
    'thing.alt',
    'router.home.arpa',
    '10.in-addr.arpa',
    'single-label',
    'bad_name.com',
  ])('%s (special-use or not a hostname) answers NXDOMAIN, and the firewall ignores it', (name) => {
    expect(resolveForApp({}, name)).toEqual({ nxdomain: true });
    expect(programFqdn({}, name).ignored).toBe('NXDOMAIN');
  });

  test('example.com/net/org are ordinary names (RFC 6761 6.5: resolvers do not treat them as special)', () => {
    for (const n of ['www.example.com', 'api.example.net', 'example.org'])
      expect(resolveForApp({}, n).a?.length).toBe(1);
  });
});

describe('a new partner host behaves as on the internet: resolvable, denied until listed', () => {
  const src: Source = { project: 'p', ip: '10.10.0.2' };
  const rule = (r: Partial<NetRule> & Pick<NetRule, 'priority' | 'action'>): NetRule => ({
    direction: 'EGRESS',
    enableLogging: true,
    match: { layer4Configs: [{ ipProtocol: 'all' }] },
    ...r,
  });
  const denyAll = rule({ priority: 2147483010, action: 'deny', match: { destIpRanges: ['0.0.0.0/0'] } });
  const pol = (rules: NetRule[]): Tier => ({
    kind: 'global',
    name: 'e',
    reference: 'network:v/firewallPolicy:e',
    rules,
  });
  const host = 'api.fresh-partner.com';
  const ip = resolveForApp({}, host).a![0]!;
  const dest = { kind: 'ip' as const, value: ip };
  const opts = { dns: {}, packet: { protocol: 'tcp' as const, port: 443 } };

  test('not listed: denied by the baseline', () => {
    expect(evaluateTiers([pol([denyAll])], src, dest, opts).disposition).toBe('DENIED');
  });

  test('listed as an FQDN: allowed at the address the workload resolved', () => {
    const allow = rule({ priority: 1000, action: 'allow', match: { destFqdns: [host] } });
    expect(evaluateTiers([pol([allow, denyAll])], src, dest, opts).disposition).toBe('ALLOWED');
  });
});
