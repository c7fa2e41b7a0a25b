import type { EvalRule } from '../../../shared/core/diagnose/evaluate';
import type { LogEntryJson } from '../../../shared/core/diagnose/logEntries';
import type { LogsPort } from '../../../shared/ports/logs';
import { parseProbeDestination, probe } from '../../../shared/usecases/probe';

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
const w = { project: 'p1', ip: '10.128.0.2', serviceAccount: 'workload@p1.iam.gserviceaccount.com' };
const net = { hostProject: 'host', network: 'vpc' };
const rule = (priority: number, action: string, ranges: string[], enableLogging = true): EvalRule => ({
  priority,
  action,
  direction: 'EGRESS',
  enableLogging,
  match: { destIpRanges: ranges, layer4Configs: [{ ipProtocol: 'all' }] },
});
const policies = [
  {
    kind: 'network' as const,
    name: 'egress',
    reference: 'network:vpc/firewallPolicy:egress',
    rules: [rule(2147483010, 'deny', ['0.0.0.0/0'])],
  },
];

test.each([
  ['api.example.com', { host: 'api.example.com', port: 443 }],
  ['API.example.com.:8443', { host: 'api.example.com', port: 8443 }],
  ['198.51.100.7:80', { ip: '198.51.100.7', port: 80 }],
  ['[2001:db8::7]:443', { ip: '2001:db8::7', port: 443 }],
  ['2001:db8::7', { ip: '2001:db8::7', port: 443 }],
])('parseProbeDestination(%s)', (raw, want) => {
  expect(parseProbeDestination(raw)).toEqual(want);
});

test('parseProbeDestination refuses what is not a destination, with a hint', () => {
  expect(() => parseProbeDestination('https://x')).toThrow(/hint: api.example.com:443/);
  expect(() => parseProbeDestination('x.com:0')).toThrow(/port must be 1-65535/);
});

test('a denied connection writes the DNS query entry first, then the firewall entry', async () => {
  const logs = memoryLogs();
  const r = await probe({
    project: 'p1',
    destination: 'api.unlisted.example',
    policies,
    dns: { 'api.unlisted.example': { a: ['198.51.100.7'] } },
    workload: w,
    net,
    logs,
    clock,
  });
  expect(r).toMatchObject({ disposition: 'DENIED', logged: { dns: true, firewall: true } });
  expect(logs.written.map((e) => [e.logName.split('/logs/')[1], e.timestamp])).toEqual([
    ['dns.googleapis.com%2Fdns_queries', '2026-12-01T19:59:59.950Z'],
    ['compute.googleapis.com%2Ffirewall', '2026-12-01T20:00:00.000Z'],
  ]);
});

test('an NXDOMAIN name makes no connection; a rule without logging writes no firewall entry', async () => {
  const logs = memoryLogs();
  const nx = await probe({
    project: 'p1',
    destination: 'gone.example.net',
    policies,
    // A name the table says does not exist (one the table lacks would get a synthesized answer).
    dns: { 'gone.example.net': { nxdomain: true } },
    workload: w,
    net,
    logs,
    clock,
  });
  expect(nx).toMatchObject({ disposition: 'UNRESOLVED', decidedBy: null, logged: { dns: true, firewall: false } });
  expect(logs.written).toHaveLength(1);
  expect(logs.written[0]?.jsonPayload.responseCode).toBe('NXDOMAIN');
  const quiet = [{ ...policies[0]!, rules: [rule(1000, 'allow', ['198.51.100.0/24'], false), ...policies[0]!.rules] }];
  const ok = await probe({
    project: 'p1',
    destination: '198.51.100.7',
    policies: quiet,
    dns: {},
    workload: w,
    net,
    logs,
    clock,
  });
  expect(ok).toMatchObject({
    disposition: 'ALLOWED',
    decidedBy: { priority: 1000 },
    logged: { dns: false, firewall: false },
  });
  expect(ok.summary).toContain('the rule does not log');
  expect(logs.written).toHaveLength(1);
});
