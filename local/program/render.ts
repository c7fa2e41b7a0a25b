/**
 * Text output of the local pipeline (`npm start`): the rules table per project and the rejections. Pure functions
 * over rules and status events, so the output is the same whether it describes the first convergence or one edit.
 */
import { formatDiagnostic } from '../../shared/cli/format';
import { AGREEING, type AgreementStatus } from '../../shared/core/agreement';
import type { StatusEvent } from '../../shared/core/events/types';
import { isTombstone, parseMarker } from '../../shared/core/firewall';
import type { ObservedRule } from '../../shared/core/firewall/types';

/** What the pipeline concluded about one manifest generation (or a deletion). */
export interface Outcome {
  /** The local file (absent when only the object is known). */
  file?: string;
  object: string;
  project: string;
  /** `upload` (create/update) or `delete`. */
  change: 'upload' | 'delete';
  generation: string;
  /** The final status event; absent when none arrived in time. */
  status?: StatusEvent;
}

/** How many destination values a table cell lists before `+N more`. */
const MAX_VALUES = 4;

function destinations(rule: ObservedRule): string {
  if (isTombstone(rule))
    return `no egress allowed (tombstone of generation ${parseMarker(rule.description)?.generation ?? '?'}: manifest deleted or allowedEgress empty)`;
  const fqdns = rule.match.destFqdns ?? [];
  const ranges = rule.match.destIpRanges ?? [];
  const values = [...fqdns, ...ranges];
  const what = fqdns.length ? `${fqdns.length} fqdn${fqdns.length === 1 ? '' : 's'}` : '';
  const rng = ranges.length ? `${ranges.length} range${ranges.length === 1 ? '' : 's'}` : '';
  const shown = values.slice(0, MAX_VALUES).join(', ');
  const more = values.length > MAX_VALUES ? `, +${values.length - MAX_VALUES} more` : '';
  return `${[what, rng].filter(Boolean).join(' + ')}: ${shown}${more}`;
}

/** Which workloads the rule covers: its sources (target mode subnets), its accounts or its tags. */
function covers(rule: ObservedRule): string {
  if (isTombstone(rule)) return '-';
  const list = (kind: string, xs: readonly string[]) =>
    `${kind} ${xs.slice(0, 3).join(', ')}${xs.length > 3 ? `, +${xs.length - 3} more` : ''}`;
  if (rule.match.srcIpRanges?.length) return list('sources', rule.match.srcIpRanges);
  if (rule.targetServiceAccounts?.length) return list('accounts', rule.targetServiceAccounts);
  if (rule.targetSecureTags?.length)
    return list(
      'tags',
      rule.targetSecureTags.map((t) => t.name),
    );
  return 'every workload';
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/**
 * The rules table: one row per owned rule (name, priority, the workloads it covers, destination count and values), grouped by project, in
 * the order of `projects` (then any other project with owned rules). A project without rules gets one row saying why
 * (`notes`, e.g. "rejected: firewall unchanged"). A tombstone is shown as what it means (allows nothing).
 */
export function renderRulesTable(
  rules: readonly ObservedRule[],
  projects: readonly string[],
  notes: ReadonlyMap<string, string> = new Map(),
): string {
  const byProject = new Map<string, ObservedRule[]>();
  for (const r of rules) {
    const p = parseMarker(r.description)?.project;
    if (!p) continue;
    const list = byProject.get(p) ?? [];
    list.push(r);
    byProject.set(p, list);
  }
  const order = [...new Set([...projects, ...[...byProject.keys()].sort()])];
  const rows: [string, string, string, string, string][] = [];
  for (const p of order) {
    const list = (byProject.get(p) ?? []).sort((a, b) => a.priority - b.priority);
    const note = notes.get(p);
    if (!list.length) {
      rows.push([p, '-', '-', '-', note ?? 'no rules']);
      continue;
    }
    list.forEach((r, i) => {
      rows.push([i === 0 ? p : '', r.ruleName, String(r.priority), covers(r), destinations(r)]);
    });
    if (note) rows.push(['', '', '', '', note]);
  }
  const head: [string, string, string, string, string] = ['PROJECT', 'RULE', 'PRIORITY', 'COVERS', 'DESTINATIONS'];
  const w = [0, 1, 2, 3].map((i) => Math.max(head[i]!.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows]
    .map((r) => `${pad(r[0], w[0]!)}  ${pad(r[1], w[1]!)}  ${pad(r[2], w[2]!)}  ${pad(r[3], w[3]!)}  ${r[4]}`.trimEnd())
    .join('\n');
}

/** The rejections among `outcomes`, as `file:line:col: severity CODE message` lines (errors and warnings). */
export function renderRejections(outcomes: readonly Outcome[]): string[] {
  const lines: string[] = [];
  for (const o of outcomes) {
    if (o.status?.data.outcome !== 'rejected') continue;
    for (const d of o.status.data.diagnostics ?? []) lines.push(formatDiagnostic(o.file ?? o.object, d));
  }
  return lines;
}

/** One line per outcome: what happened to each uploaded or deleted manifest. */
export function renderOutcome(o: Outcome): string {
  const where = o.file ?? o.object;
  const s = o.status?.data;
  if (!s) return `  ${where}: no outcome yet (${o.change} of generation ${o.generation}); see .local/logs/*.log`;
  const plan = s.plan ? ` (+${s.plan.create} ~${s.plan.update} -${s.plan.delete} =${s.plan.unchanged})` : '';
  switch (s.outcome) {
    case 'applied':
      return `  ${where}: ${o.change === 'delete' ? 'deleted, rules revoked' : 'applied'}${plan}`;
    case 'rejected': {
      const errors = (s.diagnostics ?? []).filter((d) => d.severity === 'error').length;
      return `  ${where}: REJECTED (${errors} error${errors === 1 ? '' : 's'}), firewall left as it was`;
    }
    case 'skipped':
      return `  ${where}: skipped (${s.reason ?? 'stale'})`;
    default:
      return `  ${where}: ${s.outcome.toUpperCase()} ${s.reason ?? ''} ${s.error ?? ''}`.trimEnd();
  }
}

/** True when the outcome counts as converged: the pipeline reached a decision it will not retry. */
export function converged(o: Outcome): boolean {
  const out = o.status?.data.outcome;
  return out === 'applied' || out === 'rejected' || out === 'skipped';
}

/**
 * The table's notes with the one agreement (core/agreement): a project whose rules disagree with its manifest says so
 * (`DRIFTED: …`, `NO-SOURCES: …`) instead of the outcome's note, and entries that cannot apply are warned about.
 */
export function agreementNotes(
  agreements: readonly { project: string; status: AgreementStatus; detail: string; warnings?: string[] }[],
  notes: ReadonlyMap<string, string> = new Map(),
): Map<string, string> {
  const out = new Map(notes);
  for (const a of agreements) {
    const parts = AGREEING.includes(a.status)
      ? [...(out.has(a.project) ? [out.get(a.project)!] : [])]
      : [`${a.status.toUpperCase()}: ${a.detail}`];
    for (const w of a.warnings ?? []) parts.push(`warning: ${w}`);
    if (parts.length) out.set(a.project, parts.join('; '));
  }
  return out;
}
