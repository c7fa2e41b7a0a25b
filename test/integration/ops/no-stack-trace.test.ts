/**
 * No stack trace reaches a user: without credentials, every command that builds a Google client prints ONE line
 * naming the fix and exits 1; `--verbose` shows the trace; the auth library's metadata-server warning is kept off the
 * terminal. The CLI runs as its own process (from the sources), because the failure on main was Node's own crash
 * report of an unhandled rejection, which an in-process run inside jest would not show.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');
const home = mkdtempSync(join(tmpdir(), 'egress-noadc-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** A user's shell with no Application Default Credentials and no gcloud configuration. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(EGRESS_|GOOGLE_|GCLOUD_|CLOUDSDK_|STORAGE_EMULATOR|PUBSUB_EMULATOR|METADATA_SERVER|GCE_)/.test(k))
      env[k] = v;
  return {
    ...env,
    HOME: home,
    CLOUDSDK_CONFIG: join(home, 'gcloud'),
    // The metadata server "exists" but refuses at once: the probe fails fast and the library would warn about it.
    GCE_METADATA_HOST: '127.0.0.1:9',
    GCE_METADATA_IP: '127.0.0.1:9',
  };
}

function egress(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    [
      '-r',
      join(ROOT, 'local/harness/registerTs.js'),
      '-e',
      `require(${JSON.stringify(join(ROOT, 'shared/cli/main.ts'))}).main(['node', ...process.argv.slice(1)]).then((c) => { process.exitCode = c; })`,
      'egress',
      ...args,
    ],
    { cwd: home, env: cleanEnv(), encoding: 'utf8', timeout: 60_000 },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const target = ['--host-project', 'net-host', '--firewall-policy', 'egress'];
const manifests = join(ROOT, 'examples/manifests');

describe.each([
  ['drift', ['drift', '--bucket', 'gs://egress-manifests/manifests/', ...target]],
  ['plan --live', ['plan', '--live', join(manifests, 'payment-gateway.yaml'), ...target]],
  ['explain --live', ['explain', 'payment-gateway', 'api.stripe.com', '--manifests', manifests, '--live', ...target]],
])('%s without credentials', (_name, args) => {
  it('prints one line naming the fix, no trace, no metadata warning, exit 1', () => {
    const r = egress(...args);
    expect(r.code).toBe(1);
    const lines = r.err.split('\n').filter((l) => l.trim());
    expect(lines).toEqual([expect.stringContaining('gcloud auth application-default login')]);
    expect(lines[0]).toContain('. .local/cli.env');
    expect(r.err).not.toMatch(/^\s+at /m);
    expect(r.err).not.toMatch(/MetadataLookupWarning|node --trace-warnings/);
    expect(r.out).toBe('');
  }, 60_000);
});

it('--verbose adds the stack trace', () => {
  const r = egress('plan', '--live', join(manifests, 'payment-gateway.yaml'), ...target, '--verbose');
  expect(r.code).toBe(1);
  expect(r.err).toContain('gcloud auth application-default login');
  expect(r.err).toMatch(/^\s+at /m);
}, 60_000);

it('--version prints the package version', () => {
  const r = egress('--version');
  expect(r.code).toBe(0);
  expect(r.out.trim()).toBe((require(join(ROOT, 'package.json')) as { version: string }).version);
}, 60_000);
