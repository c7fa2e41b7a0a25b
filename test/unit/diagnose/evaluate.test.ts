import { DEFAULT_DNS_TABLE, type DnsTable, programFqdn } from '../../../shared/core/diagnose/dns';
import { type EvalPolicy, type EvalRule, evaluate, type Workload } from '../../../shared/core/diagnose/evaluate';

const w: Workload = { project: 'p1', ip: '10.0.0.2', serviceAccount: 'workload@p1.iam.gserviceaccount.com' };
const conn = (destIp: string, destPort = 443) => ({ destIp, destPort, protocol: 'tcp' as const });
const rule = (r: Partial<EvalRule> & Pick<EvalRule, 'priority' | 'action'>): EvalRule => ({
  direction: 'EGRESS',
  enableLogging: true,
  match: { layer4Configs: [{ ipProtocol: 'all' }] },
  ...r,
});
const denyAll = rule({
  priority: 2147483010,
  action: 'deny',
  ruleName: 'deny-all',
  match: { destIpRanges: ['0.0.0.0/0'] },
});
const pol = (rules: EvalRule[], name = 'egress'): EvalPolicy => ({
  kind: 'network',
  name,
  reference: `network:vpc/firewallPolicy:${name}`,
  rules,
});

describe('programFqdn (Cloud NGFW FQDN objects)', () => {
  test('programs at most 32 IPv4 and 32 IPv6 addresses, the first ones, and reports the rest', () => {
    const a = Array.from({ length: 40 }, (_, i) => `198.51.100.${i + 1}`);
    const aaaa = Array.from({ length: 33 }, (_, i) => `2001:db8::${(i + 1).toString(16)}`);
    const p = programFqdn({ 'big.example': { a, aaaa } }, 'big.example');
    expect(p.v4).toEqual(a.slice(0, 32));
    expect(p.v6).toEqual(aaaa.slice(0, 32));
    expect(p.truncated).toEqual([...a.slice(32), aaaa[32]]);
  });
  test('NXDOMAIN and empty answers are ignored; the firewall view wins over the application view', () => {
    const t: DnsTable = {
      'gone.example': { nxdomain: true },
      'empty.example': {},
      'cdn.example': { a: ['1.1.1.1'], firewall: { a: ['2.2.2.2'] } },
    };
    expect(programFqdn(t, 'gone.example').ignored).toBe('NXDOMAIN');
    expect(programFqdn(t, 'missing.example').ignored).toBe('NXDOMAIN');
    expect(programFqdn(t, 'empty.example').ignored).toBe('NO_ADDRESSES');
    expect(programFqdn(t, 'CDN.example.').v4).toEqual(['2.2.2.2']);
  });
});

describe('evaluate', () => {
  test('the lowest priority number that matches decides; the baseline denies the rest', () => {
    const allow = rule({
      priority: 1000,
      action: 'allow',
      ruleName: 'allow-stripe',
      match: { destFqdns: ['api.stripe.com'] },
    });
    const v = evaluate([pol([denyAll, allow])], w, conn('203.0.113.10'), DEFAULT_DNS_TABLE);
    expect(v.disposition).toBe('ALLOWED');
    expect(v.decidedBy).toMatchObject({
      priority: 1000,
      ruleName: 'allow-stripe',
      how: 'fqdn',
      matched: 'api.stripe.com',
    });
    const d = evaluate([pol([denyAll, allow])], w, conn('198.51.100.7'), DEFAULT_DNS_TABLE);
    expect(d.disposition).toBe('DENIED');
    expect(d.decidedBy).toMatchObject({ ruleName: 'deny-all', how: 'range', matched: '0.0.0.0/0' });
  });

  test('an FQDN matches only the addresses the firewall programmed, not what the application resolved', () => {
    const allow = rule({ priority: 1000, action: 'allow', match: { destFqdns: ['cdn.example.com'] } });
    expect(evaluate([pol([allow, denyAll])], w, conn('198.51.100.40'), DEFAULT_DNS_TABLE).disposition).toBe('DENIED');
    expect(evaluate([pol([allow, denyAll])], w, conn('198.51.100.41'), DEFAULT_DNS_TABLE).disposition).toBe('ALLOWED');
  });

  test('goto_next ends the policy (later rules of it are skipped) and the next policy decides', () => {
    const hier: EvalPolicy = {
      kind: 'hierarchical',
      name: 'org-policy',
      reference: '1/firewallPolicy:123',
      rules: [
        rule({ priority: 10, action: 'goto_next', match: { destIpRanges: ['198.51.100.0/24'] } }),
        rule({ priority: 20, action: 'deny', ruleName: 'org-deny', match: { destIpRanges: ['0.0.0.0/0'] } }),
      ],
    };
    const allow = rule({ priority: 1000, action: 'allow', match: { destIpRanges: ['198.51.100.7/32'] } });
    const v = evaluate([hier, pol([allow, denyAll])], w, conn('198.51.100.7'), DEFAULT_DNS_TABLE);
    expect(v.decidedBy).toMatchObject({ policy: 'egress', priority: 1000 });
    expect(v.passed).toEqual([{ policy: 'org-policy', priority: 10, ruleName: '' }]);
    const other = evaluate([hier, pol([allow, denyAll])], w, conn('203.0.113.10'), DEFAULT_DNS_TABLE);
    expect(other.decidedBy).toMatchObject({ policy: 'org-policy', ruleName: 'org-deny', policyKind: 'hierarchical' });
  });

  test('disabled rules, other targets, other ports and INGRESS rules do not match; nothing left means implied allow', () => {
    const rules = [
      rule({ priority: 1, action: 'deny', disabled: true }),
      rule({ priority: 2, action: 'deny', targetServiceAccounts: ['other@x.iam.gserviceaccount.com'] }),
      rule({
        priority: 3,
        action: 'deny',
        match: { layer4Configs: [{ ipProtocol: 'tcp', ports: ['80', '8000-8080'] }] },
      }),
      rule({ priority: 4, action: 'deny', direction: 'INGRESS' }),
      rule({ priority: 5, action: 'deny', targetSecureTags: [{ name: 'tagValues/9' }] }),
      rule({ priority: 6, action: 'deny', match: { srcIpRanges: ['10.9.0.0/16'] } }),
    ];
    const v = evaluate([pol(rules)], w, conn('203.0.113.10', 443), DEFAULT_DNS_TABLE);
    expect(v).toMatchObject({ disposition: 'ALLOWED', decidedBy: null });
    expect(evaluate([pol(rules)], w, conn('203.0.113.10', 8080), DEFAULT_DNS_TABLE).decidedBy?.priority).toBe(3);
    expect(
      evaluate([pol(rules)], { ...w, secureTags: ['tagValues/9'] }, conn('203.0.113.10'), DEFAULT_DNS_TABLE).decidedBy
        ?.priority,
    ).toBe(5);
  });
});
