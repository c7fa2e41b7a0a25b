import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPlan } from '../../../shared/cli/commands/plan';
import { UsageError } from '../../../shared/cli/main';
import { tempDir } from '../../support/tempDir';

const GOLDEN = join(__dirname, '..', '..', 'golden');

describe('egress plan', () => {
  it('needs exactly one source of current rules', async () => {
    const paths = [join(GOLDEN, 'no-op', 'manifests')];
    await expect(runPlan({ paths, format: 'text' }, {})).rejects.toBeInstanceOf(UsageError);
    await expect(runPlan({ paths, format: 'text', live: true, state: 'x' }, {})).rejects.toThrow(
      /--state FILE .* or --live/,
    );
  });

  it('refuses to plan invalid manifests: diagnostics and exit 1', async () => {
    const dir = tempDir('plan');
    writeFileSync(
      join(dir, 'payments.yaml'),
      'apiVersion: lowops.manifests.v1\nkind: Project\nmetadata:\n  name: payments\n  environment: production\nspec:\n  allowedEgress:\n    - "http://api.stripe.com/v1"\n',
    );
    const r = await runPlan({ paths: [dir], state: join(GOLDEN, 'no-op', 'state.json'), format: 'text' }, {});
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/payments\.yaml:8:\d+: error ENTRY_URL/);
  });

  it('exits 2 for changes and 0 for none with --detailed-exitcode, 0 without it', async () => {
    const state = join(GOLDEN, 'update', 'state.json');
    const paths = [join(GOLDEN, 'update', 'manifests')];
    expect((await runPlan({ paths, state, format: 'text', detailedExitcode: true }, {})).code).toBe(2);
    expect((await runPlan({ paths, state, format: 'text' }, {})).code).toBe(0);
    const noop = { paths: [join(GOLDEN, 'no-op', 'manifests')], state: join(GOLDEN, 'no-op', 'state.json') };
    expect((await runPlan({ ...noop, format: 'json', detailedExitcode: true }, {})).code).toBe(0);
  });

  it('names the state file problem', async () => {
    const dir = tempDir('plan');
    writeFileSync(join(dir, 'state.json'), '{"version": 9}');
    await expect(
      runPlan({ paths: [join(GOLDEN, 'no-op', 'manifests')], state: join(dir, 'state.json'), format: 'text' }, {}),
    ).rejects.toThrow(/not a fake-Compute state file/);
  });

  it("says when the applier would refuse a change for the policy's quota, in text and JSON alike", async () => {
    const dir = tempDir('plan');
    const policy = join(dir, 'policy.yaml');
    // The create case's policy holds no FQDN; the manifest's new rules hold 6 (3 hostnames, in an IPv4 and an IPv6 rule).
    writeFileSync(policy, 'capacity:\n  fqdnsPerPolicy: 4\n');
    const opts = { paths: [join(GOLDEN, 'create', 'manifests')], state: join(GOLDEN, 'create', 'state.json'), policy };
    const text = await runPlan({ ...opts, format: 'text' }, {});
    expect(text.stdout).toMatch(/^ {2}payment-gateway: the applier would refuse it, no patch \(capacity: .*FQDN/m);
    expect(text.stdout).not.toMatch(/payment-gateway: patch/);
    const json = JSON.parse((await runPlan({ ...opts, format: 'json' }, {})).stdout);
    expect(json.writes).toEqual([
      { project: 'payment-gateway', refused: expect.stringMatching(/^capacity: .*FQDN/), patches: [] },
    ]);
    expect(text.stdout).toContain(json.writes[0].refused);
    // The same plan under the default limits: one patch.
    const fits = JSON.parse((await runPlan({ ...opts, policy: undefined, format: 'json' }, {})).stdout);
    expect(fits.writes).toEqual([
      expect.objectContaining({
        project: 'payment-gateway',
        patches: [expect.objectContaining({ policy: { name: 'egress-policy' } })],
      }),
    ]);
  });
});
