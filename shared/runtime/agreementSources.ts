/**
 * The compositions of the one agreement's readers (core/agreement): `egress status` and `egress drift` / MCP
 * `check_drift`, over the same sources as explain (runtime/sources.ts): the manifest folder or the bucket, the state
 * file or the live policies, the target mode's reads from the same source as the rules.
 */
import { readManifestDir } from '../adapters/manifestDir';
import { noSuchProject } from '../core/agreement';
import { isManifestObject, projectKeyOf } from '../core/bucket/layout';
import { singlePolicy } from '../ports/firewall';
import type { Logger } from '../ports/logger';
import { policyPath } from '../usecases/capacity';
import { type DriftRun, runDrift } from '../usecases/drift';
import type { ManifestSourceSpec } from '../usecases/explain';
import { Pacer } from '../usecases/pacer';
import { type ProjectStatus, projectStatus } from '../usecases/status';
import {
  CliConfigError,
  liveFleet,
  pullerFor,
  resolveFirewallTarget,
  resolveWriteQuota,
  stateFileRules,
  workloadDeps,
} from './cliClients';
import type { CommandContext } from './context';
import { firewallSource, folderAsStore, projectSources, stateFilePolicySet, stateFilePort } from './sources';

/** Every project key the manifest source knows (the did-you-mean of an unknown project). */
async function knownKeys(source: ManifestSourceSpec): Promise<string[]> {
  if (source.kind === 'dir') {
    return readManifestDir(source.dir).map((f) => projectKeyOf(f.path));
  }
  const listed = await source.store.list(source.prefix);
  return listed.filter((o) => isManifestObject(o.name, source.prefix)).map((o) => projectKeyOf(o.name));
}

/** `egress status` composed: the same sources and the same agreement as explain (the firewall is required). */
export async function statusFor(project: string, ctx: CommandContext): Promise<ProjectStatus> {
  const { flags, policy, source } = projectSources(project, ctx);
  const { cfg } = ctx;
  // The firewall is required: the live policies unless a state file is named.
  const fw = flags.state || flags.live ? ctx.firewall() : firewallSource({ ...flags, live: true }, policy, cfg);
  const subscription = ctx.setting('statusSubscription');
  const puller = subscription ? pullerFor(subscription, flags, cfg) : undefined;
  try {
    const read = await fw.read!();
    return await projectStatus({
      project,
      policy,
      source,
      firewall: read,
      workloads: workloadDeps(flags, policy, cfg, flags.state),
      knownProjects: () => knownKeys(source),
      ...(fw.hostProject ? { hostProject: fw.hostProject } : {}),
      ...(puller && subscription ? { status: { subscription, puller } } : {}),
    });
  } finally {
    await Promise.all([fw.close(), puller?.close()]);
  }
}

/** What `egress drift` asks beyond the sources: a repair, status events, and how they are paced and logged. */
export interface DriftRequest {
  repair?: boolean;
  reportStatus?: boolean;
  allowRevocations?: number;
  logger?: Logger;
  /** The command reads the live policy when neither --state nor --live is given; MCP check_drift needs one. */
  defaultLive?: boolean;
}

/**
 * `egress drift` and MCP `check_drift` composed, once: the bucket or a folder, the live policies or a state file, the
 * target mode's reads from the same source as the rules, the same capacity label and watched prefix, so the tool
 * answers exactly what `egress drift --format json` answers. With `project`, the run narrowed to it (an unknown key is
 * NoSuchProjectError).
 */
export async function driftFor(
  ctx: CommandContext,
  project?: string,
  req: DriftRequest = {},
): Promise<DriftRun & { project?: string }> {
  const { flags: read, policy, source } = projectSources(project, ctx);
  const { cfg, clock } = ctx;
  const flags = !read.state && !read.live && req.defaultLive ? { ...read, live: true } : read;
  if (!flags.state && !flags.live)
    throw new CliConfigError('drift needs the firewall: --state FILE (the fake Compute) or --live (the live policy)');
  const live = flags.live ? liveFleet(flags, policy, cfg) : undefined;
  const fw = live ?? stateFilePort(ctx); // no live: the context's state file
  const policies =
    live?.policies ?? (!live && policy.firewall.placement === 'regional' ? stateFilePolicySet(ctx) : undefined);
  const policyName = flags.state
    ? stateFileRules(flags.state, flags, policy, cfg).policy
    : resolveFirewallTarget(flags, policy, cfg).firewallPolicy;
  // The context's publisher: built on first use, closed with the context.
  const publisher = req.repair || req.reportStatus ? ctx.publisher() : undefined;
  // Every policy of the placement (global: the one policy, named as plan and the applier name it).
  const fleetPolicies = policies ?? singlePolicy(fw.port, policyName);
  // The quotas (live, or npm start's fake) for a fleet patch's headroom check; read only if there is a patch.
  const limits = ctx.limits(fw.hostProject);
  try {
    const store = source.kind === 'bucket' ? source : { ...(await folderAsStore(source.dir)), bucket: source.dir };
    const run = await runDrift(
      {
        store: store.store,
        bucket: store.bucket,
        prefix: source.kind === 'bucket' ? source.prefix : 'manifests/',
        policies: fleetPolicies,
        ...(limits ? { limits } : {}),
        hostProject: fw.hostProject,
        policyName: policyPath(fw.hostProject, policyName),
        workloads: workloadDeps(flags, policy, cfg, flags.state),
        policy,
        clock,
        ...(cfg.changesTopic ? { changesTopic: cfg.changesTopic } : {}),
        ...(cfg.statusTopic ? { statusTopic: cfg.statusTopic } : {}),
        pacer: new Pacer({ perMinute: resolveWriteQuota(flags, cfg), clock }),
        ...(req.logger ? { logger: req.logger } : {}),
        ...(source.kind === 'bucket' ? { watchedPrefix: cfg.manifestPrefix } : {}),
        ...(publisher ? { publisher } : {}),
      },
      {
        ...(req.repair ? { repair: true } : {}),
        // The live firewall is repaired by the fleet reconcile (one patch per policy, docs/applier.md).
        ...(live ? { fleet: true } : {}),
        ...(req.reportStatus ? { reportStatus: true } : {}),
        ...(req.allowRevocations !== undefined ? { allowRevocations: req.allowRevocations } : {}),
      },
    );
    if (project === undefined) return run;
    const where = source.kind === 'dir' ? source.dir : `gs://${source.bucket}/${source.prefix}`;
    return { project, ...driftOfProject(run, project, where) };
  } finally {
    await live?.close();
  }
}

/** The run narrowed to one project: its findings, errors and forecast; clean when none of them names it. */
export function driftOfProject(run: DriftRun, project: string, where = 'the manifests'): DriftRun {
  const r = run.report;
  const agreements = r.agreements.filter((a) => a.project === project);
  if (!agreements.length)
    throw noSuchProject(
      project,
      r.agreements.map((a) => a.project),
      where,
    );
  const drifted = r.drifted.filter((p) => p.project === project);
  const errors = r.errors.filter((e) => e.project === project);
  const unchecked = r.unchecked.filter((k) => k === project);
  return {
    ...run,
    report: {
      clean: !drifted.length && !errors.length,
      checked: unchecked.length ? 0 : 1,
      drifted,
      errors,
      unchecked,
      agreements,
    },
    repairs: run.repairs.filter((x) => x.project === project),
    forecast: run.forecast.filter((x) => x.project === project),
    manual: run.manual.filter((x) => x === project),
    pendingRevocations: run.pendingRevocations.filter((x) => x === project),
  };
}
