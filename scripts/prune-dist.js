#!/usr/bin/env node
/**
 * Removes outputs in dist/ whose source is gone (a moved or deleted .ts file). `tsc -b` is incremental and never deletes
 * them, and a stale `dist/shared/core/explain.js` beside a new `explain/index.js` would shadow the new module.
 * Plain JavaScript so it runs before the build; it only walks dist/ (a few hundred files, milliseconds).
 */
const { existsSync, readdirSync, rmSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
const dist = join(root, 'dist');

function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      walk(p);
      if (readdirSync(p).length === 0) rmSync(p, { recursive: true });
      continue;
    }
    const m = /^(.*)\.(js|js\.map|d\.ts|d\.ts\.map)$/.exec(relative(dist, p));
    if (!m) continue;
    const base = join(root, m[1]);
    if (!existsSync(`${base}.ts`) && !existsSync(`${base}.js`)) rmSync(p);
  }
}

if (existsSync(dist)) walk(dist);
