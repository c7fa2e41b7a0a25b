/**
 * The blast-radius guard of operator runs (`drift --repair`, `replay`, `sync --delete`): the one place that decides
 * whether a run may revoke what it is about to revoke. Pure. A run computes the projects it would revoke BEFORE it
 * publishes or deletes anything, asks {@link checkRevocations}, and on a refusal writes nothing and exits 1.
 *
 * - More revocations than the policy's `safety.maxRevocationsPerRun` (docs/policy.md) are refused unless the operator
 *   allows at least that many with `--allow-revocations N`.
 * - A prefix with no manifests while the firewall holds owned rules is refused outright, whatever the flag: that is
 *   the signature of a wrong prefix (`gs://B/` is the bucket root; EGRESS_MANIFEST_PREFIX), never of an intended
 *   fleet-wide revocation (deleting every manifest one by one is the way to do that, and the applier paces it).
 * - Any revocation read from a prefix other than the one the pipeline watches is refused outright: its tombstone
 *   would name the generation of a manifest that is still live where the validator looks.
 */

/** What a run is about to do, as the guard sees it. */
export interface RevocationRun {
  /** The command, for messages (`drift --repair`). */
  command: string;
  /** `gs://B/PREFIX` the run read. */
  where: string;
  /** Projects whose egress the run would revoke (their owned rules removed). */
  projects: readonly string[];
  /** Manifest objects found under the prefix (valid or not); undefined when the run did not list the bucket. */
  manifests?: number;
  /** Projects with owned rules other than a tombstone; undefined when the firewall was not read. */
  ownedProjects?: number;
  /** `safety.maxRevocationsPerRun` of the policy. */
  max: number;
  /** `--allow-revocations N`, when given. */
  allow?: number | undefined;
  /** The prefix the pipeline watches, when it is not the one the run read. */
  watchedElsewhere?: string | undefined;
  /**
   * A local folder (npm start's watcher), not a bucket prefix: no prefix can be wrong there, so an emptied folder is
   * refused like too many revocations (whatever the count) and allowed the same way.
   */
  local?: boolean;
  /** How to allow `n` refused revocations, for the message (default: re-run with `--allow-revocations n`). */
  howToAllow?: (n: number) => string;
}

/** The guard's answer: go, or why not (and what to do). */
export type RevocationVerdict =
  | { ok: true }
  | {
      ok: false;
      code: 'EMPTY_PREFIX' | 'FOREIGN_PREFIX' | 'TOO_MANY_REVOCATIONS';
      message: string;
      projects: string[];
    };

const list = (xs: readonly string[], n = 10) =>
  xs.length > n ? `${xs.slice(0, n).join(', ')}, … (${xs.length - n} more)` : xs.join(', ');

/** Decides whether `run` may proceed (see the module comment). */
export function checkRevocations(run: RevocationRun): RevocationVerdict {
  const projects = [...run.projects].sort();
  const n = projects.length;
  const allowed = run.allow !== undefined && n <= run.allow;
  const howToAllow = run.howToAllow ?? ((k: number) => `re-run with --allow-revocations ${k}`);
  if (run.local && run.manifests === 0 && n > 0 && !allowed)
    return {
      ok: false,
      code: 'EMPTY_PREFIX',
      projects,
      message:
        `${run.command} refused: ${run.where} holds no manifests any more, so it would revoke the egress of every ` +
        `project (${list(projects)}); nothing was uploaded or deleted. Put the files back, or if these revocations ` +
        `are intended, ${howToAllow(n)}.`,
    };
  if (!run.local && run.manifests === 0 && (run.ownedProjects ?? 0) > 0)
    return {
      ok: false,
      code: 'EMPTY_PREFIX',
      projects,
      message:
        `${run.command} refused: ${run.where} holds no manifests while ${run.ownedProjects} project(s) have owned ` +
        'firewall rules, so it would revoke every one of them; nothing was published or deleted. This is refused even ' +
        'with --allow-revocations: check the prefix (gs://BUCKET/ is the bucket root; gs://BUCKET alone means ' +
        'EGRESS_MANIFEST_PREFIX, the folder the validator watches) and EGRESS_MANIFEST_PREFIX itself.',
    };
  if (n > 0 && run.watchedElsewhere !== undefined)
    return {
      ok: false,
      code: 'FOREIGN_PREFIX',
      projects,
      message:
        `${run.command} refused: it would revoke ${list(projects)} from ${run.where}, but the pipeline watches ` +
        `'${run.watchedElsewhere}' (EGRESS_MANIFEST_PREFIX); a revocation read from another prefix could name a ` +
        'manifest that is still live there. Nothing was published or deleted; re-run against the watched prefix.',
    };
  if (n <= run.max || allowed) return { ok: true };
  return {
    ok: false,
    code: 'TOO_MANY_REVOCATIONS',
    projects,
    message:
      `${run.command} refused: it would revoke the egress of ${n} projects (${list(projects)}), more than ` +
      `safety.maxRevocationsPerRun (${run.max})${run.allow !== undefined ? ` and --allow-revocations ${run.allow}` : ''}; ` +
      `nothing was ${run.local ? 'uploaded' : 'published'} or deleted. Check ${run.where}; if these revocations are ` +
      `intended, ${howToAllow(n)}.`,
  };
}

/** Parses `--allow-revocations N` (a non-negative integer); throws a message naming the value otherwise. */
export function parseAllowRevocations(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n))
    throw new Error(`--allow-revocations '${v}' is not a whole number (the most revocations this run may publish)`);
  return n;
}
