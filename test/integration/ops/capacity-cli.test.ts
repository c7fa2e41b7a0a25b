/**
 * `egress capacity --state FILE` over a fake-Compute state file (as `npm start` leaves one) and `--live` against the
 * fake REST server through the real client: the JSON shape, text that says the same numbers, exit 1 over 90%.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FirewallPolicyEngine, startFakeComputeServer } from '../../../local/fakes/compute';
import { baselineRules } from '../../../local/program/stack/firewall';
import { toApiRule } from '../../../shared/adapters/compute';
import { compileProject } from '../../../shared/core/firewall';
import { DEFAULT_POLICY } from '../../../shared/core/policy';
import { runCli } from '../../support/cli';
import { tempDir } from '../../support/tempDir';

jest.setTimeout(30_000);

const HOST = 'host-prj';
const FP = 'egress-policy';
const PATH = `projects/${HOST}/global/firewallPolicies/${FP}`;

/** A policy as terraform creates it (defaults + baseline) holding two projects' compiled rules. */
function engineWithProjects(): FirewallPolicyEngine {
  const e = new FirewallPolicyEngine({ completion: 'immediate' });
  const policy = { ...DEFAULT_POLICY, firewall: { ...DEFAULT_POLICY.firewall, hostProject: HOST } };
  const rules = ['payments', 'ledger'].flatMap((name, k) =>
    compileProject(
      { name, environment: 'production' },
      [
        { value: `api.${name}.example.com`, type: 'hostname' },
        { value: '34.117.59.0/24', type: 'cidr' },
      ],
      {
        policy,
        generation: '1',
        // target mode subnets (the default): each rule's one source range (srcIpRanges) costs 1 attribute
        workloads: {
          mode: 'subnets',
          subnets: [
            {
              name: `${name}-usc1`,
              region: 'us-central1',
              network: 'shared-vpc',
              primary: `10.0.${k}.0/24`,
              secondary: [],
              ipv6: [],
            },
          ],
        },
      },
    ).map((r, i) => ({ ...toApiRule(r), priority: 1000 + 10 * k + i })),
  );
  e.createPolicy(HOST, FP, { rules: [...baselineRules(), ...rules] });
  return e;
}

function stateFile(e: FirewallPolicyEngine): string {
  const file = join(tempDir('capacity'), 'compute.json');
  e.save(file);
  return file;
}

/** 8 (default rules) + 17 (terraform's baseline: 6 rules) + 2 × (fqdn rule 3 + range rule 3, each: 1 source range + 1 FQDN or destination + all) = 37 attributes; 2 FQDNs. */
const EXPECTED = {
  policies: [
    { policy: PATH, rules: 14, projects: 2, attributes: { used: 37, limit: 2000 }, fqdns: { used: 2, limit: 1000 } },
  ],
};

test('--state FILE --format json prints the documented shape; text agrees; exit 0 under 90%', async () => {
  const file = stateFile(engineWithProjects());
  const json = await runCli('capacity', '--state', file, '--format', 'json');
  expect(json.code).toBe(0);
  expect(JSON.parse(json.out)).toEqual(EXPECTED);
  const text = await runCli('capacity', '--state', file);
  expect(text.out).toBe(`${PATH}: 14 rules, 2 projects, attributes 37/2000 (1.9%), fqdns 2/1000 (0.2%)\n`);
});

test('exit 1 when a policy uses over 90% of a quota (the quota from the policy file)', async () => {
  const file = stateFile(engineWithProjects());
  const policyFile = join(tempDir('capacity'), 'policy.yaml');
  writeFileSync(policyFile, 'capacity:\n  attributesPerPolicy: 40\n');
  const run = await runCli('capacity', '--state', file, '--policy', policyFile);
  expect(run.code).toBe(1);
  expect(run.out).toContain(`over 90%: ${PATH}: attributes 37/40 (92.5%)`);
});

test('usage errors: neither or both sources, a missing file (exit 2, no stack trace)', async () => {
  expect((await runCli('capacity')).code).toBe(2);
  const missing = await runCli('capacity', '--state', '/nonexistent/compute.json');
  expect(missing.code).toBe(2);
  expect(missing.err).toContain('/nonexistent/compute.json');
  expect(missing.err).not.toMatch(/\n\s+at /);
});

test("--live reads Google's ruleTupleCount through the real client (fake REST server)", async () => {
  const server = await startFakeComputeServer({ engine: engineWithProjects() });
  const env = { ...process.env };
  try {
    process.env.EGRESS_COMPUTE_ENDPOINT = server.url;
    const run = await runCli('capacity', '--live', '--host-project', HOST, '--firewall-policy', FP, '--format', 'json');
    expect(run.err).toBe('');
    // The limits come from the fake's Cloud Quotas endpoint (docs/capacity.md, "Where the limits come from").
    const sources = { attributes: 'quotas API', fqdns: 'quotas API' };
    expect(JSON.parse(run.out)).toEqual({ policies: [{ ...EXPECTED.policies[0], limitSources: sources }] });
  } finally {
    process.env = env;
    await server.close();
  }
});

test("EGRESS_STATE_FILE (npm start's cli.env) is the default source, as for explain, status and plan; --live wins", async () => {
  const file = stateFile(engineWithProjects());
  const env = { ...process.env };
  try {
    process.env.EGRESS_STATE_FILE = file;
    const run = await runCli('capacity', '--format', 'json');
    expect({ code: run.code, err: run.err }).toEqual({ code: 0, err: '' });
    expect(JSON.parse(run.out)).toEqual(EXPECTED);
    // --live asks for the live policy instead: without an endpoint or a target it says what is missing (exit 2).
    delete process.env.EGRESS_HOST_PROJECT;
    delete process.env.EGRESS_FIREWALL_POLICY;
    const live = await runCli('capacity', '--live');
    expect(live.code).toBe(2);
    expect(live.err).toMatch(/--host-project/);
  } finally {
    process.env = env;
    rmSync(dirname(file), { recursive: true, force: true });
  }
});
