/**
 * `npm run package`: the deploy artifact. One esbuild bundle per function into build/functions/<name>/ (index.js +
 * index.js.map, package.json, node_modules of what cannot be bundled), which Terraform zips and deploys:
 * - the Functions Framework stays external: the runtime loads `main` with its own copy of the framework and looks
 *   the entry point up in that copy's registry, so a bundled copy would register into the wrong one;
 * - @google-cloud/compute's protos.json is replaced by the services the applier calls and the types they reach;
 * - the validator's bundle must not contain @google-cloud/compute (checked here from esbuild's metafile).
 * Options: `--policy FILE` copies the platform policy file (EGRESS_POLICY_FILE, relative) into both directories.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, relative } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { trimProtos } from './package/trimProtos';

/** The functions, their entry modules and what their bundle must never contain. */
export const PACKAGES = [
  {
    name: 'validator',
    entry: 'functions/validator/index.ts',
    target: 'egressValidator',
    forbid: '@google-cloud/compute',
  },
  { name: 'applier', entry: 'functions/applier/index.ts', target: 'egressApplier', forbid: '' },
] as const;

/**
 * The Compute services the applier's adapters use (shared/adapters/compute.ts; regionalCompute.ts for regional
 * placement; subnets.ts for target mode subnets).
 */
export const COMPUTE_SERVICES = [
  'google.cloud.compute.v1.NetworkFirewallPolicies',
  'google.cloud.compute.v1.GlobalOperations',
  'google.cloud.compute.v1.RegionNetworkFirewallPolicies',
  'google.cloud.compute.v1.RegionOperations',
  'google.cloud.compute.v1.Subnetworks',
];

/** Deployed directories are refused at or above this size. */
export const MAX_PACKAGE_BYTES = 40 * 1024 * 1024;

const EXTERNAL = ['@google-cloud/functions-framework'];

/** Size in bytes of everything under `dir`. */
export function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}

/** Serves the trimmed descriptor wherever @google-cloud/compute requires its protos.json. */
function trimmedComputeProtos(root: string): Plugin {
  let cached: string | undefined;
  return {
    name: 'trim-compute-protos',
    setup(b) {
      b.onResolve({ filter: /protos[\\/]protos\.json$/ }, (args) =>
        /[\\/]@google-cloud[\\/]compute[\\/]/.test(args.importer)
          ? { path: args.path, namespace: 'compute-protos' }
          : null,
      );
      b.onLoad({ filter: /.*/, namespace: 'compute-protos' }, () => {
        if (!cached) {
          const full = JSON.parse(
            readFileSync(join(root, 'node_modules/@google-cloud/compute/build/protos/protos.json'), 'utf8'),
          );
          const { json, kept } = trimProtos(full, COMPUTE_SERVICES);
          cached = JSON.stringify(json);
          console.log(`package: compute protos trimmed to ${kept} types and enums (${cached.length} bytes)`);
        }
        return { contents: cached, loader: 'json' };
      });
    },
  };
}

/** Builds one function's directory; returns its size and bundled input count. */
async function packageOne(root: string, out: string, p: (typeof PACKAGES)[number], policy?: string) {
  const dir = join(out, p.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const result = await build({
    entryPoints: [join(root, p.entry)],
    outfile: join(dir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    sourcemap: 'linked',
    sourcesContent: false,
    minify: true,
    keepNames: true,
    legalComments: 'none',
    external: EXTERNAL,
    metafile: true,
    logLevel: 'warning',
    plugins: [trimmedComputeProtos(root)],
  });
  const inputs = Object.keys(result.metafile.inputs);
  if (p.forbid && inputs.some((i) => i.includes(`node_modules/${p.forbid}/`)))
    throw new Error(`package: the ${p.name} bundle contains ${p.forbid}; it must not`);
  writeFileSync(join(out, `${p.name}.meta.json`), JSON.stringify(result.metafile));

  const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const pkg = {
    name: `egress-${p.name}`,
    version: rootPkg.version,
    private: true,
    description: `${rootPkg.description} (${p.name} function, bundled by npm run package)`,
    main: 'index.js',
    engines: rootPkg.engines,
    scripts: { start: `functions-framework --target=${p.target}` },
    dependencies: Object.fromEntries(EXTERNAL.map((d) => [d, rootPkg.dependencies[d]])),
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  if (policy) {
    mkdirSync(dirname(join(dir, policy)), { recursive: true });
    cpSync(join(root, policy), join(dir, policy));
  }
  // The external dependencies, exactly pinned, with their lockfile (from npm's cache when it has them).
  const npm = spawnSync(
    'npm',
    ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'],
    {
      cwd: dir,
      // npm itself runs on this Node (what npm scripts put first on PATH: node_modules/.bin).
      env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  if (npm.status !== 0) throw new Error(`package: npm install in ${relative(root, dir)} failed`);
  const bytes = dirBytes(dir);
  if (bytes >= MAX_PACKAGE_BYTES)
    throw new Error(`package: ${relative(root, dir)} is ${(bytes / 1048576).toFixed(1)} MB, over the 40 MB limit`);
  return { dir, bytes, inputs: inputs.length };
}

/** Builds every function's directory under `out`. */
export async function packageFunctions(root: string, out = join(root, 'build', 'functions'), policy?: string) {
  const made = [];
  for (const p of PACKAGES) made.push({ name: p.name, ...(await packageOne(root, out, p, policy)) });
  return made;
}

if (require.main === module) {
  // Works from scripts/ (ts) and dist/scripts/ (compiled): the root is the nearest directory with package.json.
  let root = __dirname;
  while (!readdirSync(root).includes('package.json') || root.endsWith('dist')) root = dirname(root);
  const i = process.argv.indexOf('--policy');
  const policy = i > 0 ? process.argv[i + 1] : undefined;
  packageFunctions(root, undefined, policy).then(
    (made) => {
      for (const m of made)
        console.log(
          `package: ${relative(root, m.dir)} ${(m.bytes / 1048576).toFixed(1)} MB (${m.inputs} modules bundled)`,
        );
    },
    (err: Error) => {
      console.error(err.message);
      process.exitCode = 1;
    },
  );
}
