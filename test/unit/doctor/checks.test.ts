/** Each pure check of `egress doctor` (shared/core/doctor) answers PASS, WARN and FAIL on the facts that call for it. */

import { anyFailed, doctorJson, renderDoctorText, runChecks } from '../../../shared/core/doctor';
import {
  baselineCheck,
  egressBeforePolicyCheck,
  enforcementOrderCheck,
  policyAssociationCheck,
} from '../../../shared/core/doctor/network';
import {
  capacityCheck,
  dnsAlternativeServersCheck,
  dnsLoggingCheck,
  permissionsCheck,
  projectSourcesCheck,
} from '../../../shared/core/doctor/platform';
import type { NetRule } from '../../../shared/core/network/model';
import { egressRule, subnet, testModel } from '../network/fixtures';

const baseline = [egressRule(2147483010, 'deny', ['0.0.0.0/0']), egressRule(2147483011, 'deny', ['::/0'])];
const vpcAllow: NetRule = {
  priority: 1000,
  ruleName: 'allow-egress-443',
  direction: 'EGRESS',
  action: 'allow',
  match: { destIpRanges: ['0.0.0.0/0'], layer4Configs: [{ ipProtocol: 'tcp', ports: ['443'] }] },
};
const model = (over: Parameters<typeof testModel>[2] = {}) =>
  testModel([subnet('a-1', '10.0.0.0/24'), subnet('b-1', '10.0.1.0/24')], baseline, over);
const target = { mode: 'subnets' as const, subnets: '{project}-*' };
const dnsOn = (extra: object = {}) => ({
  name: 'egress-dns-logging',
  enableLogging: true,
  networks: [{ networkUrl: 'https://www.googleapis.com/compute/v1/projects/host/global/networks/vpc' }],
  ...extra,
});

test('enforcement order: BEFORE_CLASSIC_FIREWALL passes, the default AFTER_CLASSIC_FIREWALL warns with the gcloud fix', () => {
  expect(enforcementOrderCheck(model({ enforcementOrder: 'BEFORE_CLASSIC_FIREWALL' })).status).toBe('PASS');
  const c = enforcementOrderCheck(model());
  expect(c.status).toBe('WARN');
  expect(c.fix).toContain('--network-firewall-policy-enforcement-order=BEFORE_CLASSIC_FIREWALL');
  expect(c.docs).toBe('docs/doctor.md#enforcement-order');
});

describe('egress allowed before the policy', () => {
  test('a VPC egress allow under AFTER_CLASSIC_FIREWALL fails, named with what it lets through', () => {
    const c = egressBeforePolicyCheck(model({ vpcRules: [vpcAllow] }));
    expect(c.status).toBe('FAIL');
    expect(c.message).toContain('VPC firewall rule allow-egress-443 (priority 1000) allows tcp:443 to 0.0.0.0/0');
  });
  test('the same rule under BEFORE_CLASSIC_FIREWALL passes (the policy decides first)', () => {
    expect(
      egressBeforePolicyCheck(model({ vpcRules: [vpcAllow], enforcementOrder: 'BEFORE_CLASSIC_FIREWALL' })).status,
    ).toBe('PASS');
  });
  test('an allow shadowed by a higher-priority VPC deny lets nothing through: pass', () => {
    const deny = {
      ...vpcAllow,
      priority: 900,
      ruleName: 'deny-all',
      action: 'deny',
      match: { destIpRanges: ['0.0.0.0/0', '::/0'], layer4Configs: [{ ipProtocol: 'all' }] },
    };
    expect(egressBeforePolicyCheck(model({ vpcRules: [vpcAllow, deny] })).status).toBe('PASS');
  });
  test('a hierarchical allow fails even under BEFORE_CLASSIC_FIREWALL', () => {
    const h = {
      kind: 'hierarchical' as const,
      name: 'org-open',
      reference: '0/firewallPolicy:1',
      rules: [{ ...vpcAllow, ruleName: 'org-allow' }],
    };
    const c = egressBeforePolicyCheck(model({ hierarchical: [h], enforcementOrder: 'BEFORE_CLASSIC_FIREWALL' }));
    expect(c.status).toBe('FAIL');
    expect(c.message).toContain('hierarchical policy org-open');
  });
  test('disabled and ingress VPC rules are not counted', () => {
    const off = [
      { ...vpcAllow, disabled: true },
      { ...vpcAllow, direction: 'INGRESS' },
    ];
    expect(egressBeforePolicyCheck(model({ vpcRules: off })).status).toBe('PASS');
  });
});

test('policy association: in effect passes; missing or not associated fails', () => {
  expect(policyAssociationCheck(model({ associatedPolicies: ['egress'] }), [{ name: 'egress' }]).status).toBe('PASS');
  expect(policyAssociationCheck(model({ associatedPolicies: [] }), [{ name: 'egress' }]).message).toContain(
    'not associated with network vpc: egress',
  );
  const { global: _g, ...noPolicy } = model();
  expect(policyAssociationCheck(noPolicy, [{ name: 'egress' }]).status).toBe('FAIL');
});

test('baseline: deny-all present passes; without it (IPv6 missing) egress falls to the implied allow and fails', () => {
  expect(baselineCheck(model(), [{ name: 'egress' }]).status).toBe('PASS');
  const c = baselineCheck(testModel([], [baseline[0]!]), [{ name: 'egress' }]);
  expect(c.status).toBe('FAIL');
  expect(c.message).toContain('2001:db8::1');
  expect(c.message).toContain('implied-allow-egress');
});

describe('DNS', () => {
  test('a logging server policy on the network passes; none or one without logging warns', () => {
    expect(dnsLoggingCheck(model(), [dnsOn()]).status).toBe('PASS');
    expect(dnsLoggingCheck(model(), []).status).toBe('WARN');
    expect(dnsLoggingCheck(model(), [dnsOn({ enableLogging: false })]).message).toContain('does not log');
    const elsewhere = dnsOn({
      networks: [{ networkUrl: 'https://www.googleapis.com/compute/v1/projects/other/global/networks/vpc' }],
    });
    expect(dnsLoggingCheck(model(), [elsewhere]).status).toBe('WARN');
    expect(dnsLoggingCheck(model(), { unread: 'denied' }).status).toBe('WARN');
  });
  test('alternative name servers fail, named with their addresses', () => {
    expect(dnsAlternativeServersCheck(model(), [dnsOn()]).status).toBe('PASS');
    const alt = dnsOn({ alternativeNameServerConfig: { targetNameServers: [{ ipv4Address: '10.9.9.9' }] } });
    const c = dnsAlternativeServersCheck(model(), [alt]);
    expect(c.status).toBe('FAIL');
    expect(c.message).toContain('egress-dns-logging (10.9.9.9)');
  });
});

test('project sources: each project its subnets passes; a project without one, or a subnet of two, fails', () => {
  expect(projectSourcesCheck(model(), target, ['a', 'b']).status).toBe('PASS');
  expect(projectSourcesCheck(model(), target, ['a', 'c']).message).toContain('for: c');
  const overlap = { mode: 'subnets' as const, subnets: '/^.*-1$/' };
  expect(projectSourcesCheck(model(), overlap, ['a', 'b']).message).toContain('us-central1/a-1 (a, b)');
  expect(projectSourcesCheck(model(), { mode: 'serviceAccounts', templates: ['x@{project}'] }, ['a']).status).toBe(
    'WARN',
  );
});

test('capacity: under 80% passes, over 80% warns, over 90% fails; each limit says where it came from', () => {
  const fact = (used: number) => ({
    usage: {
      policy: 'projects/host/global/firewallPolicies/egress',
      rules: 3,
      projects: 1,
      attributes: { used, limit: 100 },
      fqdns: { used: 1, limit: 10 },
    },
    sources: { attributes: 'quotas API' as const, fqdns: 'policy file' as const },
  });
  expect(capacityCheck([fact(50)]).status).toBe('PASS');
  expect(capacityCheck([fact(50)]).message).toContain('attributes 50/100 (quotas API), fqdns 1/10 (policy file)');
  expect(capacityCheck([fact(85)]).status).toBe('WARN');
  expect(capacityCheck([fact(95)]).status).toBe('FAIL');
});

test('permissions: all granted passes; a missing one fails naming it; untested warns', () => {
  const required = ['compute.firewallPolicies.get', 'compute.firewallPolicies.update'];
  expect(permissionsCheck([{ policy: 'egress', required, granted: required }]).status).toBe('PASS');
  const c = permissionsCheck([{ policy: 'egress', required, granted: required.slice(0, 1) }]);
  expect(c.status).toBe('FAIL');
  expect(c.message).toContain('compute.firewallPolicies.update');
  expect(permissionsCheck({ unread: 'no endpoint' }).status).toBe('WARN');
});

test('runChecks: text and JSON say the same, one line per check; any FAIL fails the run', () => {
  const facts = {
    model: model({ vpcRules: [vpcAllow], associatedPolicies: ['egress'] }),
    expected: [{ name: 'egress' }],
    target,
    dnsPolicies: [dnsOn()],
    projects: ['a', 'b'],
    capacity: [],
    permissions: [],
  };
  const checks = runChecks(facts);
  expect(anyFailed(checks)).toBe(true);
  const json = doctorJson(checks);
  const text = renderDoctorText(checks).trimEnd().split('\n');
  expect(text).toHaveLength(checks.length + 1);
  json.checks.forEach((c, i) => {
    expect(Object.keys(c)).toEqual(expect.arrayContaining(['id', 'status', 'message', 'fix']));
    expect(text[i]).toBe(`${c.status} ${c.id}: ${c.message}${c.fix ? `; fix: ${c.fix}` : ''} (${c.docs})`);
  });
  expect(anyFailed(runChecks({ ...facts, model: model({ associatedPolicies: ['egress'] }) }))).toBe(false);
});
