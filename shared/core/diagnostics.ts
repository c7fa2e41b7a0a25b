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
