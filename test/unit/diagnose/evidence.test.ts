/** The evidence summary (core/diagnose/evidence.ts) and the network's DNS logging fact (core/network/model.ts). */
import { summarizeEvidence } from '../../../shared/core/diagnose/evidence';
import { dnsLoggingOf, type NetworkModel } from '../../../shared/core/network/model';

const NET = 'https://www.googleapis.com/compute/v1/projects/host/global/networks/shared-vpc';

const model = (over: Partial<NetworkModel> = {}): NetworkModel => ({
  hostProject: 'host',
  network: 'shared-vpc',
  enforcementOrder: 'AFTER_CLASSIC_FIREWALL',
  subnets: [],
  hierarchical: [],
  vpcRules: [],
  regional: [],
  global: {
    kind: 'global',
    name: 'egress',
    reference: 'network:shared-vpc/firewallPolicy:egress',
    rules: [
      {
        priority: 2147483010,
        ruleName: 'baseline',
        direction: 'EGRESS',
        action: 'deny',
        enableLogging: true,
        match: { destIpRanges: ['0.0.0.0/0'] },
      },
    ],
  },
  source: 'test',
  ...over,
});

const base = { project: 'p', hostProject: 'host', network: 'shared-vpc' };

describe('dnsLoggingOf', () => {
  it('no policy bound is "not enabled"; the bound policy says logging and alternative name servers', () => {
    expect(dnsLoggingOf([], 'host', 'shared-vpc')).toEqual({
      enabled: false,
      alternativeNameServers: false,
      policyName: null,
    });
    const other = { name: 'x', enableLogging: true, networks: [{ networkUrl: `${NET}-2` }] };
    expect(dnsLoggingOf([other], 'host', 'shared-vpc')).toMatchObject({ enabled: false, policyName: null });
    const bound = { name: 'log', enableLogging: true, networks: [{ networkUrl: NET }] };
    expect(dnsLoggingOf([other, bound], 'host', 'shared-vpc')).toEqual({
      enabled: true,
      alternativeNameServers: false,
      policyName: 'log',
    });
    const alt = { ...bound, enableLogging: undefined, alternativeNameServerConfig: { targetNameServers: [{}] } };
    expect(dnsLoggingOf([alt], 'host', 'shared-vpc')).toEqual({
      enabled: false,
      alternativeNameServers: true,
      policyName: 'log',
    });
    // The same network name in another project is another network.
    const elsewhere = { ...bound, networks: [{ networkUrl: NET.replace('/host/', '/other/') }] };
    expect(dnsLoggingOf([elsewhere], 'host', 'shared-vpc')).toMatchObject({ enabled: false, policyName: null });
  });
});

describe('summarizeEvidence', () => {
  it('everything read and logging: available, hostnames named; Cloud Run Direct VPC egress stays unknown', () => {
    const s = summarizeEvidence({
      ...base,
      firewall: { ok: true, entries: 2 },
      dns: { ok: true, entries: 5 },
      model: model({ dnsLogging: { enabled: true, alternativeNameServers: false, policyName: 'log' } }),
    });
    expect(s).toMatchObject({
      firewallLogs: { status: 'read', entries: 2 },
      dnsLogs: { status: 'read', entries: 5 },
      hostnames: 'can-be-named',
      unloggedDenyRules: [],
      firewallEvidence: 'available',
      directVpcEgress: 'unknown',
    });
    expect(s.notes).toEqual([
      'firewall logs: 2 denied entries read',
      'DNS query logs: 5 entries read',
      expect.stringMatching(/^Cloud Run with Direct VPC egress: unknown whether p runs any/),
    ]);
  });

  it('DNS logging off wins over entries read; unknown with none read is unknown, never "off"', () => {
    const off = summarizeEvidence({
      ...base,
      firewall: { ok: true, entries: 0 },
      dns: { ok: true, entries: 3 },
      model: model({ dnsLogging: { enabled: false, alternativeNameServers: false, policyName: 'corp' } }),
    });
    expect(off).toMatchObject({ dnsLogs: { status: 'not-enabled', policyName: 'corp' }, hostnames: 'cannot-be-named' });
    const unknown = summarizeEvidence({ ...base, firewall: { ok: true, entries: 0 }, dns: { ok: true, entries: 0 } });
    expect(unknown).toMatchObject({
      dnsLogs: { status: 'unknown', entries: 0 },
      hostnames: 'unknown',
      alternativeNameServers: 'unknown',
      unloggedDenyRules: 'unknown',
      firewallEvidence: 'partial',
    });
  });

  it('a deny rule that does not log (disabled rules and allows do not count) makes the evidence partial', () => {
    const m = model();
    m.vpcRules = [
      {
        priority: 10,
        ruleName: 'vpc-deny',
        direction: 'EGRESS',
        action: 'deny',
        match: { destIpRanges: ['1.2.3.0/24'] },
      },
      { priority: 11, ruleName: 'off', direction: 'EGRESS', action: 'deny', disabled: true, match: {} },
      { priority: 12, ruleName: 'allow', direction: 'EGRESS', action: 'allow', match: {} },
      { priority: 13, ruleName: 'in', direction: 'INGRESS', action: 'deny', match: {} },
    ];
    const s = summarizeEvidence({
      ...base,
      firewall: { ok: true, entries: 0 },
      dns: { ok: true, entries: 1 },
      model: m,
    });
    expect(s.unloggedDenyRules).toEqual([
      { reference: 'network:shared-vpc/firewall', ruleName: 'vpc-deny', priority: 10 },
    ]);
    expect(s.firewallEvidence).toBe('partial');
    expect(s.notes).toContain(
      'no evidence available for denials by rules that do not log: vpc-deny of network:shared-vpc/firewall (enable their logging)',
    );
  });

  it('a refused read is no evidence, with the permission and role needed', () => {
    const s = summarizeEvidence({
      ...base,
      firewall: { ok: false, message: 'denied' },
      dns: { ok: false, message: 'denied' },
      model: model(),
    });
    expect(s).toMatchObject({
      firewallLogs: { status: 'denied', permission: 'logging.logEntries.list', role: 'roles/logging.viewer' },
      dnsLogs: { status: 'denied' },
      hostnames: 'cannot-be-named',
      firewallEvidence: 'none',
    });
    expect(s.notes[0]).toBe(
      'firewall logs: reading them was denied (denied); it needs logging.logEntries.list on projects/host (role roles/logging.viewer): no evidence available',
    );
  });
});
