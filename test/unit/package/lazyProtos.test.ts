/** The bundle's lazy static protobufjs modules (scripts/package/lazyProtos.ts): same exports, loaded on first use. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { LAZY_PROTOS, lazyProtos } from '../../../scripts/package/lazyProtos';

const dir = mkdtempSync(join(tmpdir(), 'egress-lazy-protos-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('matches only the client libraries’ static protobufjs modules', () => {
  expect(LAZY_PROTOS.test('/x/node_modules/@google-cloud/pubsub/build/protos/protos.js')).toBe(true);
  expect(LAZY_PROTOS.test('/x/node_modules/google-gax/build/protos/operations.js')).toBe(true);
  expect(LAZY_PROTOS.test('/x/node_modules/@google-cloud/pubsub/build/protos/protos.json')).toBe(false);
  expect(LAZY_PROTOS.test('/x/node_modules/@google-cloud/pubsub/build/src/index.js')).toBe(false);
  expect(LAZY_PROTOS.test('/x/shared/build/protos/protos.js')).toBe(false);
});

test('a bundled stub runs the real module only when an export is read, and then gives its values', async () => {
  // A package laid out like the libraries: its index re-exports protos.js, which records when it runs.
  const pkg = join(dir, 'node_modules/@google-cloud/fake');
  mkdirSync(join(pkg, 'build/protos'), { recursive: true });
  mkdirSync(join(pkg, 'build/src'), { recursive: true });
  writeFileSync(
    join(pkg, 'build/protos/protos.js'),
    'globalThis.protosRan = (globalThis.protosRan || 0) + 1; exports.google = { answer: 42 };\n',
  );
  writeFileSync(
    join(pkg, 'build/src/index.js'),
    'const protos = require("../protos/protos"); exports.protos = protos; exports.ready = true;\n',
  );
  writeFileSync(
    join(dir, 'entry.js'),
    `module.exports = require(${JSON.stringify(join(pkg, 'build/src/index.js'))});\n`,
  );
  const out = join(dir, 'out.js');
  await build({
    entryPoints: [join(dir, 'entry.js')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    logLevel: 'silent',
    plugins: [lazyProtos()],
  });
  const g = globalThis as { protosRan?: number };
  delete g.protosRan;
  const m = require(out) as { ready: boolean; protos: { google: { answer: number } } };
  expect(m.ready).toBe(true);
  expect(g.protosRan).toBeUndefined();
  expect(Object.keys(m.protos)).toEqual(['google']);
  expect(m.protos.google.answer).toBe(42);
  expect(g.protosRan).toBe(1);
  expect(m.protos.google.answer).toBe(42);
  expect(g.protosRan).toBe(1);
});
