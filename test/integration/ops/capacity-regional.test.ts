/**
 * `egress capacity` under regional placement: one entry per policy of the placement (the global one and each listed
 * region's), from a state file and live through the real global and regional clients; a region with subnets but no
 * regional policy is reported and exits 1; exit 1 over 90% of a regional policy's quota. And `plan --live` reads
 * every policy of the placement.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FirewallPolicyEngine, startFakeComputeServer } from '../../../local/fakes/compute';
import { toApiRule } from '../../../shared/adapters/compute';
import { runPlan } from '../../../shared/cli/commands/plan';
import { compileProject } from '../../../shared/core/firewall';
import { DEFAULT_POLICY } from '../../../shared/core/policy';
import { runCli } from '../../support/cli';
import { manifestYaml } from '../../support/manifests';
import { tempDir } from '../../support/tempDir';

jest.setTimeout(30_000);

const HOST = 'host-prj';
const FP = 'egress-policy';
const tmp = () => tempDir('capacity-regional');
const policyFile = (extra = '') => {
  const f = join(tmp(), 'policy.yaml');
  writeFileSync(
    f,
    `firewall:\n  placement: regional\n  regions: [us-central1, europe-west1]\n  target: {mode: serviceAccounts, templates: ["w@{project}.iam.gserviceaccount.com"]}\n${extra}`,
  );
  return f;
};

/** The global policy and two regional ones; payments' rules in us-central1's, ledger's in europe-west1's. */
function engine(): FirewallPolicyEngine {
  const e = new FirewallPolicyEngine({ completion: 'immediate' });
  const policy = {
    ...DEFAULT_POLICY,
    firewall: {
      ...DEFAULT_POLICY.firewall,
      target: { mode: 'serviceAccounts' as const, templates: ['w@{project}.iam.gserviceaccount.com'] },
    },
  };
  const rules = (name: string) =>
    compileProject({ name, environment: 'production' }, [{ value: `api.${name}.example.com`, type: 'hostname' }], {
      policy,
      generation: '1',
    }).map((r, i) => ({ ...toApiRule(r), priority: 1000 + i }));
  e.createPolicy(HOST, FP);
  e.createPolicy(HOST, `${FP}-us-central1`, { region: 'us-central1', rules: rules('payments') });
  e.createPolicy(HOST, `${FP}-europe-west1`, { region: 'europe-west1', rules: rules('ledger') });
  e.directory.putSubnetworks(HOST, [
    { name: 'payments-usc1', region: 'us-central1', network: 'shared-vpc', ipCidrRange: '10.0.0.0/24' },
    { name: 'ledger-ase1', region: 'asia-east1', network: 'shared-vpc', ipCidrRange: '10.0.1.0/24' },
  ] as never);
  return e;
}
const entry = (path: string, projects: number, attributes: number, fqdns: number) => ({
  policy: path,
  rules: 4 + projects,
  projects,
  attributes: { used: attributes, limit: 2000 },
  fqdns: { used: fqdns, limit: 1000 },
});
// 8 for the default rules; a project's FQDN rule: 1 FQDN + all = 2 (target service accounts cost 0, docs/capacity.md).
const POLICIES = [
  entry(`projects/${HOST}/global/firewallPolicies/${FP}`, 0, 8, 0),
  entry(`projects/${HOST}/regions/us-central1/firewallPolicies/${FP}-us-central1`, 1, 10, 1),
  entry(`projects/${HOST}/regions/europe-west1/firewallPolicies/${FP}-europe-west1`, 1, 10, 1),
];
const UNCOVERED = [{ region: 'asia-east1', subnets: ['ledger-ase1'] }];

test('--state: one entry per policy of the placement, the region without a policy reported (exit 1)', async () => {
  const file = join(tmp(), 'compute.json');
  engine().save(file);
  const args = ['capacity', '--state', file, '--policy', policyFile(), '--host-project', HOST, '--firewall-policy', FP];
  const json = await runCli(...args, '--format', 'json');
  expect(json.err).toBe('');
  expect(JSON.parse(json.out)).toEqual({ policies: POLICIES, regionsWithoutPolicy: UNCOVERED });
  expect(json.code).toBe(1);
  const text = await runCli(...args);
  expect(text.out).toContain(`projects/${HOST}/regions/europe-west1/firewallPolicies/${FP}-europe-west1: 5 rules`);
  expect(text.out).toContain('no regional policy: asia-east1 (subnets ledger-ase1)');
});

test('--live through the real regional clients; exit 1 over 90% of a regional quota', async () => {
  const e = engine();
  e.directory.putSubnetworks(HOST, [], true);
  const server = await startFakeComputeServer({ engine: e });
  const env = { ...process.env };
  try {
    process.env.EGRESS_COMPUTE_ENDPOINT = server.url;
    const args = ['capacity', '--live', '--host-project', HOST, '--firewall-policy', FP];
    const run = await runCli(...args, '--policy', policyFile(), '--format', 'json');
    expect(run.err).toBe('');
    expect(JSON.parse(run.out)).toEqual({ policies: POLICIES });
    expect(run.code).toBe(0);
    const tight = await runCli(...args, '--policy', policyFile('capacity:\n  attributesPerPolicy: 11\n'));
    expect(tight.code).toBe(1);
    expect(tight.out).toContain(`over 90%: projects/${HOST}/regions/us-central1/firewallPolicies/${FP}-us-central1`);
  } finally {
    process.env = env;
    await server.close();
  }
});

test('plan --live reads every policy of the placement: a project whose rules are in its regional policy is unchanged', async () => {
  const server = await startFakeComputeServer({ engine: engine() });
  const manifests = tmp();
  writeFileSync(
    join(manifests, 'payments.yaml'),
    manifestYaml('payments', ['api.payments.example.com'], { region: 'us-central1' }),
  );
  try {
    const base = { paths: [manifests], live: true, hostProject: HOST, firewallPolicy: FP, computeEndpoint: server.url };
    const run = await runPlan({ ...base, format: 'json', detailedExitcode: true, policy: policyFile() }, {});
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout).source).toContain(`live policy ${FP} + 2 regional policies of ${HOST}`);
    expect(run.code).toBe(0);
    // one read per policy of the placement, nothing written
    expect(server.engine.counters()).toMatchObject({ reads: 3, writes: 0 });
  } finally {
    await server.close();
  }
});
