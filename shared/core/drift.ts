/**
 * Drift: the live owned rules against the bucket's manifests. Pure: the caller lists and validates the manifests and
 * reads the policy once; this compiles and plans each project exactly as the applier would (content only, no
 * generation stamping), and classifies every difference:
 *
 * - `missing`: a rule the manifest compiles to does not exist;
 * - `changed`: it exists with other content (ranges, FQDNs, targets, logging, description…), including source ranges
 *   that are out of date (target mode `subnets`: a subnet of the project was added, resized or removed);
 * - `extra`: an owned rule the manifest does not compile to, including every owned rule of a project without manifest;
 * - `foreign-marker`: a rule that carries our marker but that we would never have written (a name that is not one of
 *   the project's rule names, a second rule of the same name, a priority outside the band, not an EGRESS allow, or a
 *   target that is not the project's own). Those need a human: a replay fixes some, never the priority or the cause.
 *
 * Tombstones (firewall/tombstone.ts) are the expected state of a revoked project: a project without manifest whose
 * only owned rule is its tombstone is clean, and so is a manifest listing no entries with its tombstone. A tombstone
 * is `extra` only when the manifest exists again with entries (re-created at a newer generation: the replay creates
 * the rules and removes it); a missing tombstone is never reported by itself (it is bookkeeping, not egress), but a
 * repair that revokes leftover rules writes it, and the plan summary counts that write.
 *
 * A clean report (no findings) is what a scheduled check expects almost always; it must then publish and write
 * nothing.
 */
import { compareGenerations } from './events/codec';
import { CompileError, desiredRules, projectWorkloadFields } from './firewall/compiler';
import { MANAGED_BY, parseMarker } from './firewall/marker';
import { ruleName as nameOf, type RuleKind, tombstoneRuleName } from './firewall/naming';
import { appliedGeneration, isEmptyPlan, planProject, summarizePlan } from './firewall/plan';
import { deletedGeneration, isTombstone, tombstoneRule } from './firewall/tombstone';
import type { DesiredRule, ObservedRule, PlanSummary } from './firewall/types';
import type { Workloads } from './firewall/workloads';
import { workloadKind } from './firewall/writePlan';
import type { EgressEntry, ProjectMeta } from './manifest/types';
import type { PlatformPolicy } from './policy/types';

/** A valid manifest of the bucket, at its live generation. */
export interface DriftManifest {
  project: ProjectMeta;
  entries: EgressEntry[];
  object: string;
  generation: string;
}

/** Input of {@link detectDrift}. */
export interface DriftInput {
  manifests: DriftManifest[];
  /** Project keys whose live manifest is invalid: their rules are left out (the pipeline keeps the last valid state). */
  uncheckedProjects?: string[];
  /** Every rule of the policy (one `get`). */
  rules: ObservedRule[];
  policy: PlatformPolicy;
  hostProject?: string;
  /** Each manifest project's workloads as read now (subnets, tag values): required by those target modes. */
  workloads?: ReadonlyMap<string, Workloads>;
}

/** Kinds of difference. */
/** `misplaced`: an owned rule in another policy of the placement than its project's (placementDrift.ts). */
export type DriftKind = 'missing' | 'changed' | 'extra' | 'foreign-marker' | 'misplaced';

/** One difference. */
export interface DriftFinding {
  kind: DriftKind;
  ruleName: string;
  /** Absent for `missing`. */
  priority?: number;
  /** What differs, in words (`destFqdns +evil.example.com`, `priority 10 outside the band 1000-2000000000`). */
  detail: string;
}

/** How `--repair` handles a drifted project. */
export type DriftRepair =
  /** Publish a replay event of the live manifest (the applier re-plans and writes the difference). */
  | 'replay'
  /** No manifest: publish a `delete` event at the marker's generation (the applier revokes the owned rules). */
  | 'delete'
  /** Nothing a replay can fix (e.g. a marked rule outside the band): a human must remove it. */
  | 'manual';

/** The drift of one project. */
export interface ProjectDrift {
  project: string;
  /** The manifest object and its live generation, when there is one. */
  object?: string;
  generation?: string;
  /** Newest generation recorded by the project's owned rules. */
  appliedGeneration?: string;
  findings: DriftFinding[];
  /** What a replay (or delete) would write, as the applier would plan it. */
  plan: PlanSummary;
  repair: DriftRepair;
}

/** The whole report. */
export interface DriftReport {
  clean: boolean;
  /** Projects compared (manifests plus projects found only in the firewall). */
  checked: number;
  drifted: ProjectDrift[];
  /** Projects that could not be compiled (e.g. a wildcard the policy no longer expands). */
  errors: { project: string; message: string }[];
  /** Projects skipped because their live manifest is invalid. */
  unchecked: string[];
}

const KIND_RE = /-(fqdn6|fqdn|v4|v6)-([1-9]\d*)$/;

/** Why a marked rule is one we would never have written; null when it could be ours. */
export function foreignReason(
  rule: ObservedRule,
  project: string,
  policy: PlatformPolicy,
  hostProject: string | undefined,
  workloads?: Workloads,
): string | null {
  const { priorityMin, priorityMax } = policy.firewall;
  if (rule.priority < priorityMin || rule.priority > priorityMax)
    return `priority ${rule.priority} outside the band ${priorityMin}-${priorityMax}`;
  // A tombstone is a disabled deny without targets by design; a change of its content is `changed`, not foreign.
  if (isTombstone(rule))
    return rule.ruleName === tombstoneRuleName(project)
      ? null
      : `name ${rule.ruleName || '(none)'} is not the tombstone name of project ${project}`;
  if (rule.direction !== 'EGRESS' || rule.action !== 'allow')
    return `${rule.direction} ${rule.action} rule (this product writes EGRESS allow rules only)`;
  const m = KIND_RE.exec(rule.ruleName ?? '');
  if (!m || nameOf(project, m[1] as RuleKind, Number(m[2])) !== rule.ruleName)
    return `name ${rule.ruleName || '(none)'} is not a rule name of project ${project}`;
  // Targets of the mode's kind must be the project's own; source ranges are content (`changed` when out of date),
  // and a rule of another mode's kind is the replacement a mode switch plans, not foreign.
  try {
    const fields = projectWorkloadFields(project, {
      policy,
      generation: '0',
      ...(hostProject ? { hostProject } : {}),
      ...(workloads ? { workloads } : {}),
    });
    const want = fields[0]?.fields;
    const kind = workloadKind(rule);
    if (want && (kind === 'accounts' || kind === 'tags') && policy.firewall.target.mode !== 'subnets') {
      const got = JSON.stringify([rule.targetServiceAccounts ?? [], (rule.targetSecureTags ?? []).map((t) => t.name)]);
      const exp = JSON.stringify([want.targetServiceAccounts ?? [], (want.targetSecureTags ?? []).map((t) => t.name)]);
      if (got !== exp && kind === (want.targetServiceAccounts ? 'accounts' : 'tags'))
        return `targets ${got} are not the project's own ${exp}`;
    }
  } catch {
    // Workloads not resolvable here (no host project, no subnets read): skip this check rather than guess.
  }
  return null;
}

function listDiff(
  label: string,
  before: readonly string[] | undefined,
  after: readonly string[] | undefined,
): string[] {
  const a = new Set(before ?? []);
  const b = new Set(after ?? []);
  const added = [...b].filter((x) => !a.has(x)).sort();
  const removed = [...a].filter((x) => !b.has(x)).sort();
  const out: string[] = [];
  if (added.length) out.push(`${label} +${added.join(' +')}`);
  if (removed.length) out.push(`${label} -${removed.join(' -')}`);
  return out;
}

/** What differs between an observed rule and the desired one, in words (the firewall's side is "after": `+x` is extra). */
export function describeChange(observed: ObservedRule, desired: DesiredRule): string {
  const want = new Set(desired.match.srcIpRanges ?? []);
  const have = new Set(observed.match.srcIpRanges ?? []);
  const lacks = [...want].filter((x) => !have.has(x)).sort();
  const stale = [...have].filter((x) => !want.has(x)).sort();
  const src = [
    ...(lacks.length ? [`missing ${lacks.join(', ')}`] : []),
    ...(stale.length ? [`no longer the project's ${stale.join(', ')}`] : []),
  ];
  const parts = [
    // Target mode subnets: the sources follow the project's subnets; a difference means they are out of date.
    ...(src.length
      ? [`sources out of date (${src.join('; ')})${desired.coverage ? `; now ${desired.coverage}` : ''}`]
      : []),
    ...listDiff('destFqdns', desired.match.destFqdns, observed.match.destFqdns),
    ...listDiff('destIpRanges', desired.match.destIpRanges, observed.match.destIpRanges),
    ...listDiff('targetServiceAccounts', desired.targetServiceAccounts, observed.targetServiceAccounts),
    ...listDiff(
      'targetSecureTags',
      desired.targetSecureTags?.map((t) => t.name),
      observed.targetSecureTags?.map((t) => t.name),
    ),
  ];
  if (!!observed.disabled !== !!desired.disabled) parts.push(`disabled ${!!observed.disabled}`);
  if (!!observed.enableLogging !== !!desired.enableLogging) parts.push(`enableLogging ${!!observed.enableLogging}`);
  if (observed.action !== desired.action) parts.push(`action ${observed.action}`);
  const l4 = (r: DesiredRule) => JSON.stringify(r.match.layer4Configs ?? []);
  if (l4(observed) !== l4(desired)) parts.push(`layer4Configs ${l4(observed)}`);
  const human = (d: string) => d.split(' | ').slice(1).join(' | ');
  if (parts.length === 0 && human(observed.description) !== human(desired.description)) parts.push('description');
  return parts.length ? parts.join(', ') : 'content differs';
}

/** Why an owned rule is `extra`, in words. */
function extraDetail(
  r: ObservedRule,
  project: string,
  manifest: DriftManifest | undefined,
  shadowed: string | undefined,
): string {
  if (!manifest) return `project ${project} has no manifest`;
  if (!isTombstone(r)) return 'not in what the manifest compiles to';
  const at = parseMarker(r.description)?.generation ?? '?';
  if (shadowed)
    return (
      `tombstone: ${project} was revoked at generation ${at}, and the live manifest (generation ${manifest.generation}) ` +
      'is not newer, so the applier skips a plain replay; if that revocation was wrong, `egress replay --restore --project ' +
      `${project}\` restores the rules (docs/operations.md, "Undo a mass revocation")`
    );
  return `tombstone of the revocation at generation ${at}: the manifest exists again (generation ${manifest.generation}); a replay creates the rules and removes it`;
}

/** Compares every project's owned rules with its manifest. */
export function detectDrift(input: DriftInput): DriftReport {
  const { policy } = input;
  const unchecked = new Set(input.uncheckedProjects ?? []);
  const byProject = new Map<string, ObservedRule[]>();
  for (const r of input.rules) {
    const m = parseMarker(r.description);
    if (!m || m.managedBy !== MANAGED_BY) continue;
    const list = byProject.get(m.project) ?? [];
    list.push(r);
    byProject.set(m.project, list);
  }
  const manifests = new Map(input.manifests.map((m) => [m.project.name, m]));
  const projects = [...new Set([...manifests.keys(), ...byProject.keys()])].filter((p) => !unchecked.has(p)).sort();
  const report: DriftReport = {
    clean: true,
    checked: projects.length,
    drifted: [],
    errors: [],
    unchecked: [...unchecked].sort(),
  };

  for (const project of projects) {
    const owned = (byProject.get(project) ?? []).sort((a, b) => a.priority - b.priority);
    const manifest = manifests.get(project);
    const applied = appliedGeneration(owned);
    const deleted = deletedGeneration(owned);
    // No manifest: the expected state is the tombstone alone, recording the revocation (or the newest generation).
    let desired: DesiredRule[] = owned.length ? [tombstoneRule(project, deleted ?? applied ?? '0')] : [];
    if (manifest) {
      try {
        // As the applier desires it: a manifest listing no entries is a revocation too (its tombstone).
        const workloads = input.workloads?.get(project);
        desired = desiredRules(manifest.project, manifest.entries, {
          policy,
          generation: manifest.generation,
          ...(input.hostProject ? { hostProject: input.hostProject } : {}),
          ...(workloads ? { workloads } : {}),
        });
      } catch (err) {
        if (!(err instanceof CompileError)) throw err;
        report.errors.push({ project, message: err.message });
        continue;
      }
    }
    // A live manifest no newer than the revocation: the applier skips its replay (a delete at N beats an upsert at N).
    const shadowed =
      manifest && deleted !== null && compareGenerations(manifest.generation, deleted) <= 0 ? deleted : undefined;
    const plan = planProject(owned, desired, { project });
    const findings: DriftFinding[] = [];
    const foreign = new Set<ObservedRule>();
    const seenNames = new Set<string>();
    for (const r of owned) {
      let why = foreignReason(r, project, policy, input.hostProject, input.workloads?.get(project));
      if (!why && seenNames.has(r.ruleName)) why = `a second rule named ${r.ruleName}`;
      seenNames.add(r.ruleName);
      if (why) {
        foreign.add(r);
        const fate = plan.delete.includes(r)
          ? 'a repair deletes it'
          : plan.update.some((u) => u.old === r)
            ? 'a repair rewrites it'
            : 'remove it by hand';
        findings.push({
          kind: 'foreign-marker',
          ruleName: r.ruleName,
          priority: r.priority,
          detail: `${why}; ${fate}`,
        });
      }
    }
    for (const d of plan.create) {
      if (isTombstone(d)) continue;
      findings.push({
        kind: 'missing',
        ruleName: d.ruleName,
        detail: `${[...(d.match.destFqdns ?? []), ...(d.match.destIpRanges ?? [])].slice(0, 5).join(', ')}${
          (d.match.destFqdns ?? []).length + (d.match.destIpRanges ?? []).length > 5 ? ', …' : ''
        }`,
      });
    }
    for (const u of plan.update)
      if (!foreign.has(u.old))
        findings.push({
          kind: 'changed',
          ruleName: u.new.ruleName,
          priority: u.old.priority,
          detail: describeChange(u.old, u.new),
        });
    for (const r of plan.delete)
      if (!foreign.has(r))
        findings.push({
          kind: 'extra',
          ruleName: r.ruleName,
          priority: r.priority,
          detail: extraDetail(r, project, manifest, shadowed),
        });
    if (findings.length === 0) continue;
    report.clean = false;
    report.drifted.push({
      project,
      ...(manifest ? { object: manifest.object, generation: manifest.generation } : {}),
      ...(applied ? { appliedGeneration: applied } : {}),
      findings,
      plan: summarizePlan(plan),
      repair: isEmptyPlan(plan) || shadowed ? 'manual' : manifest ? 'replay' : 'delete',
    });
  }
  if (report.errors.length) report.clean = false;
  return report;
}

/** One-line-per-finding text for terminals and logs. */
export function renderDriftText(r: DriftReport): string {
  const out: string[] = [];
  for (const p of r.drifted) {
    out.push(
      `${p.project}: ${p.findings.length} difference(s), repair: ${p.repair}${p.object ? ` (${p.object}#${p.generation})` : ' (no manifest)'}`,
    );
    for (const f of p.findings)
      out.push(
        `  ${f.kind.padEnd(14)} ${f.ruleName || '(unnamed)'}${f.priority !== undefined ? `@${f.priority}` : ''}: ${f.detail}`,
      );
  }
  for (const e of r.errors) out.push(`${e.project}: error: ${e.message}`);
  for (const u of r.unchecked) out.push(`${u}: not checked (its manifest in the bucket is invalid)`);
  const counts = { missing: 0, changed: 0, extra: 0, 'foreign-marker': 0, misplaced: 0 } as Record<DriftKind, number>;
  for (const p of r.drifted) for (const f of p.findings) counts[f.kind]++;
  out.push(
    r.clean && r.unchecked.length === 0
      ? `no drift: ${r.checked} project(s) match their manifests`
      : `${r.drifted.length} of ${r.checked} project(s) drifted: ${counts.missing} missing, ${counts.changed} changed, ${counts.extra} extra, ${counts['foreign-marker']} foreign marker${counts.misplaced ? `, ${counts.misplaced} misplaced` : ''}; ${r.errors.length} error(s), ${r.unchecked.length} unchecked`,
  );
  return `${out.join('\n')}\n`;
}
