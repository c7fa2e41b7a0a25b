/**
 * Drafting an egress change (the MCP tool `draft_egress_change`): explain the destination, take explain's fix (the
 * exact line and where it goes), apply it to the manifest text in memory, validate the result with the pipeline's
 * own validator, and hand back the diff and a pull-request text. It writes nothing and applies nothing: the change
 * goes through review, `egress sync`, the validator and the applier like any other.
 */

import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { defaultObjectName } from '../core/bucket/layout';
import type { ExplainFix, ExplainResult } from '../core/explain';
import { normalizeEgressValue } from '../core/manifest/egress';
import { validateManifest } from '../core/manifest/validate';
import type { PlatformPolicy } from '../core/policy/types';
import { unifiedDiff } from '../core/textDiff';
import { explainProject, findManifest, type ManifestSourceSpec } from './explain';

/** The draft's JSON contract (`schemaVersion` 1, docs/diagnose.md). */
export interface DraftResult {
  schemaVersion: 1;
  project: string;
  destination: string;
  /** `drafted`: a change to review; `already-listed`: the manifest already allows it (nothing to change). */
  status: 'drafted' | 'already-listed';
  file: string;
  entry: string | null;
  line: string | null;
  /** Unified diff of the manifest ('' when nothing changes). */
  diff: string;
  pullRequest: { title: string; body: string; branch: string } | null;
  /** explain's answer before the change. */
  explain: { status: ExplainResult['status']; summary: string };
  notes: string[];
}

/** The draft cannot be made: the message names the value, the hint says what to do (as the CLI prints them). */
export class DraftRefusedError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    /** The validator's code when it refused the entry. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'DraftRefusedError';
  }
}

/**
 * A flow-style `allowedEgress: [a, b]` (or `[]`) rewritten as a block list: the key on its own line, each item's own
 * text and comment kept, then explain's line. Undefined when the list is not one this can rewrite safely (the spec
 * itself in flow style, an item that is not a plain value): the draft is then refused as a hand edit.
 */
function blockFromFlow(text: string, fix: ExplainFix, policy: PlatformPolicy): string | undefined {
  const spec = parseDocument(text).get('spec', true);
  if (!isMap(spec) || spec.flow) return undefined;
  const pair = spec.items.find((p) => isScalar(p.key) && p.key.value === 'allowedEgress');
  const seq = pair?.value;
  if (!pair || !isScalar(pair.key) || !pair.key.range || !isSeq(seq) || !seq.flow || !seq.range) return undefined;
  const lineStart = text.lastIndexOf('\n', pair.key.range[0] - 1) + 1;
  const indent = text.slice(lineStart, pair.key.range[0]);
  if (!/^[ ]*$/.test(indent)) return undefined;
  // The validator's reading of the items: the same values in the same order, with the comments as descriptions.
  const read = validateManifest(text, { path: fix.file, policy }).egress;
  const items = seq.items.map((item, i) => {
    if (!isScalar(item) || !item.range || read[i] === undefined) return undefined;
    const comment = read[i].description;
    return `${indent}  - ${text.slice(item.range[0], item.range[1])}${comment ? `  # ${comment}` : ''}`;
  });
  if (items.some((l) => l === undefined) || items.length !== read.length) return undefined;
  const eolAt = text.indexOf('\n', seq.range[1]);
  const eol = eolAt < 0 ? text.length : eolAt;
  const trailing = /^\s*(#.*)$/.exec(text.slice(seq.range[1], eol).replace(/\r$/, ''))?.[1];
  const block = [`${indent}allowedEgress:${trailing ? `  ${trailing}` : ''}`, ...(items as string[]), fix.line];
  return `${text.slice(0, lineStart)}${block.join('\n')}${eolAt < 0 ? '\n' : text.slice(eol)}`;
}

/** The manifest text with explain's fix applied; throws when the fix needs a hand edit. */
function applyFix(text: string | undefined, fix: ExplainFix, flow: boolean, policy: PlatformPolicy): string {
  if (text === undefined) return `${fix.block ?? fix.line}\n`;
  const lines = text.split('\n');
  const insert = (fix.afterLine !== undefined && fix.block ? fix.block : fix.line).split('\n');
  if (fix.afterLine !== undefined) {
    lines.splice(fix.afterLine, 0, ...insert);
    return lines.join('\n');
  }
  if (flow) {
    const rewritten = blockFromFlow(text, fix, policy);
    if (rewritten === undefined)
      throw new DraftRefusedError(`${fix.file}: cannot draft into this flow-style allowedEgress list`, fix.note ?? '');
    return rewritten;
  }
  return `${text.replace(/\n*$/, '\n')}${fix.block ?? fix.line}\n`;
}

/**
 * The path the diff names (`--- a/PATH`, `+++ b/PATH`), as `git apply` reads it: for a folder, the file's path from
 * the root of the git work tree holding it (else from the current directory when under it, else from the manifests
 * folder: its name); for the bucket, the
 * object name (the repository's manifests folder is synced to the prefix).
 */
export function diffPath(file: string, project: string, source: ManifestSourceSpec): string {
  if (source.kind === 'bucket') {
    const object = `gs://${source.bucket}/`;
    return file.startsWith(object) ? file.slice(object.length) : defaultObjectName(source.prefix, project);
  }
  const abs = resolve(file);
  let dir = dirname(abs);
  while (!existsSync(join(dir, '.git')) && dirname(dir) !== dir) dir = dirname(dir);
  const root = existsSync(join(dir, '.git')) ? dir : process.cwd();
  const rel = relative(root, abs);
  return (rel.startsWith('..') || isAbsolute(rel) ? basename(abs) : rel).split(sep).join('/');
}

/** The validator's first error on `text` (what `egress validate` would print first), or undefined. */
function firstError(text: string, path: string, policy: PlatformPolicy) {
  const d = validateManifest(text, { path, policy }).diagnostics.find((x) => x.severity === 'error');
  return d ? { where: `${path}:${d.line}`, message: d.message, code: d.code, hint: d.hint } : undefined;
}

const slug = (s: string) =>
  s
    .replace(/^\*\./, 'wildcard-')
    .replace(/[^a-z0-9]+/gi, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();

/** Drafts the manifest change that lets `project` reach `destination`, for the stated `reason`. */
export async function draftEgressChange(args: {
  project: string;
  destination: string;
  reason: string;
  policy: PlatformPolicy;
  source: ManifestSourceSpec;
}): Promise<DraftResult> {
  const reason = args.reason.replace(/\s+/g, ' ').trim();
  if (!reason)
    throw new DraftRefusedError(
      'reason is empty',
      'say why the project needs the destination (it becomes the comment)',
    );
  const r = await explainProject({ ...args, why: reason });
  const { text, manifest } = await findManifest(args.project, args.source, args.policy);
  const head = { schemaVersion: 1 as const, project: args.project, destination: r.destination.value };
  const explained = { status: r.status, summary: r.summary };
  if (r.status === 'internal') {
    // What the validator says of the entry (a special-use domain, a private range), else explain's reason.
    const v = normalizeEgressValue(r.destination.value, args.policy);
    if (!v.ok) throw new DraftRefusedError(v.message, v.hint ?? 'the validator refuses this entry', v.code);
    throw new DraftRefusedError(r.summary, 'internal destinations are not an egress allow-list question');
  }
  if (r.cannotList)
    throw new DraftRefusedError(
      `${r.cannotList.entry}: ${r.cannotList.reason}`,
      r.cannotList.hint ?? 'the validator refuses this entry',
      r.cannotList.code,
    );
  if (r.manifest.found && !r.manifest.valid && text !== undefined) {
    const first = firstError(text, r.manifest.path ?? '', args.policy);
    throw new DraftRefusedError(
      `${r.manifest.path} is invalid already${first ? ` (${first.where}: ${first.message})` : ''}`,
      `fix it first: egress validate ${r.manifest.path}`,
      first?.code,
    );
  }
  if (!r.manifest.allowed && !r.fix)
    throw new DraftRefusedError(r.summary, `egress explain ${args.project} ${args.destination} shows why`);
  if (r.manifest.allowed || !r.fix)
    return {
      ...head,
      status: 'already-listed',
      file: r.manifest.path ?? r.fix?.file ?? `${args.project}.yaml`,
      entry: null,
      line: null,
      diff: '',
      pullRequest: null,
      explain: explained,
      notes: [r.summary, ...r.notes],
    };
  const fix = r.fix;
  const after = applyFix(text, fix, !!manifest?.layout?.list?.flow, args.policy);
  // Checked under the path the diff names: the file name binds the manifest to its project.
  const path = diffPath(fix.file, args.project, args.source);
  const error = firstError(after, path, args.policy);
  if (error)
    throw new DraftRefusedError(
      `${error.where}: ${error.message}`,
      error.hint ?? `egress validate ${path}`,
      error.code,
    );
  const diff = unifiedDiff(text ?? '', after, path);
  const title = `egress(${args.project}): allow ${fix.entry}`;
  const body = [
    `## Why`,
    reason,
    '',
    `## Change`,
    `Adds \`${fix.entry}\` to the allowedEgress list of \`${fix.file}\`${text === undefined ? ' (a new manifest)' : ''}.`,
    '',
    '```diff',
    diff.trimEnd(),
    '```',
    '',
    `## Checks`,
    `- The changed manifest passes the pipeline's validator (the same rules as \`egress validate\`).`,
    `- Before this change: ${r.summary}`,
    ...(fix.note ? [`- Note: ${fix.note}`] : []),
    `- After merge, \`egress sync\` uploads the manifest; the validator and the applier program the firewall and report \`applied\`.`,
  ].join('\n');
  return {
    ...head,
    status: 'drafted',
    file: fix.file,
    entry: fix.entry,
    line: fix.line.trim(),
    diff,
    pullRequest: { title, body, branch: `egress/${args.project}/allow-${slug(fix.entry)}` },
    explain: explained,
    notes: r.notes,
  };
}
