/**
 * The plan: current rules + desired rules → {create, update(old→new), delete}. Pure data in, data out.
 *
 * Only rules carrying OUR marker for THE project are considered; identity within a project is the ruleName (if a name
 * appears twice, a copy that already matches is kept, else the lowest priority; the extra copies are deleted). Rules are compared semantically:
 * lists order-insensitively, and the marker's generation/hash are NOT content, so a new manifest generation with
 * the same rules costs nothing, and `egress plan` from a working copy (no generation) shows only real changes.
 * The one exception is the stale-event guard's need (see `PlanOptions.generation`).
 */
import { compareGenerations } from '../events/codec';
import type { ChangeReason } from '../events/types';
import { humanPart, parseMarker } from './marker';
import { deletedGeneration } from './tombstone';
import type { DesiredRule, ObservedRule, Plan, PlanSummary } from './types';

/** Options of `planProject`. */
export interface PlanOptions {
  /** The project key; needed when `desired` is empty (a revocation), otherwise read from the desired rules' marker. */
  project?: string;
  /**
   * The generation being applied. When given and no create/update of the plan carries it, while the project's owned
   * rules record only older generations, the first unchanged rule is re-written with the new marker ("stamped"), so
   * the stale-event guard sees the newest generation applied. Without it (the CLI), only content changes are planned.
   */
  generation?: string;
}

/** The owned rules: those carrying our marker (and, when `project` is given, naming that project). */
export function ownedRules(rules: readonly ObservedRule[], project?: string): ObservedRule[] {
  return rules.filter((r) => {
    const m = parseMarker(r.description);
    return m !== null && (project === undefined || m.project === project);
  });
}

/** The newest manifest generation recorded by the given (owned) rules; null when there are none. */
export function appliedGeneration(owned: readonly ObservedRule[]): string | null {
  let best: string | null = null;
  for (const r of owned) {
    const g = parseMarker(r.description)?.generation;
    if (g !== undefined && (best === null || compareGenerations(g, best) > 0)) best = g;
  }
  return best;
}

/** The event as the stale-event guard sees it. */
export interface GuardedEvent {
  generation: string;
  reason: ChangeReason;
  /** True for a revocation: a `delete`, or a manifest listing no entries (both desire only the tombstone). */
  revocation: boolean;
  /** The generation the event replaces (EgressChangeData.supersedes): not stale while the firewall records exactly it. */
  supersedes?: string | undefined;
}

/**
 * The stale-event guard: why `event` must not be applied over `owned` (one project's rules), or null when it may.
 * Stale: the project was revoked (a tombstone) at a generation >= this non-revoking event's, since a delete at N beats
 * an upsert at N; or the rules record a newer generation. A revocation is never stale against its own generation: it
 * plans, which finishes an interrupted revocation or does nothing.
 */
export function staleEventReason(owned: readonly ObservedRule[], project: string, event: GuardedEvent): string | null {
  const deleted = deletedGeneration(owned);
  // Generations order the changes of ONE object. An event that names the generation it replaces (another object's,
  // or a tombstone recorded at a live generation) is compared with exactly that, not by order.
  const replaced = (g: string) => event.supersedes !== undefined && g === event.supersedes;
  if (!event.revocation && deleted !== null && compareGenerations(event.generation, deleted) <= 0 && !replaced(deleted))
    return (
      `stale event: ${project} was revoked at generation ${deleted} (tombstone), so this ${event.reason} of ` +
      `generation ${event.generation} cannot restore its rules; upload the manifest again to re-create them`
    );
  const applied = appliedGeneration(owned);
  if (applied !== null && compareGenerations(applied, event.generation) > 0 && !replaced(applied))
    return `stale event: the firewall already reflects generation ${applied} of ${project}`;
  return null;
}

const sorted = (xs: readonly string[] | undefined): string[] => [...(xs ?? [])].sort();

const contents = new WeakMap<DesiredRule, string>();

/**
 * The rule's content in canonical form: what must be equal for two rules to enforce the same thing. Memoized per
 * rule object (a plan compares each rule several times); rules are never mutated once compiled or observed.
 */
export function ruleContent(r: DesiredRule): string {
  let c = contents.get(r);
  if (c === undefined) {
    c = canonicalContent(r);
    contents.set(r, c);
  }
  return c;
}

function canonicalContent(r: DesiredRule): string {
  return JSON.stringify([
    r.ruleName,
    humanPart(r.description),
    r.direction,
    r.action,
    !!r.enableLogging,
    !!r.disabled,
    sorted(r.match.srcIpRanges),
    sorted(r.match.destFqdns?.map((f) => f.toLowerCase())),
    sorted(r.match.destIpRanges),
    (r.match.layer4Configs ?? []).map((l) => `${l.ipProtocol.toLowerCase()}:${sorted(l.ports).join(',')}`).sort(),
    sorted(r.targetServiceAccounts),
    sorted(r.targetSecureTags?.map((t) => t.name)),
  ]);
}

/** True when both rules enforce the same thing (marker generation/hash aside). */
export function sameContent(a: DesiredRule, b: DesiredRule): boolean {
  return ruleContent(a) === ruleContent(b);
}

function projectOf(desired: readonly DesiredRule[], opts: PlanOptions): string | undefined {
  const projects = new Set(desired.map((d) => parseMarker(d.description)?.project));
  if (projects.has(undefined)) throw new Error('planProject: a desired rule has no ownership marker');
  if (projects.size > 1)
    throw new Error(`planProject: desired rules of several projects (${[...projects].join(', ')})`);
  const fromDesired = [...projects][0];
  if (opts.project && fromDesired && opts.project !== fromDesired)
    throw new Error(`planProject: desired rules are for ${fromDesired}, not ${opts.project}`);
  return opts.project ?? fromDesired;
}

/** An empty plan. */
export function emptyPlan(): Plan {
  return { create: [], update: [], delete: [], unchanged: 0 };
}

/** True when the plan writes nothing. */
export function isEmptyPlan(plan: Plan): boolean {
  return plan.create.length === 0 && plan.update.length === 0 && plan.delete.length === 0;
}

/**
 * Plans one project. `current` may hold every rule of the policy: foreign rules and other projects' rules are
 * ignored. Throws when the project cannot be determined (empty `desired` and no `opts.project`).
 */
export function planProject(
  current: readonly ObservedRule[],
  desired: readonly DesiredRule[],
  opts: PlanOptions = {},
): Plan {
  const project = projectOf(desired, opts);
  if (project === undefined) {
    if (ownedRules(current).length === 0) return emptyPlan();
    throw new Error('planProject: pass opts.project to plan a revocation (no desired rules)');
  }
  const owned = ownedRules(current, project).sort((a, b) => a.priority - b.priority);
  const byName = new Map<string, ObservedRule[]>();
  for (const r of owned) {
    const list = byName.get(r.ruleName) ?? [];
    list.push(r);
    byName.set(r.ruleName, list);
  }
  const plan = emptyPlan();
  const kept: { old: ObservedRule; new: DesiredRule }[] = [];
  const seen = new Set<string>();
  for (const d of desired) {
    if (seen.has(d.ruleName)) throw new Error(`planProject: desired rule name ${d.ruleName} appears twice`);
    seen.add(d.ruleName);
    const copies = byName.get(d.ruleName) ?? [];
    // Of several copies (an interrupted replace), keep one that already matches if there is one.
    const match = copies.find((c) => sameContent(c, d)) ?? copies[0];
    if (!match) plan.create.push(d);
    else if (sameContent(match, d)) kept.push({ old: match, new: d });
    else plan.update.push({ old: match, new: d });
  }
  const matched = new Set([...kept.map((k) => k.old), ...plan.update.map((u) => u.old)]);
  for (const r of owned) if (!matched.has(r)) plan.delete.push(r);
  const g = opts.generation;
  const first = kept[0];
  if (g !== undefined && first && plan.create.length === 0 && plan.update.length === 0) {
    const applied = appliedGeneration(kept.map((k) => k.old));
    if (applied === null || compareGenerations(applied, g) < 0) {
      plan.update.push(first);
      kept.shift();
    }
  }
  plan.unchanged = kept.length;
  return plan;
}

/** Our rules by marker project (rules without our marker dropped). */
export function groupOwnedRules(rules: readonly ObservedRule[]): Map<string, ObservedRule[]> {
  const out = new Map<string, ObservedRule[]>();
  for (const r of rules) {
    const m = parseMarker(r.description);
    if (!m) continue;
    const list = out.get(m.project) ?? [];
    list.push(r);
    out.set(m.project, list);
  }
  return out;
}

/** Counts for logs and status events; `unchanged` defaults to the plan's own count. */
export function summarizePlan(plan: Plan, unchanged: number = plan.unchanged ?? 0): PlanSummary {
  return { create: plan.create.length, update: plan.update.length, delete: plan.delete.length, unchanged };
}

/**
 * The generation a replay of a live manifest must name as superseded (EgressChangeData.supersedes) to be applied,
 * or undefined when none is needed or none is safe. `owned` must be read BEFORE the bucket was listed (so a tombstone
 * seen was written after its object was gone), `live` is every live manifest object of the project.
 *
 * - The firewall records a newer generation that belongs to no live object of the project (a deleted sibling
 *   spelling, `p.yaml` gone while `p.yml` lives): the live manifest is the truth, supersede it.
 * - A tombstone at or above the live generation (a revocation recorded at a live generation: a wrong prefix, or a
 *   mass revocation by hand): only with `restore` (`egress replay --restore`, docs/operations.md).
 */
export function supersededGeneration(
  owned: readonly ObservedRule[],
  manifest: { generation: string },
  live: readonly { generation: string }[],
  opts: { restore?: boolean } = {},
): string | undefined {
  const deleted = deletedGeneration(owned);
  if (deleted !== null && compareGenerations(manifest.generation, deleted) <= 0)
    return opts.restore ? deleted : undefined;
  const applied = appliedGeneration(owned);
  if (applied === null || compareGenerations(applied, manifest.generation) <= 0) return undefined;
  return live.some((o) => o.generation === applied) ? undefined : applied;
}
