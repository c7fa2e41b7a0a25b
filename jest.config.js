/**
 * Projects: `unit` is the product core (shared/); `fakes` the local fakes (local/fakes); `deploy` terraform and
 * Cloud Build; `integration` adapters against the fakes; `functions` the entry points; `e2e` the whole pipeline.
 * Jest runs TypeScript through @swc/jest (fast, no type-check); `npm run typecheck` is the type gate. */
const swc = (syntax) => ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax } }, module: { type: 'commonjs' } }];
/**
 * The Google clients fetch through node-fetch 3 (ESM only), loaded with `import()` from CommonJS (gaxios,
 * teeny-request). Jest's module runtime cannot run `import()` without --experimental-vm-modules, so these few
 * packages go through swc too: `import()` becomes `require()` and node-fetch's ESM becomes CommonJS. Production
 * (plain Node and the esbuild bundles) runs the same code untransformed.
 */
const ESM_FETCH = ['gaxios', 'teeny-request', 'node-fetch', 'data-uri-to-buffer', 'fetch-blob', 'formdata-polyfill'];
const base = {
  transform: { '^.+\\.ts$': swc('typescript'), [`/node_modules/(${ESM_FETCH.join('|')})/.+\\.js$`]: swc('ecmascript') },
  transformIgnorePatterns: [`^(?!.*/node_modules/(${ESM_FETCH.join('|')})/).*/node_modules/`],
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
};

module.exports = {
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/support/fastcheck.ts'],
    },
    { ...base, displayName: 'fakes', testMatch: ['<rootDir>/test/fakes/**/*.test.ts'] },
    { ...base, displayName: 'deploy', testMatch: ['<rootDir>/test/deploy/**/*.test.ts'] },
    { ...base, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...base, displayName: 'functions', testMatch: ['<rootDir>/test/functions/**/*.test.ts'] },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/e2e/globalSetup.ts',
      globalTeardown: '<rootDir>/test/e2e/globalTeardown.ts',
    },
  ],
};
