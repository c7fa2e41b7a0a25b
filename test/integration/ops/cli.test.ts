/** The operations commands through `main()`: flags, output and exit codes (fake GCS over HTTP, fake Compute state). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FirewallPolicyEngine } from '../../../local/fakes/compute';
import { type FakeGcs, startFakeGcs } from '../../../local/fakes/gcs';
import { toApiRule } from '../../../shared/adapters/compute';
import { compileProject } from '../../../shared/core/firewall/compiler';
import { validateManifest } from '../../../shared/core/manifest/validate';
import { DEFAULT_POLICY } from '../../../shared/core/policy/defaults';
import { runCli } from '../../support/cli';
import { tempDir } from '../../support/tempDir';

const MANIFEST = `apiVersion: lowops.manifests.v1
kind: Project
metadata:
  name: payment-gateway
  environment: production
spec:
  allowedEgress:
    - "api.stripe.com"  # Payment processor API
    - "*.googleapis.com"  # Google Cloud APIs
`;

function fixture(): { dir: string; state: string } {
  const root = tempDir('ops');
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
          primary: '10.10.0.0/24',
          secondary: [],
          ipv6: ['fd20:a:b:1000::/64'],
        },
      ],
    },
  }).map((r, i) => toApiRule(r, 1000 + i));
  const engine = new FirewallPolicyEngine();
  engine.createPolicy('host', 'egress', {
    rules: [
      ...rules,
      {
        priority: 2100000000,
        action: 'deny',
        direction: 'EGRESS',
        description: 'baseline deny-all egress',
        ruleName: 'deny-all-egress',
        match: { destIpRanges: ['0.0.0.0/0'], layer4Configs: [{ ipProtocol: 'all' }] },
      },
    ],
  });
  const state = join(root, 'compute.json');
  // The host project's subnet those rules were compiled with (the agreement reads the sources from the same file).
  engine.directory.putSubnetworks('host', [
    {
      name: 'payment-gateway-usc1',
      region: 'us-central1',
      network: 'shared-vpc',
      ipCidrRange: '10.10.0.0/24',
      ipv6CidrRange: 'fd20:a:b:1000::/64',
    },
  ]);
  engine.save(state);
  return { dir, state };
}

describe('egress explain', () => {
  const { dir, state } = fixture();

  it('answers allowed with entry and rule, from a URL', async () => {
    const r = await runCli(
      'explain',
      'payment-gateway',
      'https://api.stripe.com/v1/charges',
      '--manifests',
      dir,
      '--state',
      state,
    );
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(
      /^ALLOWED: payment-gateway may reach api.stripe.com: manifest entry api.stripe.com \(line 8\)/,
    );
    expect(r.out).toContain('agreement    in-sync');
  });

  it('answers not allowed with the line to add, as JSON', async () => {
    const r = await runCli(
      'explain',
      'payment-gateway',
      'api.example.com:443',
      '--manifests',
      dir,
      '--state',
      state,
      '--format',
      'json',
      '--why',
      'Example API',
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({
      schemaVersion: 1,
      allowed: false,
      status: 'not-allowed',
      firewall: { decidedBy: { ruleName: 'deny-all-egress', action: 'deny' } },
      fix: { file: join(dir, 'payment-gateway.yaml'), line: '    - "api.example.com"  # Example API', afterLine: 9 },
    });
    expect(j.destination.stripped).toEqual(['port 443']);
  });

  it('explains a wildcard expansion from the state file', async () => {
    const r = await runCli(
      'explain',
      'payment-gateway',
      'storage.googleapis.com',
      '--manifests',
      dir,
      '--state',
      state,
      '--format',
      'json',
    );
    expect(JSON.parse(r.out).firewall.decidedBy).toMatchObject({
      how: 'wildcard-expansion',
      matched: '199.36.153.8/30',
    });
  });

  it('exits 2 with a hint for a bad destination or a missing directory', async () => {
    const bad = await runCli('explain', 'payment-gateway', 'not a host', '--manifests', dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/"not a host" is not a hostname or an IP address: it contains whitespace \(hint: /);
    const nodir = await runCli('explain', 'payment-gateway', 'api.x.com', '--manifests', '/nonexistent');
    expect(nodir.code).toBe(2);
    expect(nodir.err).toContain('--manifests /nonexistent: no such directory');
  });

  it('0.0.0.0/0 is not allowed and cannot be listed, in JSON and in text alike', async () => {
    const json = await runCli(
      'explain',
      'payment-gateway',
      '0.0.0.0/0',
      '--manifests',
      dir,
      '--state',
      state,
      '--format',
      'json',
    );
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({
      allowed: false,
      status: 'not-allowed',
      fix: null,
      cannotList: { entry: '0.0.0.0/0', code: 'CIDR_ALL_ADDRESSES' },
    });
    const text = await runCli('explain', 'payment-gateway', '0.0.0.0/0', '--manifests', dir, '--state', state);
    expect(text.out.split('\n')[0]).toMatch(/^NOT ALLOWED \(cannot be listed\): /);
  });

  it('exits 2 with the key to use when the project argument is a path or not a key', async () => {
    const path = await runCli('explain', join(dir, 'payment-gateway.yaml'), 'api.x.com', '--manifests', dir);
    expect(path.code).toBe(2);
    expect(path.out).toBe('');
    expect(path.err).toContain(
      `is a path; explain takes the project key (the manifest's metadata.name) (hint: use payment-gateway --manifests ${dir})`,
    );
    const bad = await runCli('explain', 'Payment_Gateway', 'api.x.com', '--manifests', dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/"Payment_Gateway" is not a project key: .*\(hint: use `payment-gateway`\)/);
  });
});

describe('egress replay / drift usage', () => {
  it('asks what to replay', async () => {
    const r = await runCli('replay', '--bucket', 'gs://b/manifests');
    expect(r.code).toBe(2);
    expect(r.err).toContain('say what to replay: --all, or --project NAME');
  });
  it('names a bad bucket URL and a bad rate', async () => {
    expect((await runCli('replay', '--all', '--bucket', 'b')).err).toContain('--bucket b is not a gs:// URL');
    expect((await runCli('replay', '--all', '--bucket', 'gs://bkt', '--rate', 'fast')).err).toContain(
      '--rate fast is not a rate',
    );
  });
  it('drift names the missing firewall settings', async () => {
    const r = await runCli('drift', '--bucket', 'gs://bkt/manifests');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/the live firewall needs --host-project .* and --firewall-policy/);
  });
  it('release asks what to release; --allow-revocations must be a whole number', async () => {
    const r = await runCli('release', '--bucket', 'gs://b/manifests');
    expect(r.code).toBe(2);
    expect(r.err).toContain('say what to release: PROJECT… or --all');
    const bad = await runCli('drift', '--repair', '--allow-revocations', 'many', '--bucket', 'gs://b');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--allow-revocations 'many' is not a whole number");
  });
  it('has help on every command', async () => {
    for (const c of ['replay', 'drift', 'explain', 'release']) {
      const r = await runCli(c, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/Exit codes/);
    }
  });
});

describe('egress replay --dry-run against the fake GCS', () => {
  let gcs: FakeGcs;
  const saved = process.env.STORAGE_EMULATOR_HOST;
  beforeAll(async () => {
    gcs = await startFakeGcs({ buckets: ['egress-manifests'] });
    process.env.STORAGE_EMULATOR_HOST = gcs.url;
    const { Storage } = await import('@google-cloud/storage');
    const b = new Storage({ apiEndpoint: gcs.url, projectId: 'local' }).bucket('egress-manifests');
    await b.file('manifests/payment-gateway.yaml').save(MANIFEST);
    await b.file('manifests/broken.yaml').save('apiVersion: nope\n');
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.STORAGE_EMULATOR_HOST;
    else process.env.STORAGE_EMULATOR_HOST = saved;
    await gcs.close();
  });

  it('lists what it would publish and the invalid manifests; exit 1 for the invalid one', async () => {
    const r = await runCli('replay', '--all', '--dry-run', '--no-live', '--bucket', 'gs://egress-manifests/manifests/');
    // --no-live reads no subnets: counted as if the project had IPv4 and IPv6 sources (fqdn, fqdn6, v4, v6).
    expect(r.out).toMatch(
      /would publish payment-gateway \(manifests\/payment-gateway.yaml#\d+\): 1 expected write \(patch[^:]*: add egress-payment-gateway-/,
    );
    expect(r.out).toMatch(/invalid broken \(manifests\/broken.yaml\): /);
    expect(r.code).toBe(1);
  });

  it('warns when the prefix given is not the one the pipeline watches (replay, explain --bucket)', async () => {
    const r = await runCli('replay', '--all', '--dry-run', '--no-live', '--bucket', 'gs://egress-manifests/');
    expect(r.out).toContain(
      "warning: this command reads the prefix '' (the bucket root), but the pipeline watches 'manifests/'",
    );
    const e = await runCli('explain', 'payment-gateway', 'api.stripe.com', '--bucket', 'gs://egress-manifests/');
    expect(e.err).toContain("but the pipeline watches 'manifests/' (EGRESS_MANIFEST_PREFIX)");
    const ok = await runCli('replay', '--all', '--dry-run', '--no-live', '--bucket', 'gs://egress-manifests');
    expect(ok.out).not.toContain('warning: this command reads the prefix');
  });

  it('explain reads the manifest from the bucket with its generation', async () => {
    const r = await runCli(
      'explain',
      'payment-gateway',
      'api.stripe.com',
      '--bucket',
      'gs://egress-manifests/manifests/',
      '--format',
      'json',
    );
    const j = JSON.parse(r.out);
    expect(j.manifest).toMatchObject({
      path: 'gs://egress-manifests/manifests/payment-gateway.yaml',
      found: true,
      allowed: true,
    });
    expect(j.manifest.generation).toMatch(/^\d+$/);
  });
});
