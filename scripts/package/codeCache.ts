/**
 * The deploy artifact's V8 code cache (docs/deploy.md, "Cold start"). A cold instance spends most of its first event
 * compiling: the 4–6 MB bundle, then every function of the client libraries' modules as they load. Node's own module
 * compile cache (NODE_COMPILE_CACHE) records a script's code when it is compiled, before its lazily compiled functions
 * exist, and lives in a directory a new instance does not have. So the package step records the cache itself:
 *
 * - `index.js` (LOADER) compiles `bundle.js` with `vm.Script`, handing V8 `bundle.js.cache` when there is one;
 * - `node index.js --record-code-cache` runs the bundle's own warm-up (shared/runtime/warmUp: the first event's code
 *   paths on in-memory ports, no I/O), then writes `script.createCachedData()`, which then holds the functions the
 *   warm-up compiled. `npm run package` records it on this Node; the directory's `gcp-build` script records it again
 *   in Google's build, on the runtime's Node.
 *
 * V8 accepts a cache only from the same V8 version and flags, for the same source; otherwise it is rejected and the
 * bundle compiles as without one (`cachedDataRejected`, logged once at DEBUG).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The bundle, its cache and the entry file of a packaged directory. */
export const BUNDLE = 'bundle.js';
export const CODE_CACHE = 'bundle.js.cache';
export const ENTRY = 'index.js';

/** The loader's argument that records the cache: `node index.js --record-code-cache`. */
export const RECORD_FLAG = '--record-code-cache';

/**
 * The `gcp-build` script of each packaged directory: Cloud Run functions' build runs it after installing the
 * dependencies ("add a gcp-build script to your package.json" for custom build steps,
 * https://cloud.google.com/run/docs/runtimes/nodejs, "NPM build scripts"), on the Node the function will run on, so
 * the recorded cache matches the runtime's V8. A failed recording never fails the deploy: the function then starts
 * with the cache recorded by `npm run package`, or none.
 */
export const GCP_BUILD = `node ${ENTRY} ${RECORD_FLAG} || echo "code cache not recorded: cold starts compile the bundle"`;

/** The entry module of each packaged function (plain CommonJS, run as is by the Functions Framework). */
export const LOADER = `'use strict';
// Deploy entry written by npm run package (scripts/package/codeCache.ts): runs ${BUNDLE} with the V8 code cache
// recorded for it (${CODE_CACHE}), so a cold instance does not compile again what the recording compiled.
// \`node index.js ${RECORD_FLAG}\` runs the bundle's warm-up (no I/O) and records the cache.
const { readFileSync, writeFileSync } = require('node:fs');
const { wrap } = require('node:module');
const { join } = require('node:path');
const { Script, constants } = require('node:vm');
const file = join(__dirname, '${BUNDLE}');
const cacheFile = join(__dirname, '${CODE_CACHE}');
const record = require.main === module && process.argv.includes('${RECORD_FLAG}');
if (process.sourceMapsEnabled && !record) {
  // NODE_OPTIONS=--enable-source-maps: Node maps the stack frames of modules it loads itself, not those of a vm script,
  // so the bundle is required as is (TypeScript positions in traces; no code cache).
  module.exports = require(file);
  module.exports.codeCache = 'off';
} else {
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {}
  const script = new Script(wrap(readFileSync(file, 'utf8')), {
    filename: file,
    cachedData,
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  script.runInThisContext()(exports, require, module, file, __dirname);
  const codeCache = !cachedData ? 'absent' : script.cachedDataRejected ? 'rejected' : 'accepted';
  module.exports.codeCache = codeCache;
  if (record) {
    module.exports.warmUp().then(
      () => {
        writeFileSync(cacheFile, script.createCachedData());
        console.log('code cache recorded on Node ' + process.version + ' (' + codeCache + ' before)');
        process.exit(0);
      },
      (err) => {
        console.error('code cache not recorded: the warm-up failed:', err);
        process.exit(1);
      },
    );
  } else if (codeCache === 'rejected') {
    console.log(JSON.stringify({ severity: 'DEBUG', message: 'code cache rejected (recorded on another V8): the bundle compiles without it', node: process.version }));
  }
}
`;

/**
 * Runs `dir`'s warm-up (the bundle's `warmUp` export) in a child on this Node and writes the code cache; returns its
 * size in bytes. Throws with the child's output when the warm-up fails.
 */
export function recordCodeCache(dir: string): number {
  const child = spawnSync(process.execPath, [join(dir, ENTRY), RECORD_FLAG], {
    env: { PATH: process.env.PATH ?? '' },
    encoding: 'utf8',
  });
  const file = join(dir, CODE_CACHE);
  if (child.status !== 0 || !existsSync(file))
    throw new Error(`package: recording the code cache of ${dir} failed:\n${child.stdout}${child.stderr}`);
  return statSync(file).size;
}
