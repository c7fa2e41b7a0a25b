/**
 * Checks terraform/*.tf against the pinned providers' schemas recorded in fixtures/provider-schema.json (written by
 * scripts/tf-schema.ts from the providers' prebuilt CDK bindings): every resource and data source type, every
 * argument and every nested block (also inside `dynamic` blocks) must exist in the provider that owns the type, and
 * every required argument and nested block must be set.
 * Terraform's own meta-arguments are allowed everywhere. No provider is downloaded.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { closest } from 'fastest-levenshtein';
import type { BlockSchema, SchemaFixture } from '../../scripts/tf-schema';

export const FIXTURE = join(__dirname, 'fixtures', 'provider-schema.json');

export function loadFixture(): SchemaFixture {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as SchemaFixture;
}

/**
 * Terraform's built-in provider (terraform.io/builtin/terraform) ships with Terraform itself, not with a registry
 * provider: `terraform_data` takes `input` and `triggers_replace`
 * (https://developer.hashicorp.com/terraform/language/resources/terraform-data).
 */
const BUILTIN: Record<string, BlockSchema> = { terraform_data: { args: ['input', 'triggers_replace'], blocks: {} } };

/** Meta-arguments Terraform accepts on every resource / data block (https://developer.hashicorp.com/terraform/language/meta-arguments). */
const META_ARGS = new Set(['count', 'for_each', 'depends_on', 'provider']);
const META_BLOCKS = new Set(['lifecycle', 'provisioner', 'connection']);

export interface SchemaProblem {
  file: string;
  where: string;
  message: string;
}

type Json = Record<string, unknown>;

function suggest(name: string, known: string[]): string {
  if (known.length === 0) return '';
  const near = closest(name, known);
  return ` (did you mean "${near}"?)`;
}

/** Checks one block body against `schema`; `where` names it for the message. */
function checkBody(body: Json, schema: BlockSchema, file: string, where: string, out: SchemaProblem[]): void {
  const known = [...schema.args, ...Object.keys(schema.blocks)];
  const dynamicBlocks = (body.dynamic ?? {}) as Record<string, unknown>;
  for (const name of schema.required ?? []) {
    if (name in body || name in dynamicBlocks) continue;
    const what = name in schema.blocks ? `nested block ${name} { ... }` : `argument "${name}"`;
    out.push({ file, where, message: `missing required ${what}` });
  }
  for (const [key, value] of Object.entries(body)) {
    if (key === 'dynamic') {
      for (const [name, uses] of Object.entries(value as Record<string, Json[]>)) {
        const nested = schema.blocks[name];
        if (!nested) {
          out.push({ file, where, message: `dynamic "${name}": no such nested block${suggest(name, known)}` });
          continue;
        }
        for (const use of uses) {
          for (const content of (use.content ?? []) as Json[])
            checkBody(content, nested, file, `${where}.${name}`, out);
        }
      }
      continue;
    }
    const nested = schema.blocks[key];
    if (nested) {
      if (!Array.isArray(value)) {
        out.push({ file, where, message: `"${key}" is a nested block: write ${key} { ... }, not ${key} = ...` });
        continue;
      }
      for (const item of value as Json[]) checkBody(item, nested, file, `${where}.${key}`, out);
      continue;
    }
    if (!schema.args.includes(key)) {
      out.push({ file, where, message: `unknown argument or block "${key}"${suggest(key, known)}` });
    }
  }
}

/** `lifecycle { ignore_changes = [...] }` may name only the resource's own top-level arguments and blocks. */
function checkIgnoreChanges(block: Json, schema: BlockSchema, file: string, where: string, out: SchemaProblem[]): void {
  const known = [...schema.args, ...Object.keys(schema.blocks)];
  for (const lifecycle of (block.lifecycle ?? []) as Json[]) {
    const entries = lifecycle.ignore_changes;
    if (!Array.isArray(entries)) continue;
    for (const entry of entries) {
      const name = /^\$\{([a-z0-9_]+)/.exec(String(entry))?.[1];
      if (name && !known.includes(name)) {
        out.push({
          file,
          where,
          message: `lifecycle.ignore_changes: unknown argument "${name}"${suggest(name, known)}`,
        });
      }
    }
  }
}

/** The provider local name that owns a type: the word before the first underscore (Terraform's default). */
function providerOf(type: string): string {
  return type.split('_')[0]!;
}

function checkTyped(
  kind: 'resource' | 'data',
  byType: Record<string, Record<string, Json[]>>,
  fixture: SchemaFixture,
  file: string,
  out: SchemaProblem[],
): void {
  for (const [type, byName] of Object.entries(byType)) {
    const providerName = providerOf(type);
    const provider = fixture.providers[providerName];
    const label = kind === 'resource' ? 'resource' : 'data source';
    let schema: BlockSchema | undefined = kind === 'resource' ? BUILTIN[type] : undefined;
    if (!schema && provider) schema = kind === 'resource' ? provider.resources[type] : provider.dataSources[type];
    if (!schema) {
      const where = `${kind} "${type}"`;
      const all = provider ? (kind === 'resource' ? provider.resourceTypes : provider.dataSourceTypes) : [];
      let message: string;
      if (!provider) message = `no pinned provider "${providerName}" in terraform/versions.tf for this ${label} type`;
      else if (all.includes(type)) {
        message = `${label} type exists in ${providerName} ${provider.version} but the fixture has no schema for it: regenerate it (docs/deploy.md, "Provider schema")`;
      } else message = `no such ${label} type in ${providerName} ${provider.version}${suggest(type, all)}`;
      out.push({ file, where, message });
      continue;
    }
    for (const [name, blocks] of Object.entries(byName)) {
      for (const block of blocks) {
        const where = `${kind === 'resource' ? '' : 'data.'}${type}.${name}`;
        const body = Object.fromEntries(
          Object.entries(block).filter(([k]) => !META_ARGS.has(k) && !META_BLOCKS.has(k)),
        ) as Json;
        checkBody(body, schema, file, where, out);
        checkIgnoreChanges(block, schema, file, where, out);
      }
    }
  }
}

/** Every schema problem of the .tf files in `dir` (a file's provider blocks, resources and data sources). */
export async function checkTerraformDir(dir: string, fixture: SchemaFixture): Promise<SchemaProblem[]> {
  const out: SchemaProblem[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort()) {
    const json = (await parse(file, readFileSync(join(dir, file), 'utf8'))) as Json;
    checkTyped('resource', (json.resource ?? {}) as Record<string, Record<string, Json[]>>, fixture, file, out);
    checkTyped('data', (json.data ?? {}) as Record<string, Record<string, Json[]>>, fixture, file, out);
    for (const [name, blocks] of Object.entries((json.provider ?? {}) as Record<string, Json[]>)) {
      const provider = fixture.providers[name];
      if (!provider) {
        out.push({ file, where: `provider "${name}"`, message: 'provider not in the schema fixture' });
        continue;
      }
      for (const block of blocks) checkBody(block, provider.provider, file, `provider "${name}"`, out);
    }
  }
  return out;
}

/** Whether `version` satisfies a Terraform version constraint of the forms the pins use (`~> X.Y[.Z]`, `= X`, `X`). */
export function satisfies(constraint: string, version: string): boolean {
  const nums = (v: string) => v.split('.').map((n) => Number.parseInt(n, 10));
  const cmp = (a: number[], b: number[]) => {
    for (let i = 0; i < Math.max(a.length, b.length); i++)
      if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
    return 0;
  };
  const m = /^\s*(~>|=|>=)?\s*([0-9.]+)\s*$/.exec(constraint);
  if (!m) throw new Error(`unsupported version constraint ${constraint}`);
  const base = nums(m[2]!);
  const v = nums(version);
  if (m[1] === '>=') return cmp(v, base) >= 0;
  if (m[1] !== '~>') return cmp(v, base) === 0;
  // ~> X.Y allows X.Y <= v < X+1; ~> X.Y.Z allows X.Y.Z <= v < X.(Y+1).
  const upper = base.slice(0, -1);
  upper[upper.length - 1] = (upper[upper.length - 1] ?? 0) + 1;
  return cmp(v, base) >= 0 && cmp(v.slice(0, upper.length), upper) < 0;
}
