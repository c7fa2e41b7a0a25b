/**
 * Drift: the live owned rules against the bucket's manifests, a thin fleet loop over the one agreement
 * (core/agreement: desired = compile(manifest, sources), compared by content and placement). A project drifted is one
 * with findings:
 *
 * - `missing`: a rule the manifest compiles to does not exist;
 * - `changed`: it exists with other content (ranges, FQDNs, sources, targets, logging, description…), including source
 *   ranges that are out of date (target mode `subnets`: a subnet of the project was added, resized or removed);
 * - `extra`: an owned rule the manifest does not compile to, including every owned rule of a project without manifest;
 * - `foreign-marker`: a rule that carries our marker but that we would never have written (a name that is not one of
 *   the project's rule names, a second rule of the same name, a priority outside the band, not an EGRESS allow, or a
 *   target that is not the project's own). Those need a human: a replay fixes some, never the priority or the cause;
 * - `misplaced`: an owned rule in another policy of the placement than its project's (placementDrift.ts).
 *
 * Tombstones (firewall/tombstone.ts) are the expected state of a revoked project: a project without manifest whose
 * only owned rule is its tombstone is clean, and so is a manifest listing no entries with its tombstone. A project
 * whose sources cannot be resolved (no subnet) or whose manifest cannot be compiled is an error of the report; one
 * whose live manifest is invalid is unchecked. `agreements` holds every checked project's agreement status, the value
 * `egress status` reports.
 *
 * A clean report (no findings) is what a scheduled check expects almost always; it must then publish and write
 * nothing.
 */
import {
  type AgreementManifest,
  type AgreementStatus,
  agreeFleet,
  type DriftFinding,
  type DriftKind,
  type DriftRepair,
  type ProjectAgreement,
  type SourcesError,
} from './agreement';
import type { ObservedRule, PlanSummary } from './firewall/types';
import type { Workloads } from './firewall/workloads';
import type { PlacedRules } from './placementDrift';
import type { PlatformPolicy } from './policy/types';

export { type DriftFinding, type DriftKind, type DriftRepair, describeChange, foreignReason } from './agreement';

/** A valid manifest of the bucket, at its live generation. */
export type DriftManifest = AgreementManifest & { generation: string };

/** Input of {@link detectDrift}. */
export interface DriftInput {
  manifests: DriftManifest[];
  /** Project keys whose live manifest is invalid: their rules are left out (the pipeline keeps the last valid state). */
  uncheckedProjects?: string[];
  /** Every rule of the policy (one `get`), when there is one policy. */
  rules?: ObservedRule[];
  /** Every policy of the placement as read (the global one first): misplaced rules are found across them. */
  placed?: PlacedRules[];
  policy: PlatformPolicy;
  hostProject?: string;
  /** Each manifest project's workloads as read now (subnets, tag values): required by those target modes. */
  workloads?: ReadonlyMap<string, Workloads>;
  /** Projects whose workloads could not be resolved (no subnet, a missing tag value). */
  sourcesErrors?: ReadonlyMap<string, SourcesError>;
}

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
  /** Projects that could not be compiled (no sources, a wildcard the policy no longer expands). */
  errors: { project: string; message: string }[];
  /** Projects skipped because their live manifest is invalid. */
  unchecked: string[];
  /** Every project's agreement (the value `egress status` reports), with its words and its warnings. */
  agreements: { project: string; status: AgreementStatus; detail: string; warnings?: string[] }[];
}

/** The report of agreements already computed (the fleet, or one project of it). */
export function driftReportOf(all: readonly ProjectAgreement[]): DriftReport {
  const report: DriftReport = { clean: true, checked: 0, drifted: [], errors: [], unchecked: [], agreements: [] };
  for (const a of all) {
    report.agreements.push({
      project: a.project,
      status: a.status,
      detail: a.detail,
      ...(a.warnings.length ? { warnings: a.warnings } : {}),
    });
    if (a.invalid) {
      report.unchecked.push(a.project);
      continue;
    }
    report.checked++;
    if (a.error !== undefined) report.errors.push({ project: a.project, message: a.error });
    if (!a.findings.length) continue;
    report.drifted.push({
      project: a.project,
      ...(a.object ? { object: a.object } : {}),
      ...(a.manifestGeneration && a.object ? { generation: a.manifestGeneration } : {}),
      ...(a.appliedGeneration ? { appliedGeneration: a.appliedGeneration } : {}),
      findings: a.findings,
      plan: a.plan,
      repair: a.repair,
    });
  }
  report.clean = report.drifted.length === 0 && report.errors.length === 0;
  return report;
}

/** Compares every project's owned rules with its manifest (core/agreement), as a report. */
export function detectDrift(input: DriftInput): DriftReport {
  const unchecked = new Set(input.uncheckedProjects ?? []);
  return driftReportOf(
    agreeFleet({
      manifests: input.manifests.filter((m) => !unchecked.has(m.project.name)),
      invalid: [...unchecked].map((project) => ({ project, object: project })),
      placed: input.placed ?? [{ ref: { name: '' }, rules: input.rules ?? [] }],
      policy: input.policy,
      ...(input.hostProject ? { hostProject: input.hostProject } : {}),
      ...(input.workloads ? { workloads: input.workloads } : {}),
      ...(input.sourcesErrors ? { sourcesErrors: input.sourcesErrors } : {}),
    }),
  );
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
