/** "No such project", with the nearest known key (fastest-levenshtein) as a did-you-mean. Pure. */
import { closest, distance } from 'fastest-levenshtein';
import { ExplainArgumentError } from '../explain/types';

/** A project key that is neither a manifest nor the owner of any rule: a usage error naming the nearest known key. */
export class NoSuchProjectError extends ExplainArgumentError {
  constructor(
    readonly project: string,
    readonly suggestion: string | undefined,
    where: string,
  ) {
    super(
      `no such project ${project}: no manifest in ${where} and no owned rule in the firewall`,
      suggestion
        ? `did you mean ${suggestion}?`
        : 'the project key is metadata.name, the manifest file name without .yaml',
    );
    this.name = 'NoSuchProjectError';
  }
}

/** The closest known key to `name` when it is near enough to be a typo. */
export function didYouMean(name: string, known: readonly string[]): string | undefined {
  const candidates = [...new Set(known)].filter((k) => k !== name);
  if (!candidates.length) return undefined;
  const best = closest(name, candidates);
  return distance(name, best) <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** The error for `project`, given every key known to the sources read. */
export function noSuchProject(project: string, known: readonly string[], where: string): NoSuchProjectError {
  return new NoSuchProjectError(project, didYouMean(project, known), where);
}
