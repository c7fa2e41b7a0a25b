import fc from 'fast-check';
import {
  CompileError,
  compileProject,
  isValidRuleName,
  MAX_DESCRIPTION,
  mergeRanges,
  parseMarker,
  ruleName,
} from '../../../shared/core/firewall';
import type { EgressEntry } from '../../../shared/core/manifest/types';
import { TAG_WORKLOADS, testPolicy } from './testPolicy';

const project = { name: 'payment-gateway', environment: 'production' };
const entries: EgressEntry[] = [
  { value: 'api.stripe.com', type: 'hostname', description: 'Payment processor API' },
  { value: 'hooks.slack.com', type: 'hostname', description: 'Notification webhooks' },
  { value: '*.googleapis.com', type: 'wildcard', description: 'Google Cloud APIs' },
  { value: '34.117.59.0/24', type: 'cidr' },
];
const opts = { policy: testPolicy(), generation: '1700000000000001' };

describe('compileProject', () => {
  it('compiles hostnames to an FQDN rule and ranges to one rule per family, in that order', () => {
    const rules = compileProject(project, entries, opts);
    expect(rules.map((r) => r.ruleName)).toEqual([
      'egress-payment-gateway-fqdn-1',
      'egress-payment-gateway-v4-1',
      'egress-payment-gateway-v6-1',
    ]);
    expect(rules[0]!.match).toEqual({
      destFqdns: ['api.stripe.com', 'hooks.slack.com'],
      layer4Configs: [{ ipProtocol: 'all' }],
    });
    expect(rules[1]!.match.destIpRanges).toEqual(['34.117.59.0/24', '199.36.153.8/30']);
    expect(rules[2]!.match.destIpRanges).toEqual(['2600:2d00:2:2000::/56']);
    for (const r of rules) {
      expect(r).toMatchObject({ direction: 'EGRESS', action: 'allow', enableLogging: true });
      expect(r.targetServiceAccounts).toEqual(['egress-payment-gateway@host-prj.iam.gserviceaccount.com']);
      expect(r.targetSecureTags).toBeUndefined();
      expect(r.match.destFqdns && r.match.destIpRanges).toBeFalsy();
    }
  });

  it('writes the ownership marker and the entries descriptions', () => {
    const [fqdn, v4] = compileProject(project, entries, opts);
    expect(parseMarker(fqdn!.description)).toEqual({
      managedBy: 'infrastream-egress',
      project: 'payment-gateway',
      generation: '1700000000000001',
      hash: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(fqdn!.description).toContain(
      ' | api.stripe.com: Payment processor API; hooks.slack.com: Notification webhooks',
    );
    expect(v4!.description).toContain('*.googleapis.com: Google Cloud APIs');
  });

  it('is deterministic and independent of entry order', () => {
    const a = compileProject(project, entries, opts);
    const b = compileProject(project, [...entries].reverse(), opts);
    expect(b).toEqual(a);
  });

  it('chunks by the per-rule limits', () => {
    const hosts: EgressEntry[] = Array.from({ length: 5 }, (_, i) => ({
      value: `h${i}.example.com`,
      type: 'hostname',
    }));
    const ranges: EgressEntry[] = Array.from({ length: 5 }, (_, i) => ({ value: `10.${i}.0.0/16`, type: 'cidr' }));
    const rules = compileProject(project, [...hosts, ...ranges], {
      ...opts,
      policy: testPolicy({ maxFqdnsPerRule: 2, maxRangesPerRule: 3 }),
    });
    expect(rules.map((r) => r.ruleName)).toEqual([
      'egress-payment-gateway-fqdn-1',
      'egress-payment-gateway-fqdn-2',
      'egress-payment-gateway-fqdn-3',
      'egress-payment-gateway-v4-1',
      'egress-payment-gateway-v4-2',
    ]);
    expect(rules.map((r) => (r.match.destFqdns ?? r.match.destIpRanges)!.length)).toEqual([2, 2, 1, 3, 2]);
  });

  it('uses secure tags when the policy says so', () => {
    const [r] = compileProject(project, entries.slice(0, 1), {
      ...opts,
      policy: testPolicy({ target: { mode: 'secureTags', org: '42', templates: ['{org}/egress/{project}'] } }),
      workloads: TAG_WORKLOADS,
    });
    expect(r!.targetSecureTags).toEqual([{ name: 'tagValues/payment-gateway' }]);
    expect(r!.targetServiceAccounts).toBeUndefined();
  });

  it('fails with an actionable error when the host project is needed but unknown', () => {
    const policy = testPolicy({ hostProject: undefined });
    expect(() => compileProject(project, entries, { ...opts, policy })).toThrow(/EGRESS_HOST_PROJECT/);
    expect(compileProject(project, entries, { ...opts, policy, hostProject: 'h2' })[0]!.targetServiceAccounts).toEqual([
      'egress-payment-gateway@h2.iam.gserviceaccount.com',
    ]);
  });

  it('refuses a wildcard the policy does not expand', () => {
    expect(() => compileProject(project, [{ value: '*.example.com', type: 'wildcard' }], opts)).toThrow(CompileError);
  });

  it('gives no rules for no entries', () => {
    expect(compileProject(project, [], opts)).toEqual([]);
  });

  it('keeps descriptions within the limit and says how many were left out', () => {
    const many: EgressEntry[] = Array.from({ length: 60 }, (_, i) => ({
      value: `host-${String(i).padStart(2, '0')}.example.com`,
      type: 'hostname',
      description: `a rather long explanation of why host number ${i} is needed\tby\nthe team`,
    }));
    const [r] = compileProject(project, many, opts);
    expect(r!.description.length).toBeLessThanOrEqual(MAX_DESCRIPTION);
    expect(r!.description).toMatch(/; \+\d+ more$/);
    expect(r!.description).not.toMatch(/[\t\n]/);
  });

  it('never exceeds the API per-rule limits, even when the policy asks for bigger chunks', () => {
    const big = testPolicy({ maxFqdnsPerRule: 150, maxRangesPerRule: 9000 });
    big.manifest.maxEntries = 10000;
    const hosts: EgressEntry[] = Array.from({ length: 120 }, (_, i) => ({
      value: `h${i}.example.com`,
      type: 'hostname',
    }));
    const ranges: EgressEntry[] = Array.from({ length: 5001 }, (_, i) => ({
      value: `34.${i >> 8}.${i & 255}.0/24`,
      type: 'cidr',
    }));
    const rules = compileProject(project, [...hosts, ...ranges], { policy: big, generation: '1' });
    expect(rules.map((r) => (r.match.destFqdns ?? r.match.destIpRanges)!.length)).toEqual([100, 20, 5000, 1]);
  });

  it('cuts a long entry description between characters, never inside a surrogate pair', () => {
    // 119 + 2 astral characters: a cut by UTF-16 units would keep half of the first emoji (a lone surrogate, which
    // the API cannot store as written, so every later event would see a changed description and patch again).
    const comment = `${'x'.repeat(118)}😀😀😀`;
    const [r] = compileProject(project, [{ value: 'api.example.com', type: 'hostname', description: comment }], opts);
    const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    expect(r!.description).not.toMatch(lone);
    expect(r!.description.endsWith(`: ${'x'.repeat(118)}…`)).toBe(true);
  });
});

describe('rule names', () => {
  it('are RFC 1035 labels of at most 63 characters, distinct for long keys', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9-]{0,80}[a-z0-9]$/), fc.integer({ min: 1, max: 999 }), (p, n) => {
        const name = ruleName(p, 'fqdn', n);
        expect(isValidRuleName(name)).toBe(true);
      }),
    );
    const long = 'a'.repeat(70);
    expect(ruleName(long, 'v4', 1)).not.toBe(ruleName(`${long}b`, 'v4', 1));
    expect(ruleName(long, 'v4', 1).length).toBeLessThanOrEqual(63);
  });
});

describe('mergeRanges', () => {
  it('canonicalizes, deduplicates and drops covered ranges, per family', () => {
    expect(
      mergeRanges(['10.1.2.3/16', '10.1.0.0/16', '10.1.5.0/24', '192.0.2.1', '2001:DB8::1/32', '2001:db8:1::/48']),
    ).toEqual({ v4: ['10.1.0.0/16', '192.0.2.1/32'], v6: ['2001:db8::/32'] });
  });
});

describe('parseRangeList (a wildcard expansion parsed once per policy)', () => {
  it('parses a list once per list object and returns the canonical ranges', () => {
    const { parseRangeList } =
      require('../../../shared/core/firewall/ranges') as typeof import('../../../shared/core/firewall/ranges');
    const list = ['34.126.0.0/18', '2001:4860:8040::/42'];
    const first = parseRangeList(list);
    expect(first.map((r) => r.text)).toEqual(['34.126.0.0/18', '2001:4860:8040::/42']);
    expect(parseRangeList(list)).toBe(first);
    expect(parseRangeList([...list])).not.toBe(first);
    expect(() => parseRangeList(['not-a-range'])).toThrow('not an address range: not-a-range');
  });

  it('two projects with the same wildcard compile as before the cache (same ranges, own descriptions)', () => {
    const policy = testPolicy();
    const wildcard = Object.keys(policy.wildcards)[0]!;
    const compile = (name: string) =>
      compileProject({ name, environment: 'e' }, [{ value: wildcard, type: 'wildcard' }], { policy, generation: '1' });
    const [a, b] = [compile('alpha'), compile('beta')];
    expect(a.map((r) => r.match.destIpRanges)).toEqual(b.map((r) => r.match.destIpRanges));
    expect(a.flatMap((r) => r.match.destIpRanges)).toEqual([
      ...mergeRanges(policy.wildcards[wildcard]!.ranges).v4,
      ...mergeRanges(policy.wildcards[wildcard]!.ranges).v6,
    ]);
  });
});
