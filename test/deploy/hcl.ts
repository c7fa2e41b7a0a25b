/**
 * Reads terraform/ the way the deploy tests need it: every .tf file through @cdktf/hcl2json (HCL → JSON, wasm,
 * async), merged into one document, plus a tiny evaluator for the few expression shapes the tests resolve
 * (`${var.x}`, `${var.x + 3}`, `${google_pubsub_topic.t.name}`). No providers, no `terraform init`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from '@cdktf/hcl2json';

/**
 * Time a whole parse of terraform/ may take: hcl2json instantiates its wasm module per test file and parses every
 * .tf file; with all Jest projects running at once on a loaded machine this exceeded Jest's 5 s default for hooks.
 */
export const PARSE_TIMEOUT_MS = 60_000;

/** A block as hcl2json renders it: attributes are values, nested blocks are arrays of blocks. */
export type Block = Record<string, unknown>;

/** The merged configuration: `resource.TYPE.NAME[0]`, `variable.NAME[0]`, `locals` merged into one object. */
export interface TerraformDoc {
  files: string[];
  resource: Record<string, Record<string, Block[]>>;
  data: Record<string, Record<string, Block[]>>;
  variable: Record<string, Block[]>;
  output: Record<string, Block[]>;
  locals: Record<string, unknown>;
}

function tfFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tfFiles(path));
    else if (entry.name.endsWith('.tf')) out.push(path);
  }
  return out.sort();
}

/** Parses every .tf under `dir`; a syntax error rejects with the file name and position from the HCL parser. */
export async function loadTerraform(dir: string): Promise<TerraformDoc> {
  const doc: TerraformDoc = { files: [], resource: {}, data: {}, variable: {}, output: {}, locals: {} };
  for (const path of tfFiles(dir)) {
    const name = relative(dir, path);
    doc.files.push(name);
    const json = (await parse(name, readFileSync(path, 'utf8'))) as Record<string, unknown>;
    for (const kind of ['resource', 'data'] as const) {
      const byType = (json[kind] ?? {}) as Record<string, Record<string, Block[]>>;
      for (const [type, byName] of Object.entries(byType)) {
        doc[kind][type] ??= {};
        for (const [rname, blocks] of Object.entries(byName)) {
          if (doc[kind][type]![rname]) throw new Error(`${name}: duplicate ${kind} ${type}.${rname}`);
          doc[kind][type]![rname] = blocks;
        }
      }
    }
    for (const kind of ['variable', 'output'] as const) {
      Object.assign(doc[kind], (json[kind] ?? {}) as Record<string, Block[]>);
    }
    for (const locals of (json.locals ?? []) as Record<string, unknown>[]) Object.assign(doc.locals, locals);
  }
  return doc;
}

/** The single block of `resource.TYPE.NAME` (throws naming it when absent, so a failing test says what is missing). */
export function resource(doc: TerraformDoc, type: string, name: string): Block {
  const block = doc.resource[type]?.[name]?.[0];
  if (!block) throw new Error(`terraform/: resource ${type}.${name} not found`);
  return block;
}

/** All resources of a type as [name, block]. */
export function resourcesOf(doc: TerraformDoc, type: string): [string, Block][] {
  return Object.entries(doc.resource[type] ?? {}).map(([n, b]) => [n, b[0] as Block]);
}

/** First element of a nested block list (`build_config[0]`), or throws naming the path. */
export function nested(block: Block, ...path: string[]): Block {
  let cur: unknown = block;
  for (const key of path) {
    const next = (cur as Block | undefined)?.[key];
    cur = Array.isArray(next) ? next[0] : next;
    if (cur === undefined) throw new Error(`missing block ${path.join('.')}`);
  }
  return cur as Block;
}

/** Default of a variable (undefined when it has none). */
export function variableDefault(doc: TerraformDoc, name: string): unknown {
  const v = doc.variable[name]?.[0];
  if (!v) throw new Error(`terraform/: variable "${name}" not declared`);
  return v.default;
}

/**
 * Resolves an expression to a value using variable defaults and resource attributes, for the shapes this
 * configuration uses; anything else is returned unchanged so the assertion that uses it fails visibly.
 */
export function resolve(doc: TerraformDoc, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const m = /^\$\{([^{}]+)\}$/.exec(value);
  if (!m) return value;
  const expr = m[1]!.trim();
  const arith = /^var\.([a-z0-9_]+)\s*\+\s*(\d+)$/.exec(expr);
  if (arith) return Number(variableDefault(doc, arith[1]!)) + Number(arith[2]);
  const v = /^var\.([a-z0-9_]+)$/.exec(expr);
  if (v) return variableDefault(doc, v[1]!);
  const l = /^local\.([a-z0-9_]+)$/.exec(expr);
  if (l) return resolve(doc, doc.locals[l[1]!]);
  const attr = /^([a-z0-9_]+)\.([a-z0-9_]+)\.(name)$/.exec(expr);
  if (attr && doc.resource[attr[1]!]?.[attr[2]!]) return resolve(doc, resource(doc, attr[1]!, attr[2]!)[attr[3]!]);
  return value;
}

/** Every `role = "..."` anywhere in the configuration, with where it was found. */
export function allRoles(doc: TerraformDoc): { where: string; role: string }[] {
  const out: { where: string; role: string }[] = [];
  const walk = (node: unknown, where: string) => {
    if (Array.isArray(node)) {
      node.forEach((n, i) => {
        walk(n, `${where}[${i}]`);
      });
    } else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'role' && typeof v === 'string') out.push({ where, role: v });
        walk(v, `${where}.${k}`);
      }
    }
  };
  walk(doc.resource, 'resource');
  walk(doc.locals, 'locals');
  return out;
}
