/**
 * The structural check, driven by the same JSON Schema (TypeBox) that is published: walks the YAML AST so every
 * finding has a position and a path. It checks types, `const`/enums, required keys, unknown keys (with a
 * did-you-mean), integer bounds and `minLength`; value rules that need better messages live in the validators.
 */
import { closest, distance } from 'fastest-levenshtein';
import { isMap, isScalar, isSeq, type Pair, type Node as YNode } from 'yaml';
import type { Diagnostic } from '../diagnostics';
import { diag, isNullScalar, type Pos, posOf, resolveNode, type SourceDoc } from './yamlSource';

/** The subset of JSON Schema the walker understands (what TypeBox emits for our schemas). */
export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  patternProperties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  const?: unknown;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  description?: string;
}

/** Where a checked value sits: the node and the path it actually has in the file. */
export interface Located {
  node: YNode | null;
  /** The path in the file (differs from the map key when a misplaced field was recovered). */
  path: string;
  /** Position to report at when the node has none (e.g. an empty value): its key. */
  pos: Pos;
}

/** The outcome of a walk: the values that passed the structural check, and where each path is. */
export interface Walked {
  value: unknown;
  at: Map<string, Located>;
}

/** Walker options: `opaque` schemas are left to the caller (e.g. allowedEgress entries have their own rule). */
export interface WalkOptions {
  opaque?: ReadonlySet<JsonSchema>;
  /** Text appended to the MISPLACED_FIELD message for top-level keys that belong one level down. */
  misplacedNote?: string;
}

type KeyedPair = { key: string; keyNode: YNode | null; value: YNode | null; pair: Pair; parentPath: string };

const SIMPLE_KEY = /^[A-Za-z0-9_-]+$/;

/** Joins a child key to a diagnostic path (`spec.allowedEgress`, `wildcards["*.x.com"]`). */
export function childPath(parent: string, key: string): string {
  if (!SIMPLE_KEY.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent ? `${parent}.${key}` : key;
}

function typeName(node: YNode | null): string {
  if (!node || isNullScalar(node)) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === 'string') return 'a string';
    if (typeof v === 'number' || typeof v === 'bigint') return 'a number';
    if (typeof v === 'boolean') return 'a boolean';
  }
  return 'an unsupported value';
}

function expected(schema: JsonSchema): string {
  switch (schema.type) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'string':
      return 'a string';
    case 'integer':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    default:
      return 'a value';
  }
}

/** How to fill an empty value (`allowedEgress:` alone): `[]` or items below it for a list, and so on. */
function emptyHint(s: JsonSchema, path: string): string | undefined {
  const key = /([A-Za-z0-9_-]+)$/.exec(path)?.[1];
  if (!key) return undefined;
  if (s.type === 'array')
    return `write \`${key}: []\` for none, or its items on the lines below, indented: \`- "api.example.com"\``;
  if (s.type === 'object') return `indent the fields of \`${key}\` on the lines below it, or remove \`${key}:\``;
  return `write a value after \`${key}:\`, or remove the key`;
}

/** Suggests the closest known name, when one is close enough to be a typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  if (!candidates.length) return undefined;
  const lower = word.toLowerCase();
  const exactCase = candidates.find((c) => c.toLowerCase() === lower);
  if (exactCase) return exactCase;
  const best = closest(word, candidates as string[]);
  return distance(word, best) <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Walks `root` against `schema`, appending diagnostics to `out`. */
export function walkSchema(
  src: SourceDoc,
  schema: JsonSchema,
  root: YNode | null,
  out: Diagnostic[],
  opts: WalkOptions = {},
): Walked {
  const at = new Map<string, Located>();
  const opaque = opts.opaque ?? new Set<JsonSchema>();

  const err = (code: string, message: string, pos: Pos, path: string, hint?: string) =>
    out.push(diag('error', code, message, pos, path, hint));

  function pairsOf(node: YNode | null, path: string): KeyedPair[] {
    if (!node || !isMap(node)) return [];
    const seen = new Set<string>();
    const pairs: KeyedPair[] = [];
    for (const pair of node.items) {
      const keyNode = resolveNode(src, pair.key as YNode | null);
      const value = pair.value as YNode | null;
      if (!keyNode || !isScalar(keyNode) || (typeof keyNode.value !== 'string' && typeof keyNode.value !== 'number')) {
        err('UNKNOWN_FIELD', 'keys must be plain names', posOf(src, keyNode ?? node), path);
        continue;
      }
      const key = String(keyNode.value);
      if (seen.has(key)) continue; // DUPLICATE_KEY is reported by the parser; the first occurrence wins.
      seen.add(key);
      pairs.push({ key, keyNode, value, pair, parentPath: path });
    }
    return pairs;
  }

  function walk(s: JsonSchema, raw: YNode | null, loc: Located, key: string): unknown {
    at.set(key, loc);
    const node = resolveNode(src, raw);
    // An empty value (`key:`) has no text of its own: report it at its key.
    const pos = node?.range && !isNullScalar(node) ? posOf(src, node) : loc.pos;
    const path = loc.path;
    if (opaque.has(s)) return undefined;
    if (s.anyOf) {
      const consts = s.anyOf.filter((m) => m.const !== undefined).map((m) => m.const);
      if (consts.length === s.anyOf.length) return checkConst(consts, node, pos, path);
      if (isNullScalar(node) && s.anyOf.some((m) => m.type === 'null')) return null;
      const other = s.anyOf.find((m) => m.type !== 'null');
      return other ? walk(other, raw, loc, key) : undefined;
    }
    if (s.const !== undefined) return checkConst([s.const], node, pos, path);
    switch (s.type) {
      case 'object':
        return walkObject(s, node, loc, key, [], undefined);
      case 'array': {
        if (!node || !isSeq(node)) return mismatch(s, node, pos, path);
        const items = s.items;
        if (!items || opaque.has(items)) return undefined;
        return node.items.map((item, i) => {
          const ip = `${path}[${i}]`;
          const n = item as YNode | null;
          return walk(items, n, { node: n, path: ip, pos: posOf(src, n, pos) }, `${key}[${i}]`);
        });
      }
      case 'string':
        if (!node || !isScalar(node) || typeof node.value !== 'string') return mismatch(s, node, pos, path);
        if (s.minLength && node.value.length < s.minLength) {
          err('EMPTY_VALUE', `\`${path}\` is empty`, pos, path);
          return undefined;
        }
        return node.value;
      case 'integer':
      case 'number': {
        if (!node || !isScalar(node) || typeof node.value !== 'number') return mismatch(s, node, pos, path);
        const v = node.value;
        if (s.type === 'integer' && !Number.isInteger(v)) return mismatch(s, node, pos, path);
        if ((s.minimum !== undefined && v < s.minimum) || (s.maximum !== undefined && v > s.maximum)) {
          err(
            'VALUE_OUT_OF_RANGE',
            `\`${path}\` is ${v}; allowed: ${s.minimum ?? '-∞'} to ${s.maximum ?? '∞'}`,
            pos,
            path,
            `use a value from ${s.minimum ?? '-∞'} to ${s.maximum ?? '∞'}`,
          );
          return undefined;
        }
        return v;
      }
      case 'boolean':
        if (!node || !isScalar(node) || typeof node.value !== 'boolean') return mismatch(s, node, pos, path);
        return node.value;
      case 'null':
        return isNullScalar(node) ? null : mismatch(s, node, pos, path);
      default:
        return undefined;
    }
  }

  function mismatch(s: JsonSchema, node: YNode | null, pos: Pos, path: string): undefined {
    const shown = path || 'the document';
    if (isNullScalar(node)) {
      err('EMPTY_VALUE', `\`${shown}\` is empty; expected ${expected(s)}`, pos, path, emptyHint(s, path));
      return undefined;
    }
    let hint: string | undefined;
    if (s.type === 'string' && node && isScalar(node)) hint = `quote it: "${String(node.source ?? node.value)}"`;
    else if (s.type === 'boolean') hint = 'write `true` or `false`, unquoted';
    else if (s.type === 'integer' || s.type === 'number') hint = 'write a number, unquoted';
    err('WRONG_TYPE', `\`${shown}\` must be ${expected(s)}, got ${typeName(node)}`, pos, path, hint);
    return undefined;
  }

  function checkConst(allowed: unknown[], node: YNode | null, pos: Pos, path: string): unknown {
    const v = node && isScalar(node) ? node.value : undefined;
    if (v !== undefined && allowed.includes(v)) return v;
    const list = allowed.map((a) => `\`${String(a)}\``).join(' or ');
    if (isNullScalar(node)) {
      err('EMPTY_VALUE', `\`${path}\` is empty; expected ${list}`, pos, path);
      return undefined;
    }
    const shown = v === undefined ? typeName(node) : `\`${String(v)}\``;
    const best = typeof v === 'string' ? didYouMean(v, allowed.map(String)) : undefined;
    err(
      'INVALID_VALUE',
      `\`${path}\` must be ${list}, got ${shown}`,
      pos,
      path,
      best ? `did you mean \`${best}\`?` : undefined,
    );
    return undefined;
  }

  function walkObject(
    s: JsonSchema,
    node: YNode | null,
    loc: Located,
    key: string,
    extra: KeyedPair[],
    parent: { schema: JsonSchema; path: string; self: string } | undefined,
  ): unknown {
    const path = loc.path;
    const pos = node?.range && !isNullScalar(node) ? posOf(src, node) : loc.pos;
    if (node && !isMap(node) && !isNullScalar(node)) return mismatch(s, node, pos, path);
    if ((!node || isNullScalar(node)) && extra.length === 0) {
      if (node) return mismatch(s, node, pos, path);
    }
    const props = s.properties ?? {};
    const patterns = Object.entries(s.patternProperties ?? {}).map(([re, sub]) => [new RegExp(re), sub] as const);
    const own = pairsOf(node, path);
    const ownKeys = new Set(own.map((p) => p.key));
    // Keys that belong one level down (the guide's example pasted without indentation): recover them there.
    const relocated = new Map<string, KeyedPair[]>();
    const result: Record<string, unknown> = {};
    for (const p of own) {
      if (Object.hasOwn(props, p.key)) continue;
      if (patterns.some(([re]) => re.test(p.key))) continue;
      const home = Object.entries(props).find(([, sub]) => sub.properties && Object.hasOwn(sub.properties, p.key));
      if (home) {
        const [homeKey] = home;
        err(
          'MISPLACED_FIELD',
          `\`${p.key}\` is at ${path ? `\`${path}\`` : 'the top level'} but belongs under \`${childPath(path, homeKey)}\`: indent it under \`${homeKey}:\`${path ? '' : (opts.misplacedNote ?? '')}`,
          posOf(src, p.keyNode),
          childPath(path, p.key),
          `indent \`${p.key}:\` (and its value) by two more spaces below \`${homeKey}:\``,
        );
        const list = relocated.get(homeKey) ?? [];
        list.push(p);
        relocated.set(homeKey, list);
        continue;
      }
      const sibling = parent
        ? Object.entries(parent.schema.properties ?? {}).find(
            ([k, sub]) => k !== parent.self && sub.properties && Object.hasOwn(sub.properties, p.key),
          )
        : undefined;
      if (sibling && parent) {
        const target = childPath(parent.path, sibling[0]);
        err(
          'MISPLACED_FIELD',
          `\`${p.key}\` belongs under \`${target}\`, not \`${path}\``,
          posOf(src, p.keyNode),
          childPath(path, p.key),
          `move \`${p.key}:\` under \`${sibling[0]}:\``,
        );
        continue;
      }
      const nested = Object.entries(props).flatMap(([k, sub]) =>
        Object.keys(sub.properties ?? {}).map((c) => ({ name: c, where: childPath(path, k) })),
      );
      let best = didYouMean(p.key, Object.keys(props));
      let where = '';
      if (!best) {
        const n = didYouMean(
          p.key,
          nested.map((x) => x.name),
        );
        const hit = nested.find((x) => x.name === n);
        if (n && hit) {
          best = n;
          where = ` under \`${hit.where}\``;
        }
      }
      const known = Object.keys(props);
      err(
        'UNKNOWN_FIELD',
        `unknown field \`${p.key}\`${path ? ` in \`${path}\`` : ''}${known.length ? ` (known: ${known.join(', ')})` : ''}`,
        posOf(src, p.keyNode),
        childPath(path, p.key),
        best ? `did you mean \`${best}\`${where}?` : undefined,
      );
    }
    for (const p of [...own, ...extra]) {
      const sub = Object.hasOwn(props, p.key) ? props[p.key] : patterns.find(([re]) => re.test(p.key))?.[1];
      if (!sub) continue;
      if (extra.includes(p) && ownKeys.has(p.key)) continue;
      const cp = childPath(p.parentPath, p.key);
      const keyPath = childPath(key, p.key);
      const cloc: Located = { node: p.value, path: cp, pos: posOf(src, p.keyNode, pos) };
      const moved = relocated.get(p.key) ?? [];
      if (sub.type === 'object' && !opaque.has(sub)) {
        const vnode = resolveNode(src, p.value);
        at.set(keyPath, cloc);
        result[p.key] = walkObject(sub, vnode, cloc, keyPath, moved, { schema: s, path, self: p.key });
      } else {
        result[p.key] = walk(sub, p.value, cloc, keyPath);
      }
    }
    for (const [homeKey, moved] of relocated) {
      if (ownKeys.has(homeKey)) continue;
      const sub = props[homeKey]!;
      const cloc: Located = { node: null, path: childPath(path, homeKey), pos };
      at.set(childPath(key, homeKey), cloc);
      result[homeKey] = walkObject(sub, null, cloc, childPath(key, homeKey), moved, { schema: s, path, self: homeKey });
      ownKeys.add(homeKey);
    }
    const present = new Set([...own.map((p) => p.key), ...extra.map((p) => p.key)]);
    for (const r of s.required ?? []) {
      if (present.has(r)) continue;
      err(
        'MISSING_FIELD',
        `\`${childPath(path, r)}\` is required`,
        path ? loc.pos : pos,
        childPath(path, r),
        `add \`${r}:\`${path ? ` under \`${path}:\`` : ''}`,
      );
    }
    return result;
  }

  const value = walk(schema, root, { node: root, path: '', pos: posOf(src, root) }, '');
  return { value, at };
}
