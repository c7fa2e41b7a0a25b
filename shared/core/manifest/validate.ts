/**
 * Validates one Project manifest: parse with positions, structural walk (schema.ts), value rules, per-entry
 * normalization. Collects every diagnostic; never throws.
 */
import { isAlias, isMap, isScalar, isSeq, type Node as YNode } from 'yaml';
import { projectKeyOf } from '../bucket/layout';
import { type Diagnostic, escapeControls, hasErrors } from '../diagnostics';
import { DEFAULT_POLICY } from '../policy/defaults';
import { placeProject } from '../policy/placement';
import type { PlatformPolicy } from '../policy/types';
import { countLinesUpTo, firstTooDeep, MAX_NESTING, maxManifestLines, type TooDeep } from './bounds';
import { normalizeEgressValue } from './egress';
import { explainProjectName, isValidProjectName } from './names';
import { KNOWN_REGIONS } from './regions';
import { EgressEntrySchema, ENVIRONMENT_PATTERN, ProjectManifestSchema, REGION_PATTERN } from './schema';
import { didYouMean, type JsonSchema, type Located, walkSchema } from './schemaWalk';
import type { EgressEntry, EgressLayout, ManifestResult, ProjectMeta } from './types';
import { diag, type Pos, parseSingleDocument, posOf, resolveNode, type SourceDoc } from './yamlSource';

/** Options of {@link validateManifest}: `path` is the file path or GCS object name the manifest was read from. */
export interface ValidateOptions {
  path: string;
  policy: PlatformPolicy;
}

const ENV_RE = new RegExp(ENVIRONMENT_PATTERN);
const REGION_RE = new RegExp(REGION_PATTERN);
const OPAQUE = new Set<JsonSchema>([EgressEntrySchema as JsonSchema]);
const PASTE_NOTE = ' (a pasted example easily loses its indentation)';

/** Validates and normalizes one manifest. `opts.path`'s base name minus .yaml/.yml must equal metadata.name. */
export function validateManifest(text: string, opts: ValidateOptions): ManifestResult {
  const path = typeof opts?.path === 'string' ? opts.path : '';
  try {
    return run(text, path, opts?.policy ?? DEFAULT_POLICY);
  } catch (e) {
    // A bug must not take the pipeline down: report it against the file instead.
    return finish(
      path,
      null,
      [],
      [
        diag(
          'error',
          'INTERNAL_ERROR',
          `validator failure: ${(e as Error)?.message ?? String(e)}`,
          { line: 1, column: 1 },
          '',
        ),
      ],
    );
  }
}

/** The result for a file refused for its size before reading it (the CLI checks sizes with stat). */
export function tooLargeResult(path: string, bytes: number, policy: PlatformPolicy): ManifestResult {
  return finish(path, null, [], [tooLarge(bytes, policy)]);
}

function tooLarge(bytes: number, policy: PlatformPolicy): Diagnostic {
  return diag(
    'error',
    'FILE_TOO_LARGE',
    `the file is ${bytes} bytes; manifests are limited to ${policy.manifest.maxFileBytes} bytes (platform policy manifest.maxFileBytes)`,
    { line: 1, column: 1 },
    '',
    'a manifest lists one project; split unrelated projects into their own files',
  );
}

function tooManyLines(maxLines: number, policy: PlatformPolicy): Diagnostic {
  return diag(
    'error',
    'TOO_MANY_LINES',
    `the file has more than ${maxLines} lines; a manifest of at most ${policy.manifest.maxEntries} entries needs far fewer (not parsed)`,
    { line: maxLines + 1, column: 1 },
    '',
    'a manifest lists one project: remove the extra lines (a pasted log or data file?)',
  );
}

function tooDeep(at: TooDeep): Diagnostic {
  return diag(
    'error',
    'TOO_DEEP',
    `the file nests collections more than ${MAX_NESTING} levels deep here (not parsed); a manifest has three: spec, allowedEgress and its entries`,
    { line: at.line, column: at.column },
    '',
    'list each destination as its own `- "value"` line under spec.allowedEgress, without nested brackets or dashes',
  );
}

function finish(
  path: string,
  project: ProjectMeta | null,
  egress: EgressEntry[],
  diagnostics: Diagnostic[],
  namePosition?: Pos,
  layout?: EgressLayout,
): ManifestResult {
  // Source order reads best; the sort is stable, so findings on one position keep their order.
  diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
  const r: ManifestResult = { path, valid: !hasErrors(diagnostics), project, egress, diagnostics };
  if (namePosition) r.namePosition = namePosition;
  if (layout) r.layout = layout;
  return r;
}

function run(text: string, path: string, policy: PlatformPolicy): ManifestResult {
  if (typeof text !== 'string')
    return finish(path, null, [], [diag('error', 'NOT_TEXT', 'the manifest is not text', { line: 1, column: 1 }, '')]);
  const max = policy.manifest.maxFileBytes;
  if (text.length > max || (text.length * 3 > max && Buffer.byteLength(text, 'utf8') > max))
    return finish(path, null, [], [tooLarge(Buffer.byteLength(text, 'utf8'), policy)]);

  const maxLines = maxManifestLines(policy);
  if (countLinesUpTo(text, maxLines) > maxLines) return finish(path, null, [], [tooManyLines(maxLines, policy)]);
  const deep = firstTooDeep(text);
  if (deep) return finish(path, null, [], [tooDeep(deep)]);

  const src = parseSingleDocument(text);
  const diags = src.diagnostics;
  if (src.fatal || !src.doc) return finish(path, null, [], diags);

  const walked = walkSchema(src, ProjectManifestSchema as JsonSchema, src.doc.contents as YNode | null, diags, {
    opaque: OPAQUE,
    misplacedNote: PASTE_NOTE,
  });
  const at = walked.at;
  const root = (walked.value ?? {}) as {
    metadata?: Record<string, unknown>;
    spec?: Record<string, unknown>;
  };
  const meta = root.metadata ?? {};
  const spec = root.spec ?? {};
  const where = (key: string): { pos: Pos; path: string } => {
    const l = at.get(key);
    return { pos: l ? locPos(src, l) : { line: 1, column: 1 }, path: l?.path ?? key };
  };

  const name = typeof meta.name === 'string' ? meta.name : undefined;
  let nameOk = false;
  if (name !== undefined) {
    const w = where('metadata.name');
    if (!isValidProjectName(name)) {
      const e = explainProjectName(name);
      // The file is named after the project: when it carries the same invalid name, it needs renaming too.
      const file = path ? projectKeyOf(path) : '';
      const hint =
        e.suggestion && file && file !== e.suggestion && !isValidProjectName(file)
          ? `use \`${e.suggestion}\` and rename the file to \`${e.suggestion}.yaml\``
          : e.hint;
      diags.push(diag('error', 'INVALID_PROJECT_NAME', e.message, w.pos, w.path, hint));
    } else {
      nameOk = true;
      const key = path ? projectKeyOf(path) : name;
      if (key !== name)
        diags.push(
          diag(
            'error',
            'NAME_PATH_MISMATCH',
            `metadata.name \`${name}\` does not match the file name \`${key}\`: the file (object) name binds a manifest to its project`,
            w.pos,
            w.path,
            // `Upper-Case.yaml` can only be fixed by renaming: an upper-case key is never a valid project name.
            isValidProjectName(key)
              ? `rename the file to \`${name}.yaml\`, or set metadata.name to \`${key}\` if that is the project`
              : `rename the file to \`${name}.yaml\` (file names are project keys: lower-case letters, digits and '-')`,
          ),
        );
    }
  }
  const environment = typeof meta.environment === 'string' ? meta.environment : undefined;
  if (environment !== undefined && !ENV_RE.test(environment)) {
    const w = where('metadata.environment');
    const fixed = environment.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
    diags.push(
      diag(
        'error',
        'INVALID_ENVIRONMENT',
        `metadata.environment \`${environment}\` must be a lowercase label (a-z, 0-9, '-'; at most 63 characters)`,
        w.pos,
        w.path,
        ENV_RE.test(fixed) ? `use \`${fixed}\`` : undefined,
      ),
    );
  }
  const region = typeof spec.region === 'string' ? spec.region : undefined;
  if (region !== undefined) {
    const w = where('spec.region');
    const best = didYouMean(region, KNOWN_REGIONS);
    if (!REGION_RE.test(region))
      diags.push(
        diag(
          'error',
          'INVALID_REGION',
          `spec.region \`${region}\` is not a GCP region name (like \`us-central1\`)`,
          w.pos,
          w.path,
          best ? `did you mean \`${best}\`?` : undefined,
        ),
      );
    else if (!KNOWN_REGIONS.includes(region))
      diags.push(
        diag(
          'warning',
          'UNKNOWN_REGION',
          `spec.region \`${region}\` is not a GCP region this tool knows`,
          w.pos,
          w.path,
          best && best !== region ? `did you mean \`${best}\`?` : undefined,
        ),
      );
  }

  // Regional placement (core/policy/placement.ts): the region chooses the firewall policy, so it is required and
  // must have a regional policy. The same check runs in the validator function, `egress validate` and the applier.
  if (region === undefined || REGION_RE.test(region)) {
    const placed = placeProject(policy.firewall, '', { name: name ?? '', region });
    if ('problem' in placed) {
      const w = region === undefined ? where('spec') : where('spec.region');
      const { message, hint } = placed.problem;
      diags.push(
        placed.problem.kind === 'missing'
          ? diag('error', 'REGION_REQUIRED', message, w.pos, w.path, hint)
          : diag('error', 'REGION_NOT_PLACED', message, w.pos, w.path, hint),
      );
    }
  }

  const layout: EgressLayout = { entries: [] };
  const specAt = at.get('spec');
  if (specAt?.path === 'spec' && specAt.node) layout.spec = specAt.pos;
  const listAt = at.get('spec.allowedEgress');
  if (listAt?.path === 'spec.allowedEgress') layout.key = listAt.pos;
  const egress = checkEntries(src, listAt, policy, diags, layout);

  let project: ProjectMeta | null = null;
  if (name !== undefined && environment !== undefined) {
    project = { name, environment };
    const ou = meta['organizational-unit'];
    if (typeof ou === 'string') project.organizationalUnit = ou;
    if (typeof meta.organization === 'string') project.organization = meta.organization;
    if (typeof spec.description === 'string') project.description = spec.description;
    if (region !== undefined) project.region = region;
  }
  return finish(path, project, egress, diags, nameOk ? where('metadata.name').pos : undefined, layout);
}

function locPos(src: SourceDoc, l: Located): Pos {
  const n = resolveNode(src, l.node);
  return l.node?.range ? posOf(src, l.node) : n?.range ? posOf(src, n) : l.pos;
}

// An item's own comma may come first in a multi-line flow sequence (`"api.stripe.com",  # Stripe`).
const COMMENT_RE = /^(?:[ \t]*,)?[ \t]+#(.*)$/m;

/** The comment on the same line after `end`, if any (`- "api.stripe.com"  # Payment processor API`). */
function lineComment(text: string, end: number): string | undefined {
  let eol = text.indexOf('\n', end);
  if (eol < 0) eol = text.length;
  const rest = text.slice(end, eol).replace(/\r$/, '');
  const m = COMMENT_RE.exec(rest);
  const c = m?.[1]?.trim();
  // The comment becomes a firewall rule description: no raw control characters or bidi overrides in it.
  return c ? escapeControls(c) : undefined;
}

function checkEntries(
  src: SourceDoc,
  loc: Located | undefined,
  policy: PlatformPolicy,
  diags: Diagnostic[],
  layout: EgressLayout,
): EgressEntry[] {
  const seq = resolveNode(src, loc?.node);
  if (!loc || !seq || !isSeq(seq)) return [];
  if (seq.range) {
    const start = posOf(src, seq);
    const last = seq.items.at(-1) as YNode | undefined;
    const lastLine = last?.range ? posOf(src, last).line : start.line;
    layout.list = { flow: !!seq.flow, line: start.line, column: start.column, lastLine };
  }
  const out: EgressEntry[] = [];
  const seen = new Map<string, { index: number; entry: EgressEntry; node: YNode | null }>();
  const max = policy.manifest.maxEntries;
  if (seq.items.length > max)
    diags.push(
      diag(
        'error',
        'TOO_MANY_ENTRIES',
        `allowedEgress has ${seq.items.length} entries; the platform allows at most ${max} per project`,
        loc.pos,
        loc.path,
        'use the narrowest destinations needed, or ask the platform team to raise manifest.maxEntries',
      ),
    );
  seq.items.forEach((item, i) => {
    const raw = item as YNode | null;
    const node = resolveNode(src, raw);
    if (raw && isAlias(raw) && !node) return; // an unresolved alias was reported by the parser step
    const itemPath = `${loc.path}[${i}]`;
    // One line-start table per file (built on the first position asked for), then a binary search per entry.
    const pos = () => posOf(src, raw, locPos(src, loc));
    const value = node && isScalar(node) ? node.value : node && isMap(node) ? {} : node && isSeq(node) ? [] : null;
    const r = normalizeEgressValue(value, policy);
    if (!r.ok) {
      let hint = r.hint;
      // `1.10` and `0x1F` are numbers to YAML: the quoting hint shows them as written, not as read.
      if (r.code === 'ENTRY_NOT_STRING' && hint && node && isScalar(node) && node.type === 'PLAIN' && node.range)
        hint = `quote it: "${src.text.slice(node.range[0], node.range[1])}"`;
      diags.push(diag('error', r.code, r.message, pos(), itemPath, hint));
      return;
    }
    const end = raw?.range?.[1];
    const description = end !== undefined ? lineComment(src.text, end) : undefined;
    const first = seen.get(r.entry.value);
    if (first !== undefined) {
      // The first entry is kept; its description is the first non-empty one among its repetitions, so a comment
      // written on the repeated line is not silently lost (docs/manifest.md).
      if (!first.entry.description && description) first.entry.description = description;
      const here = pos();
      const firstLine = posOf(src, first.node, here).line;
      diags.push(
        diag(
          'warning',
          'DUPLICATE_ENTRY',
          `\`${r.entry.value}\` is listed again (same as ${loc.path}[${first.index}] on line ${firstLine} after normalization); it is kept once`,
          here,
          itemPath,
          'remove the repeated entry',
        ),
      );
      return;
    }
    const entry: EgressEntry = { value: r.entry.value, type: r.entry.type };
    if (description) entry.description = description;
    seen.set(r.entry.value, { index: i, entry, node: raw });
    out.push(entry);
    layout.entries.push(raw?.range ? posOf(src, raw) : pos());
  });
  return out;
}

/** Adds the cross-file errors of one run: two manifests declaring the same project. Returns new results. */
export function checkProjectSet(results: ManifestResult[]): ManifestResult[] {
  const byName = new Map<string, ManifestResult[]>();
  for (const r of results) {
    const n = r.project?.name;
    if (!n) continue;
    const list = byName.get(n) ?? [];
    list.push(r);
    byName.set(n, list);
  }
  return results.map((r) => {
    const group = r.project ? byName.get(r.project.name) : undefined;
    if (!group || group.length < 2) return r;
    const others = group.filter((o) => o !== r).map((o) => o.path);
    const d = diag(
      'error',
      'DUPLICATE_PROJECT',
      `project \`${r.project!.name}\` is also declared in ${others.join(', ')}; each project has exactly one manifest`,
      r.namePosition ?? { line: 1, column: 1 },
      'metadata.name',
      'keep one manifest per project and merge the allowedEgress lists',
    );
    // Source order, as validateManifest sorts them (stable: same-position findings keep their order).
    const diagnostics = [...r.diagnostics, d].sort((x, y) => x.line - y.line || x.column - y.column);
    return { ...r, valid: false, diagnostics };
  });
}
