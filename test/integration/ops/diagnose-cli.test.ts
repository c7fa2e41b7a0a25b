/**
 * `egress probe` and `egress denials` through `main()`: a fake-Compute state file with the product's rules, a foreign
 * deny rule and the logged baseline; a local DNS table beside it; the fake Cloud Logging over HTTP (real client).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FakeLoggingServer, startFakeLogging } from '../../../local/fakes/logging';
import type { DenialsResult } from '../../../shared/usecases/denials';
import type { ExplainAnswer } from '../../../shared/usecases/explain';
import type { ProbeResult } from '../../../shared/usecases/probe';
import { runCli } from '../../support/cli';
import { diagnoseFixture } from '../../support/diagnoseFixture';
import { tempDir } from '../../support/tempDir';

let fake: FakeLoggingServer;
const { dir, state } = diagnoseFixture();
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
      'DENIED payment-gateway (10.128.0.2) → api.unlisted.example (198.51.100.7):443 by rule egress-baseline-deny-all-v4 (priority 2147483010, deny 0.0.0.0/0) of global policy egress',
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

  it('the README walk-through: a public partner host the manifest lacks is NOT_LISTED with a line the validator accepts', async () => {
    expect((await probe('api.newpartner.com')).out).toMatch(
      /^DENIED payment-gateway \(10\.128\.0\.2\) → api\.newpartner\.com .* by rule egress-baseline-deny-all-v4/,
    );
    const r = await runCli(
      'denials',
      'payment-gateway',
      '--destination',
      'api.newpartner.com',
      '--manifests',
      dir,
      '--state',
      state,
      '--logging-endpoint',
      fake.url,
      '--format',
      'json',
    );
    const j = JSON.parse(r.out) as DenialsResult;
    expect(j.groups).toHaveLength(1);
    expect(j.groups[0]).toMatchObject({
      class: 'NOT_LISTED',
      hostname: 'api.newpartner.com',
      fix: { file: join(dir, 'payment-gateway.yaml'), line: '- "api.newpartner.com"', valid: true },
    });
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
    // The walk-through test above probed one more host.
    expect(j.groups.filter((g) => g.hostname !== 'api.newpartner.com')).toHaveLength(3);
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

  it('explain --evidence attaches the matching denials (JSON field and text section in denials words)', async () => {
    const args = ['payment-gateway', 'https://cdn.example.com/app.js', '--manifests', dir, '--state', state];
    const ev = ['--evidence', '--logging-endpoint', fake.url];
    const j = JSON.parse((await runCli('explain', ...args, ...ev, '--format', 'json')).out) as ExplainAnswer;
    // The explain contract is unchanged (cdn.example.com is listed and programmed); the evidence says why it times out.
    expect(j).toMatchObject({ allowed: true, destination: { value: 'cdn.example.com' } });
    expect(j.evidence).toMatchObject({ destination: 'cdn.example.com', schemaVersion: 1 });
    expect(j.evidence!.groups).toEqual([
      expect.objectContaining({ hostname: 'cdn.example.com', class: 'LISTED_DNS_MISMATCH' }),
    ]);
    const plain = JSON.parse((await runCli('explain', ...args, '--format', 'json')).out) as ExplainAnswer;
    expect(plain.evidence).toBeUndefined();
    const { evidence, ...rest } = j;
    expect(rest).toEqual(plain);
    const t = await runCli('explain', ...args, ...ev);
    expect(t).toMatchObject({ code: 0, err: '' });
    expect(t.out).toContain('evidence (firewall logs):');
    expect(t.out).toContain(`LISTED_DNS_MISMATCH  cdn.example.com (198.51.100.40):443`);
    expect(t.out).toContain(evidence!.groups[0]!.detail);
    const none = JSON.parse(
      (await runCli('explain', 'payment-gateway', 'api.stripe.com', ...args.slice(2), ...ev, '--format', 'json')).out,
    ) as ExplainAnswer;
    expect(none.evidence).toMatchObject({ groups: [], read: { firewall: expect.any(Number) } });
    const range = await runCli('explain', 'payment-gateway', '203.0.113.0/24', ...args.slice(2), ...ev);
    expect(range).toMatchObject({ code: 2, err: expect.stringContaining('--evidence needs a hostname or an address') });
  });
});

describe('one network model: probe, explain and denials agree', () => {
  /** A copy of the state with a VPC firewall rule and the network's enforcement order (contract C1 fields). */
  function withVpcRule(order: 'AFTER_CLASSIC_FIREWALL' | 'BEFORE_CLASSIC_FIREWALL'): string {
    const s = JSON.parse(readFileSync(state, 'utf8')) as Record<string, unknown>;
    s.networks = [{ project: 'host', name: 'shared-vpc', id: '1', networkFirewallPolicyEnforcementOrder: order }];
    s.firewalls = [
      {
        project: 'host',
        name: 'allow-https-egress',
        network: 'https://www.googleapis.com/compute/v1/projects/host/global/networks/shared-vpc',
        direction: 'EGRESS',
        priority: 1000,
        destinationRanges: ['0.0.0.0/0'],
        allowed: [{ IPProtocol: 'tcp', ports: ['443'] }],
      },
    ];
    const tmp = tempDir('vpc');
    const file = join(tmp, 'compute.json');
    writeFileSync(file, JSON.stringify(s));
    writeFileSync(join(file, '..', 'dns.json'), readFileSync(join(state, '..', 'dns.json')));
    return file;
  }

  /** probe (JSON) of an unlisted host and explain (JSON) of a public address over `file`. */
  async function answers(file: string): Promise<{ p: ProbeResult; e: ExplainAnswer }> {
    const json = ['--state', file, '--format', 'json'];
    const p = await runCli('probe', 'payment-gateway', 'api.unlisted.example', '--logging-endpoint', fake.url, ...json);
    const e = await runCli('explain', 'payment-gateway', '8.8.8.8', '--manifests', dir, ...json);
    return { p: JSON.parse(p.out) as ProbeResult, e: JSON.parse(e.out) as ExplainAnswer };
  }

  it('a VPC egress allow decides before the policy (AFTER_CLASSIC_FIREWALL) for probe and explain; BEFORE_CLASSIC_FIREWALL gives the policy back', async () => {
    const { p, e } = await answers(withVpcRule('AFTER_CLASSIC_FIREWALL'));
    expect(p).toMatchObject({
      disposition: 'ALLOWED',
      decidedBy: { tier: 'vpc-rules', ruleName: 'allow-https-egress', beforePolicy: true },
    });
    expect(e).toMatchObject({
      allowed: true,
      firewall: { decidedBy: { ruleName: 'allow-https-egress', tier: { kind: 'vpc-rules' } } },
    });
    expect(e.firewall.decidedBy?.place).toMatch(/evaluated before the policy/);
    const before = await answers(withVpcRule('BEFORE_CLASSIC_FIREWALL'));
    expect(before.p).toMatchObject({
      disposition: 'DENIED',
      decidedBy: { tier: 'global', ruleName: 'egress-baseline-deny-all-v4' },
    });
    expect(before.e).toMatchObject({
      allowed: false,
      firewall: { decidedBy: { ruleName: 'egress-baseline-deny-all-v4' } },
    });
  });

  it('probe defaults to an address of the project, checks --source-ip, and accepts a URL as explain does', async () => {
    const j = JSON.parse((await probe('https://api.stripe.com/v1/charges', '--format', 'json')).out) as ProbeResult;
    expect(j).toMatchObject({ disposition: 'ALLOWED', source: { ip: '10.128.0.2', subnet: 'payment-gateway-usc1' } });
    const bad = await probe('api.stripe.com', '--source-ip', '999.1.1.1');
    expect(bad).toMatchObject({ code: 2, err: expect.stringContaining('999.1.1.1 is not an IP address') });
    const outside = await probe('api.stripe.com', '--source-ip', '10.200.0.5');
    expect(outside).toMatchObject({
      code: 2,
      err: expect.stringMatching(/10\.128\.0\.0\/20.*shared-spare.*unassigned/),
    });
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
    const bad = join(tempDir('dns'), 'dns.json');
    writeFileSync(bad, JSON.stringify({ version: 1, names: { 'x.example': { a: '1.2.3.4' } } }));
    const r = await probe('x.example', '--dns', bad);
    expect(r).toMatchObject({ code: 2, err: expect.stringContaining('x.example.a must be a list of addresses') });
  });
});
