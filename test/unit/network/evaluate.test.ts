import fc from 'fast-check';
import { buildModel } from '../../../shared/core/network/build';
import { decidedBeforePolicy, describeDecision, evaluate } from '../../../shared/core/network/evaluate';
import type { EnforcementOrder, NetRule, NetworkModel } from '../../../shared/core/network/model';
import { firstUsable, IMPLIED_EGRESS, tiersInOrder } from '../../../shared/core/network/model';
import { SourceIpError, sourceIpFor, vpcRuleOf } from '../../../shared/core/network/source';

const rule = (priority: number, action: string, ranges: string[], extra: Partial<NetRule> = {}): NetRule => ({
  priority,
  ruleName: `${action}-${priority}`,
  direction: 'EGRESS',
  action,
  match: { destIpRanges: ranges, layer4Configs: [{ ipProtocol: 'all' }] },
  ...extra,
});

function model(over: Partial<NetworkModel> = {}): NetworkModel {
  return {
    hostProject: 'host',
    network: 'shared-vpc',
    enforcementOrder: 'AFTER_CLASSIC_FIREWALL',
    subnets: [
      {
        name: 'pg-usc1',
        region: 'us-central1',
        network: 'shared-vpc',
        primary: '10.10.0.0/24',
        secondary: [],
        ipv6: [],
        project: 'pg',
      },
      {
        name: 'orphan',
        region: 'us-central1',
        network: 'shared-vpc',
        primary: '10.99.0.0/24',
        secondary: [],
        ipv6: [],
      },
    ],
    hierarchical: [],
    vpcRules: [],
    global: {
      kind: 'global',
      name: 'egress',
      reference: 'network:shared-vpc/firewallPolicy:egress',
      rules: [
        rule(1000, 'allow', ['34.117.59.0/24'], {
          match: { srcIpRanges: ['10.10.0.0/24'], destIpRanges: ['34.117.59.0/24'] },
        }),
        rule(2100000000, 'deny', ['0.0.0.0/0']),
      ],
    },
    regional: [],
    source: 'test',
    ...over,
  };
}
const src = { project: 'pg', ip: '10.10.0.2' };
const ip = (value: string) => ({ kind: 'ip' as const, value });
const openVpc = vpcRuleOf({
  name: 'allow-https-out',
  direction: 'EGRESS',
  priority: 1000,
  destinationRanges: ['0.0.0.0/0'],
  allowed: [{ IPProtocol: 'tcp', ports: ['443'] }],
});

describe('the network evaluator', () => {
  it('a listed range is allowed by the policy; anything else by the baseline deny', () => {
    expect(evaluate(model(), src, ip('34.117.59.7')).decidedBy.rule.ruleName).toBe('allow-1000');
    const v = evaluate(model(), src, ip('8.8.8.8'));
    expect([v.disposition, v.decidedBy.rule.ruleName]).toEqual(['DENIED', 'deny-2100000000']);
  });

  it('a VPC egress allow decides before the policy under AFTER_CLASSIC_FIREWALL, after it under BEFORE_CLASSIC_FIREWALL', () => {
    const after = evaluate(model({ vpcRules: [openVpc] }), src, ip('8.8.8.8'), {
      packet: { protocol: 'tcp', port: 443 },
    });
    expect(after.disposition).toBe('ALLOWED');
    expect(after.decidedBy.tier.kind).toBe('vpc-rules');
    expect(decidedBeforePolicy(after)).toBe(true);
    expect(describeDecision(after.decidedBy, true)).toMatch(
      /VPC firewall rule allow-https-out .*evaluated before the policy/,
    );
    const before = evaluate(
      model({ vpcRules: [openVpc], enforcementOrder: 'BEFORE_CLASSIC_FIREWALL' }),
      src,
      ip('8.8.8.8'),
      {
        packet: { protocol: 'tcp', port: 443 },
      },
    );
    expect([before.disposition, before.decidedBy.tier.kind]).toEqual(['DENIED', 'global']);
    // another port is not matched by the VPC rule: the policy decides under either order
    expect(
      evaluate(model({ vpcRules: [openVpc] }), src, ip('8.8.8.8'), { packet: { protocol: 'tcp', port: 80 } })
        .disposition,
    ).toBe('DENIED');
  });

  it('in VPC rules a deny wins a tie with an allow of the same priority', () => {
    const deny = vpcRuleOf({
      name: 'deny-out',
      direction: 'EGRESS',
      priority: 1000,
      destinationRanges: ['8.8.8.0/24'],
      denied: [{ IPProtocol: 'all' }],
    });
    const v = evaluate(model({ vpcRules: [openVpc, deny], global: undefined }), src, ip('8.8.8.8'));
    expect(v.decidedBy.rule.ruleName).toBe('deny-out');
  });

  it('goto_next ends its tier: a later rule of the same policy is not evaluated, the next tier decides', () => {
    const v = evaluate(
      model({
        global: {
          kind: 'global',
          name: 'g',
          reference: 'r',
          rules: [rule(1, 'goto_next', ['8.8.8.0/24']), rule(2, 'deny', ['0.0.0.0/0'])],
        },
      }),
      src,
      ip('8.8.8.8'),
    );
    expect(v.passed.map((p) => p.rule.ruleName)).toEqual(['goto_next-1']);
    expect(v.decidedBy.rule).toBe(IMPLIED_EGRESS);
  });

  it('a hierarchical deny decides before everything; regional policies of other regions do not apply', () => {
    const h = {
      kind: 'hierarchical' as const,
      name: 'org',
      reference: '0/firewallPolicy:1',
      rules: [rule(5, 'deny', ['1.1.1.1/32'])],
    };
    const v = evaluate(model({ hierarchical: [h] }), src, ip('1.1.1.1'));
    expect([v.decidedBy.tier.name, decidedBeforePolicy(v)]).toEqual(['org', true]);
    const regional = [
      {
        kind: 'regional' as const,
        name: 'eu',
        region: 'europe-west1',
        reference: 'eu',
        rules: [rule(1, 'allow', ['8.8.8.8/32'])],
      },
      {
        kind: 'regional' as const,
        name: 'us',
        region: 'us-central1',
        reference: 'us',
        rules: [rule(1, 'allow', ['9.9.9.9/32'])],
      },
    ];
    const m = model({
      regional,
      global: { kind: 'global', name: 'g', reference: 'g', rules: [rule(1, 'goto_next', ['0.0.0.0/0'])] },
    });
    expect(describeDecision(evaluate(m, src, ip('9.9.9.9')).decidedBy)).toMatch(/regional policy us \(us-central1\)/);
    expect(evaluate(m, src, ip('8.8.8.8')).decidedBy.rule).toBe(IMPLIED_EGRESS);
  });

  it('a hostname against range rules is undetermined, never guessed', () => {
    const v = evaluate(
      model({ global: { kind: 'global', name: 'g', reference: 'g', rules: [rule(1, 'allow', ['34.117.59.0/24'])] } }),
      src,
      {
        kind: 'hostname',
        value: 'api.stripe.com',
      },
    );
    expect(v.undetermined.map((u) => u.rule.priority)).toEqual([1]);
    expect(v.decidedBy.rule).toBe(IMPLIED_EGRESS);
  });
});

describe('sources of a project', () => {
  const m = model();
  it('defaults to the first usable address of its first subnet', () => {
    expect(sourceIpFor(m, 'pg', true, undefined, '10.128.0.2').ip).toBe('10.10.0.2');
    expect(firstUsable('2600:1900:4000::/64')).toBe('2600:1900:4000::2');
  });
  it('refuses an invalid address and one outside the project, naming its ranges', () => {
    expect(() => sourceIpFor(m, 'pg', true, '999.1.1.1', 'x')).toThrow(SourceIpError);
    expect(() => sourceIpFor(m, 'pg', true, '999.1.1.1', 'x')).toThrow(/not an IP address/);
    expect(() => sourceIpFor(m, 'pg', true, '10.99.0.5', 'x')).toThrow(
      /its ranges are 10\.10\.0\.0\/24 .*subnet orphan .*unassigned/,
    );
    expect(sourceIpFor(m, 'pg', true, '10.10.0.77', 'x').ip).toBe('10.10.0.77');
  });
  it('buildModel assigns subnets to projects by the target template and keeps the network VPC rules only', () => {
    const built = buildModel(
      {
        hostProject: 'h',
        network: 'shared-vpc',
        subnets: [
          {
            name: 'pg-a',
            region: 'r',
            network: 'projects/h/global/networks/shared-vpc',
            primary: '10.0.0.0/24',
            secondary: [],
            ipv6: [],
          },
        ],
        firewalls: [
          {
            name: 'x',
            network: 'projects/h/global/networks/other',
            direction: 'EGRESS',
            allowed: [{ IPProtocol: 'all' }],
          },
        ],
        hierarchical: [],
        policies: [],
        source: 't',
      },
      { target: { mode: 'subnets', subnets: '{project}-*' }, projects: ['pg'] },
    );
    expect(built.subnets[0]!.project).toBe('pg');
    expect(built.vpcRules).toEqual([]);
    expect(built.enforcementOrder).toBe('AFTER_CLASSIC_FIREWALL');
  });
});

/** Google's order read literally from the eval-order page, as the reference. */
function reference(m: NetworkModel, dest: string): { action: string; priority: number; tier: string } {
  const order: EnforcementOrder = m.enforcementOrder;
  const tiers: { name: string; rules: NetRule[]; vpc: boolean }[] = [
    ...m.hierarchical.map((t) => ({ name: t.name, rules: t.rules, vpc: false })),
  ];
  const policies = [...(m.global ? [{ name: m.global.name, rules: m.global.rules, vpc: false }] : [])];
  const vpc = { name: 'vpc', rules: m.vpcRules, vpc: true };
  if (order === 'AFTER_CLASSIC_FIREWALL') tiers.push(vpc, ...policies);
  else tiers.push(...policies, vpc);
  const covers = (r: NetRule) => (r.match.destIpRanges ?? []).some((x) => x === '0.0.0.0/0' || x === `${dest}/32`);
  for (const t of tiers) {
    const hits = t.rules.filter((r) => covers(r));
    if (!hits.length) continue;
    const top = Math.min(...hits.map((r) => r.priority));
    const atTop = hits.filter((r) => r.priority === top);
    const chosen = atTop.find((r) => r.action === 'deny') ?? atTop[0]!;
    if (chosen.action === 'goto_next') continue;
    return { action: chosen.action, priority: chosen.priority, tier: t.name };
  }
  return { action: 'allow', priority: 65535, tier: 'implied' };
}

test('property: the verdict equals a literal reading of Google order for random rule sets', () => {
  const dests = ['8.8.8.8', '1.1.1.1'];
  const arbRule = (actions: string[]) =>
    fc.record({
      priority: fc.integer({ min: 0, max: 20 }),
      action: fc.constantFrom(...actions),
      dest: fc.constantFrom('0.0.0.0/0', '8.8.8.8/32', '1.1.1.1/32'),
    });
  const uniq = (rs: { priority: number; action: string; dest: string }[]) => {
    const seen = new Set<number>();
    return rs.filter((r) => !seen.has(r.priority) && seen.add(r.priority));
  };
  fc.assert(
    fc.property(
      fc.array(arbRule(['allow', 'deny', 'goto_next']), { maxLength: 4 }),
      fc.array(arbRule(['allow', 'deny']), { maxLength: 4 }),
      fc.array(arbRule(['allow', 'deny', 'goto_next']), { maxLength: 4 }),
      fc.constantFrom<EnforcementOrder>('AFTER_CLASSIC_FIREWALL', 'BEFORE_CLASSIC_FIREWALL'),
      fc.constantFrom(...dests),
      (h, v, g, order, dest) => {
        const toRule = (r: { priority: number; action: string; dest: string }) => rule(r.priority, r.action, [r.dest]);
        const m = model({
          enforcementOrder: order,
          hierarchical: [{ kind: 'hierarchical', name: 'org', reference: 'o', rules: uniq(h).map(toRule) }],
          vpcRules: v.map((r, i) => ({ ...toRule(r), ruleName: `vpc-${i}` })),
          global: { kind: 'global', name: 'egress', reference: 'g', rules: uniq(g).map(toRule) },
          subnets: [],
        });
        const got = evaluate(m, { project: 'pg', ip: '10.0.0.2' }, ip(dest));
        const want = reference(m, dest);
        const tierName = got.decidedBy.tier.kind === 'vpc-rules' ? 'vpc' : got.decidedBy.tier.name;
        expect({ action: got.decidedBy.rule.action, priority: got.decidedBy.rule.priority, tier: tierName }).toEqual(
          want,
        );
        expect(tiersInOrder(m).at(-1)!.kind).toBe('implied');
      },
    ),
    { numRuns: 300 },
  );
});
