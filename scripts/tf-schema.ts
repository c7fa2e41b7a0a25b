/**
 * Extracts the pinned Terraform providers' schemas into test/deploy/fixtures/provider-schema.json, the fixture the
 * deploy test `schema.test.ts` checks terraform/*.tf against (every resource and data source type, argument and
 * nested block). Providers cannot be downloaded here, so the schema comes from the provider's prebuilt CDK for
 * Terraform bindings on npm (@cdktf/provider-google, @cdktf/provider-archive): each binding records, for every
 * resource, the configurable arguments and the nested blocks it writes (`synthesizeHclAttributes`, `isBlock`), and
 * its package.json names the provider version it was generated from (`cdktf.provider.version`); its index.d.ts marks
 * the required ones (a configuration property without `?`).
 *
 * The packages are NOT dependencies of this repository (the google one is ~300 MB unpacked): the script `npm pack`s
 * them into a temporary directory, unpacks only what it reads, and removes the directory at the end.
 *
 * Run (after a provider bump in terraform/versions.tf, see docs/deploy.md "Provider schema"):
 *   npx tsc -p tsconfig.build.json && node dist/scripts/tf-schema.js \
 *     [--package google=@cdktf/provider-google@16.12.1] [--package archive=@cdktf/provider-archive@11.0.1]
 * `--from DIR` reads already unpacked packages (DIR/<provider>/package/...) instead of packing them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The binding package per provider local name; the version is the one whose provider version matches the pin. */
export const DEFAULT_PACKAGES: Record<string, string> = {
  google: '@cdktf/provider-google@16.12.1',
  archive: '@cdktf/provider-archive@11.0.1',
};

/** One block's schema: its arguments, its nested blocks (recursively), and which of both are required. */
export interface BlockSchema {
  args: string[];
  blocks: Record<string, BlockSchema>;
  /** Arguments and nested blocks without which the provider refuses the block (absent: none known). */
  required?: string[];
}

export interface ProviderSchema {
  /** `source` and `version` constraint as terraform/versions.tf pins them when the fixture was written. */
  source: string;
  constraint: string;
  /** The provider version the bindings were generated from, and the package they came from. */
  version: string;
  package: string;
  provider: BlockSchema;
  /** Every type the provider has (to tell a misspelled type from one the fixture does not describe yet). */
  resourceTypes: string[];
  dataSourceTypes: string[];
  /** Full schemas, only for the types terraform/ uses. */
  resources: Record<string, BlockSchema>;
  dataSources: Record<string, BlockSchema>;
}

export interface SchemaFixture {
  generatedBy: string;
  providers: Record<string, ProviderSchema>;
}

/** `resource "T"` / `data "T"` types and `required_providers` pins of a set of .tf sources (plain text scan). */
export function usedTypes(sources: string[]): { resources: Set<string>; data: Set<string> } {
  const resources = new Set<string>();
  const data = new Set<string>();
  for (const text of sources) {
    for (const m of text.matchAll(/^\s*(resource|data)\s+"([a-z0-9_]+)"/gm)) {
      (m[1] === 'resource' ? resources : data).add(m[2]!);
    }
  }
  return { resources, data };
}

/** `name = { source = "...", version = "..." }` entries of `required_providers`. */
export function requiredProviders(sources: string[]): Record<string, { source: string; constraint: string }> {
  const out: Record<string, { source: string; constraint: string }> = {};
  for (const text of sources) {
    const start = /required_providers\s*\{/.exec(text);
    if (!start) continue;
    let depth = 1;
    let end = start.index + start[0].length;
    for (; end < text.length && depth > 0; end++) depth += text[end] === '{' ? 1 : text[end] === '}' ? -1 : 0;
    const block = text.slice(start.index + start[0].length, end - 1);
    for (const m of block.matchAll(/([a-z0-9_-]+)\s*=\s*\{([^}]*)\}/g)) {
      const source = /source\s*=\s*"([^"]+)"/.exec(m[2]!)?.[1];
      const constraint = /version\s*=\s*"([^"]+)"/.exec(m[2]!)?.[1];
      if (source && constraint) out[m[1]!] = { source, constraint };
    }
  }
  return out;
}

/** The `attrs` object literals of one binding file: `synthesizeHclAttributes` (key '') and every `xToHclTerraform`. */
function attrObjects(js: string): Map<string, string> {
  const code = js.replace(/\n\/\/# sourceMappingURL=.*$/s, '');
  const out = new Map<string, string>();
  for (const m of code.matchAll(/\nfunction (\w+ToHclTerraform)\(struct\) \{([\s\S]*?)\n\}\n/g)) out.set(m[1]!, m[2]!);
  const main = /\n {4}synthesizeHclAttributes\(\) \{([\s\S]*?)\n {4}\}\n/.exec(code);
  if (main) out.set('', main[1]!);
  return out;
}

/**
 * The required properties (camelCase) of every interface of a binding's index.d.ts: a property without `?` is one
 * the provider requires. The resource's own configuration is under '' (the interface extending the meta-arguments).
 */
function requiredProps(dts: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const m of dts.matchAll(/\nexport interface (\w+)( extends cdktf\.TerraformMetaArguments)? \{([\s\S]*?)\n\}/g)) {
    const required = new Set([...m[3]!.matchAll(/\n\s+readonly (\w+): /g)].map((p) => p[1]!));
    out.set(m[2] ? '' : m[1]!, required);
  }
  return out;
}

/** The interface a mapping function converts: `dnsPolicyNetworksToHclTerraform` -> `DnsPolicyNetworks`. */
const interfaceOf = (fn: string): string => (fn ? fn[0]!.toUpperCase() + fn.slice(1, -'ToHclTerraform'.length) : '');

/** The block schema of `fn` (a function name, or '' for the resource itself), following nested block functions. */
function blockSchema(
  objects: Map<string, string>,
  required: Map<string, Set<string>>,
  fn: string,
  file: string,
  depth = 0,
): BlockSchema {
  const body = objects.get(fn);
  if (body === undefined || depth > 20) throw new Error(`${file}: no attribute list for ${fn || 'the resource'}`);
  const schema: BlockSchema = { args: [], blocks: {} };
  const mustHave = required.get(interfaceOf(fn));
  const needed: string[] = [];
  for (const m of body.matchAll(/\n\s+"?([A-Za-z0-9_]+)"?: \{\n\s+value: ([^\n]*),\n\s+isBlock: (true|false),/g)) {
    const [, name, value, isBlock] = m as unknown as [string, string, string, string];
    const camel = /(?:struct\.|this\._)(\w+)/.exec(value)?.[1];
    if (camel && mustHave?.has(camel)) needed.push(name);
    if (isBlock === 'false') {
      schema.args.push(name);
      continue;
    }
    const nestedFn = /(?<!cdktf\.)\b([a-z]\w*ToHclTerraform)\b/.exec(value)?.[1];
    if (!nestedFn) throw new Error(`${file}: block ${name} has no mapping function`);
    schema.blocks[name] = blockSchema(objects, required, nestedFn, file, depth + 1);
  }
  schema.args.sort();
  if (needed.length > 0) schema.required = needed.sort();
  return schema;
}

/** Reads one unpacked binding package (`dir/package`) into the fixture entry for the given types. */
export function readBindings(
  dir: string,
  pin: { source: string; constraint: string },
  used: { resources: Set<string>; data: Set<string> },
): ProviderSchema {
  const pkg = JSON.parse(readFileSync(join(dir, 'package', 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    cdktf?: { provider?: { name?: string; version?: string } };
  };
  const version = pkg.cdktf?.provider?.version;
  if (!version) throw new Error(`${pkg.name}@${pkg.version}: package.json has no cdktf.provider.version`);
  const lib = join(dir, 'package', 'lib');
  const out: ProviderSchema = {
    source: pin.source,
    constraint: pin.constraint,
    version,
    package: `${pkg.name}@${pkg.version}`,
    provider: { args: [], blocks: {} },
    resourceTypes: [],
    dataSourceTypes: [],
    resources: {},
    dataSources: {},
  };
  for (const entry of readdirSync(lib, { withFileTypes: true })) {
    const file = join(lib, entry.name, 'index.js');
    if (!entry.isDirectory() || !existsSync(file)) continue;
    const js = readFileSync(file, 'utf8');
    const dtsFile = join(lib, entry.name, 'index.d.ts');
    const required = existsSync(dtsFile)
      ? requiredProps(readFileSync(dtsFile, 'utf8'))
      : new Map<string, Set<string>>();
    const type = /\.tfResourceType = "([a-z0-9_]+)";/.exec(js)?.[1];
    if (!type) continue;
    const schema = () => blockSchema(attrObjects(js), required, '', `${pkg.name}/lib/${entry.name}`);
    if (entry.name === 'provider') out.provider = schema();
    else if (entry.name.startsWith('data-')) {
      out.dataSourceTypes.push(type);
      if (used.data.has(type)) out.dataSources[type] = schema();
    } else {
      out.resourceTypes.push(type);
      if (used.resources.has(type)) out.resources[type] = schema();
    }
  }
  out.resourceTypes.sort();
  out.dataSourceTypes.sort();
  return out;
}

/** npm-packs `spec` into `into` and unpacks the binding files the extraction reads (not the 100 MB .jsii). */
function packAndUnpack(spec: string, into: string): void {
  mkdirSync(into, { recursive: true });
  const tgz = execFileSync('npm', ['pack', spec, '--pack-destination', into, '--silent'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop()!;
  execFileSync('tar', [
    'xzf',
    join(into, tgz),
    '-C',
    into,
    '--wildcards',
    'package/package.json',
    'package/lib/*/index.js',
    'package/lib/*/index.d.ts',
  ]);
}

function main(argv: string[]): void {
  let root = __dirname;
  while (!existsSync(join(root, 'package.json')) && dirname(root) !== root) root = dirname(root);
  const packages = { ...DEFAULT_PACKAGES };
  let from: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--from') from = argv[++i];
    else if (argv[i] === '--package') {
      const [name, spec] = (argv[++i] ?? '').split('=');
      if (!name || !spec) throw new Error('--package takes NAME=SPEC, e.g. google=@cdktf/provider-google@16.12.1');
      packages[name] = spec;
    } else throw new Error(`unknown argument ${argv[i]} (expected --package NAME=SPEC or --from DIR)`);
  }
  const tfDir = join(root, 'terraform');
  const sources = readdirSync(tfDir)
    .filter((f) => f.endsWith('.tf'))
    .map((f) => readFileSync(join(tfDir, f), 'utf8'));
  const pins = requiredProviders(sources);
  const used = usedTypes(sources);
  const work = from ?? mkdtempSync(join(tmpdir(), 'tf-schema-'));
  try {
    const fixture: SchemaFixture = { generatedBy: 'scripts/tf-schema.ts', providers: {} };
    for (const [name, pin] of Object.entries(pins)) {
      const spec = packages[name];
      if (!spec) throw new Error(`terraform/ pins provider "${name}": give its bindings with --package ${name}=SPEC`);
      if (!from) packAndUnpack(spec, join(work, name));
      fixture.providers[name] = readBindings(join(work, name), pin, used);
      process.stdout.write(
        `${name}: ${fixture.providers[name].package} (provider ${fixture.providers[name].version})\n`,
      );
    }
    const out = join(root, 'test', 'deploy', 'fixtures', 'provider-schema.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(fixture, null, 1)}\n`);
    process.stdout.write(`wrote ${out}\n`);
  } finally {
    if (!from) rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`tf-schema: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
