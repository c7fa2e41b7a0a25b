/** Project keys: the rule every identifier derived from a project name relies on. */

/**
 * Longest project key. Derived identifiers must stay valid: the default firewall target is a service account in a
 * GCP project whose id is the key (project ids are at most 30 characters), and rule names
 * `egress-<name>-<kind>-<n>` must fit the 63-character RFC 1035 limit of Compute resource names.
 */
export const MAX_PROJECT_NAME_LENGTH = 30;

const NAME_RE = /^[a-z](?:[-a-z0-9]*[a-z0-9])?$/;

/** JSON Schema `pattern` equivalent of {@link isValidProjectName} (the length bound is `maxLength`). */
export const PROJECT_NAME_PATTERN = '^[a-z]([-a-z0-9]*[a-z0-9])?$';

/** True for a lowercase RFC 1035 label of at most {@link MAX_PROJECT_NAME_LENGTH} characters. */
export function isValidProjectName(name: string): boolean {
  return typeof name === 'string' && name.length <= MAX_PROJECT_NAME_LENGTH && NAME_RE.test(name);
}

/** Explains why `name` is not a valid project key and suggests a valid one when there is an obvious fix. */
export function explainProjectName(name: string): { message: string; hint?: string; suggestion?: string } {
  const suggestion = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+$/, '')
    .slice(0, MAX_PROJECT_NAME_LENGTH)
    .replace(/-+$/, '');
  const ok = suggestion && isValidProjectName(suggestion) ? suggestion : undefined;
  const fix = ok ? { hint: `use \`${ok}\``, suggestion: ok } : {};
  if (name.length === 0) return { message: 'metadata.name is empty' };
  if (name.length > MAX_PROJECT_NAME_LENGTH)
    return {
      message: `metadata.name \`${name}\` is ${name.length} characters; the limit is ${MAX_PROJECT_NAME_LENGTH} (it becomes part of GCP project ids and firewall rule names)`,
      ...fix,
    };
  return {
    message: `metadata.name \`${name}\` is not a lowercase RFC 1035 label (a-z, 0-9 and '-', starting with a letter, not ending with '-')`,
    ...fix,
  };
}
