/**
 * The Cloud Quotas adapter (shared/adapters/quotas.ts, the official @google-cloud/cloudquotas client over REST)
 * against the fake Compute server's Cloud Quotas endpoint: it reads the per-policy limits the fake enforces, follows
 * a change of them, and the limits say where they came from.
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FakeComputeServer, startFakeComputeServer } from '../../../local/fakes/compute/server';
import { cloudQuotasClient, cloudQuotasLimits, type QuotaInfoLike, quotaValue } from '../../../shared/adapters/quotas';
import { effectiveLimits } from '../../../shared/core/capacity/limits';
import { DEFAULT_CAPACITY } from '../../../shared/core/policy/capacity';
import { DEFAULT_POLICY } from '../../../shared/core/policy/defaults';
import { quotaCapacities } from '../../../shared/runtime/limits';

let server: FakeComputeServer;
let client: ReturnType<typeof cloudQuotasClient>;

beforeAll(async () => {
  server = await startFakeComputeServer();
  client = cloudQuotasClient({ endpoint: server.url });
});
afterAll(async () => {
  await client.close();
  await server.close();
});

test('reads the global and regional per-policy limits the fake enforces, and follows a change', async () => {
  const reader = cloudQuotasLimits('host', client.api);
  expect(await reader.read('global')).toEqual({
    attributesPerPolicy: DEFAULT_CAPACITY.attributesPerPolicy,
    fqdnsPerPolicy: DEFAULT_CAPACITY.fqdnsPerPolicy,
  });
  server.engine.setCapacity({ attributesPerPolicy: 1234, fqdnsPerPolicy: 56 });
  expect(await reader.read('regional', 'us-central1')).toEqual({ attributesPerPolicy: 1234, fqdnsPerPolicy: 56 });
  const limits = effectiveLimits(await reader.read('global'), { ...DEFAULT_CAPACITY, attributesPerPolicy: 10 });
  expect(limits).toEqual({
    attributesPerPolicy: 1234,
    fqdnsPerPolicy: 56,
    sources: { attributes: 'quotas API', fqdns: 'quotas API' },
  });
});

test('a service without these quotas reports nothing: the policy file decides, and says so', async () => {
  const reader = cloudQuotasLimits('host', { listQuotaInfos: async () => [] });
  expect(effectiveLimits(await reader.read('global'), DEFAULT_CAPACITY).sources).toEqual({
    attributes: 'policy file',
    fqdns: 'policy file',
  });
});

test("a region's own dimensionsInfos entry wins over the general one", () => {
  const info: QuotaInfoLike = {
    dimensionsInfos: [
      { dimensions: { region: 'europe-west1' }, details: { value: '900' }, applicableLocations: ['europe-west1'] },
      { dimensions: {}, details: { value: '500' }, applicableLocations: ['us-central1', 'europe-west1'] },
    ],
  };
  expect(quotaValue(info, 'europe-west1')).toBe(900);
  expect(quotaValue(info, 'us-central1')).toBe(500);
  expect(quotaValue(info)).toBe(500);
});

test("the applier's limits: the fake's quotas replace the policy file's; an endpoint without them leaves the file's, logged", async () => {
  server.engine.setCapacity({ attributesPerPolicy: 4321, fqdnsPerPolicy: 77 });
  const logged: string[] = [];
  const logger = {
    log: (_s: string, m: string, f?: Record<string, unknown>) => void logged.push(`${m} ${JSON.stringify(f)}`),
  };
  const refs = [{ name: 'egress' }, { name: 'egress-us-central1', region: 'us-central1' }];
  const p = await quotaCapacities(DEFAULT_POLICY, 'host', refs, { endpoint: server.url }, logger);
  const raised = { ...DEFAULT_POLICY.capacity, attributesPerPolicy: 4321, fqdnsPerPolicy: 77 };
  // Each policy of the placement has its limits, the regional one read for its region.
  expect([...p.keys()]).toEqual(['global/egress', 'regions/us-central1/egress-us-central1']);
  for (const c of p.values()) expect(c).toEqual(raised);
  expect(logged[0]).toContain('"attributes":"quotas API"');
  // A Compute endpoint without the Cloud Quotas paths (404): the policy file's limits, and the log says why.
  const bare = createServer((_q, r) => r.writeHead(404, { 'content-type': 'application/json' }).end('{}'));
  await new Promise<void>((ok) => bare.listen(0, '127.0.0.1', ok));
  try {
    const url = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
    const none = await quotaCapacities(DEFAULT_POLICY, 'host', [{ name: 'egress' }], { endpoint: url }, logger);
    expect(none.get('global/egress')).toEqual(DEFAULT_POLICY.capacity);
  } finally {
    await new Promise((ok) => bare.close(ok));
  }
  expect(logged[1]).toMatch(/^quotas API not read .*: limits from the policy file/);
}, 30_000);
