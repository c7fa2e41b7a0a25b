/** The one builder of Project manifest text for tests (upload, validate, sync, replay). */

/** How `manifestYaml` renders; every field optional. */
export interface ManifestYamlOptions {
  /** metadata.environment (default `production`). */
  environment?: string;
  /** spec.region, before allowedEgress, when given. */
  region?: string;
  /** A trailing `# comment` per entry (e.g. `(e) => `${e} API``). */
  comment?: (entry: string) => string;
  /** Entries are written verbatim after `- ` instead of double-quoted (for tests of YAML forms). */
  verbatim?: boolean;
  /** Text appended after the entries (each entry line ends with a newline). */
  extra?: string;
}

/** A Project manifest for `name` allowing `entries` (`allowedEgress: []` when empty). */
export function manifestYaml(name: string, entries: readonly string[], opts: ManifestYamlOptions = {}): string {
  const items = entries.map((e) => {
    const value = opts.verbatim ? e : `"${e}"`;
    return `    - ${value}${opts.comment ? ` # ${opts.comment(e)}` : ''}\n`;
  });
  return [
    'apiVersion: lowops.manifests.v1\n',
    'kind: Project\n',
    'metadata:\n',
    `  name: ${name}\n`,
    `  environment: ${opts.environment ?? 'production'}\n`,
    'spec:\n',
    opts.region ? `  region: ${opts.region}\n` : '',
    entries.length ? '  allowedEgress:\n' : '  allowedEgress: []\n',
    ...items,
    opts.extra ?? '',
  ].join('');
}
