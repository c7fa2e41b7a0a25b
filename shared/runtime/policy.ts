/** Loads the platform policy file that the CLI (`--policy FILE`) and the functions (EGRESS_POLICY_FILE) share. */
import { readFileSync } from 'node:fs';
import { hasErrors } from '../core/diagnostics';
import { DEFAULT_POLICY, type PlatformPolicy, parsePolicy } from '../core/policy';

/**
 * Reads and validates the policy at `path` (YAML or JSON) merged over the defaults; an empty path means the
 * defaults. Throws an Error listing `path:line:col: CODE message` lines when the file is unreadable or invalid.
 */
export function loadPolicyFile(path: string): PlatformPolicy {
  if (!path) return DEFAULT_POLICY;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read platform policy file ${path}: ${(e as Error).message}`);
  }
  const { policy, diagnostics } = parsePolicy(text, path);
  if (hasErrors(diagnostics)) {
    const lines = diagnostics
      .filter((d) => d.severity === 'error')
      .map((d) => `${path}:${d.line}:${d.column}: ${d.code} ${d.message}${d.hint ? ` (hint: ${d.hint})` : ''}`);
    throw new Error(`invalid platform policy file ${path}:\n${lines.join('\n')}`);
  }
  return policy;
}
