/**
 * Plan rendering: text (terminal), markdown (PR comments: a summary table and a `diff` block per project) and JSON
 * (machines). Output is deterministic: projects sorted by key, rules in plan order, list values sorted. A tombstone
 * (tombstone.ts) is shown as what it means (the project's revocation at a generation), never as rule fields that a
 * reader could take for an allowance.
 */
import { humanPart, parseMarker } from './marker';
import { summarizePlan } from './plan';
import { isTombstone } from './tombstone';
import type { DesiredRule, ObservedRule, Plan } from './types';
import { describeWrite, type PolicyPatch } from './writePlan';

/** Output formats of `renderPlan`. */
export type PlanFormat = 'text' | 'markdown' | 'json';

interface ProjectChanges {
  project: string;
  create: DesiredRule[];
  update: { old: ObservedRule; new: DesiredRule }[];
  delete: ObservedRule[];
}

const projectOf = (r: DesiredRule): string => parseMarker(r.description)?.project ?? '(unknown)';

/** Groups a plan's changes by project key (read from the markers), projects sorted. */
export function groupByProject(plan: Plan): ProjectChanges[] {
  const map = new Map<string, ProjectChanges>();
  const get = (p: string): ProjectChanges => {
    let c = map.get(p);
    if (!c) {
      c = { project: p, create: [], update: [], delete: [] };
      map.set(p, c);
    }
    return c;
  };
  for (const r of plan.create) get(projectOf(r)).create.push(r);
  for (const u of plan.update) get(projectOf(u.new)).update.push(u);
  for (const r of plan.delete) get(projectOf(r)).delete.push(r);
  return [...map.values()].sort((a, b) => (a.project < b.project ? -1 : a.project > b.project ? 1 : 0));
}

const list = (xs: readonly string[] | undefined): string[] => [...(xs ?? [])].sort();
const l4 = (r: DesiredRule): string[] =>
  r.match.layer4Configs.map((c) => (c.ports?.length ? `${c.ipProtocol}:${c.ports.join(',')}` : c.ipProtocol)).sort();
const targets = (r: DesiredRule): string[] => [
  ...list(r.targetServiceAccounts).map((s) => `serviceAccount:${s}`),
  ...list(r.targetSecureTags?.map((t) => t.name)).map((t) => `secureTag:${t}`),
];

/** The printable fields of a rule, as (name, values) pairs; empty lists omitted. */
function fields(r: DesiredRule): [string, string[]][] {
  const out: [string, string[]][] = [
    // Target mode subnets: the project's source ranges, the one thing that says which workloads the rule covers.
    ['sources', list(r.match.srcIpRanges)],
    ['destFqdns', list(r.match.destFqdns)],
    ['destIpRanges', list(r.match.destIpRanges)],
    ['layer4Configs', l4(r)],
    ['targets', targets(r)],
    ['action', [`${r.direction} ${r.action}${r.disabled ? ' (disabled)' : ''}${r.enableLogging ? ', logged' : ''}`]],
  ];
  const human = humanPart(r.description);
  if (human) out.push(['description', [human]]);
  return out.filter(([, v]) => v.length > 0);
}

/** Fields with one value: an update shows them as `old -> new`, not as added/removed list items. */
const SINGLE = new Set(['action', 'description']);

/** Lines describing an update: per field, values added (+) and removed (-); the marker when only it changes. */
function updateLines(u: { old: ObservedRule; new: DesiredRule }): string[] {
  const before = new Map(fields(u.old));
  const after = new Map(fields(u.new));
  const lines: string[] = [];
  if (u.new.coverage && !isTombstone(u.new)) lines.push(`covers: ${u.new.coverage}`);
  for (const name of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(name) ?? [];
    const a = after.get(name) ?? [];
    if (SINGLE.has(name)) {
      if (b.join() !== a.join()) lines.push(`${name}: ${JSON.stringify(b[0] ?? '')} -> ${JSON.stringify(a[0] ?? '')}`);
      continue;
    }
    const added = a.filter((x) => !b.includes(x));
    const removed = b.filter((x) => !a.includes(x));
    if (added.length || removed.length)
      lines.push(`${name}: ${[...added.map((x) => `+${x}`), ...removed.map((x) => `-${x}`)].join(' ')}`);
  }
  const mo = parseMarker(u.old.description);
  const mn = parseMarker(u.new.description);
  // Only a stamp-only update (the stale-event guard's bookkeeping) shows the marker; otherwise it is noise.
  if (
    lines.length <= (u.new.coverage && !isTombstone(u.new) ? 1 : 0) &&
    mo &&
    mn &&
    (mo.generation !== mn.generation || mo.hash !== mn.hash)
  )
    lines.push(`marker: generation ${mo.generation} -> ${mn.generation}`);
  return lines;
}

/** ` (subnet p-usc1: primary + pods)` after the sources (or the targets) of a rule the compiler described. */
function coverageOf(field: string, r: DesiredRule): string {
  if (!r.coverage) return '';
  const on = r.match.srcIpRanges?.length ? 'sources' : 'targets';
  return field === on ? ` (${r.coverage})` : '';
}

const generationOf = (r: DesiredRule): string => parseMarker(r.description)?.generation ?? '?';

/** What a tombstone means, in words (one line). */
function tombstoneText(r: DesiredRule): string {
  // Plans of a working copy have no object generation ('0'): say "revoked", not "at generation 0".
  const gen = generationOf(r);
  const at = gen === '0' ? '' : ` at generation ${gen}`;
  return `tombstone: egress revoked${at} (disabled deny of ${[...(r.match.destIpRanges ?? [])].join(', ')}, allows nothing)`;
}

function projectLines(c: ProjectChanges, sign: { create: string; update: string; delete: string }): string[] {
  const out: string[] = [];
  for (const r of c.create) {
    out.push(`${sign.create} create ${r.ruleName} (priority assigned at apply)`);
    if (isTombstone(r)) out.push(`${sign.create}     ${tombstoneText(r)}`);
    else for (const [n, v] of fields(r)) out.push(`${sign.create}     ${n}: ${v.join(', ')}${coverageOf(n, r)}`);
  }
  for (const u of c.update) {
    out.push(`${sign.update} update ${u.new.ruleName} (priority ${u.old.priority})`);
    if (isTombstone(u.new)) out.push(`${sign.update}     ${tombstoneText(u.new)}`);
    for (const l of updateLines(u)) out.push(`${sign.update}     ${l}`);
  }
  for (const r of c.delete) {
    out.push(`${sign.delete} delete ${r.ruleName} (priority ${r.priority})`);
    if (isTombstone(r))
      out.push(
        `${sign.delete}     tombstone of the revocation at generation ${generationOf(r)}: the project has rules again`,
      );
    else for (const [n, v] of fields(r)) out.push(`${sign.delete}     ${n}: ${v.join(', ')}`);
  }
  return out;
}

/** The JSON annotation of a project whose plan writes its tombstone; absent when it does not. */
function tombstoneJson(g: ProjectChanges): {
  tombstone?: { action: 'create' | 'update' | 'delete'; generation: string };
} {
  const c = g.create.find(isTombstone);
  if (c) return { tombstone: { action: 'create', generation: generationOf(c) } };
  const u = g.update.find((x) => isTombstone(x.new));
  if (u) return { tombstone: { action: 'update', generation: generationOf(u.new) } };
  const d = g.delete.find(isTombstone);
  return d ? { tombstone: { action: 'delete', generation: generationOf(d) } } : {};
}

/** A markdown table with padded columns (the first left-aligned, the others right-aligned), as formatters print it. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, 3, ...rows.map((r) => r[i]!.length)));
  const cells = (r: string[]) =>
    `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [cells(header), rule, ...rows.map(cells)];
}

function headline(plan: Plan): string {
  const s = summarizePlan(plan);
  return `${s.create} to create, ${s.update} to update, ${s.delete} to delete, ${s.unchanged} unchanged`;
}

/** Renders a plan; `text` and `markdown` end with a newline, `json` is pretty-printed JSON with a newline. */
export function renderPlan(plan: Plan, format: PlanFormat): string {
  const groups = groupByProject(plan);
  if (format === 'json') {
    const out = {
      summary: summarizePlan(plan),
      projects: groups.map((g) => ({
        project: g.project,
        create: g.create,
        update: g.update.map((u) => ({ priority: u.old.priority, old: u.old, new: u.new })),
        delete: g.delete,
        ...tombstoneJson(g),
      })),
    };
    return `${JSON.stringify(out, null, 2)}\n`;
  }
  if (format === 'markdown') {
    const lines = [`### egress plan: ${headline(plan)}`, ''];
    if (groups.length === 0) return `${lines.concat('No changes.').join('\n')}\n`;
    lines.push(
      ...table(
        ['project', 'create', 'update', 'delete'],
        groups.map((g) => [`\`${g.project}\``, `${g.create.length}`, `${g.update.length}`, `${g.delete.length}`]),
      ),
    );
    for (const g of groups) {
      lines.push('', `<details><summary><code>${g.project}</code></summary>`, '', '```diff');
      lines.push(...projectLines(g, { create: '+', update: '!', delete: '-' }));
      lines.push('```', '</details>');
    }
    return `${lines.join('\n')}\n`;
  }
  const lines = [`egress plan: ${headline(plan)}`];
  if (groups.length === 0) return `${lines.concat('No changes.').join('\n')}\n`;
  for (const g of groups) {
    lines.push('', `project ${g.project}`);
    lines.push(...projectLines(g, { create: '  +', update: '  ~', delete: '  -' }));
  }
  return `${lines.join('\n')}\n`;
}

/** What the applier would send for one project's event (`egress plan`): its patches, or why it would refuse. */
export interface ProjectWrites {
  project: string;
  /** One patch per policy the event changes, in the order the applier sends them (placedWrites.ts). */
  writes: PolicyPatch[];
  /** Why the applier would refuse the change (`reason: message`, its apply-failed reason): nothing of it is written. */
  refused?: string;
}

/** One project's writes as lines (`project: patch …`), the same text in every format. */
function writeLines(w: ProjectWrites): string[] {
  if (w.refused) return [`${w.project}: the applier would refuse it, no patch (${w.refused})`];
  return w.writes.map((p) => `${w.project}: ${describeWrite(p)}`);
}

const WRITES_HEADING =
  "Writes the applier would send (one patch per policy for each changed manifest's event; new rules at the priorities free now)";

/** The writes of `egress plan --format json`: every change named, one entry per project (the text's lines, as data). */
export function writesJson(writes: readonly ProjectWrites[]) {
  return writes.map((w) => ({
    project: w.project,
    ...(w.refused ? { refused: w.refused } : {}),
    patches: w.writes.map((p) => ({ policy: p.policy, ...p.changes })),
  }));
}

/** The writes section of `egress plan` in text or markdown (after the plan, before the footer); empty when none. */
export function renderWrites(writes: readonly ProjectWrites[], format: Exclude<PlanFormat, 'json'>): string {
  if (writes.length === 0) return '';
  const lines = writes.flatMap(writeLines);
  if (format === 'markdown') return `\n**${WRITES_HEADING}:**\n\n${lines.map((l) => `- ${l}`).join('\n')}\n`;
  return `\n${WRITES_HEADING}:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}
