/** `egress plan --live` through the real Compute client against the fake REST server, seeded like a golden case. */
import { join } from 'node:path';
import { type FakeComputeServer, FirewallPolicyEngine, startFakeComputeServer } from '../../../local/fakes/compute';
import { runPlan } from '../../../shared/cli/commands/plan';
import { CASES, GOLDEN_HOST, GOLDEN_POLICY, GOLDEN_SUBNETS } from '../../golden/buildStates';

jest.setTimeout(30_000);

let server: FakeComputeServer;

beforeAll(async () => {
  const engine = new FirewallPolicyEngine();
  engine.createPolicy(GOLDEN_HOST, GOLDEN_POLICY, { rules: CASES.update! });
  // Served to the real SubnetworksClient (aggregatedList over REST): target mode subnets, the default.
  engine.directory.putSubnetworks(GOLDEN_HOST, GOLDEN_SUBNETS);
  server = await startFakeComputeServer({ engine });
});
afterAll(async () => server.close());

it('plans against the live policy with one read and the same result as the state file', async () => {
  const manifests = join(__dirname, '..', '..', 'golden', 'update', 'manifests');
  const live = await runPlan(
    {
      paths: [manifests],
      live: true,
      format: 'json',
      detailedExitcode: true,
      hostProject: GOLDEN_HOST,
      firewallPolicy: GOLDEN_POLICY,
      computeEndpoint: server.url,
    },
    {},
  );
  expect(live.stderr).toBe('');
  expect(live.code).toBe(2);
  expect(server.engine.counters()).toMatchObject({ reads: 1, writes: 0 });
  const state = await runPlan(
    { paths: [manifests], state: join(__dirname, '..', '..', 'golden', 'update', 'state.json'), format: 'json' },
    {},
  );
  const strip = (s: string) => {
    const { source: _s, ...rest } = JSON.parse(s);
    return rest;
  };
  expect(strip(live.stdout)).toEqual(strip(state.stdout));
  expect(JSON.parse(live.stdout).source).toContain(`at ${server.url}`);
});

it('names the missing host project and policy', async () => {
  await expect(
    runPlan({ paths: [join(__dirname, '..', '..', 'golden', 'update', 'manifests')], live: true, format: 'text' }, {}),
  ).rejects.toThrow(/--host-project .*--firewall-policy/);
});
