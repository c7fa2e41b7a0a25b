import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../support/cli';
import { tempDir } from '../../support/tempDir';

const good = (name: string, extra = '') => `apiVersion: lowops.manifests.v1
kind: Project
metadata:
  name: ${name}
  environment: production
spec:
  allowedEgress:
    - "api.stripe.com" # Payment processor API
    - "*.googleapis.com"${extra}
`;

describe('egress validate', () => {
  const dir = tempDir('validate');
  const okDir = join(dir, 'ok');
  const mixed = join(dir, 'mixed');
  mkdirSync(join(okDir, 'nested'), { recursive: true });
  mkdirSync(mixed);
  writeFileSync(join(okDir, 'payment-gateway.yaml'), good('payment-gateway'));
  writeFileSync(join(okDir, 'nested', 'fraud-scoring.yml'), good('fraud-scoring', '\n    - "API.stripe.com"'));
  writeFileSync(join(okDir, 'README.md'), 'not a manifest');
  writeFileSync(join(mixed, 'payment-gateway.yaml'), good('payment-gateway'));
  writeFileSync(join(mixed, 'bad.yaml'), good('bad').replace('"api.stripe.com"', '"https://api.stripe.com/v1"'));

  it('exits 0 on valid manifests (warnings allowed) and walks directories for *.yaml/*.yml', async () => {
    const r = await runCli('validate', okDir);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe(
      `${join(okDir, 'nested', 'fraud-scoring.yml')}:10:7: warning DUPLICATE_ENTRY \`api.stripe.com\` is listed again (same as spec.allowedEgress[0] on line 8 after normalization); it is kept once`,
    );
    expect(lines[1]).toBe('  hint: remove the repeated entry');
    expect(lines.at(-1)).toBe('2 manifests checked: 2 valid, 0 invalid (0 errors, 1 warning)');
  });

  it('exits 1 and prints path:line:col: severity CODE message for invalid manifests', async () => {
    const r = await runCli('validate', mixed);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `${join(mixed, 'bad.yaml')}:8:7: error ENTRY_URL \`https://api.stripe.com/v1\` is a URL; list the bare host`,
    );
    expect(r.out).toContain('  hint: use `api.stripe.com`');
    expect(r.out.trim().split('\n').at(-1)).toBe('2 manifests checked: 1 valid, 1 invalid (1 error, 0 warnings)');
  });

  it('prints the JSON shape of the issue', async () => {
    const r = await runCli(
      'validate',
      '--format',
      'json',
      join(mixed, 'payment-gateway.yaml'),
      join(mixed, 'bad.yaml'),
    );
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out);
    expect(doc.valid).toBe(false);
    expect(doc.manifests[0]).toEqual({
      path: join(mixed, 'payment-gateway.yaml'),
      valid: true,
      project: { name: 'payment-gateway', environment: 'production' },
      egress: [
        { value: 'api.stripe.com', type: 'hostname', description: 'Payment processor API' },
        { value: '*.googleapis.com', type: 'wildcard' },
      ],
      diagnostics: [],
    });
    expect(doc.manifests[1].diagnostics[0]).toEqual({
      severity: 'error',
      code: 'ENTRY_URL',
      message: expect.any(String),
      line: 8,
      column: 7,
      path: 'spec.allowedEgress[0]',
      hint: 'use `api.stripe.com`',
    });
  });

  it('reports the same project declared twice in one run', async () => {
    const r = await runCli(
      'validate',
      '--format',
      'json',
      join(okDir, 'payment-gateway.yaml'),
      join(mixed, 'payment-gateway.yaml'),
    );
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out);
    expect(doc.manifests.map((m: { diagnostics: { code: string }[] }) => m.diagnostics.map((d) => d.code))).toEqual([
      ['DUPLICATE_PROJECT'],
      ['DUPLICATE_PROJECT'],
    ]);
  });

  it('validates a file once when two arguments reach it by different spellings', async () => {
    const file = join(okDir, 'payment-gateway.yaml');
    const other = `${okDir}/nested/../payment-gateway.yaml`; // not normalized: a second spelling of `file`
    const r = await runCli('validate', '--format', 'json', file, other, okDir);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.manifests.map((m: { path: string }) => m.path)).toEqual([
      file,
      join(okDir, 'nested', 'fraud-scoring.yml'),
    ]);
  });

  it('follows symbolic links in walked directories, and refuses a dangling one', async () => {
    const linked = join(dir, 'linked');
    mkdirSync(linked);
    symlinkSync(join(okDir, 'payment-gateway.yaml'), join(linked, 'payment-gateway.yaml'));
    symlinkSync(okDir, join(linked, 'loop')); // a directory link, and through it okDir/nested
    symlinkSync(linked, join(linked, 'loop', 'nested', 'back')); // a cycle back to linked
    const r = await runCli('validate', linked);
    // payment-gateway.yaml is reached by two links to one real file: counted once, so no DUPLICATE_PROJECT.
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('DUPLICATE_PROJECT');
    expect(r.out.trim().split('\n').at(-1)).toMatch(/^2 manifests checked/);
    symlinkSync(join(dir, 'nowhere.yaml'), join(linked, 'broken.yaml'));
    const broken = await runCli('validate', linked);
    expect(broken.code).toBe(2);
    expect(broken.err).toContain('broken.yaml');
  });

  it('walks p.YAML as a manifest of p (extensions in any case, as the validator function reads the bucket)', async () => {
    const upper = join(dir, 'upper');
    mkdirSync(upper);
    writeFileSync(join(upper, 'payment-gateway.YAML'), good('payment-gateway'));
    const r = await runCli('validate', '--format', 'json', upper);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.manifests.map((m: { path: string; valid: boolean }) => [m.path, m.valid])).toEqual([
      [join(upper, 'payment-gateway.YAML'), true],
    ]);
  });

  it('applies --policy', async () => {
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, 'wildcards:\n  "*.googleapis.com": null\n');
    const r = await runCli('validate', '--policy', policy, join(okDir, 'payment-gateway.yaml'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('WILDCARD_SHARED_SUFFIX');
  });

  it('validates with EGRESS_POLICY_FILE when --policy is not given, as the validator function and sync do', async () => {
    const policy = join(dir, 'env-policy.yaml');
    writeFileSync(policy, 'wildcards:\n  "*.googleapis.com": null\n');
    const before = process.env.EGRESS_POLICY_FILE;
    process.env.EGRESS_POLICY_FILE = policy;
    try {
      const r = await runCli('validate', join(okDir, 'payment-gateway.yaml'));
      expect(r.code).toBe(1);
      expect(r.out).toContain('WILDCARD_SHARED_SUFFIX');
    } finally {
      if (before === undefined) delete process.env.EGRESS_POLICY_FILE;
      else process.env.EGRESS_POLICY_FILE = before;
    }
    expect((await runCli('validate', join(okDir, 'payment-gateway.yaml'))).code).toBe(0);
  });

  it('exits 2 for an invalid policy file, naming the position', async () => {
    const policy = join(dir, 'bad-policy.yaml');
    writeFileSync(policy, 'manifest:\n  maxEntries: -1\n');
    const r = await runCli('validate', '--policy', policy, okDir);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${policy}:2:15: VALUE_OUT_OF_RANGE`);
  });

  it('exits 2 for a missing path, a missing argument, an unknown flag and a bad format', async () => {
    const missing = await runCli('validate', join(dir, 'nope'));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no such file or directory');
    expect((await runCli('validate')).code).toBe(2);
    expect((await runCli('validate', '--frobnicate', okDir)).code).toBe(2);
    expect((await runCli('validate', '--format', 'xml', okDir)).code).toBe(2);
  });

  it('exits 2 for a directory without manifests (a wrong path must not pass CI having checked nothing)', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(join(empty, 'sub'), { recursive: true });
    writeFileSync(join(empty, 'README.md'), '# not a manifest\n');
    for (const format of ['text', 'json']) {
      const r = await runCli('validate', '--format', format, empty);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`${empty}: no manifests found`);
      expect(r.out).toBe('');
    }
  });

  it('shows help with exit 0', async () => {
    const r = await runCli('validate', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('--format <format>');
    expect(r.out).toContain('Exit codes');
  });
});
