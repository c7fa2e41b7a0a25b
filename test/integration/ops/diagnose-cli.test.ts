/**
 * `egress probe` and `egress denials` through `main()`: a fake-Compute state file with the product's rules, a foreign
 * deny rule and the logged baseline; a local DNS table beside it; the fake Cloud Logging over HTTP (real client).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirewallPolicyEngine } from '../../../local/fakes/compute';
import { type FakeLoggingServer, startFakeLogging } from '../../../local/fakes/logging';
import { toApiRule } from '../../../shared/adapters/compute';
import { DEFAULT_DNS_TABLE } from '../../../shared/core/diagnose/dns';
import { compileProject } from '../../../shared/core/firewall/compiler';
import { validateManifest } from '../../../shared/core/manifest/validate';
import { DEFAULT_POLICY } from '../../../shared/core/policy/defaults';
import type { DenialsResult } from '../../../shared/usecases/denials';
import type { ProbeResult } from '../../../shared/usecases/probe';
import { runCli } from '../../support/cli';

const MANIFEST = `apiVersion: lowops.manifests.v1
kind: Project
metadata:
  name: payment-gateway
  environment: production
spec:
  allowedEgress:
    - "api.stripe.com"  # Payment processor API
    - "cdn.example.com"  # assets
    - "*.googleapis.com"  # Google Cloud APIs
`;

function fixture(): { dir: string; state: string } {
  const root = mkdtempSync(join(tmpdir(), 'egress-diagnose-'));
  const dir = join(root, 'manifests');
  mkdirSync(dir);
  writeFileSync(join(dir, 'payment-gateway.yaml'), MANIFEST);
  const m = validateManifest(MANIFEST, { path: 'payment-gateway.yaml', policy: DEFAULT_POLICY });
  const rules = compileProject(m.project!, m.egress, {
    policy: DEFAULT_POLICY,
    generation: '3',
    // target mode subnets (the default): the project's subnet as the applier reads it
    workloads: {
      mode: 'subnets',
      subnets: [
        {
          name: 'payment-gateway-usc1',
          region: 'us-central1',
          network: 'shared-vpc',
          primary: '10.128.0.0/20',
          secondary: [],
          ipv6: ['fd20:a:b:1000::/64'],
        },
      ],
    },
  }).map((r, i) => toApiRule(r, 1000 + i));
  const deny = (priority: number, ruleName: string, range: string) => ({
    priority,
    action: 'deny',
    direction: 'EGRESS',
    description: `${ruleName} (not infrastream-egress)`,
    ruleName,
    enableLogging: true,
    match: { destIpRanges: [range], layer4Configs: [{ ipProtocol: 'all' }] },
  });
  const engine = new FirewallPolicyEngine();
  engine.createPolicy('host', 'egress', {
    rules: [
      deny(500, 'security-block', '192.0.2.0/24'),
      ...rules,
      deny(2147483010, 'egress-baseline-deny-all-v4', '0.0.0.0/0'),
      deny(2147483011, 'egress-baseline-deny-all-v6', '::/0'),
    ],
  });
  const state = join(root, 'compute.json');
  engine.save(state);
  writeFileSync(
    join(root, 'dns.json'),
    JSON.stringify({ version: 1, names: { ...DEFAULT_DNS_TABLE, 'blocked.example': { a: ['192.0.2.10'] } } }),
  );
  return { dir, state };
}

let fake: FakeLoggingServer;
const { dir, state } = fixture();
beforeAll(async () => {
  fake = await startFakeLogging();
});
afterAll(async () => {
  await fake.close();
});

const probe = (dest: string, ...more: string[]) =>
  runCli('probe', 'payment-gateway', dest, '--state', state, '--logging-endpoint', fake.url, ...more);

describe('egress probe, then egress denials', () => {
  it('probe: an unlisted host is DENIED by the baseline; the DNS query and firewall log entries are written', async () => {
    const r = await probe('api.unlisted.example');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out.split('\n')[0]).toBe(
      'DENIED payment-gateway → api.unlisted.example (198.51.100.7):443 by rule egress-baseline-deny-all-v4 (priority 2147483010, deny 0.0.0.0/0) of egress',
    );
    const names = fake.store.all().map((e) => e.logName);
    expect(names).toContain('projects/host/logs/dns.googleapis.com%2Fdns_queries');
    expect(names).toContain('projects/host/logs/compute.googleapis.com%2Ffirewall');
  });

  it('probe: a listed host is ALLOWED by the project rule; JSON names the rule', async () => {
    const r = await probe('api.stripe.com:443', '--format', 'json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as ProbeResult;
    expect(j).toMatchObject({
      disposition: 'ALLOWED',
      decidedBy: { priority: 1000, how: 'fqdn', matched: 'api.stripe.com' },
    });
  });

  it('probe: a listed host whose answer the firewall did not program, and a foreign deny rule', async () => {
    const rot = JSON.parse((await probe('cdn.example.com', '--format', 'json')).out) as ProbeResult;
    expect(rot).toMatchObject({
      disposition: 'DENIED',
      destination: { ip: '198.51.100.40' },
      decidedBy: { priority: 2147483010 },
    });
    const blocked = JSON.parse((await probe('blocked.example', '--format', 'json')).out) as ProbeResult;
    expect(blocked).toMatchObject({ disposition: 'DENIED', decidedBy: { ruleName: 'security-block', priority: 500 } });
  });

  it('denials --format json: NOT_LISTED with the line and file, LISTED_DNS_MISMATCH with why, DENIED_ELSEWHERE naming the rule', async () => {
    const r = await runCli(
      'denials',
      'payment-gateway',
      '--manifests',
      dir,
      '--state',
      state,
      '--logging-endpoint',
      fake.url,
      '--format',
      'json',
    );
    expect(r).toMatchObject({ code: 0, err: '' });
    const j = JSON.parse(r.out) as DenialsResult;
    const by = Object.fromEntries(j.groups.map((g) => [g.hostname, g]));
    expect(by['api.unlisted.example']).toMatchObject({
      class: 'NOT_LISTED',
      count: 1,
      destination: { ip: '198.51.100.7', port: 443, protocol: 6 },
      fix: { file: join(dir, 'payment-gateway.yaml'), line: '- "api.unlisted.example"' },
    });
    expect(by['cdn.example.com']).toMatchObject({
      class: 'LISTED_DNS_MISMATCH',
      mismatch: { reason: 'ROTATION', programmed: ['198.51.100.41'] },
    });
    expect(by['blocked.example']).toMatchObject({
      class: 'DENIED_ELSEWHERE',
      rule: { priority: 500, ruleName: 'security-block' },
    });
    expect(j.groups).toHaveLength(3);
    // Text and JSON agree.
    const t = await runCli(
      'denials',
      'payment-gateway',
      '--manifests',
      dir,
      '--state',
      state,
      '--logging-endpoint',
      fake.url,
    );
    for (const g of j.groups) {
      expect(t.out).toContain(`${g.class}  ${g.hostname} (${g.destination.ip}):${g.destination.port}`);
      expect(t.out).toContain(g.detail);
    }
    expect(t.out).toContain(`add to ${join(dir, 'payment-gateway.yaml')}:  - "api.unlisted.example"`);
  });

  it('denials --destination narrows to one host; another project sees none', async () => {
    const one = await runCli(
      'denials',
      'payment-gateway',
      '--destination',
      'blocked.example',
      '--state',
      state,
      '--logging-endpoint',
      fake.url,
      '--format',
      'json',
    );
    expect((JSON.parse(one.out) as DenialsResult).groups.map((g) => g.hostname)).toEqual(['blocked.example']);
    const other = await runCli('denials', 'data-pipeline', '--state', state, '--logging-endpoint', fake.url);
    expect(other).toMatchObject({ code: 0 });
    expect(other.out).toMatch(/^no denied connections from data-pipeline since /);
  });
});

describe('usage errors name the flag and give a hint', () => {
  it('probe refuses to write synthetic logs anywhere but the fake', async () => {
    const r = await runCli('probe', 'payment-gateway', 'api.unlisted.example', '--state', state);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--logging-endpoint or set EGRESS_LOGGING_ENDPOINT/);
  });
  it('a bad destination, a bad duration, a bad DNS table', async () => {
    expect((await probe('api.example.com:99999')).err).toMatch(/port must be 1-65535 \(hint: api.example.com:443\)/);
    const since = await runCli(
      'denials',
      'payment-gateway',
      '--since',
      '1week',
      '--state',
      state,
      '--logging-endpoint',
      fake.url,
    );
    expect(since).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--since 1week is not a duration \(hint: --since 1h/),
    });
    const bad = join(mkdtempSync(join(tmpdir(), 'egress-dns-')), 'dns.json');
    writeFileSync(bad, JSON.stringify({ version: 1, names: { 'x.example': { a: '1.2.3.4' } } }));
    const r = await probe('x.example', '--dns', bad);
    expect(r).toMatchObject({ code: 2, err: expect.stringContaining('x.example.a must be a list of addresses') });
  });
});
