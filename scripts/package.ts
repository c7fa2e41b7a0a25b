/**
 * `npm run package`: the deploy artifact. One esbuild bundle per function into build/functions/<name>/ (bundle.js +
 * bundle.js.map, the loader index.js with the V8 code cache bundle.js.cache (package/codeCache.ts), package.json,
 * node_modules of what cannot be bundled), which Terraform zips and deploys:
 * - the Functions Framework stays external: the runtime loads `main` with its own copy of the framework and looks
 *   the entry point up in that copy's registry, so a bundled copy would register into the wrong one;
 * - the protos.json of @google-cloud/compute and Pub/Sub's generated clients are trimmed to the services called and the
 *   types they reach; the libraries' static protobufjs modules load on first use (package/lazyProtos.ts);
 * - the validator's bundle must not contain @google-cloud/compute (checked here from esbuild's metafile).
 * Options: `--policy FILE` copies the platform policy file (EGRESS_POLICY_FILE, relative) into both directories.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, relative, sep } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { BUNDLE, ENTRY, GCP_BUILD, LOADER, recordCodeCache } from './package/codeCache';
import { lazyProtos } from './package/lazyProtos';
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

/**
 * The clients whose `protos.json` is trimmed, and to what: the services the functions call and the types they reach
 * (the generated clients build a protobufjs Root from the whole descriptor on construction). Pub/Sub: the functions
 * only publish (the CLI's subscriber is not bundled).
 */
export const TRIMMED_PROTOS: Record<string, string[]> = {
  '@google-cloud/compute': COMPUTE_SERVICES,
  '@google-cloud/pubsub-api': ['google.pubsub.v1.Publisher'],
};

/** Serves the trimmed descriptor wherever a package of TRIMMED_PROTOS requires its protos.json. */
function trimmedProtos(root: string): Plugin {
  const cached = new Map<string, string>();
  const packageOf = (importer: string) =>
    Object.keys(TRIMMED_PROTOS).find((p) => importer.includes(`/node_modules/${p}/`.replace(/\//g, sep)));
  return {
    name: 'trim-protos',
    setup(b) {
      b.onResolve({ filter: /protos[\\/]protos\.json$/ }, (args) => {
        const pkg = packageOf(args.importer);
        return pkg ? { path: pkg, namespace: 'trimmed-protos' } : null;
      });
      b.onLoad({ filter: /.*/, namespace: 'trimmed-protos' }, (args) => {
        let text = cached.get(args.path);
        if (!text) {
          const full = JSON.parse(
            readFileSync(join(root, 'node_modules', args.path, 'build/protos/protos.json'), 'utf8'),
          );
          const { json, kept } = trimProtos(full, TRIMMED_PROTOS[args.path]!);
          text = JSON.stringify(json);
          cached.set(args.path, text);
          console.log(`package: ${args.path} protos trimmed to ${kept} types and enums (${text.length} bytes)`);
        }
        return { contents: text, loader: 'json' };
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
    outfile: join(dir, BUNDLE),
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
    plugins: [trimmedProtos(root), lazyProtos()],
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
    main: ENTRY,
    engines: rootPkg.engines,
    scripts: { start: `functions-framework --target=${p.target}`, 'gcp-build': GCP_BUILD },
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
  writeFileSync(join(dir, ENTRY), LOADER);
  const codeCacheBytes = recordCodeCache(dir);
  const bytes = dirBytes(dir);
  if (bytes >= MAX_PACKAGE_BYTES)
    throw new Error(`package: ${relative(root, dir)} is ${(bytes / 1048576).toFixed(1)} MB, over the 40 MB limit`);
  return { dir, bytes, inputs: inputs.length, codeCacheBytes };
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
          `package: ${relative(root, m.dir)} ${(m.bytes / 1048576).toFixed(1)} MB (${m.inputs} modules bundled, code cache ${(m.codeCacheBytes / 1048576).toFixed(1)} MB)`,
        );
    },
    (err: Error) => {
      console.error(err.message);
      process.exitCode = 1;
    },
  );
}
