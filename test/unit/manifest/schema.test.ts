import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parse } from 'yaml';
import { schemaFiles } from '../../../scripts/gen-schema';
import { DIAGNOSTIC_CODES, ProjectManifestSchema, validateManifest } from '../../../shared/core/manifest';
import { DEFAULT_POLICY } from '../../../shared/core/policy';

const root = join(__dirname, '..', '..', '..');
// The shipped examples and the deliberately invalid one (examples/invalid/): the schema must refuse it too.
const examples = [join(root, 'examples', 'manifests'), join(root, 'examples', 'invalid')];

describe('published JSON Schema', () => {
  it.each(schemaFiles().map((f) => [f.file, f.content]))(
    '%s is up to date (run scripts/gen-schema.ts)',
    (file, content) => {
      expect(readFileSync(join(root, file), 'utf8')).toBe(content);
    },
  );

  it('closes every object (additionalProperties: false) and requires the identity fields', () => {
    const s = JSON.parse(readFileSync(join(root, 'schema/project.schema.json'), 'utf8'));
    expect(s.additionalProperties).toBe(false);
    expect(s.properties.metadata.additionalProperties).toBe(false);
    expect(s.properties.spec.additionalProperties).toBe(false);
    expect(s.required).toEqual(['apiVersion', 'kind', 'metadata']);
    expect(s.properties.metadata.required).toEqual(['name', 'environment']);
  });

  it('agrees with the validator on the example manifests', () => {
    const files = examples.flatMap((d) =>
      readdirSync(d)
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => join(d, f)),
    );
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const path of files) {
      const f = basename(path);
      const text = readFileSync(path, 'utf8');
      const r = validateManifest(text, { path: f, policy: DEFAULT_POLICY });
      const structural = r.diagnostics.filter((d) =>
        [
          'UNKNOWN_FIELD',
          'MISSING_FIELD',
          'WRONG_TYPE',
          'INVALID_VALUE',
          'INVALID_ENVIRONMENT',
          'INVALID_REGION',
          'INVALID_PROJECT_NAME',
        ].includes(d.code),
      );
      expect([f, Value.Check(ProjectManifestSchema, parse(text))]).toEqual([f, structural.length === 0]);
    }
    expect(files.some((p) => !Value.Check(ProjectManifestSchema, parse(readFileSync(p, 'utf8'))))).toBe(true);
  });
});

describe('diagnostic codes', () => {
  const sources = ['shared/core/manifest', 'shared/core/policy'].flatMap((d) =>
    readdirSync(join(root, d))
      .filter((f) => f.endsWith('.ts') && f !== 'codes.ts')
      .map((f) => readFileSync(join(root, d, f), 'utf8')),
  );
  const used = new Set(
    sources.flatMap((s) =>
      [...s.matchAll(/(?:diag\(\s*'(?:error|warning)',\s*|fail\(\s*|err\(\s*)'([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1]!),
    ),
  );

  it('are all registered (and the registry holds no dead codes)', () => {
    expect([...used].sort()).toEqual(Object.keys(DIAGNOSTIC_CODES).sort());
  });

  it('are all UPPER_SNAKE and documented in docs/manifest.md', () => {
    const doc = readFileSync(join(root, 'docs/manifest.md'), 'utf8');
    for (const code of Object.keys(DIAGNOSTIC_CODES)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
      expect([code, doc.includes(`\`${code}\``)]).toEqual([code, true]);
    }
  });
});
