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

/** The deepest nesting a manifest may have before it is parsed (a real one has 3 levels: spec, allowedEgress, entry). */
export const MAX_NESTING = 64;

/** Where a nesting bound is first passed: the 1-based line and column of the indicator that passes it. */
export interface TooDeep {
  line: number;
  column: number;
  depth: number;
}

/**
 * The first place `text` nests deeper than `limit`, or null. Counted outside quoted scalars and comments: open flow
 * collections (`[`, `{`, across lines), plus on each line the block indicators that open a level within the line
 * (`- `, `? `, `: ` chains such as `- - - x` or `a: b: c:`). The YAML parser recurses per level, and thousands of levels
 * in a few kilobytes cost it a second (found by `npm run fuzz`, docs/reliability.md); no manifest needs more than a few.
 */
export function firstTooDeep(text: string, limit = MAX_NESTING): TooDeep | null {
  let flow = 0;
  let line = 1;
  let lineStart = 0;
  let inLine = 0;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') {
      line++;
      lineStart = i + 1;
      inLine = 0;
      continue;
    }
    if (quote) {
      if (quote === '"' && c === '\\') i++;
      else if (c === quote) {
        if (quote === "'" && text[i + 1] === "'") i++;
        else quote = null;
      }
      continue;
    }
    const prev = i === lineStart ? ' ' : text[i - 1];
    const blankBefore = prev === ' ' || prev === '\t' || prev === '[' || prev === '{' || prev === ',';
    if (c === '#' && (prev === ' ' || prev === '\t' || i === lineStart)) {
      const end = text.indexOf('\n', i);
      i = (end < 0 ? text.length : end) - 1;
      continue;
    }
    if ((c === '"' || c === "'") && blankBefore) quote = c;
    else if (c === '[' || c === '{') flow++;
    else if ((c === ']' || c === '}') && flow > 0) flow--;
    else if ((c === '-' || c === '?' || c === ':') && (text[i + 1] === ' ' || text[i + 1] === '\t')) {
      if (c !== ':' && !blankBefore) continue;
      inLine++;
    } else continue;
    if (flow + inLine > limit) return { line, column: i - lineStart + 1, depth: flow + inLine };
  }
  return null;
}
