/**
 * A require hook that compiles TypeScript sources with @swc/core, so a plain `node -r` child process (used to observe
 * what a function entry really loads, outside jest's module registry) can require the repo's .ts files.
 */
const { readFileSync } = require('node:fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};
