/**
 * One fake Compute REST server per test file and the REAL @google-cloud/compute clients over it, created once (their
 * first call costs 1-3 s) and closed after the file: `const fake = withRealClients(engine, {firewalls:
 * FirewallsClient})`, then `fake.clients.firewalls` inside tests.
 */
import type { ClientOptions } from 'google-gax';
import {
  type FakeComputeServer,
  type FirewallPolicyEngine,
  startFakeComputeServer,
} from '../../../local/fakes/compute';

type Closable = { close(): Promise<void> };
type Ctors = Record<string, new (opts?: ClientOptions) => Closable>;

/** Starts the server in `beforeAll` with a client of each constructor, and closes them all in `afterAll`. */
export function withRealClients<C extends Ctors>(
  engine: FirewallPolicyEngine,
  ctors: C,
): { server: FakeComputeServer; clients: { [K in keyof C]: InstanceType<C[K]> } } {
  const fake = { server: undefined, clients: {} } as unknown as {
    server: FakeComputeServer;
    clients: { [K in keyof C]: InstanceType<C[K]> };
  };
  beforeAll(async () => {
    fake.server = await startFakeComputeServer({ engine });
    // `protocol` is read by google-gax's REST stub but is missing from ClientOptions' type.
    const opts = { apiEndpoint: '127.0.0.1', port: fake.server.port, protocol: 'http', apiKey: 'fake', fallback: true };
    for (const [k, Ctor] of Object.entries(ctors))
      (fake.clients as Record<string, Closable>)[k] = new Ctor(opts as ClientOptions);
  });
  afterAll(async () => {
    await Promise.all(Object.values(fake.clients as Record<string, Closable>).map((c) => c.close()));
    await fake.server.close();
  });
  return fake;
}
