/**
 * Without Google credentials a command that reads the bucket says so at once, in one line (issue 19, item 9): on main
 * `explain --bucket … --live` and `sync … --dry-run` sent their requests anonymously and retried each failure for
 * 16 s before printing a storage error. No network is needed for this test: the auth library answers first.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../support/cli';

jest.setTimeout(60_000);

let work: string;
const saved = { ...process.env };

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'egress-nocreds-'));
  mkdirSync(join(work, 'manifests'));
  writeFileSync(
    join(work, 'manifests/checkout.yaml'),
    'apiVersion: lowops.manifests.v1\nkind: Project\nmetadata:\n  name: checkout\n  environment: production\nspec:\n  allowedEgress:\n    - "api.stripe.com"\n',
  );
  // No Application Default Credentials anywhere (no key file, no gcloud login under HOME), no local endpoints.
  for (const k of Object.keys(process.env))
    if (/^(EGRESS_|GOOGLE_|GCLOUD_|CLOUDSDK_|STORAGE_EMULATOR|PUBSUB_EMULATOR)/.test(k)) delete process.env[k];
  process.env.HOME = work;
  process.env.METADATA_SERVER_DETECTION = 'none';
  // Load the client modules once before timing (jest's transforms make the first load take seconds: start-up, not
  // the wait this test is about), as stopped-stack.test.ts does.
  require('../../../shared/adapters/compute');
  require('../../../shared/adapters/storage');
});
afterAll(() => {
  process.env = saved;
  rmSync(work, { recursive: true, force: true });
});

const LINE = /^error: no Google credentials found: run `gcloud auth application-default login`/;

test.each([
  [
    'explain --bucket … --live',
    [
      'explain',
      'checkout',
      'api.stripe.com',
      '--bucket',
      'gs://egress-manifests',
      '--live',
      '--host-project',
      'h',
      '--firewall-policy',
      'p',
    ],
  ],
  ['sync … --dry-run', ['sync', 'MANIFESTS', 'gs://egress-manifests', '--dry-run']],
] as const)('%s: the one-line credentials message at once (exit 1)', async (_name, args) => {
  const t0 = performance.now();
  const run = await runCli(...args.map((a) => (a === 'MANIFESTS' ? join(work, 'manifests') : a)));
  expect(run.code).toBe(1);
  expect(run.err).toMatch(LINE);
  expect(run.err.split('\n').filter((l) => l.startsWith('error: '))).toHaveLength(1);
  expect(run.err).not.toMatch(/^\s+at /m);
  expect(performance.now() - t0).toBeLessThan(5000);
});
