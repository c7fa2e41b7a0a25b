/** A finding about a manifest (or event), positioned in its source. Stable `code`s are part of the CLI contract. */
export type Severity = 'error' | 'warning';

/** One diagnostic; `line`/`column` are 1-based, `path` is like `spec.allowedEgress[3]` ('' for the document). */
export interface Diagnostic {
  severity: Severity;
  code: string;
  message: string;
  line: number;
  column: number;
  path: string;
  /** How to fix it, when we can say ("did you mean `allowedEgress`?", "use `api.x.com`"). */
  hint?: string;
}

/** True when any diagnostic is an error. */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Control and invisible format characters (NUL, ESC, C1, bidi overrides, zero-width, line separators). */
const UNSAFE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

/**
 * `text` with every control or invisible format character written as a `\uXXXX` escape (`\u{XXXXX}` beyond the BMP),
 * so a value quoted in a message or kept as a rule description cannot break a line, hide text or reorder it on screen.
 */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const hex = c.codePointAt(0)!.toString(16);
    return hex.length <= 4 ? `\\u${hex.padStart(4, '0')}` : `\\u{${hex}}`;
  });
}
