/**
 * One round of `npm start`'s folder watcher (docs/local.md): sync the folder to the stack's bucket behind the same
 * blast-radius guard as `egress sync --delete` (core/safety/revocations.ts), counting only deletions that remove an
 * allow, then wait for the outcomes and say what each change was: a deletion by its local file, a rename as a rename
 * (the new file name is another project key), a deleted manifest without rules as "nothing to revoke".
 */
import { readManifestDir } from '../../shared/adapters/manifestDir';
import { isTombstone, NOTHING_TO_REVOKE } from '../../shared/core/firewall';
import { objectChecksums, type SyncReport, toLocalManifests } from '../../shared/usecases/sync';
import { awaitOutcomes, outcomesOf, uploadFolder } from './converge';
import { type Outcome, renderOutcome } from './render';
import type { LocalStack } from './stack';

/** What the watcher knows of each object it synced: the local file and the MD5 of what was uploaded. */
export type KnownFiles = Map<string, { path: string; md5: string }>;

/** The folder as the watcher last synced it (object name → file and content hash). */
export function knownFiles(dir: string, prefix: string): KnownFiles {
  return new Map(
    toLocalManifests(readManifestDir(dir), prefix).map((f) => [
      f.objectName,
      { path: f.path, md5: objectChecksums(f.content).md5Hash },
    ]),
  );
}

/** A file renamed within one round: the deletion of `from` and the upload of `to` (another project key). */
export interface Rename {
  from: Outcome;
  to: Outcome;
}

/** The result of a watched edit: refused by the guard (nothing written), or what sync did and what followed. */
export type WatchRound =
  | { refused: string }
  | { refused?: undefined; report: SyncReport; outcomes: Outcome[]; renames: Rename[] };

/** The guard's settings of the watcher: `safety.maxRevocationsPerRun` and `npm start -- --allow-revocations N`. */
export interface WatchGuard {
  max: number;
  allow?: number | undefined;
  /** The folder as shown to the user. */
  where: string;
}

/** True when `project` holds an allow in the stack's firewall (an owned rule other than a tombstone). */
export function holdsAllow(stack: Pick<LocalStack, 'rules'>, project: string): boolean {
  return stack.rules(project).some((r) => !isTombstone(r));
}

/** The `metadata.name` a manifest text declares, read loosely (for recognising a rename only). */
function declaredName(text: string): string | undefined {
  return /^\s{2,}name:\s*["']?([^"'\s#]+)/m.exec(text)?.[1];
}

/**
 * Syncs `dir` to the stack (deletions included) unless the guard refuses, waits for the outcomes, and updates
 * `known`. Throws like `syncAndWait` for an unusable folder or a refused write.
 */
export async function watchRound(
  stack: LocalStack,
  dir: string,
  known: KnownFiles,
  guard: WatchGuard,
  timeoutMs: number,
): Promise<WatchRound> {
  const { files, report } = await uploadFolder(stack, dir, {
    max: guard.max,
    allow: guard.allow,
    revoking: (keys) => keys.filter((k) => holdsAllow(stack, k)),
    local: {
      command: 'npm start (watching the folder)',
      where: guard.where,
      howToAllow: (n) =>
        `stop npm start and start it again with \`npm start -- --allow-revocations ${n}\`` +
        ` (or delete at most ${guard.max} at a time)`,
    },
  });
  if (report.refused) return { refused: report.refused.message };
  const byObject = new Map(files.map((f) => [f.objectName, f]));
  const outcomes = outcomesOf(report, (object) => byObject.get(object)?.path ?? known.get(object)?.path);
  // A rename: a file created in the round whose content is a deleted file's, or that declares the deleted key.
  const renames: Rename[] = [];
  for (const from of outcomes.filter((o) => o.change === 'delete')) {
    const was = known.get(from.object);
    const to = outcomes.find((o) => {
      // Another key only: `p.yaml` -> `p.yml` is the same project under another spelling (the validator's business).
      const f =
        o.change === 'upload' && !known.has(o.object) && o.project !== from.project
          ? byObject.get(o.object)
          : undefined;
      if (!f || renames.some((r) => r.to === o)) return false;
      return (
        objectChecksums(f.content).md5Hash === was?.md5 || declaredName(f.content.toString('utf8')) === from.project
      );
    });
    if (to) renames.push({ from, to });
  }
  await awaitOutcomes(stack, outcomes, timeoutMs);
  known.clear();
  for (const f of files) known.set(f.objectName, { path: f.path, md5: objectChecksums(f.content).md5Hash });
  return { report, outcomes, renames };
}

/**
 * A deletion that revoked nothing: the project had no allow rule (it allowed no egress), or no rule at all (its
 * manifest never had rules: no tombstone is written, applyChange's live-generation check stands in for it).
 */
function nothingRevoked(o: Outcome): string | undefined {
  const s = o.status?.data;
  if (o.change !== 'delete' || !s) return undefined;
  if (s.outcome === 'applied' && (s.plan?.delete ?? 0) === 0) return `${o.project} had no allow rule`;
  if (s.outcome === 'skipped' && s.reason?.startsWith(NOTHING_TO_REVOKE))
    return `${o.project} never had rules; no tombstone written`;
  return undefined;
}

/** The rules-table note of a deletion: rules revoked, or nothing to revoke; undefined for anything else. */
export function deletionNote(o: Outcome): string | undefined {
  if (o.change !== 'delete' || !o.status) return undefined;
  if (nothingRevoked(o)) return 'manifest deleted: nothing to revoke';
  return o.status.data.outcome === 'applied' ? 'manifest deleted: rules revoked' : undefined;
}

/** One outcome's line: a deletion that revoked nothing says "nothing to revoke", the rest as render.ts has it. */
function changeLine(o: Outcome): string {
  const why = nothingRevoked(o);
  return why ? `  ${o.file ?? o.object}: deleted, nothing to revoke (${why})` : renderOutcome(o);
}

/** One line per change of a round: a rename as one line (what each half did), every other change as its own line. */
export function renderChanges(outcomes: readonly Outcome[], renames: readonly Rename[] = []): string[] {
  const paired = new Set(renames.flatMap((r) => [r.from, r.to]));
  const lines: string[] = [];
  for (const { from, to } of renames) {
    const fromWhere = from.file ?? from.object;
    const toWhere = to.file ?? to.object;
    const after = changeLine(to).replace(`  ${toWhere}: `, '');
    const before = changeLine(from).replace(`  ${fromWhere}: `, '');
    lines.push(
      `  ${fromWhere} renamed to ${toWhere}: a file's name is its project key, so ${to.project} is a new project, ` +
        `not ${from.project} renamed. ${to.project} (${toWhere}): ${after}. ${from.project} (${fromWhere}): ${before}.`,
    );
  }
  for (const o of outcomes) if (!paired.has(o)) lines.push(changeLine(o));
  return lines;
}
