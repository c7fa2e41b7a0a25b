/**
 * One convergence round of the local pipeline: upload a folder of manifests to the fake bucket with the same upload
 * module as `egress sync` (`syncManifests`), then wait on the status topic for the outcome of every object written or
 * deleted. Used by `npm start` (first round and every watched edit) and by the pipeline bench.
 */
import { readManifestDir } from '../shared/adapters/manifestDir';
import { projectKeyOf } from '../shared/core/bucket/layout';
import { changeEventId } from '../shared/core/events/codec';
import { type SyncReport, syncManifests, toLocalManifests } from '../shared/usecases/sync';
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
 * Syncs `dir` to the stack's bucket (invalid manifests uploaded on purpose, so the validator shows its rejection;
 * removed files deleted) and waits for the outcomes. Throws ManifestDirError or SyncInputError for an unusable folder, and an Error
 * naming the object when the fake bucket refused a write.
 */
export async function syncAndWait(stack: LocalStack, dir: string, timeoutMs: number): Promise<Round> {
  const files = toLocalManifests(readManifestDir(dir), stack.prefix);
  const fileOf = new Map(files.map((f) => [f.objectName, f.path]));
  const report = await syncManifests({
    store: stack.store,
    prefix: stack.prefix,
    files,
    validation: 'skip',
    deleteRemoved: true,
  });
  if (report.error) throw new Error(`uploading ${report.error.object} failed: ${report.error.message}`);
  const outcomes: Outcome[] = [];
  for (const item of report.items) {
    const file = fileOf.get(item.object);
    const base = { object: item.object, project: projectKeyOf(item.object), ...(file ? { file } : {}) };
    if ((item.action === 'create' || item.action === 'update') && item.generation)
      outcomes.push({ ...base, change: 'upload', generation: item.generation });
    else if (item.action === 'delete' && item.previousGeneration)
      outcomes.push({ ...base, change: 'delete', generation: item.previousGeneration });
  }
  await awaitOutcomes(stack, outcomes, timeoutMs);
  return { report, outcomes };
}
