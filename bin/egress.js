#!/usr/bin/env node
// The `egress` CLI. Compiled by `npm run build` (run automatically by `npm ci` through `prepare`).
require('../dist/shared/cli/main.js')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
