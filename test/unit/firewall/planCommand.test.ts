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
});
