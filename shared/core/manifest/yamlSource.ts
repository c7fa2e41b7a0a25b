/**
 * YAML with positions: parses exactly one document keeping source ranges, turns parser errors into positioned
 * diagnostics, and bounds alias expansion (a "billion laughs" file fails fast). Shared by manifests and the policy.
 */
import {
  type Alias,
  type Document,
  isAlias,
  isPair,
  isScalar,
  isSeq,
  parseAllDocuments,
  visit,
  type Node as YNode,
} from 'yaml';
import { type Diagnostic, escapeControls, type Severity } from '../diagnostics';
import { CODE_HINTS } from './codes';

/** Aliases may expand to at most this many nodes (yaml's `maxAliasCount`): manifests have no use for more. */
export const MAX_ALIAS_COUNT = 100;

/** Cheap pre-check: a `*` at the start of a plain value (after indentation, `- `, `: `, `[`, `{` or `,`). */
const ALIAS_HINT_RE = /(?:^|[\s[{,])\*[^\s,[\]{}]/m;

/** One parsed YAML document with its positions and the diagnostics found while reading it. */
export interface SourceDoc {
  text: string;
  /** Offsets where lines start, computed on the first position asked for (valid files never need it). */
  lineStarts: number[] | null;
  /** The document, or null when there is none (empty file). */
  doc: Document.Parsed | null;
  diagnostics: Diagnostic[];
  /** True when the document cannot be trusted for further checks (syntax errors, alias bomb). */
  fatal: boolean;
  /** Alias → anchored node it refers to (only when the document has aliases). */
  aliases: Map<Alias, YNode | undefined> | null;
}

/** A 1-based source position. */
export interface Pos {
  line: number;
  column: number;
}

/**
 * Builds a diagnostic. Control characters in the message and hint are escaped; a code's default hint
 * (codes.ts CODE_HINTS) applies when no more specific one is given.
 */
export function diag(
  severity: Severity,
  code: string,
  message: string,
  pos: Pos,
  path: string,
  hint?: string,
): Diagnostic {
  // Messages quote what the file says; a raw control character there would reach a terminal or a PR comment.
  const d: Diagnostic = {
    severity,
    code,
    message: escapeControls(message),
    line: pos.line,
    column: pos.column,
    path: escapeControls(path),
  };
  const h = hint ?? CODE_HINTS[code];
  if (h !== undefined) d.hint = escapeControls(h);
  return d;
}

/** The first byte that is not UTF-8 text (a U+FFFD left by the decoder) or a NUL byte, as a NOT_TEXT finding. */
function notText(src: SourceDoc): Diagnostic | undefined {
  const bad = src.text.indexOf('\ufffd');
  const nul = src.text.indexOf('\0');
  if (bad < 0 && nul < 0) return undefined;
  const at = bad < 0 ? nul : nul < 0 ? bad : Math.min(bad, nul);
  const offset = Buffer.byteLength(src.text.slice(0, at), 'utf8');
  const pos = posAt(src, at);
  const where = `byte offset ${offset} (line ${pos.line}, column ${pos.column})`;
  return diag(
    'error',
    'NOT_TEXT',
    at === nul
      ? `the file is not text: it has a NUL byte at ${where} (a binary or UTF-16 file?)`
      : `the file is not UTF-8 text: the bytes at ${where} are not valid UTF-8 (a Latin-1, UTF-16 or binary file?)`,
    pos,
    '',
  );
}

/** Where the first line whose indentation holds a tab has it (-1 when none): YAML indents with spaces only. */
function indentTab(text: string): number {
  const m = /^ *\t[ \t]*[^\s#]/m.exec(text);
  return m ? m.index + m[0].indexOf('\t') : -1;
}

/** How to fix the commonest YAML syntax errors (the parser's codes); others get YAML_SYNTAX's default hint. */
const YAML_HINTS: Record<string, string> = {
  BAD_INDENT: 'items of one mapping or list start in the same column; indent with spaces',
  BLOCK_AS_IMPLICIT_KEY: 'check the indentation of this line and the one above (spaces, the same column per level)',
  MULTILINE_IMPLICIT_KEY: 'a key and its `:` must be on one line; check the indentation of the line above',
  MISSING_CHAR: 'a key needs `: ` after it, and a quoted value its closing quote',
  BAD_DQ_ESCAPE: 'in double quotes a backslash starts an escape: write `\\\\`, or use single quotes',
  BLOCK_IN_FLOW: 'inside `[...]` or `{...}` write the items on one level, separated by commas',
  BAD_SCALAR_START: 'quote the value: a plain value cannot start with this character',
  UNEXPECTED_TOKEN: 'quote the value, or check the brackets and indentation here',
};

/** Position of a source offset. */
export function posAt(src: SourceDoc, offset: number): Pos {
  const o = Math.max(0, Math.min(offset, src.text.length));
  let starts = src.lineStarts;
  if (!starts) {
    starts = [0];
    for (let i = src.text.indexOf('\n'); i >= 0; i = src.text.indexOf('\n', i + 1)) starts.push(i + 1);
    src.lineStarts = starts;
  }
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= o) lo = mid;
    else hi = mid - 1;
  }
  // A byte-order mark is not a column an editor shows.
  const bom = lo === 0 && o > 0 && src.text.charCodeAt(0) === 0xfeff ? 1 : 0;
  return { line: lo + 1, column: o - starts[lo]! + 1 - bom };
}

/** Position where a node starts (the document start when it has no range). */
export function posOf(src: SourceDoc, node: YNode | null | undefined, fallback: Pos = { line: 1, column: 1 }): Pos {
  const r = node?.range;
  return r ? posAt(src, r[0]) : fallback;
}

/** Follows an alias to its anchored node (one level; anchors cannot point at aliases). */
export function resolveNode(src: SourceDoc, node: YNode | null | undefined): YNode | null {
  if (!node) return null;
  if (isAlias(node)) return src.aliases?.get(node) ?? null;
  return node;
}

/** True for a scalar whose value is null (an empty value such as `key:`). */
export function isNullScalar(node: YNode | null | undefined): boolean {
  return !node || (isScalar(node) && node.value === null);
}

/** Parses `text` as exactly one YAML document. Never throws. */
export function parseSingleDocument(text: string): SourceDoc {
  const src: SourceDoc = { text, lineStarts: null, doc: null, diagnostics: [], fatal: false, aliases: null };
  // A Latin-1 or binary file would otherwise get YAML or IDN messages about characters it does not contain.
  const binary = notText(src);
  if (binary) {
    src.diagnostics.push(binary);
    src.fatal = true;
    return src;
  }
  // logLevel 'error': the parser's warnings (e.g. a mapping key that is a collection, stringified by toJS) would go to
  // the process's stderr as Node warnings; the schema reports what is wrong with such a document.
  const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  const list = Array.isArray(docs) ? docs : [];
  // A stray `---` before or after the document yields empty documents: only documents with content count.
  const withContent = list.filter((d) => !isNullScalar(d.contents as YNode | null));
  const first = withContent[0] ?? list[0];
  if (!first) {
    src.diagnostics.push(
      diag('error', 'EMPTY_DOCUMENT', 'the file contains no YAML document', { line: 1, column: 1 }, ''),
    );
    src.fatal = true;
    return src;
  }
  src.doc = first;
  if (withContent.length > 1)
    src.diagnostics.push(
      diag(
        'error',
        'MULTIPLE_DOCUMENTS',
        `the file contains ${withContent.length} YAML documents; one file holds exactly one Project`,
        posAt(src, withContent[1]!.range[0]),
        '',
        'split it into one file per project, named after metadata.name',
      ),
    );
  // yaml marks a duplicate key by its first character only: the key itself and its path come from the AST.
  let keys: Map<number, { key: string; path: string }> | undefined;
  for (const d of list) {
    for (const e of d.errors) {
      if (e.code !== 'DUPLICATE_KEY') continue;
      keys ??= new Map();
      for (const [k, v] of keysByOffset(d)) keys.set(k, v);
      break;
    }
  }
  const errors = list.flatMap((d) => d.errors);
  // One tab in the indentation makes the parser report several cascading errors: report the tab, once.
  const tab = errors.some((e) => e.code !== 'DUPLICATE_KEY') ? indentTab(text) : -1;
  if (tab >= 0)
    src.diagnostics.push(
      diag(
        'error',
        'YAML_SYNTAX',
        'YAML syntax error: a tab in the indentation; YAML indents with spaces only (TAB_AS_INDENT)',
        posAt(src, tab),
        '',
        'replace the tab with spaces, in the same column as the lines around it',
      ),
    );
  for (const e of errors) {
    if (tab >= 0 && e.code !== 'DUPLICATE_KEY') {
      src.fatal = true;
    } else if (e.code === 'DUPLICATE_KEY') {
      const found = keys?.get(e.pos[0]);
      const key = found?.key ?? text.slice(e.pos[0], e.pos[1]).trim();
      src.diagnostics.push(
        diag(
          'error',
          'DUPLICATE_KEY',
          `duplicate key${key ? ` \`${key}\`` : ''}: a key may appear once per mapping`,
          posAt(src, e.pos[0]),
          found?.path ?? '',
          'remove or merge the repeated key',
        ),
      );
    } else {
      src.fatal = true;
      src.diagnostics.push(
        diag(
          'error',
          'YAML_SYNTAX',
          `YAML syntax error: ${e.message} (${e.code})`,
          posAt(src, e.pos[0]),
          '',
          YAML_HINTS[e.code],
        ),
      );
    }
  }
  for (const w of first.warnings)
    src.diagnostics.push(diag('warning', 'YAML_WARNING', `YAML: ${w.message} (${w.code})`, posAt(src, w.pos[0]), ''));
  if (first.contents === null || isNullScalar(first.contents as YNode)) {
    if (!src.fatal)
      src.diagnostics.push(
        diag('error', 'EMPTY_DOCUMENT', 'the document is empty', posOf(src, first.contents as YNode | null), ''),
      );
    src.fatal = true;
    return src;
  }
  // Look for aliases only when the text can hold one (`*name` outside quotes): quoted wildcards are common.
  if (!src.fatal && ALIAS_HINT_RE.test(text)) bindAliases(src, first);
  return src;
}

const SIMPLE_KEY = /^[A-Za-z0-9_-]+$/;

/** Start offset of every scalar mapping key → the key and its diagnostic path (`spec.allowedEgress[2].x`). */
function keysByOffset(doc: Document.Parsed): Map<number, { key: string; path: string }> {
  const out = new Map<number, { key: string; path: string }>();
  const seg = (parent: string, key: string) =>
    SIMPLE_KEY.test(key) ? (parent ? `${parent}.${key}` : key) : `${parent}[${JSON.stringify(key)}]`;
  visit(doc, {
    Pair(_k, pair, ancestors) {
      const k = pair.key;
      if (!isScalar(k) || !k.range) return;
      let path = '';
      const chain = [...ancestors, pair];
      chain.forEach((a, i) => {
        if (isPair(a) && a !== pair && isScalar(a.key)) path = seg(path, String(a.key.value));
        else if (isSeq(a)) path = `${path}[${a.items.indexOf(chain[i + 1] as never)}]`;
      });
      const key = String(k.value);
      out.set(k.range[0], { key, path: seg(path, key) });
    },
  });
  return out;
}

function bindAliases(src: SourceDoc, doc: Document.Parsed): void {
  const anchors = new Map<string, YNode>();
  const aliases = new Map<Alias, YNode | undefined>();
  let firstAlias: Alias | undefined;
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        firstAlias ??= node;
        aliases.set(node, anchors.get(node.source));
      } else if (node.anchor) anchors.set(node.anchor, node);
    },
  });
  if (!firstAlias) return;
  src.aliases = aliases;
  for (const [alias, target] of aliases) {
    if (target) continue;
    if (alias.source.startsWith('.')) {
      // `- *.googleapis.com` unquoted is a YAML alias, not a string: the most likely paste slip of all.
      src.diagnostics.push(
        diag(
          'error',
          'UNQUOTED_WILDCARD',
          `\`*${alias.source}\` must be quoted: an unquoted \`*\` starts a YAML alias`,
          posOf(src, alias),
          '',
          `write "*${alias.source}"`,
        ),
      );
    } else {
      src.fatal = true;
      src.diagnostics.push(
        diag(
          'error',
          'YAML_SYNTAX',
          `YAML syntax error: alias \`*${alias.source}\` has no anchor \`&${alias.source}\` before it`,
          posOf(src, alias),
          '',
          'quote the value if the `*` is meant literally',
        ),
      );
    }
  }
  // toJS would throw on the unresolved aliases reported above; there is nothing left to expand then.
  if (src.fatal || [...aliases.values()].some((t) => !t)) return;
  try {
    // yaml's own expansion accounting: throws early on exponential alias documents.
    doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    src.fatal = true;
    const exhausted = /resource exhaustion|alias count/i.test((e as Error).message);
    src.diagnostics.push(
      exhausted
        ? diag(
            'error',
            'ALIAS_LIMIT',
            `aliases expand beyond the bound of ${MAX_ALIAS_COUNT} nodes (a "billion laughs" document); refused`,
            posOf(src, firstAlias),
            '',
            'write the values out instead of using anchors and aliases',
          )
        : diag('error', 'YAML_SYNTAX', `YAML error: ${(e as Error).message}`, posOf(src, firstAlias), ''),
    );
  }
}
