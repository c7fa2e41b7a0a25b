/**
 * Regional placement on the local stack (real Pub/Sub emulator, fake GCS, both functions in process, the REAL
 * @google-cloud/compute clients against the fake Compute): a project applied under global placement, then the stack
 * restarted on the same state with a regional platform policy (`npm start -- --policy FILE` does the same): the next
 * generation moves its rules into its region's policy (adds through RegionNetworkFirewallPolicies first, then the
 * removes from the global policy), the global policy hands egress on (goto_next), and a manifest without spec.region
 * is rejected by the validator with REGION_REQUIRED. Waits on status events, never on sleeps.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliEnv, type LocalStack, startLocalStack } from '../../local/program/stack';
import type { StatusEvent } from '../../shared/core/events/types';
import { runCli } from '../support/cli';
import { manifestYaml } from '../support/manifests';
import { tempDir } from '../support/tempDir';

jest.setTimeout(60_000);

const PREFIX = 'manifests/';
const PROJECT = 'geo-shop';
const dir = tempDir('regional');
const stateDir = join(dir, 'state');
const policyFile = join(dir, 'regional.yaml');
writeFileSync(policyFile, 'firewall:\n  placement: regional\n  regions: [us-central1, europe-west1]\n');

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

async function start(opts: { policyFile?: string } = {}): Promise<LocalStack> {
  const s = await startLocalStack({
    mode: 'in-process',
    suffix: `regional-${process.pid}`,
    prefix: PREFIX,
    stateDir,
    ...opts,
  });
  s.engine.directory.putSubnetworks(s.hostProject, [
    {
      name: `${PROJECT}-usc1`,
      region: 'us-central1',
      network: `https://www.googleapis.com/compute/v1/projects/${s.hostProject}/global/networks/shared-vpc`,
      ipCidrRange: '10.60.0.0/24',
    },
  ]);
  return s;
}

async function upload(s: LocalStack, project: string, text: string): Promise<StatusEvent> {
  const object = `${PREFIX}${project}.yaml`;
  const { generation } = await s.store.write(object, Buffer.from(text), { contentType: 'application/yaml' });
  return s.waitForStatus((e) => e.data.source?.object === object && e.data.source.generation === generation, 20_000);
}

/** The CLI against the running stack, with its cli.env (as `set -a; . .local/cli.env` does). */
async function cli(s: LocalStack, ...args: string[]) {
  const saved = { ...process.env };
  Object.assign(process.env, cliEnv(s));
  try {
    return await runCli(...args);
  } finally {
    process.env = saved;
  }
}

const owned = (s: LocalStack, name: string, region?: string) =>
  s.engine
    .rules(s.hostProject, name, region)
    .filter((r) => r.description?.includes(`project=${PROJECT}`) || r.ruleName?.startsWith(`egress-${PROJECT}-`))
    .map((r) => r.ruleName);

test('global → regional: the next generation moves the rules into the region policy through the regional client', async () => {
  const text = manifestYaml(PROJECT, ['api.stripe.com', '34.117.59.0/24'], { region: 'us-central1' });
  stack = await start();
  expect((await upload(stack, PROJECT, text)).data.outcome).toBe('applied');
  expect(owned(stack, stack.firewallPolicy)).toEqual([`egress-${PROJECT}-fqdn-1`, `egress-${PROJECT}-v4-1`]);
  await stack.stop();

  stack = await start({ policyFile });
  const fw = stack.firewallPolicy;
  expect(stack.policies.map((p) => p.name)).toEqual([fw, `${fw}-us-central1`, `${fw}-europe-west1`]);
  // terraform's regional baseline: the global policy hands egress on, each regional policy denies the rest.
  const actions = (name: string, region?: string) =>
    stack!.engine
      .rules(stack!.hostProject, name, region)
      .filter((r) => r.ruleName?.startsWith('egress-baseline-'))
      .map((r) => r.action);
  expect(actions(fw)).not.toContain('deny');
  expect(actions(`${fw}-us-central1`, 'us-central1')).toContain('deny');
  // Before the next event: `egress drift` (the CLI, live through the real clients, as against npm start) shows the
  // project's rules misplaced in the global policy and missing in its region's; capacity has one entry per policy.
  const drift = await cli(stack, 'drift', '--format', 'json');
  const found = JSON.parse(drift.out).report.drifted.find((d: { project: string }) => d.project === PROJECT);
  expect(found.findings.map((f: { kind: string }) => f.kind).sort()).toEqual([
    'misplaced',
    'misplaced',
    'missing',
    'missing',
  ]);
  const capacity = JSON.parse((await cli(stack, 'capacity', '--live', '--format', 'json')).out);
  expect(capacity.policies.map((p: { policy: string }) => p.policy)).toEqual([
    `projects/${stack.hostProject}/global/firewallPolicies/${fw}`,
    `projects/${stack.hostProject}/regions/us-central1/firewallPolicies/${fw}-us-central1`,
    `projects/${stack.hostProject}/regions/europe-west1/firewallPolicies/${fw}-europe-west1`,
  ]);
  stack.engine.resetCounters();
  const before = stack.engine.toJSON().operations.length;
  expect((await upload(stack, PROJECT, `${text}# a new generation\n`)).data).toMatchObject({
    outcome: 'applied',
    plan: { create: 2, delete: 2 },
  });
  // The batch-update write path (docs/applier.md): a move is one patch of the new policy, then one of the old (the
  // operations below; a patch call refused before taking effect, e.g. a 412 re-plan, makes no operation).
  expect(stack.engine.counters().calls).toMatchObject({ addRule: 0, removeRule: 0, patchRule: 0 });
  const ops = stack.engine.toJSON().operations.slice(before);
  expect(ops.map((o) => `${o.operationType} ${o.region ?? 'global'}`)).toEqual([
    'compute.networkFirewallPolicy.patch us-central1',
    'compute.networkFirewallPolicy.patch global',
  ]);
  expect(owned(stack, fw)).toEqual([]);
  expect(owned(stack, `${fw}-us-central1`, 'us-central1')).toEqual([
    `egress-${PROJECT}-fqdn-1`,
    `egress-${PROJECT}-v4-1`,
  ]);
  expect(stack.rules(PROJECT).map((r) => r.ruleName)).toHaveLength(2);

  // A manifest without spec.region is refused by the validator under this placement, naming the fix.
  const rejected = await upload(stack, 'no-region', manifestYaml('no-region', ['api.stripe.com']));
  expect(rejected.data.outcome).toBe('rejected');
  expect(rejected.data.diagnostics?.map((d) => d.code)).toContain('REGION_REQUIRED');
});
