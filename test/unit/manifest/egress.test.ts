import { normalizeEgressValue } from '../../../shared/core/manifest';
import { nonPublicSpace } from '../../../shared/core/manifest/publicSpace';
import { DEFAULT_POLICY } from '../../../shared/core/policy';

const norm = (v: unknown, policy = DEFAULT_POLICY) => normalizeEgressValue(v, policy);

describe('normalizeEgressValue: accepted entries', () => {
  it.each([
    ['api.stripe.com', 'api.stripe.com', 'hostname'],
    ['API.Stripe.COM', 'api.stripe.com', 'hostname'],
    ['api.stripe.com.', 'api.stripe.com', 'hostname'],
    ['  hooks.slack.com  ', 'hooks.slack.com', 'hostname'],
    ['bücher.de', 'xn--bcher-kva.de', 'hostname'],
    ['ＡＰＩ.example.com', 'api.example.com', 'hostname'],
    ['my-site.github.io', 'my-site.github.io', 'hostname'],
    ['a1.b-2.co.uk', 'a1.b-2.co.uk', 'hostname'],
    ['*.googleapis.com', '*.googleapis.com', 'wildcard'],
    ['*.GoogleAPIs.com.', '*.googleapis.com', 'wildcard'],
    ['8.8.8.8', '8.8.8.8/32', 'cidr'],
    ['199.36.153.8/30', '199.36.153.8/30', 'cidr'],
    ['151.101.0.0/16', '151.101.0.0/16', 'cidr'],
    ['2001:4860:4860::8888', '2001:4860:4860::8888/128', 'cidr'],
    ['2600:2D00:0002:2000::/64', '2600:2d00:2:2000::/64', 'cidr'],
    ['2001:4860:4860:0:0:0:0:8888/128', '2001:4860:4860::8888/128', 'cidr'],
  ])('%s → %s (%s)', (input, value, type) => {
    expect(norm(input)).toEqual({ ok: true, entry: { value, type } });
  });

  it('accepts a hostname of exactly 253 characters', () => {
    const h = `${'abcdefghi.'.repeat(25)}com`;
    expect(h).toHaveLength(253);
    expect(norm(h)).toMatchObject({ ok: true });
  });

  it('is idempotent: a normalized value normalizes to itself (the applier re-checks wire entries)', () => {
    for (const v of ['api.stripe.com', '*.googleapis.com', '8.8.8.8/32', '2600:2d00:2:2000::/64', 'xn--bcher-kva.de']) {
      const r = norm(v);
      expect(r.ok && r.entry.value).toBe(v);
    }
  });
});

describe('normalizeEgressValue: rejected entries', () => {
  it.each([
    [42, 'ENTRY_NOT_STRING', 'quote it: "42"'],
    [null, 'ENTRY_NOT_STRING', undefined],
    [{ host: 'x' }, 'ENTRY_NOT_STRING', undefined],
    ['', 'ENTRY_EMPTY', 'remove the empty item'],
    ['api.x.com api.y.com', 'INVALID_ENTRY', 'put each destination in its own list item'],
    ['https://api.x.com/v1', 'ENTRY_URL', 'use `api.x.com`'],
    ['HTTP://API.X.COM:8080/', 'ENTRY_URL', 'use `api.x.com`'],
    ['https://[2001:db8::1]:443/', 'ENTRY_URL', 'use `2001:db8::1`'],
    ['api.x.com:8443', 'ENTRY_PORT', 'use `api.x.com`'],
    ['8.8.8.8:53', 'ENTRY_PORT', 'use `8.8.8.8`'],
    ['[2001:4860:4860::8888]:443', 'ENTRY_PORT', 'use `2001:4860:4860::8888`'],
    ['[2001:4860:4860::8888]', 'INVALID_IP', 'use `2001:4860:4860::8888`'],
    ['api.x.com/v1/charges', 'ENTRY_PATH', 'use `api.x.com`'],
    ['user:secret@api.x.com', 'ENTRY_CREDENTIALS', 'use `api.x.com`'],
    ['a_b.example.com', 'INVALID_HOSTNAME', undefined],
    ['-api.example.com', 'INVALID_HOSTNAME', undefined],
    ['api..example.com', 'INVALID_HOSTNAME', undefined],
    ['localhost', 'INVALID_HOSTNAME', undefined],
    ['stripe', 'INVALID_HOSTNAME', undefined],
    [`${'a'.repeat(64)}.com`, 'INVALID_HOSTNAME', undefined],
    [`${'abcdefghi.'.repeat(26)}com`, 'INVALID_HOSTNAME', undefined],
    [
      'xn--zz.com',
      'INVALID_HOSTNAME',
      'copy the name as its owner publishes it (its Unicode form, or the exact `xn--` form)',
    ],
    ['metadata.google.internal', 'NON_PUBLIC_HOSTNAME', 'list public hostnames only'],
    ['printer.local', 'NON_PUBLIC_HOSTNAME', 'list public hostnames only'],
    ['1.2.3.999', 'INVALID_IP', undefined],
    ['010.1.2.3', 'INVALID_IP', 'write each octet in plain decimal without leading zeros, as the address you mean'],
    ['0x7f.0.0.1', 'INVALID_IP', undefined],
    ['0x08.8.8.8', 'INVALID_IP', 'did you mean `8.8.8.8`?'],
    ['2001:db8::zz', 'INVALID_IP', undefined],
    ['fe80::1%eth0', 'INVALID_IP', undefined],
    ['8.8.8.0/33', 'INVALID_CIDR', 'use a prefix from /1 to /32'],
    ['8.8.8.0/abc', 'INVALID_CIDR', 'use `8.8.8.0` or `8.8.8.0/<prefix>`'],
    ['8.8.8/24', 'INVALID_CIDR', undefined],
    ['*', 'INVALID_WILDCARD', undefined],
    ['api.*.example.com', 'INVALID_WILDCARD', undefined],
    ['*api.example.com', 'INVALID_WILDCARD', undefined],
    ['*.*.example.com', 'INVALID_WILDCARD', undefined],
    ['*.com', 'WILDCARD_PUBLIC_SUFFIX', 'list the exact hostnames you need instead (e.g. `api.com`)'],
    ['*.co.uk', 'WILDCARD_PUBLIC_SUFFIX', 'list the exact hostnames you need instead (e.g. `api.co.uk`)'],
    ['*.github.io', 'WILDCARD_SHARED_SUFFIX', 'list the exact hostnames you need instead (e.g. `api.github.io`)'],
    ['*.appspot.com', 'WILDCARD_SHARED_SUFFIX', 'list the exact hostnames you need instead (e.g. `api.appspot.com`)'],
    ['*.stripe.com', 'WILDCARD_NOT_SUPPORTED', 'list the exact hostnames you need instead (e.g. `api.stripe.com`)'],
    ['0.0.0.0/0', 'CIDR_ALL_ADDRESSES', 'list the specific hostnames or ranges you need'],
    ['::/0', 'CIDR_ALL_ADDRESSES', 'list the specific hostnames or ranges you need'],
    ['8.8.8.8/24', 'CIDR_HOST_BITS', 'use the network address `8.8.8.0/24` (or `8.8.8.8` for the single address)'],
    [
      '2001:4860::1/32',
      'CIDR_HOST_BITS',
      'use the network address `2001:4860::/32` (or `2001:4860::1` for the single address)',
    ],
    ['34.0.0.0/8', 'CIDR_TOO_BROAD', 'list narrower ranges (/16 or longer) or the hostnames you need'],
    ['2600::/16', 'CIDR_TOO_BROAD', 'list narrower ranges (/32 or longer) or the hostnames you need'],
  ])('%p → %s', (input, code, hint) => {
    const r = norm(input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe(code);
    expect(r.hint).toBe(hint);
    expect(r.message.length).toBeGreaterThan(10);
  });

  it.each([
    ['10.1.2.3', 'private'],
    ['172.16.0.0/12', 'private'],
    ['192.168.1.0/24', 'private'],
    ['127.0.0.1', 'loopback'],
    ['169.254.169.254', 'metadata server'],
    ['100.64.0.0/10', 'carrier-grade NAT'],
    ['224.0.0.1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.10', 'documentation'],
    ['198.51.100.0/24', 'documentation'],
    ['203.0.113.7', 'documentation'],
    ['240.0.0.1', 'reserved'],
    ['fd00::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['::1', 'loopback'],
    ['ff02::1', 'multicast'],
    ['2001:db8::/32', 'reserved'],
    ['::ffff:10.0.0.1', 'IPv4-mapped'],
    ['4000::1', 'global unicast'],
  ])('%s is non-public (%s)', (input, why) => {
    const r = norm(input);
    expect(r).toMatchObject({ ok: false, code: 'NON_PUBLIC_ADDRESS' });
    expect(!r.ok && r.message).toContain(why);
  });

  it('rejects a range that merely overlaps a private range', () => {
    const policy = { ...DEFAULT_POLICY, manifest: { ...DEFAULT_POLICY.manifest, minPrefixV4: 8 } };
    expect(norm('100.0.0.0/8', policy)).toMatchObject({ ok: false, code: 'NON_PUBLIC_ADDRESS' });
    expect(norm('34.0.0.0/8', policy)).toEqual({ ok: true, entry: { value: '34.0.0.0/8', type: 'cidr' } });
  });

  it('hints the IPv4 address for an IPv4-mapped IPv6 address', () => {
    expect(norm('::ffff:8.8.8.8')).toMatchObject({ code: 'NON_PUBLIC_ADDRESS', hint: 'use `8.8.8.8`' });
  });

  it('accepts only the wildcards the policy maps, and any the policy adds', () => {
    const policy = {
      ...DEFAULT_POLICY,
      wildcards: { ...DEFAULT_POLICY.wildcards, '*.stripe.com': { ranges: ['54.187.174.169/32'] } },
    };
    expect(norm('*.stripe.com', policy)).toEqual({ ok: true, entry: { value: '*.stripe.com', type: 'wildcard' } });
    expect(norm('*.googleapis.com', { ...DEFAULT_POLICY, wildcards: {} })).toMatchObject({
      ok: false,
      code: 'WILDCARD_SHARED_SUFFIX',
    });
  });

  it('never lets a policy map a wildcard over an ICANN public suffix', () => {
    const policy = { ...DEFAULT_POLICY, wildcards: { '*.co.uk': { ranges: ['8.8.8.0/24'] } } };
    expect(norm('*.co.uk', policy)).toMatchObject({ ok: false, code: 'WILDCARD_PUBLIC_SUFFIX' });
  });

  it('honours the policy minimum prefixes', () => {
    const policy = { ...DEFAULT_POLICY, manifest: { ...DEFAULT_POLICY.manifest, minPrefixV4: 24, minPrefixV6: 48 } };
    expect(norm('151.101.0.0/16', policy)).toMatchObject({ ok: false, code: 'CIDR_TOO_BROAD' });
    expect(norm('151.101.1.0/24', policy)).toMatchObject({ ok: true });
    expect(norm('2600:2d00::/32', policy)).toMatchObject({ ok: false, code: 'CIDR_TOO_BROAD' });
  });
});

describe('nonPublicSpace: wholly non-public, never merely overlapping', () => {
  it.each([
    ['10.0.0.0/8', /RFC 1918/],
    ['10.1.2.3', /RFC 1918/],
    ['169.254.169.254', /link-local/],
    ['fd00::/8', /unique-local/],
    ['4000::/3', /outside global unicast/],
  ])('%s is non-public', (range, why) => {
    expect(nonPublicSpace(range)).toMatch(why);
  });

  it.each(['0.0.0.0/0', '::/0', '0.0.0.0/1', '10.0.0.0/7', '8.8.8.8', '2600:2d00:2:2000::1', 'not a range'])(
    '%s contains public space (or is not a range)',
    (range) => {
      expect(nonPublicSpace(range)).toBeUndefined();
    },
  );
});
