/**
 * A stopped stack fails fast (issue 19, item 6): with a stale cli.env (every endpoint a local port that refuses
 * connections), every command that needs the stack fails within 5 s with ONE line naming the endpoint and the fix.
 * On main the clients retried the refusals: capacity --live ran 606 s and printed 9 KB, drift and plan --live
 * 100–200 s, the rest 16 s or more.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirewallPolicyEngine } from '../../../local/fakes/compute';
import { runCli } from '../../support/cli';

jest.setTimeout(120_000);

/** A port of 127.0.0.1 that refuses connections (bound a moment ago, then closed). */
function refusingPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

const MANIFEST = `apiVersion: lowops.manifests.v1
kind: Project
metadata:
  name: checkout
  environment: production
spec:
  allowedEgress:
    - "api.stripe.com"
`;

let work: string;
let ports: { gcs: number; pubsub: number; compute: number; logging: number };
const saved = { ...process.env };

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'egress-stopped-'));
  mkdirSync(join(work, 'manifests'));
  writeFileSync(join(work, 'manifests/checkout.yaml'), MANIFEST);
  const engine = new FirewallPolicyEngine({ completion: 'immediate' });
  engine.createPolicy('infrastream-host', 'egress-zero-trust', { rules: [] });
  engine.save(join(work, 'compute.json'));
  ports = { gcs: await refusingPort(), pubsub: await refusingPort(), compute: await refusingPort(), logging: 0 };
  ports.logging = await refusingPort();
  // The clients' modules and Compute's REST descriptors load once, before any command is timed (under jest's
  // transforms that first load takes seconds: it is start-up, not waiting on the refused endpoint).
  for (const m of ['@google-cloud/storage', '@google-cloud/pubsub', '@google-cloud/logging']) require(m);
  const { computeClients } =
    require('../../../shared/adapters/compute') as typeof import('../../../shared/adapters/compute');
  const warm = computeClients({ endpoint: `http://127.0.0.1:${ports.compute}` });
  await warm.policies.get({ project: 'p', firewallPolicy: 'f' }).catch(() => undefined);
  await warm.close();
  // What a stale cli.env sets (local/program/stack/cliEnv.ts), every endpoint refusing.
  Object.assign(process.env, {
    STORAGE_EMULATOR_HOST: `http://127.0.0.1:${ports.gcs}`,
    PUBSUB_EMULATOR_HOST: `127.0.0.1:${ports.pubsub}`,
    EGRESS_COMPUTE_ENDPOINT: `http://127.0.0.1:${ports.compute}`,
    EGRESS_LOGGING_ENDPOINT: `http://127.0.0.1:${ports.logging}`,
    METADATA_SERVER_DETECTION: 'none',
    EGRESS_MANIFEST_BUCKET: 'egress-manifests',
    EGRESS_MANIFEST_PREFIX: 'manifests/',
    EGRESS_HOST_PROJECT: 'infrastream-host',
    EGRESS_FIREWALL_POLICY: 'egress-zero-trust',
    EGRESS_PUBSUB_PROJECT: 'infrastream-local',
    GOOGLE_CLOUD_PROJECT: 'infrastream-local',
    EGRESS_STATUS_SUBSCRIPTION: 'egress-status-operators',
  });
  delete process.env.EGRESS_STATE_FILE;
});
afterAll(() => {
  process.env = saved;
  rmSync(work, { recursive: true, force: true });
});

const FIX = 'is `npm start` running? source the new cli.env';

test.each([
  ['capacity --live', ['capacity', '--live'], 'compute'],
  ['drift', ['drift'], 'gcs|compute'],
  ['plan --live', ['plan', '--live', 'MANIFESTS'], 'compute'],
  ['status', ['status', 'checkout'], 'compute'],
  ['probe', ['probe', 'checkout', 'api.stripe.com', '--state', 'STATE'], 'logging'],
  ['explain --live', ['explain', 'checkout', 'api.stripe.com', '--live'], 'gcs|compute'],
  ['denials', ['denials', 'checkout'], 'gcs'],
  ['sync', ['sync', 'MANIFESTS', 'gs://egress-manifests', '--dry-run'], 'gcs'],
  ['replay', ['replay', '--all', '--dry-run'], 'gcs|compute'],
  ['replay --dead-letter', ['replay', '--dead-letter', 'egress-changes-dead', '--dry-run'], 'pubsub'],
] as const)('%s: one line naming the refused endpoint and the fix, within 5 s', async (_name, args, endpoint) => {
  const argv = args.map((a) =>
    a === 'MANIFESTS' ? join(work, 'manifests') : a === 'STATE' ? join(work, 'compute.json') : a,
  );
  const t0 = performance.now();
  const run = await runCli(...argv);
  const ms = performance.now() - t0;
  expect(run.code).toBe(1);
  const lines = run.err.split('\n').filter((l) => l.startsWith('error: '));
  expect(lines).toHaveLength(1);
  const named = endpoint.split('|').map((k) => `127.0.0.1:${ports[k as keyof typeof ports]}`);
  expect(named.some((n) => lines[0]!.includes(`nothing answers at ${n} (connection refused)`))).toBe(true);
  expect(lines[0]).toContain(FIX);
  expect(lines[0]!.length).toBeLessThan(300);
  expect(run.err).not.toMatch(/^\s+at /m);
  expect(ms).toBeLessThan(5000);
});
