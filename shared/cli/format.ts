/** Text helpers shared by the CLI commands: diagnostics as `path:line:col: severity CODE message` lines. */
import type { Diagnostic } from '../core/diagnostics';

/** One diagnostic as a compiler-style line, with its hint on an indented second line. */
export function formatDiagnostic(path: string, d: Diagnostic): string {
  const head = `${path}:${d.line}:${d.column}: ${d.severity} ${d.code} ${d.message}`;
  return d.hint ? `${head}\n  hint: ${d.hint}` : head;
}

/** `1 error` / `2 errors`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
