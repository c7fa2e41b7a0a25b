/** The one attribute count, the applier's headroom check and the capacity report (shared/core/capacity). */

import {
  policyUsage,
  ruleAttributes,
  ruleFqdns,
  UNKNOWN_ADDRESS_GROUP_CAPACITY,
} from '../../../shared/core/capacity/count';
import { checkHeadroom, headroomMessage } from '../../../shared/core/capacity/headroom';
import { policyCapacity, renderCapacityText, usageAbove } from '../../../shared/core/capacity/report';
import { compileProject } from '../../../shared/core/firewall/compiler';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import { DEFAULT_POLICY, parsePolicy } from '../../../shared/core/policy';
import { DEFAULT_CAPACITY } from '../../../shared/core/policy/capacity';
import { testPolicy } from '../firewall/testPolicy';

const C = DEFAULT_CAPACITY;
const l4 = [{ ipProtocol: 'all' }];

describe('ruleAttributes (Google: each range, protocol and port range 1)', () => {
  test('the documented and recorded examples', () => {
    // Google's example: one source range, tcp, one port range = 3.
    expect(
      ruleAttributes({ match: { srcIpRanges: ['10.100.0.1/32'], layer4Configs: [{ ports: ['5000-6000'] }] } }, C),
    ).toBe(3);
    // A default rule: ::/0 + all = 2.
    expect(ruleAttributes({ match: { destIpRanges: ['::/0'], layer4Configs: l4 } }, C)).toBe(2);
  });

  // Real API traffic recorded by GoogleCloudPlatform/k8s-config-connector (docs/capacity.md names each _http.log).
  const sa = (n: number) => Array.from({ length: n }, (_, i) => `gsa-${i}@p.iam.gserviceaccount.com`);
  const tcp = [{ ipProtocol: 'tcp' }];
  test('recorded: target service accounts cost 0 (computenetworkfirewallpolicyrulebasic)', () => {
    expect(
      ruleAttributes(
        { match: { srcIpRanges: ['10.100.0.1/32'], layer4Configs: tcp }, targetServiceAccounts: sa(2) },
        C,
      ),
    ).toBe(2);
    expect(
      ruleAttributes(
        {
          match: { srcIpRanges: ['10.100.0.1/32', '172.20.0.0/16'], layer4Configs: tcp },
          targetServiceAccounts: sa(1),
        },
        C,
      ),
    ).toBe(3);
  });

  test('recorded: a network context costs 1 (computenetworkfirewallpolicyrulebasic, ...egress)', () => {
    const src = (ctx: string, ranges: string[], n: number) => ({
      match: { srcIpRanges: ranges, srcNetworkContext: ctx, layer4Configs: tcp },
      targetServiceAccounts: sa(n),
    });
    expect(ruleAttributes(src('INTERNET', ['10.100.0.1/32'], 2), C)).toBe(3);
    expect(ruleAttributes(src('INTRA_VPC', ['10.100.0.1/32', '172.20.0.0/16'], 1), C)).toBe(4);
    const dest = (ctx: string, ranges: string[], n: number) => ({
      match: { destIpRanges: ranges, destNetworkContext: ctx, layer4Configs: tcp },
      targetServiceAccounts: sa(n),
    });
    expect(ruleAttributes(dest('INTERNET', ['10.100.0.1/32'], 2), C)).toBe(3);
    expect(ruleAttributes(dest('NON_INTERNET', ['10.100.0.1/32', '172.20.0.0/16'], 1), C)).toBe(4);
    expect(ruleAttributes(dest('UNSPECIFIED', ['10.100.0.1/32'], 0), C)).toBe(2);
  });

  test('recorded: an address group costs its capacity, each threat list 1 (computefirewallpolicyrule-egress-full)', () => {
    const group = 'organizations/1/locations/global/addressGroups/testnetworksecurityaddressgroup';
    const rule = (threats: string[]) => ({
      match: {
        destAddressGroups: [group],
        destFqdns: ['www.google.com'],
        destIpRanges: ['11.100.0.1/32'],
        destRegionCodes: ['US'],
        destThreatIntelligences: threats,
        layer4Configs: [{ ipProtocol: 'tcp', ports: ['8080'] }],
        srcIpRanges: ['10.100.0.1/32'],
      },
      targetServiceAccounts: sa(1),
    });
    // Google reported 109 and 110: one more threat list is one more attribute; the group is most of the count.
    const one = ruleAttributes(rule(['iplist-known-malicious-ips']), C);
    expect(ruleAttributes(rule(['iplist-known-malicious-ips', 'iplist-tor-exit-nodes']), C)).toBe(one + 1);
    expect(one).toBe(7 + UNKNOWN_ADDRESS_GROUP_CAPACITY);
    // With the group's capacity read, the group costs exactly that, per reference.
    const counting = { ...C, addressGroupCapacities: { [group]: 10 } };
    expect(ruleAttributes(rule(['iplist-known-malicious-ips']), counting)).toBe(7 + 10);
    const twice = { match: { destAddressGroups: [group, group], layer4Configs: l4 } };
    expect(ruleAttributes(twice, counting)).toBe(20 + 1);
  });

  test('FQDNs and secure tags weigh what the settings say (assumed 1)', () => {
    const rule = {
      match: { destFqdns: ['a.com', 'b.com'], layer4Configs: l4 },
      targetSecureTags: [{ name: 'tagValues/1' }],
    };
    expect(ruleAttributes(rule, C)).toBe(2 + 1 + 1);
    expect(ruleAttributes(rule, { ...C, fqdnAttributes: 2, secureTagAttributes: 0 })).toBe(4 + 1);
    expect(ruleFqdns(rule)).toBe(2);
  });

  test('target mode subnets: each source range of a compiled rule (srcIpRanges, per family) costs 1', () => {
    const policy = testPolicy({ target: { mode: 'subnets', subnets: '{project}-*', network: 'shared-vpc' } });
    const compiled = (secondary: { name: string; range: string }[]) =>
      compileProject(
        { name: 'payment-gateway', environment: 'production' },
        [
          { value: 'api.stripe.com', type: 'hostname' },
          { value: '34.117.59.0/24', type: 'cidr' },
        ],
        {
          policy,
          generation: '1',
          workloads: {
            mode: 'subnets',
            subnets: [
              {
                name: 'payment-gateway-usc1',
                region: 'us-central1',
                network: 'projects/host-prj/global/networks/shared-vpc',
                primary: '10.10.0.0/24',
                secondary,
                ipv6: [],
              },
            ],
          },
        },
      );
    const one = compiled([]);
    const three = compiled([
      { name: 'pods', range: '10.64.0.0/14' },
      { name: 'services', range: '10.68.0.0/20' },
    ]);
    expect(one.map((r) => r.match.srcIpRanges)).toEqual([['10.10.0.0/24'], ['10.10.0.0/24']]);
    for (const [i, r] of three.entries()) {
      expect(r.match.srcIpRanges).toHaveLength(3);
      expect(ruleAttributes(r, C)).toBe(ruleAttributes(one[i]!, C) + 2);
    }
    // fqdn rule: 1 source + 1 FQDN + all; v4 rule: 1 source + 1 destination + all
    expect(one.map((r) => ruleAttributes(r, C))).toEqual([3, 3]);
  });

  test("the API's ruleTupleCount, when reported, is the policy's attribute figure", () => {
    const rules = [{ match: { destFqdns: ['a.com'], layer4Configs: l4 } }];
    expect(policyUsage(rules, C)).toEqual({ rules: 1, attributes: 2, fqdns: 1 });
    expect(policyUsage(rules, C, 40)).toEqual({ rules: 1, attributes: 40, fqdns: 1 });
  });
});

const rule = (priority: number, fqdns: string[]): ObservedRule => ({
  priority,
  ruleName: `r${priority}`,
  description: '',
  direction: 'EGRESS',
  action: 'allow',
  enableLogging: false,
  match: { destFqdns: fqdns, layer4Configs: l4 },
});

describe("checkHeadroom: the policy's new rule list (one patch) against the quotas", () => {
  const snapshot = { rules: [rule(1, ['a.com', 'b.com'])] }; // 3 attributes, 2 FQDNs
  test('fits within the quotas; an updated rule counts its new size in place of the old', () => {
    const c = checkHeadroom(snapshot, [rule(1, ['a.com']), rule(2, ['c.com'])], { ...C, attributesPerPolicy: 5 });
    expect(c).toMatchObject({ fits: true, attributes: { used: 3, peak: 4, limit: 5 }, problems: [] });
  });
  test('the patch is atomic: a swap needs room only for the new list', () => {
    const c = checkHeadroom(snapshot, [rule(2, ['c.com', 'd.com'])], { ...C, attributesPerPolicy: 3 });
    expect(c.fits).toBe(true);
    const over = checkHeadroom(snapshot, [rule(2, ['c.com', 'd.com', 'e.com'])], { ...C, attributesPerPolicy: 3 });
    expect(over.attributes).toEqual({ used: 3, peak: 4, limit: 3 });
    expect(headroomMessage(over)).toContain('rule attributes: 3 used, 4 during this change, limit 3');
    expect(headroomMessage(over)).toContain('nothing was written');
  });
  test('the FQDN quota is checked on its own', () => {
    const c = checkHeadroom(snapshot, [...snapshot.rules, rule(2, ['c.com'])], { ...C, fqdnsPerPolicy: 2 });
    expect(c.fits).toBe(false);
    expect(c.problems[0]).toMatch(/^FQDNs: 2 used, 3 during this change, limit 2/);
  });
  test('a change that does not grow usage fits a policy already over a lowered quota (revocations go through)', () => {
    expect(checkHeadroom(snapshot, [], { ...C, attributesPerPolicy: 1 }).fits).toBe(true);
  });
});

describe('the capacity report', () => {
  const meta = { name: 'payments', environment: 'production' as const };
  const compiled = compileProject(meta, [{ value: 'api.stripe.com', type: 'hostname' }], {
    policy: { ...DEFAULT_POLICY, firewall: { ...DEFAULT_POLICY.firewall, hostProject: 'h' } },
    generation: '1',
    // target mode subnets (the default): one source range, 1 attribute like the FQDN and the protocol
    workloads: {
      mode: 'subnets',
      subnets: [
        {
          name: 'payments-usc1',
          region: 'us-central1',
          network: 'shared-vpc',
          primary: '10.0.0.0/24',
          secondary: [],
          ipv6: [],
        },
      ],
    },
  }).map((r, i) => ({ ...r, priority: 1000 + i }));
  test('rules, projects, attributes and FQDNs against the limits; text says the same numbers', () => {
    const p = policyCapacity('projects/h/global/firewallPolicies/fp', compiled, { ...C, attributesPerPolicy: 3 });
    expect(p).toEqual({
      policy: 'projects/h/global/firewallPolicies/fp',
      rules: 1,
      projects: 1,
      attributes: { used: 3, limit: 3 },
      fqdns: { used: 1, limit: 1000 },
    });
    expect(usageAbove(p, 0.9)).toEqual(['attributes 3/3 (100.0%)']);
    expect(renderCapacityText({ policies: [p] })).toBe(
      'projects/h/global/firewallPolicies/fp: 1 rules, 1 projects, attributes 3/3 (100.0%), fqdns 1/1000 (0.1%)\n' +
        'over 90%: projects/h/global/firewallPolicies/fp: attributes 3/3 (100.0%)\n',
    );
  });
});

describe('the capacity section of the policy file', () => {
  test('defaults (assumed where Google publishes none) and overrides', () => {
    expect(DEFAULT_POLICY.capacity).toEqual({
      attributesPerPolicy: 2000,
      fqdnsPerPolicy: 1000,
      fqdnAttributes: 1,
      secureTagAttributes: 1,
      serviceAccountAttributes: 0,
    });
    const { policy, diagnostics } = parsePolicy('capacity:\n  attributesPerPolicy: 20000\n', 'p.yaml');
    expect(diagnostics).toEqual([]);
    expect(policy.capacity.attributesPerPolicy).toBe(20000);
    expect(policy.capacity.fqdnsPerPolicy).toBe(1000);
  });
  test('a bad value is a positioned error', () => {
    const { diagnostics } = parsePolicy('capacity:\n  fqdnsPerPolicy: 0\n  bogus: 1\n', 'p.yaml');
    expect(diagnostics.map((d) => [d.line, d.path])).toEqual([
      [2, 'capacity.fqdnsPerPolicy'],
      [3, 'capacity.bogus'],
    ]);
  });
});
