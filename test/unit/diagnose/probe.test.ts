import type { LogEntryJson } from '../../../shared/core/diagnose/logEntries';
import type { NetRule, NetworkModel } from '../../../shared/core/network/model';
import { SourceIpError, vpcRuleOf } from '../../../shared/core/network/source';
import type { LogsPort } from '../../../shared/ports/logs';
import { parseProbeDestination, probe } from '../../../shared/usecases/probe';
import { egressRule, subnet, testModel } from '../network/fixtures';

function memoryLogs(): LogsPort & { written: LogEntryJson[] } {
  const written: LogEntryJson[] = [];
  return {
    written,
    async write(e) {
      written.push(...e);
    },
    async list() {
      return written;
    },
    async close() {},
  };
}
const clock = { now: () => Date.UTC(2026, 11, 1, 20, 0, 0), sleep: async () => undefined };
const rule = (priority: number, action: string, ranges: string[], enableLogging = true): NetRule =>
  egressRule(priority, action, ranges, { enableLogging });
function model(over: Partial<NetworkModel> = {}): NetworkModel {
  return testModel(
    [subnet('p1-usc1', '10.20.0.0/24', 'p1'), subnet('spare', '10.30.0.0/24')],
    [rule(2147483010, 'deny', ['0.0.0.0/0'])],
    { dns: { 'api.unlisted.example': { a: ['198.51.100.7'] } }, ...over },
  );
}
const base = { project: 'p1', subnetsMode: true, identity: { project: 'p1' }, clock };

test.each([
  ['api.example.com', { host: 'api.example.com', port: 443 }],
  ['API.example.com.:8443', { host: 'api.example.com', port: 8443 }],
  ['198.51.100.7:80', { ip: '198.51.100.7', port: 80 }],
  ['[2001:db8::7]:443', { ip: '2001:db8::7', port: 443 }],
  ['2001:db8::7', { ip: '2001:db8::7', port: 443 }],
  // one normaliser with explain: a URL is accepted the same way
  ['https://api.stripe.com:8443/v1/charges?x=1', { host: 'api.stripe.com', port: 8443 }],
  ['https://api.stripe.com/v1', { host: 'api.stripe.com', port: 443 }],
])('parseProbeDestination(%s)', (raw, want) => {
  expect(parseProbeDestination(raw)).toEqual(want);
});

test('parseProbeDestination refuses what is not a destination, with a hint', () => {
  expect(() => parseProbeDestination('https://x')).toThrow(/hint:/);
  expect(() => parseProbeDestination('34.117.59.0/24')).toThrow(/range/);
});

test('a denied connection writes the DNS query entry first, then the firewall entry, from an address of the project', async () => {
  const logs = memoryLogs();
  const r = await probe({ ...base, destination: 'api.unlisted.example', model: model(), logs });
  expect(r).toMatchObject({
    disposition: 'DENIED',
    logged: { dns: true, firewall: true },
    source: { ip: '10.20.0.2', subnet: 'p1-usc1' },
  });
  expect(logs.written.map((e) => [e.logName.split('/logs/')[1], e.timestamp])).toEqual([
    ['dns.googleapis.com%2Fdns_queries', '2026-12-01T19:59:59.950Z'],
    ['compute.googleapis.com%2Ffirewall', '2026-12-01T20:00:00.000Z'],
  ]);
  expect((logs.written[1]!.jsonPayload.connection as { src_ip: string }).src_ip).toBe('10.20.0.2');
});

test('--source-ip must be a valid address of the project', async () => {
  const logs = memoryLogs();
  await expect(
    probe({ ...base, destination: '198.51.100.7', model: model(), logs, sourceIp: '999.1.1.1' }),
  ).rejects.toThrow(SourceIpError);
  await expect(
    probe({ ...base, destination: '198.51.100.7', model: model(), logs, sourceIp: '10.30.0.9' }),
  ).rejects.toThrow(/10\.20\.0\.0\/24.*subnet spare .*unassigned/);
  expect(logs.written).toEqual([]);
});

test('an NXDOMAIN name makes no connection; a rule without logging writes no firewall entry', async () => {
  const logs = memoryLogs();
  // A name the table says does not exist (one the table lacks would get a synthesized answer).
  const dns = { 'gone.example.net': { nxdomain: true } };
  const nx = await probe({ ...base, destination: 'gone.example.net', model: model({ dns }), logs });
  expect(nx).toMatchObject({ disposition: 'UNRESOLVED', decidedBy: null, logged: { dns: true, firewall: false } });
  expect(logs.written).toHaveLength(1);
  expect(logs.written[0]?.jsonPayload.responseCode).toBe('NXDOMAIN');
  const m = model();
  const quiet = model({
    global: { ...m.global!, rules: [rule(1000, 'allow', ['198.51.100.0/24'], false), ...m.global!.rules] },
  });
  const ok = await probe({ ...base, destination: '198.51.100.7', model: quiet, logs });
  expect(ok).toMatchObject({
    disposition: 'ALLOWED',
    decidedBy: { priority: 1000 },
    logged: { dns: false, firewall: false },
  });
  expect(ok.summary).toContain('the rule does not log');
  expect(logs.written).toHaveLength(1);
});

test('a VPC egress allow decides before the policy (AFTER_CLASSIC_FIREWALL); under BEFORE_CLASSIC_FIREWALL the policy does', async () => {
  const open = vpcRuleOf({
    name: 'allow-https',
    direction: 'EGRESS',
    destinationRanges: ['0.0.0.0/0'],
    allowed: [{ IPProtocol: 'tcp', ports: ['443'] }],
    logConfig: { enable: true },
  });
  const logs = memoryLogs();
  const after = await probe({ ...base, destination: '198.51.100.7', model: model({ vpcRules: [open] }), logs });
  expect(after.decidedBy).toMatchObject({
    tier: 'vpc-rules',
    ruleName: 'allow-https',
    beforePolicy: true,
    reference: 'network:vpc/firewall:allow-https',
  });
  expect(after.summary).toMatch(/ALLOWED .*VPC firewall rule allow-https .*evaluated before the policy/);
  const before = await probe({
    ...base,
    destination: '198.51.100.7',
    model: model({ vpcRules: [open], enforcementOrder: 'BEFORE_CLASSIC_FIREWALL' }),
    logs,
  });
  expect(before).toMatchObject({ disposition: 'DENIED', decidedBy: { tier: 'global', policy: 'egress' } });
});

test('probe names the regional policy a deciding rule lives in', async () => {
  const m = model({
    global: { kind: 'global', name: 'egress', reference: 'g', rules: [rule(2147483010, 'goto_next', ['0.0.0.0/0'])] },
    regional: [
      {
        kind: 'regional',
        name: 'egress-us-central1',
        region: 'us-central1',
        reference: 'r',
        rules: [rule(1000, 'allow', ['198.51.100.0/24'])],
      },
    ],
  });
  const r = await probe({ ...base, destination: '198.51.100.7', model: m, logs: memoryLogs() });
  expect(r.decidedBy).toMatchObject({ policy: 'egress-us-central1', tier: 'regional', region: 'us-central1' });
  expect(r.summary).toMatch(/regional policy egress-us-central1 \(us-central1\)/);
  expect(r.passed).toEqual([{ policy: 'egress', priority: 2147483010, ruleName: 'goto_next-2147483010' }]);
});

test('an IPv6 destination leaves from the project IPv6 range by default (a listed v6 address is allowed)', async () => {
  const dual = { ...subnet('p1-usc1', '10.20.0.0/24', 'p1'), ipv6: ['fd20:a:b:7::/64'] };
  const m = testModel(
    [dual],
    [
      egressRule(1000, 'allow', [], {
        match: {
          destIpRanges: ['2606:4700:4700::1111/128'],
          srcIpRanges: ['fd20:a:b:7::/64'],
          layer4Configs: [{ ipProtocol: 'all' }],
        },
      }),
      rule(2147483010, 'deny', ['0.0.0.0/0']),
      rule(2147483011, 'deny', ['::/0']),
    ],
    { dns: { 'v6only.partner.com': { aaaa: ['2606:4700:4700::1111'] } } },
  );
  for (const destination of ['2606:4700:4700::1111', 'v6only.partner.com']) {
    const r = await probe({ ...base, destination, model: m, logs: memoryLogs() });
    expect(r.source.ip).toBe('fd20:a:b:7::2');
    expect(r.disposition).toBe('ALLOWED');
  }
  // An IPv4 destination still leaves from the IPv4 range.
  const v4 = await probe({ ...base, destination: '198.51.100.7', model: m, logs: memoryLogs() });
  expect(v4.source.ip).toBe('10.20.0.2');
});
