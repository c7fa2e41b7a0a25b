import {
  type Connection,
  type DecidingRule,
  dnsQueryLogEntry,
  firewallLogEntry,
  parseDnsEntry,
  parseFirewallEntry,
  type Workload,
} from '../../../shared/core/diagnose/logEntries';

const net = { hostProject: 'host-p', network: 'shared-vpc' };
const w: Workload = { project: 'svc-p', ip: '10.128.0.2', vmName: 'vm-1', zone: 'us-central1-a', subnetwork: 'sub-a' };
const c: Connection = { destIp: '198.51.100.7', destPort: 443, protocol: 'tcp', srcPort: 51000 };
const decided: DecidingRule = {
  reference: 'network:shared-vpc/firewallPolicy:egress',
  priority: 2147483010,
  action: 'deny',
  rule: {
    match: { destIpRanges: ['0.0.0.0/0'], layer4Configs: [{ ipProtocol: 'all' }] },
  },
};

test('the firewall log entry has the documented log name, resource and jsonPayload fields', () => {
  const e = firewallLogEntry({
    net,
    workload: w,
    connection: c,
    decided,
    disposition: 'DENIED',
    timestamp: '2026-12-01T20:00:00.000Z',
  });
  expect(e).toEqual({
    logName: 'projects/host-p/logs/compute.googleapis.com%2Ffirewall',
    resource: {
      type: 'gce_subnetwork',
      labels: { project_id: 'host-p', subnetwork_name: 'sub-a', location: 'us-central1' },
    },
    timestamp: '2026-12-01T20:00:00.000Z',
    jsonPayload: {
      connection: { src_ip: '10.128.0.2', src_port: 51000, dest_ip: '198.51.100.7', dest_port: 443, protocol: 6 },
      disposition: 'DENIED',
      rule_details: {
        reference: 'network:shared-vpc/firewallPolicy:egress',
        priority: 2147483010,
        action: 'DENIED',
        direction: 'EGRESS',
        ip_port_info: [],
        destination_range: ['0.0.0.0/0'],
      },
      instance: { project_id: 'svc-p', vm_name: 'vm-1', region: 'us-central1', zone: 'us-central1-a' },
      vpc: { project_id: 'host-p', vpc_name: 'shared-vpc', subnetwork_name: 'sub-a' },
    },
  });
  expect(parseFirewallEntry(e)).toEqual({
    timestamp: '2026-12-01T20:00:00.000Z',
    disposition: 'DENIED',
    srcIp: '10.128.0.2',
    destIp: '198.51.100.7',
    destPort: 443,
    protocol: 6,
    reference: 'network:shared-vpc/firewallPolicy:egress',
    priority: 2147483010,
    project: 'svc-p',
  });
});

test('a tcp rule with ports is listed in ip_port_info (ALL never is)', () => {
  const tcp = {
    ...decided,
    rule: { ...decided.rule, match: { layer4Configs: [{ ipProtocol: 'tcp', ports: ['443'] }] } },
  };
  const e = firewallLogEntry({ net, workload: w, connection: c, decided: tcp, disposition: 'DENIED', timestamp: 't' });
  expect((e.jsonPayload.rule_details as Record<string, unknown>).ip_port_info).toEqual([
    { ip_protocol: 'TCP', port_range: ['443'] },
  ]);
});

test('the DNS query log entry: documented names, rdata in presentation format, NXDOMAIN without rdata', () => {
  const e = dnsQueryLogEntry({
    net,
    workload: w,
    queryName: 'api.example',
    queryType: 'A',
    answer: { a: ['198.51.100.7', '198.51.100.8'] },
    timestamp: 't',
  });
  expect(e.logName).toBe('projects/host-p/logs/dns.googleapis.com%2Fdns_queries');
  expect(e.resource.type).toBe('dns_query');
  expect(e.jsonPayload).toMatchObject({
    queryName: 'api.example.',
    queryType: 'A',
    responseCode: 'NOERROR',
    rdata: 'api.example.\t300\tIN\ta\t198.51.100.7\napi.example.\t300\tIN\ta\t198.51.100.8',
    sourceIP: '10.128.0.2',
    vmProjectId: 'svc-p',
  });
  expect(parseDnsEntry(e)).toMatchObject({ name: 'api.example', addresses: ['198.51.100.7', '198.51.100.8'] });
  const nx = dnsQueryLogEntry({
    net,
    workload: w,
    queryName: 'gone.example',
    queryType: 'A',
    answer: { nxdomain: true },
    timestamp: 't',
  });
  expect(nx.jsonPayload).toMatchObject({ responseCode: 'NXDOMAIN', rdata: '' });
  const many = Array.from({ length: 40 }, (_, i) => `198.51.100.${i + 1}`);
  const big = dnsQueryLogEntry({
    net,
    workload: w,
    queryName: 'big.example',
    queryType: 'A',
    answer: { a: many },
    timestamp: 't',
  });
  expect(Buffer.byteLength(String(big.jsonPayload.rdata))).toBeLessThanOrEqual(260);
});
