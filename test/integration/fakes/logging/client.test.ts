/** The fake Cloud Logging through the real @google-cloud/logging client (REST transport), via the product's adapter. */
import { Logging } from '@google-cloud/logging';
import { type FakeLoggingServer, startFakeLogging } from '../../../../local/fakes/logging';
import { cloudLogging } from '../../../../shared/adapters/logging';
import type { LogEntryJson } from '../../../../shared/core/diagnose/logEntries';

let fake: FakeLoggingServer;
beforeEach(async () => {
  fake = await startFakeLogging();
});
afterEach(async () => {
  await fake.close();
});

const FW = 'projects/host/logs/compute.googleapis.com%2Ffirewall';
const entry = (i: number, disposition: string, logName = FW): LogEntryJson => ({
  logName,
  resource: { type: 'gce_subnetwork', labels: { project_id: 'host' } },
  timestamp: new Date(Date.UTC(2026, 11, 1, 20, 0, i)).toISOString(),
  jsonPayload: {
    disposition,
    connection: { dest_ip: `198.51.100.${i}`, dest_port: 443 },
    instance: { project_id: 'p1' },
  },
});

test('entries written by the real client are listed back with their payload, filtered and ordered', async () => {
  const logs = cloudLogging({ projectId: 'host', endpoint: fake.url });
  await logs.write([
    entry(1, 'DENIED'),
    entry(2, 'ALLOWED'),
    entry(3, 'DENIED'),
    entry(4, 'DENIED', 'projects/other/logs/x'),
  ]);
  const got = await logs.list({
    resourceNames: ['projects/host'],
    filter: `logName="${FW}" AND jsonPayload.disposition="DENIED" AND timestamp>="2026-12-01T00:00:00Z"`,
    orderBy: 'timestamp desc',
  });
  expect(got.map((e) => (e.jsonPayload.connection as { dest_ip: string }).dest_ip)).toEqual([
    '198.51.100.3',
    '198.51.100.1',
  ]);
  expect(got[0]).toMatchObject({
    logName: FW,
    resource: { type: 'gce_subnetwork', labels: { project_id: 'host' } },
    timestamp: '2026-12-01T20:00:03.000Z',
    jsonPayload: { instance: { project_id: 'p1' }, connection: { dest_port: 443 } },
  });
  expect(fake.calls.write).toBeGreaterThanOrEqual(2);
});

test('pages are followed with the page token until the end', async () => {
  const logs = cloudLogging({ projectId: 'host', endpoint: fake.url });
  await logs.write(Array.from({ length: 7 }, (_, i) => entry(i + 1, 'DENIED')));
  const client = new Logging({
    projectId: 'host',
    apiEndpoint: '127.0.0.1',
    port: Number(new URL(fake.url).port),
    protocol: 'http',
    apiKey: 'fake',
    fallback: true,
    clientOptions: { transporterOptions: { fetchImplementation: fetch } },
  } as ConstructorParameters<typeof Logging>[0]);
  const filter = `logName="${FW}" AND timestamp>="2026-12-01T00:00:00Z"`;
  const [page1, next] = await client.getEntries({ filter, pageSize: 3, autoPaginate: false, orderBy: 'timestamp asc' });
  expect(page1).toHaveLength(3);
  const token = (next as { pageToken?: string }).pageToken;
  expect(token).toBeTruthy();
  const [page2] = await client.getEntries({
    filter,
    pageSize: 3,
    autoPaginate: false,
    orderBy: 'timestamp asc',
    pageToken: token!,
  });
  expect(page2.map((e) => e.metadata.insertId)).not.toEqual(page1.map((e) => e.metadata.insertId));
  expect(await logs.list({ resourceNames: ['projects/host'], filter, maxEntries: 100 })).toHaveLength(7);
});

test('a filter the fake does not support is INVALID_ARGUMENT naming it, never ignored', async () => {
  const logs = cloudLogging({ projectId: 'host', endpoint: fake.url });
  await logs.write([entry(1, 'DENIED')]);
  await expect(
    logs.list({
      resourceNames: ['projects/host'],
      filter: 'jsonPayload.disposition:"DEN" AND timestamp>="2026-01-01T00:00:00Z"',
    }),
  ).rejects.toMatchObject({
    status: 'INVALID_ARGUMENT',
    message: expect.stringContaining('operator : is not supported by the fake'),
  });
  await expect(
    logs.list({ resourceNames: ['folders/1'], filter: 'timestamp>="2026-01-01T00:00:00Z"' }),
  ).rejects.toMatchObject({ status: 'INVALID_ARGUMENT', message: expect.stringContaining('projects/P only') });
});
