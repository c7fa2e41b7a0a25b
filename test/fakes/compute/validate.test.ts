import type { protos } from '@google-cloud/compute';
import { fqdnProblem, rangeFamily, ruleTupleCount, validateRule } from '../../../local/fakes/compute/validate';

type IRule = protos.google.cloud.compute.v1.IFirewallPolicyRule;

const base = (over: Partial<IRule> = {}): IRule => ({
  action: 'allow',
  direction: 'EGRESS',
  match: { destFqdns: ['api.stripe.com'], layer4Configs: [{ ipProtocol: 'all' }] },
  ...over,
});
const withMatch = (match: IRule['match'], over: Partial<IRule> = {}): IRule => base({ match, ...over });
const l4 = [{ ipProtocol: 'all' }];
const fqdns = (n: number): string[] => Array.from({ length: n }, (_, i) => `h${i}.example.com`);
const v4s = (n: number): string[] => Array.from({ length: n }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);

/** The (status, reason) of the validation error, or 'ok'. */
const verdict = (rule: IRule): string => {
  const e = validateRule(rule);
  return e ? `${e.status} ${e.reason}` : 'ok';
};

test('a well-formed egress allow rule is valid', () => {
  expect(verdict(base({ targetServiceAccounts: ['a@p.iam.gserviceaccount.com'], enableLogging: true }))).toBe('ok');
});

describe('FQDN objects', () => {
  test('at most 100 destFqdns per rule', () => {
    expect(verdict(withMatch({ destFqdns: fqdns(100), layer4Configs: l4 }))).toBe('ok');
    expect(verdict(withMatch({ destFqdns: fqdns(101), layer4Configs: l4 }))).toBe('400 invalid');
  });
  test.each([
    ['*.stripe.com', /Wildcards/],
    ['localhost', /two labels/],
    ['-bad.example.com', /not a valid DNS label/],
    [`${'a'.repeat(64)}.com`, /not a valid DNS label/],
    [`${'a.'.repeat(127)}com`, /1-253/],
  ])('%s is refused', (name, why) => {
    expect(fqdnProblem(name)).toMatch(why);
    expect(verdict(withMatch({ destFqdns: [name], layer4Configs: l4 }))).toBe('400 invalid');
  });
  test('a trailing dot is accepted', () => expect(fqdnProblem('api.stripe.com.')).toBeUndefined());
  test('destFqdns only on EGRESS, srcFqdns only on INGRESS', () => {
    expect(verdict(withMatch({ destFqdns: ['a.com'], layer4Configs: l4 }, { direction: 'INGRESS' }))).toBe(
      '400 invalid',
    );
    expect(verdict(withMatch({ srcFqdns: ['a.com'], layer4Configs: l4 }))).toBe('400 invalid');
    expect(verdict(withMatch({ srcFqdns: ['a.com'], layer4Configs: l4 }, { direction: 'INGRESS' }))).toBe('ok');
  });
});

describe('IP ranges', () => {
  test('at most 5000 destIpRanges per rule', () => {
    expect(verdict(withMatch({ destIpRanges: v4s(5000), layer4Configs: l4 }))).toBe('ok');
    expect(verdict(withMatch({ destIpRanges: v4s(5001), layer4Configs: l4 }))).toBe('400 invalid');
  });
  test('IPv4 and IPv6 are never mixed in one rule (within or across src/dest)', () => {
    expect(verdict(withMatch({ destIpRanges: ['10.0.0.0/8', '2001:db8::/32'], layer4Configs: l4 }))).toBe(
      '400 invalid',
    );
    expect(
      verdict(withMatch({ srcIpRanges: ['10.0.0.0/8'], destIpRanges: ['2001:db8::/32'], layer4Configs: l4 })),
    ).toBe('400 invalid');
    expect(verdict(withMatch({ destIpRanges: ['2001:db8::/32', '2001:db9::1'], layer4Configs: l4 }))).toBe('ok');
  });
  test.each(['10.0.0.0/33', '300.1.1.1', 'example.com', '10.0.0.0/'])('%s is not a range', (r) => {
    expect(rangeFamily(r)).toBeUndefined();
    expect(verdict(withMatch({ destIpRanges: [r], layer4Configs: l4 }))).toBe('400 invalid');
  });
});

describe('targets', () => {
  test('targetServiceAccounts and targetSecureTags are exclusive', () => {
    expect(
      verdict(
        base({ targetServiceAccounts: ['a@p.iam.gserviceaccount.com'], targetSecureTags: [{ name: 'tagValues/1' }] }),
      ),
    ).toBe('400 invalid');
    expect(verdict(base({ targetSecureTags: [{ name: 'tagValues/123' }] }))).toBe('ok');
  });
  test('secure tags are tagValues/N and service accounts are emails', () => {
    expect(verdict(base({ targetSecureTags: [{ name: 'env/prod' }] }))).toBe('400 invalid');
    expect(verdict(base({ targetServiceAccounts: ['not-an-email'] }))).toBe('400 invalid');
  });
  test('network tags do not exist on firewall policy rules (unknown field)', () => {
    expect(verdict({ ...base(), targetTags: ['web'] } as IRule)).toBe('400 invalid');
  });
});

describe('other fields', () => {
  test('description at most 1024 characters (assumed bound)', () => {
    expect(verdict(base({ description: 'x'.repeat(1024) }))).toBe('ok');
    expect(verdict(base({ description: 'x'.repeat(1025) }))).toBe('400 invalid');
  });
  test('ruleName is an RFC 1035 name when present', () => {
    expect(verdict(base({ ruleName: 'egress-payments-0' }))).toBe('ok');
    expect(verdict(base({ ruleName: 'Egress_Payments' }))).toBe('400 invalid');
  });
  test('action and direction are required and enumerated', () => {
    expect(verdict(base({ action: undefined }))).toBe('400 required');
    expect(verdict(base({ action: 'accept' }))).toBe('400 invalid');
    expect(verdict(base({ direction: undefined }))).toBe('400 required');
    expect(verdict(base({ direction: 'OUT' }))).toBe('400 invalid');
  });
  test('goto_next cannot log; apply_security_profile_group needs a group, others must not have one', () => {
    expect(verdict(base({ action: 'goto_next', enableLogging: true }))).toBe('400 invalid');
    expect(verdict(base({ action: 'apply_security_profile_group' }))).toBe('400 required');
    expect(verdict(base({ action: 'apply_security_profile_group', securityProfileGroup: 'x' }))).toBe('ok');
    expect(verdict(base({ securityProfileGroup: 'x' }))).toBe('400 invalid');
    expect(verdict(base({ tlsInspect: true }))).toBe('400 invalid');
  });
  test('match and layer4Configs are required; ports only for tcp/udp/sctp and within 0-65535', () => {
    expect(verdict(base({ match: undefined }))).toBe('400 required');
    expect(verdict(withMatch({ destFqdns: ['a.com'] }))).toBe('400 required');
    expect(verdict(withMatch({ destFqdns: ['a.com'], layer4Configs: [{ ipProtocol: 'icmp', ports: ['1'] }] }))).toBe(
      '400 invalid',
    );
    expect(
      verdict(withMatch({ destFqdns: ['a.com'], layer4Configs: [{ ipProtocol: 'tcp', ports: ['443', '8000-8080'] }] })),
    ).toBe('ok');
    expect(verdict(withMatch({ destFqdns: ['a.com'], layer4Configs: [{ ipProtocol: 'tcp', ports: ['70000'] }] }))).toBe(
      '400 invalid',
    );
    expect(verdict(withMatch({ destFqdns: ['a.com'], layer4Configs: [{ ipProtocol: 'tcp', ports: ['90-80'] }] }))).toBe(
      '400 invalid',
    );
    expect(verdict(withMatch({ destFqdns: ['a.com'], layer4Configs: [{ ipProtocol: 'gre' }] }))).toBe('400 invalid');
    expect(verdict(withMatch({ destFqdns: ['a.com'], layer4Configs: [{ ipProtocol: '47' }] }))).toBe('ok');
  });
  test('the error message names the field and the value', () => {
    expect(validateRule(withMatch({ destFqdns: ['*.x.com'], layer4Configs: l4 }))?.message).toBe(
      "Invalid value for field 'resource.match.destFqdns': '*.x.com'. Wildcards are not supported in FQDN objects.",
    );
  });
});

test('ruleTupleCount counts ranges, FQDNs, targets, layer-4 configs and ports', () => {
  expect(
    ruleTupleCount(
      base({
        match: { destFqdns: ['a.com', 'b.com'], layer4Configs: [{ ipProtocol: 'tcp', ports: ['80', '443'] }] },
        targetServiceAccounts: ['a@p.iam.gserviceaccount.com'],
      }),
    ),
  ).toBe(2 + 0 + 2 + 1); // FQDNs, target service accounts (recorded: 0), tcp, ports
});
