/** `egress plan --live` through the real Compute client against the fake REST server, seeded like a golden case. */
import { join } from 'node:path';
import {
  type FakeComputeServer,
  FakeGlobalOperationsClient,
  FakeNetworkFirewallPoliciesClient,
  FirewallPolicyEngine,
  fakeSubnetworksClient,
  startFakeComputeServer,
} from '../../../local/fakes/compute';
import { computeFirewall } from '../../../shared/adapters/compute';
import { computeSubnetSource } from '../../../shared/adapters/subnets';
import { runPlan } from '../../../shared/cli/commands/plan';
import { collectManifestFiles, validateFiles } from '../../../shared/cli/commands/validate';
import { makeEgressChange } from '../../../shared/core/events/codec';
import { DEFAULT_POLICY } from '../../../shared/core/policy';
import { singlePolicy } from '../../../shared/ports/firewall';
import { nullLogger } from '../../../shared/ports/logger';
import { applyChange } from '../../../shared/usecases/applyChange';
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

it("each project's patch in the plan is the one the applier then sends for that manifest's event", async () => {
  const engine = new FirewallPolicyEngine();
  engine.createPolicy(GOLDEN_HOST, GOLDEN_POLICY, { rules: CASES.delete! });
  engine.directory.putSubnetworks(GOLDEN_HOST, GOLDEN_SUBNETS);
  const fake = await startFakeComputeServer({ engine });
  try {
    const manifests = join(__dirname, '..', '..', 'golden', 'delete', 'manifests');
    const opts = { hostProject: GOLDEN_HOST, firewallPolicy: GOLDEN_POLICY, computeEndpoint: fake.url };
    const planned = await runPlan({ paths: [manifests], live: true, format: 'json', ...opts }, {});
    const writes = JSON.parse(planned.stdout).writes as {
      project: string;
      patches: { add: string[]; update: string[]; remove: string[] }[];
    }[];
    expect(writes.map((w) => w.project)).toEqual(['ledger', 'payment-gateway']);
    const at = () => engine.rules(GOLDEN_HOST, GOLDEN_POLICY).map((r) => `${r.ruleName}@${r.priority}`);
    // Each manifest's event, as the validator publishes it on merge (a newer generation), through the applier.
    const deps = {
      policies: singlePolicy(
        computeFirewall({
          project: GOLDEN_HOST,
          policy: GOLDEN_POLICY,
          policies: new FakeNetworkFirewallPoliciesClient(engine),
          operations: new FakeGlobalOperationsClient(engine),
        }),
      ),
      policy: DEFAULT_POLICY,
      hostProject: GOLDEN_HOST,
      logger: nullLogger,
      clock: { now: () => Date.now(), sleep: async () => undefined },
      workloads: { subnets: computeSubnetSource(GOLDEN_HOST, fakeSubnetworksClient(engine.directory)) },
    };
    for (const [i, m] of validateFiles(collectManifestFiles([manifests]), DEFAULT_POLICY).entries()) {
      const [w] = writes.filter((x) => x.project === m.project!.name);
      const before = at();
      engine.resetCounters();
      await applyChange(
        deps,
        makeEgressChange({
          project: m.project!,
          reason: 'upsert',
          entries: m.egress,
          source: { bucket: 'b', object: `manifests/${m.project!.name}.yaml`, generation: `18000000000000${i}0` },
        }),
      );
      expect(engine.counters().writes).toBe(1);
      const [p] = w!.patches;
      const want = [...before.filter((r) => !p!.remove.includes(r)), ...p!.add];
      expect(at().sort()).toEqual(want.sort());
      for (const u of p!.update) expect(at()).toContain(u);
    }
  } finally {
    await fake.close();
  }
});
