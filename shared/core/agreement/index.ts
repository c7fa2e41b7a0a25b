/**
 * The one agreement, by content (types.ts says what each status means). Desired rules = compile(manifest, the
 * project's sources as the target mode reads them); agreement = the live owned rules compared with them as the applier
 * plans (firewall/plan.ts: destinations, sources, targets, action, logging, description text), plus their placement
 * (placementDrift.ts: which policy). The marker's hash is never compared; its generations say only whether a
 * difference is an apply on its way (`pending`) and keep the tombstone semantics (`revoked`). Pure.
 */
import { compareGenerations, desiredHash } from '../events/codec';
import { CompileError, desiredRules } from '../firewall/compiler';
import { parseMarker } from '../firewall/marker';
import { appliedGeneration, groupOwnedRules, isEmptyPlan, planProject, summarizePlan } from '../firewall/plan';
import { deletedGeneration, isTombstone, tombstoneRule } from '../firewall/tombstone';
import type { DesiredRule, ObservedRule } from '../firewall/types';
import type { Workloads } from '../firewall/workloads';
import { type PlacedRules, placeForDrift } from '../placementDrift';
import type { PlatformPolicy } from '../policy/types';
import { describeChange, extraDetail, foreignReason } from './compare';
import type { AgreementManifest, AgreementStatus, DriftFinding, ProjectAgreement } from './types';
import { unappliable } from './unappliable';

export { describeChange, foreignReason } from './compare';
export * from './types';
export { unappliable } from './unappliable';
export { didYouMean, NoSuchProjectError, noSuchProject } from './unknown';

/** Why a project's sources could not be resolved (usecases/workloads.ts: a WorkloadError's message and reason). */
export interface SourcesError {
  message: string;
  reason: string;
}

/** Input of {@link agreeFleet}. */
export interface FleetInput {
  /** The valid manifests. */
  manifests: readonly AgreementManifest[];
  /** Projects whose manifest is invalid (the pipeline keeps the last valid state): not compared. */
  invalid?: readonly { project: string; object: string; generation?: string }[];
  /** Every policy of the placement as read (the global one first); one entry under global placement. */
  placed: readonly PlacedRules[];
  policy: PlatformPolicy;
  hostProject?: string;
  /** Each manifest project's sources as read now (target modes subnets, secureTags; serviceAccounts fills them). */
  workloads?: ReadonlyMap<string, Workloads>;
  /** Projects whose sources could not be resolved (no subnet, a missing tag value). */
  sourcesErrors?: ReadonlyMap<string, SourcesError>;
  /** Only these projects (status, explain: one); every project otherwise. */
  projects?: readonly string[];
}

const count = (fs: readonly DriftFinding[]) => {
  const n = new Map<string, number>();
  for (const f of fs) n.set(f.kind, (n.get(f.kind) ?? 0) + 1);
  return [...n.entries()].map(([k, v]) => `${v} ${k}`).join(', ');
};

/** The findings of one project: marked rules we would never write, then what the plan creates, updates, deletes. */
function findingsOf(
  project: string,
  owned: readonly ObservedRule[],
  plan: ReturnType<typeof planProject>,
  ctx: { policy: PlatformPolicy; hostProject?: string; workloads?: Workloads; manifest?: AgreementManifest },
  shadowed: string | undefined,
): DriftFinding[] {
  const findings: DriftFinding[] = [];
  const foreign = new Set<ObservedRule>();
  const seen = new Set<string>();
  for (const r of owned) {
    let why = foreignReason(r, project, ctx.policy, ctx.hostProject, ctx.workloads);
    if (!why && seen.has(r.ruleName)) why = `a second rule named ${r.ruleName}`;
    seen.add(r.ruleName);
    if (!why) continue;
    foreign.add(r);
    const fate = plan.delete.includes(r)
      ? 'a repair deletes it'
      : plan.update.some((u) => u.old === r)
        ? 'a repair rewrites it'
        : 'remove it by hand';
    findings.push({ kind: 'foreign-marker', ruleName: r.ruleName, priority: r.priority, detail: `${why}; ${fate}` });
  }
  for (const d of plan.create) {
    if (isTombstone(d)) continue; // bookkeeping, not egress: a missing tombstone is never a finding by itself
    const values = [...(d.match.destFqdns ?? []), ...(d.match.destIpRanges ?? [])];
    findings.push({
      kind: 'missing',
      ruleName: d.ruleName,
      detail: `${values.slice(0, 5).join(', ')}${values.length > 5 ? ', …' : ''}`,
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
        detail: extraDetail(r, project, ctx.manifest, shadowed),
      });
  return findings;
}

/** The status and its words, from the comparison's facts. */
function statusOf(f: {
  project: string;
  manifest?: AgreementManifest;
  owned: readonly ObservedRule[];
  findings: readonly DriftFinding[];
  live?: string;
  revoked?: string;
  shadowed?: string;
  /** The live rules were written for the manifest's very entries (their marker says so): no apply can be on its way. */
  applied?: boolean;
}): { status: AgreementStatus; detail: string } {
  const liveCount = f.owned.filter((r) => !isTombstone(r)).length;
  const m = f.manifest;
  if (!m) {
    if (!f.owned.length && !f.findings.length)
      return { status: 'unknown', detail: `no manifest and no owned rules for ${f.project}` };
    if (liveCount)
      return {
        status: 'revoke-pending',
        detail: `no manifest for ${f.project}, but ${liveCount} owned rule(s) remain: the revoke is pending or failed (see \`egress drift\`)`,
      };
    if (!f.findings.length)
      return { status: 'revoked', detail: `revoked (manifest deleted at generation ${f.revoked ?? '?'})` };
    return { status: 'drifted', detail: `${count(f.findings)}: a human must look (\`egress drift\`)` };
  }
  if (!f.findings.length) {
    if (m.entries.length) return { status: 'in-sync', detail: 'the owned rules match the manifest' };
    return f.revoked
      ? { status: 'in-sync', detail: `the manifest allows nothing; its tombstone records generation ${f.revoked}` }
      : { status: 'in-sync', detail: 'the manifest allows nothing and no rules exist' };
  }
  if (f.shadowed)
    return {
      status: 'revoked',
      detail: `revoked (manifest deleted at generation ${f.shadowed}); the manifest read (generation ${m.generation}) is not newer, so the pipeline ignores it: upload it again, or \`egress replay --restore --project ${f.project}\``,
    };
  const recorded = f.live ?? (liveCount === 0 ? f.revoked : undefined);
  if (!f.applied && m.generation && recorded && compareGenerations(recorded, m.generation) < 0)
    return {
      status: 'pending',
      detail: f.live
        ? `the rules reflect generation ${f.live}, the manifest is generation ${m.generation}: the apply is pending or failed, or a rule it wrote was changed outside the pipeline since (the firewall cannot tell these apart: check the status topic; \`egress drift --repair\` re-applies)`
        : `revoked (manifest deleted at generation ${f.revoked}); this manifest is not applied yet: the apply is pending or failed (check the status topic)`,
    };
  const where = m.generation ? '' : ` (the manifest read is ${m.object}: a local copy may not be merged yet)`;
  return {
    status: 'drifted',
    detail: f.owned.length
      ? `the owned rules differ from what the manifest compiles to (${count(f.findings)})${where}: changed outside the pipeline, or an apply failed (\`egress drift --repair\`)`
      : `no owned rules, but the manifest compiles to ${f.findings.length} rule(s)${where}: never applied, or removed outside the pipeline (\`egress drift --repair\`)`,
  };
}

/**
 * True when the live owned rules were written for exactly the manifest's entries (the marker records the hash of the
 * entries it was written for): then a difference is not an apply on its way but a change made since. Only this
 * question is answered by the hash; whether the rules agree is decided by their content.
 */
function appliedFor(owned: readonly ObservedRule[], m: AgreementManifest): boolean {
  const live = owned.filter((r) => !isTombstone(r));
  const hash = desiredHash(m.project.name, m.entries);
  return live.length > 0 && live.every((r) => parseMarker(r.description)?.hash === hash);
}

const emptyPlanSummary = { create: 0, update: 0, delete: 0, unchanged: 0 };

/** One project's agreement: its owned rules (in its target policy), its misplaced ones, its manifest and sources. */
export function agreeProject(args: {
  project: string;
  manifest?: AgreementManifest;
  invalid?: { object: string; generation?: string };
  owned: readonly ObservedRule[];
  misplaced?: readonly DriftFinding[];
  policy: PlatformPolicy;
  hostProject?: string;
  workloads?: Workloads;
  sourcesError?: SourcesError;
}): ProjectAgreement {
  const { project, policy, manifest } = args;
  const owned = [...args.owned].sort((a, b) => a.priority - b.priority);
  const applied = appliedGeneration(owned);
  const revoked = deletedGeneration(owned);
  const live = appliedGeneration(owned.filter((r) => !isTombstone(r)));
  const facts = {
    project,
    ...(manifest ? { object: manifest.object } : args.invalid ? { object: args.invalid.object } : {}),
    ...((manifest?.generation ?? args.invalid?.generation)
      ? { manifestGeneration: (manifest?.generation ?? args.invalid?.generation)! }
      : {}),
    ...(applied ? { appliedGeneration: applied } : {}),
    ...(live ? { liveGeneration: live } : {}),
    ...(revoked ? { revokedGeneration: revoked } : {}),
  };
  const without = (status: AgreementStatus, detail: string, extra: Partial<ProjectAgreement> = {}) => ({
    ...facts,
    status,
    detail,
    findings: [],
    plan: emptyPlanSummary,
    repair: 'manual' as const,
    warnings: [],
    ...extra,
  });
  if (args.invalid)
    return without(
      'invalid-manifest',
      `the manifest ${args.invalid.object} is invalid, so the pipeline ignores it; the firewall keeps the last valid generation`,
      { invalid: true },
    );
  // No manifest: the expected state is the tombstone alone, recording the revocation (or the newest generation).
  let desired: DesiredRule[] = owned.length ? [tombstoneRule(project, revoked ?? applied ?? '0')] : [];
  if (manifest) {
    const noSources = (message: string) =>
      without(
        'no-sources',
        `${message}: nothing of ${project} can be allowed, and ${owned.filter((r) => !isTombstone(r)).length} owned rule(s) remain`,
        { error: message },
      );
    if (args.sourcesError && manifest.entries.length) return noSources(args.sourcesError.message);
    try {
      desired = desiredRules(manifest.project, manifest.entries, {
        policy,
        generation: manifest.generation ?? live ?? '0',
        ...(args.hostProject ? { hostProject: args.hostProject } : {}),
        ...(args.workloads ? { workloads: args.workloads } : {}),
      });
    } catch (err) {
      if (!(err instanceof CompileError)) throw err;
      if (err.reason === 'workloads-unread')
        return without('unknown', `the sources of ${project} were not read: ${err.message}`, { error: err.message });
      if (err.reason !== 'compile-failed') return noSources(err.message);
      return without('invalid-manifest', `the manifest cannot be compiled: ${err.message}`, { error: err.message });
    }
  }
  // A live manifest no newer than the revocation: the applier skips its replay (a delete at N beats an upsert at N).
  const shadowed =
    manifest?.entries.length && manifest.generation && revoked && compareGenerations(manifest.generation, revoked) <= 0
      ? revoked
      : undefined;
  const plan = planProject(owned, desired, { project });
  const ctx = {
    policy,
    ...(args.hostProject ? { hostProject: args.hostProject } : {}),
    ...(args.workloads ? { workloads: args.workloads } : {}),
    ...(manifest ? { manifest } : {}),
  };
  const misplaced = args.misplaced ?? [];
  let findings = [...findingsOf(project, owned, plan, ctx, shadowed), ...misplaced];
  // A leftover tombstone next to rules that match (an interrupted re-create) allows nothing: bookkeeping, not egress.
  const leftover = (f: DriftFinding) =>
    f.kind === 'extra' && plan.delete.some((r) => r.ruleName === f.ruleName && isTombstone(r));
  if (!shadowed && findings.every(leftover)) findings = [];
  const summary = summarizePlan(plan);
  const { status, detail } = statusOf({
    project,
    ...(manifest ? { manifest } : {}),
    owned,
    findings,
    ...(live ? { live } : {}),
    ...(revoked ? { revoked } : {}),
    ...(shadowed ? { shadowed } : {}),
    applied: !!manifest && appliedFor(owned, manifest),
  });
  return {
    ...facts,
    status,
    detail,
    findings,
    // A move (misplaced) is a create in the target policy and a delete in the old one.
    plan: misplaced.length ? { ...summary, delete: summary.delete + misplaced.length } : summary,
    repair: (isEmptyPlan(plan) && !misplaced.length) || shadowed ? 'manual' : manifest ? 'replay' : 'delete',
    warnings: manifest && args.workloads ? unappliable(manifest, args.workloads, policy) : [],
  };
}

/** Every project's agreement (manifests, invalid manifests, and projects found only in the firewall), by key. */
export function agreeFleet(input: FleetInput): ProjectAgreement[] {
  const { policy } = input;
  const base = input.placed[0];
  const placed =
    input.placed.length > 1
      ? placeForDrift(policy.firewall, input.placed, input.manifests)
      : { rules: [...(base?.rules ?? [])], misplaced: new Map<string, DriftFinding[]>() };
  const byProject = groupOwnedRules(placed.rules);
  const manifests = new Map(input.manifests.map((m) => [m.project.name, m]));
  const invalid = new Map((input.invalid ?? []).map((i) => [i.project, i]));
  const only = input.projects ? new Set(input.projects) : undefined;
  const keys = [...new Set([...manifests.keys(), ...invalid.keys(), ...byProject.keys(), ...placed.misplaced.keys()])]
    .filter((p) => !only || only.has(p))
    .sort();
  return keys.map((project) => {
    const manifest = manifests.get(project);
    const bad = invalid.get(project);
    const workloads = input.workloads?.get(project);
    const sourcesError = input.sourcesErrors?.get(project);
    return agreeProject({
      project,
      ...(manifest && !bad ? { manifest } : {}),
      ...(bad ? { invalid: bad } : {}),
      owned: byProject.get(project) ?? [],
      misplaced: placed.misplaced.get(project) ?? [],
      policy,
      ...(input.hostProject ? { hostProject: input.hostProject } : {}),
      ...(workloads ? { workloads } : {}),
      ...(sourcesError ? { sourcesError } : {}),
    });
  });
}
