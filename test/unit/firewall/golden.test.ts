/**
 * Golden plans: test/golden/<case>/{manifests/, state.json, expected.txt|md|json}. Each expected file is the exact
 * output of `egress plan --state state.json --format <fmt> manifests/` (run from the repo root, no EGRESS_* env).
 * After an intentional change: UPDATE_GOLDEN=1 npx jest test/unit/firewall/golden, then review the diff.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runPlan } from '../../../shared/cli/commands/plan';
import type { PlanFormat } from '../../../shared/core/firewall';

const ROOT = join(__dirname, '..', '..', '..');
const GOLDEN = join(ROOT, 'test', 'golden');
const FORMATS: [string, PlanFormat][] = [
  ['expected.txt', 'text'],
  ['expected.md', 'markdown'],
  ['expected.json', 'json'],
];
const cases = readdirSync(GOLDEN, { withFileTypes: true })
  // test/golden/explain holds the explain JSON contract (test/unit/ops/explain-golden.test.ts), not a plan case.
  .filter((d) => d.isDirectory() && d.name !== 'explain')
  .map((d) => d.name)
  .sort();

describe.each(cases)('golden plan %s', (name) => {
  const dir = join(GOLDEN, name);
  const rel = (p: string) => relative(process.cwd(), p);
  const wanted = FORMATS.filter(([file]) => existsSync(join(dir, file)) || process.env.UPDATE_GOLDEN);

  it('has at least one expected output', () => {
    expect(wanted.length).toBeGreaterThan(0);
  });

  it.each(wanted)('matches %s', async (file, format) => {
    const r = await runPlan(
      { paths: [rel(join(dir, 'manifests'))], state: rel(join(dir, 'state.json')), format, detailedExitcode: true },
      {},
    );
    expect(r.stderr).toBe('');
    const expectedCode = r.plan && r.plan.create.length + r.plan.update.length + r.plan.delete.length > 0 ? 2 : 0;
    expect(r.code).toBe(expectedCode);
    if (process.env.UPDATE_GOLDEN) writeFileSync(join(dir, file), r.stdout);
    expect(r.stdout).toBe(readFileSync(join(dir, file), 'utf8'));
  });
});
