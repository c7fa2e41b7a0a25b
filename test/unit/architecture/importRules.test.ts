/**
 * The import rules of docs/architecture.md ("The one direction of imports") are Biome rules (biome.json `overrides`),
 * so `npm run lint` — part of `npm test` — fails when one is broken. This test breaks each rule once with a probe file
 * placed in the folder the rule guards and runs Biome on it: every probe must fail with the rule's name, and a clean
 * probe must pass (the rules are not so broad that they forbid what the layer may do). The probes are removed after.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const BIOME = join(ROOT, 'node_modules', '.bin', 'biome');
const made: string[] = [];

/** Writes `source` as a probe file in `dir` (relative to the repository root); returns its relative path. */
function probe(dir: string, name: string, source: string): string {
  const rel = join(dir, `zz-import-rule-probe-${process.pid}-${name}.ts`);
  writeFileSync(join(ROOT, rel), source);
  made.push(join(ROOT, rel));
  return rel;
}

/** Biome's lint of `file`: its exit status and the rules it names. */
function lint(file: string): { status: number | null; rules: string[] } {
  const r = spawnSync(BIOME, ['lint', '--max-diagnostics=100', file], { cwd: ROOT, encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`;
  return { status: r.status, rules: [...out.matchAll(/lint\/\w+\/(\w+)/g)].map((m) => m[1]!) };
}

afterAll(() => {
  for (const f of made) rmSync(f, { force: true });
});

describe('import rules, checked by Biome in npm test', () => {
  test.each([
    ['shared/core', 'node-fs', "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n"],
    ['shared/core', 'bare-fs', "import { readFile } from 'fs/promises';\nexport const f = readFile;\n"],
    ['shared/core', 'sdk', "import { Storage } from '@google-cloud/storage';\nexport const s = Storage;\n"],
    ['shared/core', 'outer', "import { lazy } from '../runtime/lazy';\nexport const l = lazy;\n"],
    ['shared/ports', 'adapter', "import { fromApiRule } from '../adapters/compute';\nexport const f = fromApiRule;\n"],
    ['shared/ports', 'io', "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n"],
    ['shared/runtime', 'cli', "import { EXIT_OK } from '../cli/exit';\nexport const e = EXIT_OK;\n"],
    [
      'shared/usecases',
      'local',
      "import { stateFileIn } from '../../local/fakes/compute/state';\nexport const s = stateFileIn;\n",
    ],
    [
      'functions',
      'local',
      "import { stateFileIn } from '../local/fakes/compute/state';\nexport const s = stateFileIn;\n",
    ],
  ])('%s may not import what %s probes', (dir, name, source) => {
    const r = lint(probe(dir, name, source));
    expect(r.status).not.toBe(0);
    expect(r.rules).toContain('noRestrictedImports');
  });

  test('shared/core may not use process (process.env is read in shared/runtime/config.ts)', () => {
    const r = lint(probe('shared/core', 'process', 'export const home = process.env.HOME;\n'));
    expect(r.status).not.toBe(0);
    expect(r.rules).toContain('noProcessGlobal');
  });

  test('what each layer may import passes', () => {
    const core = probe(
      'shared/core',
      'clean',
      "import { createHash } from 'node:crypto';\nimport type { ObservedRule } from './firewall/types';\n" +
        "export const h = (r: ObservedRule): string => createHash('sha256').update(String(r.priority)).digest('hex');\n",
    );
    const ports = probe(
      'shared/ports',
      'clean',
      "import type { ObservedRule } from '../core/firewall/types';\nexport type R = ObservedRule;\n",
    );
    for (const f of [core, ports]) expect(lint(f)).toEqual({ status: 0, rules: [] });
  });

  // Biome's noRestrictedImports sees import declarations, not `require(…)` or `import(…)` calls: those are held to
  // the same rules by reading the sources (a doctor adapter once required the fake's state module this way).
  test('require() and import() calls keep the same directions', () => {
    const files = (dir: string): string[] =>
      readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
      );
    const calls = (file: string) =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(/\b(?:require|import)\(\s*['"]([^'"]+)['"]/g)].map(
        (m) => `${file}: ${m[1]}`,
      );
    const product = [...files('shared'), ...files('functions')].flatMap(calls);
    expect(product.filter((c) => /(^|\/)local\//.test(c.split(': ')[1]!))).toEqual([]);
    const core = files('shared/core').flatMap(calls);
    expect(core.filter((c) => !/: \.\.?\//.test(c) || /: \.\.\/(adapters|runtime|usecases|cli)\//.test(c))).toEqual([]);
    expect(
      files('shared/runtime')
        .flatMap(calls)
        .filter((c) => /: \.\.\/cli\//.test(c)),
    ).toEqual([]);
  });
});
