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

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped here
const RAW_CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every raw control character (C0 but tab, DEL, C1) and bidi override written as a `\uXXXX` escape, so a
 * value quoted in a message or kept as a rule description cannot break a line, hide text or reorder it on screen.
 */
export function escapeControls(text: string): string {
  return text.replace(RAW_CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
