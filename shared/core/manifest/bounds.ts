/**
 * The line bound of a manifest, checked before parsing. The YAML parser's time grows with the number of lines (and
 * of errors: one or more per line of a mangled file); a 1 MiB file of short broken lines took the validator tens of
 * seconds (found by `npm run fuzz`, docs/reliability.md). A real manifest needs about two lines per entry (the entry
 * and a comment), so the bound is generous: four lines per allowed entry plus room for the header, at least 2,000.
 */
import type { PlatformPolicy } from '../policy/types';

/** The most lines a manifest may have under `policy`. */
export function maxManifestLines(policy: PlatformPolicy): number {
  return Math.max(2_000, 4 * policy.manifest.maxEntries + 100);
}

/** The number of lines of `text` (LF ends a line, as the positions of diagnostics count them), at most `limit + 1`. */
export function countLinesUpTo(text: string, limit: number): number {
  let lines = 1;
  for (let i = text.indexOf('\n'); i >= 0 && lines <= limit; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}
