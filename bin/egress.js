#!/usr/bin/env node
// The `egress` CLI. Compiled by `npm run build` (run automatically by `npm ci` through `prepare`).
// A reader that stops early (`egress explain --help | head -1`) closes the pipe: nothing more to say, not an error.
process.stdout.on('error', (err) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});
require('../dist/shared/cli/main.js')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
