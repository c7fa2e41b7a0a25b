/**
 * Drafting an egress change (the MCP tool `draft_egress_change`): explain the destination, take explain's fix (the
 * exact line and where it goes), apply it to the manifest text in memory, validate the result with the pipeline's
 * own validator, and hand back the diff and a pull-request text. It writes nothing and applies nothing: the change
 * goes through review, `egress sync`, the validator and the applier like any other.
 */

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

/** The manifest text with explain's fix applied; throws when the fix needs a hand edit (a flow-style list). */
function applyFix(text: string | undefined, fix: ExplainFix): string {
  if (text === undefined) return `${fix.block ?? fix.line}\n`;
  const lines = text.split('\n');
  const insert = (fix.afterLine !== undefined && fix.block ? fix.block : fix.line).split('\n');
  if (fix.afterLine !== undefined) {
    lines.splice(fix.afterLine, 0, ...insert);
    return lines.join('\n');
  }
  if (fix.note?.includes('flow-style'))
    throw new DraftRefusedError(`${fix.file}: cannot draft into a flow-style allowedEgress list`, fix.note);
  return `${text.replace(/\n*$/, '\n')}${fix.block ?? fix.line}\n`;
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
  const { text } = await findManifest(args.project, args.source, args.policy);
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
  const after = applyFix(text, fix);
  const error = firstError(after, fix.file, args.policy);
  if (error)
    throw new DraftRefusedError(
      `${error.where}: ${error.message}`,
      error.hint ?? `egress validate ${fix.file}`,
      error.code,
    );
  const diff = unifiedDiff(text ?? '', after, fix.file);
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
