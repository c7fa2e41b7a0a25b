/**
 * One convergence round of the local pipeline: upload a folder of manifests to the fake bucket with the same upload
 * module as `egress sync` (`syncManifests`), then wait on the status topic for the outcome of every object written or
 * deleted. Used by `npm start` (first round and every watched edit) and by the pipeline bench. Level-triggered
 * (`agreeAndRepair`): the firewall is compared with the bucket's manifests by the one agreement (core/agreement,
 * through `runDrift` as `egress drift` runs it), and the projects that disagree are repaired through the pipeline
 * (their change events re-published, as `egress drift --repair` does) before anything is called converged.
 */
import { fromApiRule } from '../../shared/adapters/compute';
import { readManifestDir } from '../../shared/adapters/manifestDir';
import { computeSubnetSource } from '../../shared/adapters/subnets';
import { AGREEING } from '../../shared/core/agreement';
import { projectKeyOf } from '../../shared/core/bucket/layout';
import { changeEventId } from '../../shared/core/events/codec';
import { policyRefPath } from '../../shared/core/policy/placement';
import { systemClock } from '../../shared/ports/clock';
import type { FirewallPolicies, FirewallPolicyPort } from '../../shared/ports/firewall';
import type { EventPublisher } from '../../shared/ports/publisher';
import { loadPolicyFile } from '../../shared/runtime/policy';
import { type DriftRepairEvent, type DriftRun, runDrift } from '../../shared/usecases/drift';
import {
  type SyncManifestsOptions,
  type SyncReport,
  syncManifests,
  toLocalManifests,
} from '../../shared/usecases/sync';
import { fakeSubnetworksClient } from '../fakes/compute/directory';
import type { Outcome } from './render';
import type { LocalStack } from './stack';

/** The result of a round: what sync did and what the pipeline concluded for each written/deleted object. */
export interface Round {
  report: SyncReport;
  outcomes: Outcome[];
}

/**
 * Waits for the final status of each outcome (a `rejected`, `applied`, `skipped` or `apply-failed` event); those
 * that get none within `timeoutMs` are left without `status`. Uploads are matched by object and generation, deletions
 * by their deterministic change id.
 */
export async function awaitOutcomes(stack: LocalStack, outcomes: Outcome[], timeoutMs: number): Promise<void> {
  await Promise.all(
    outcomes.map(async (o) => {
      const deleteId =
        o.change === 'delete'
          ? changeEventId({ bucket: stack.bucket, object: o.object, generation: o.generation }, 'delete')
          : undefined;
      try {
        o.status = await stack.waitForStatus(
          (s) =>
            deleteId
              ? s.data.changeId === deleteId
              : s.data.source?.object === o.object && s.data.source.generation === o.generation,
          timeoutMs,
        );
        o.project = o.status.data.project || o.project;
      } catch {
        // No status in time: reported as not converged by the caller, with a pointer to the logs.
      }
    }),
  );
}

/**
 * The outcomes to wait for after a sync: each upload (its new generation) and each deletion (the generation it
 * removed), named by object, project and, when `fileOf` knows it, the local file. Shared by npm start's first round
 * and the watcher (watchRound.ts).
 */
export function outcomesOf(report: SyncReport, fileOf: (object: string) => string | undefined): Outcome[] {
  const outcomes: Outcome[] = [];
  for (const item of report.items) {
    const file = fileOf(item.object);
    const base = { object: item.object, project: projectKeyOf(item.object), ...(file ? { file } : {}) };
    if ((item.action === 'create' || item.action === 'update') && item.generation)
      outcomes.push({ ...base, change: 'upload', generation: item.generation });
    else if (item.action === 'delete' && item.previousGeneration)
      outcomes.push({ ...base, change: 'delete', generation: item.previousGeneration });
  }
  return outcomes;
}

/**
 * Uploads `dir` to the stack's bucket as `egress sync --delete` would, without validation (invalid manifests on
 * purpose, so the validator shows its rejection), under the revocation guard `safety` when given (the watcher's).
 * Throws an Error naming the object when the fake bucket refused a write.
 */
export async function uploadFolder(stack: LocalStack, dir: string, safety?: SyncManifestsOptions['safety']) {
  const files = toLocalManifests(readManifestDir(dir), stack.prefix);
  const report = await syncManifests({
    store: stack.store,
    prefix: stack.prefix,
    files,
    validation: 'skip',
    deleteRemoved: true,
    ...(safety ? { safety } : {}),
  });
  if (report.error) throw new Error(`uploading ${report.error.object} failed: ${report.error.message}`);
  return { files, report };
}

/**
 * Syncs `dir` to the stack's bucket (invalid manifests uploaded on purpose, so the validator shows its rejection;
 * removed files deleted) and waits for the outcomes. Throws ManifestDirError or SyncInputError for an unusable folder, and an Error
 * naming the object when the fake bucket refused a write.
 */
export async function syncAndWait(stack: LocalStack, dir: string, timeoutMs: number): Promise<Round> {
  const { files, report } = await uploadFolder(stack, dir);
  const fileOf = new Map(files.map((f) => [f.objectName, f.path]));
  const outcomes = outcomesOf(report, (object) => fileOf.get(object));
  await awaitOutcomes(stack, outcomes, timeoutMs);
  return { report, outcomes };
}

/** The fleet's agreement on the stack (the fake's policies, its subnets, the bucket); `repair` publishes repairs. */
export async function fleetAgreement(stack: LocalStack, repair = false): Promise<DriftRun> {
  const port = (ref: { name: string; region?: string }): FirewallPolicyPort => {
    const refuse = async (): Promise<never> => {
      throw new Error('the agreement check reads only; repairs go through the pipeline');
    };
    return {
      getPolicy: async () => ({ rules: stack.engine.rules(stack.hostProject, ref.name, ref.region).map(fromApiRule) }),
      patchPolicy: refuse,
    };
  };
  const policies: FirewallPolicies = { list: () => stack.policies, forPolicy: port };
  const publisher: EventPublisher = {
    publish: async (topic, m) =>
      (
        await stack.pubsub.publishRaw(topic, [
          { data: m.data, attributes: m.attributes, ...(m.orderingKey ? { orderingKey: m.orderingKey } : {}) },
        ])
      )[0]!,
  };
  return runDrift(
    {
      store: stack.store,
      bucket: stack.bucket,
      prefix: stack.prefix,
      policies,
      policy: loadPolicyFile(stack.env.EGRESS_POLICY_FILE ?? ''),
      clock: systemClock,
      hostProject: stack.hostProject,
      policyName: policyRefPath(stack.hostProject, stack.policies[0]!),
      workloads: { subnets: computeSubnetSource(stack.hostProject, fakeSubnetworksClient(stack.engine.directory)) },
      publisher,
      changesTopic: stack.topics.changes,
      watchedPrefix: stack.prefix,
    },
    { repair },
  );
}

/** The projects whose rules do not agree with their manifest, as `P: STATUS: detail` lines. */
export function disagreements(run: DriftRun): string[] {
  const failed = new Set(run.report.errors.map((e) => e.project));
  const lines = run.report.agreements
    .filter((a) => !AGREEING.includes(a.status) || failed.has(a.project))
    .map((a) => `${a.project}: ${a.status.toUpperCase()}: ${a.detail}`);
  if (run.refused) lines.push(`repair refused: ${run.refused.message}`);
  return lines;
}

/**
 * Compares the firewall with the bucket's manifests (the one agreement) and repairs the projects that disagree
 * through the pipeline: their change events are re-published and their outcomes awaited, then the fleet is compared
 * again. `run` is the agreement after the repair (or the first one when nothing needed it).
 */
export async function agreeAndRepair(
  stack: LocalStack,
  timeoutMs: number,
): Promise<{ run: DriftRun; repaired: DriftRepairEvent[] }> {
  const first = await fleetAgreement(stack, true);
  if (!first.repairs.length) return { run: first, repaired: [] };
  await Promise.all(
    first.repairs.map((r) =>
      stack.waitForStatus((s) => s.data.changeId === r.eventId, timeoutMs).catch(() => undefined),
    ),
  );
  return { run: await fleetAgreement(stack), repaired: first.repairs };
}
