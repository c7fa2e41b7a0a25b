/**
 * The bucket layout: the one place that decides how manifest objects (and manifest files) are named. Used by the
 * validator, sync, replay, drift, explain, the directory source and the local watcher (docs/events.md, docs/sync.md).
 *
 * - A prefix is '' (the bucket root) or a folder ending in exactly one '/' (`manifests` means `manifests/`).
 * - A manifest object lies directly under the prefix (no further '/') and its name ends in `.yaml` or `.yml`,
 *   compared case-insensitively (`p.YAML` is a manifest: `npm start` and `egress sync` upload it, so the validator
 *   must not ignore it).
 * - Its project key is the base name without that extension (`manifests/payment-gateway.yaml` → `payment-gateway`).
 * - Two spellings of one key (`p.yaml` beside `p.yml`): the LIVE manifest of the project is the preferred spelling,
 *   `.yaml`, then `.yml`, then other letter cases in code-point order ({@link liveManifestOf}). Every reader (the
 *   validator, sync, replay, drift, explain, the local watcher) takes that one; the validator refuses an upload of
 *   any other spelling while the live one exists (docs/events.md, "Two files, one project"). The rule is read off a
 *   listing alone: "the older object" cannot be, since every overwrite gives an object a new generation and time.
 */

/** True for a file or object base name with a manifest extension (`.yaml`/`.yml`, any case) and a non-empty stem. */
export function hasManifestExtension(name: string): boolean {
  return /^.+\.ya?ml$/is.test(baseName(name));
}

/** `manifests` and `/manifests/` mean the folder `manifests/`; '' (and '/') is the bucket root. */
export function normalizePrefix(prefix: string): string {
  const p = prefix.replace(/^\/+/, '');
  return p === '' || p.endsWith('/') ? p : `${p}/`;
}

/** The part of a path or object name after its last '/' (or '\\', for Windows paths given to the CLI). */
export function baseName(path: string): string {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return slash >= 0 ? path.slice(slash + 1) : path;
}

/** The project key a file or object name binds to: its base name without `.yaml`/`.yml` (any case). */
export function projectKeyOf(path: string): string {
  return baseName(path).replace(/\.ya?ml$/i, '');
}

/** Where `name` stands with respect to `prefix`: a manifest, or why it is not one. */
export type ObjectPlace = 'manifest' | 'outside' | 'nested' | 'not-yaml';

/** Classifies an object name under a manifest prefix (see the module comment). */
export function placeOf(name: string, prefix: string): ObjectPlace {
  const folder = normalizePrefix(prefix);
  if (!name.startsWith(folder)) return 'outside';
  const rest = name.slice(folder.length);
  if (rest.includes('/')) return 'nested';
  return hasManifestExtension(rest) ? 'manifest' : 'not-yaml';
}

/**
 * True for names treated as manifests: directly under `prefix`, ending in `.yaml`/`.yml` (any case). The layout is
 * flat (`egress sync` uploads `PREFIX + base name`): a nested `PREFIX/team/p.yaml` would be a second manifest of
 * project `p`, and its deletion would revoke `p`.
 */
export function isManifestObject(name: string, prefix: string): boolean {
  return placeOf(name, prefix) === 'manifest';
}

/** The object name a local file syncs to: PREFIX + its base name. */
export function objectNameOf(prefix: string, path: string): string {
  return `${normalizePrefix(prefix)}${baseName(path)}`;
}

/** The object name of a project's manifest when none exists yet (the spelling `egress sync` of `<key>.yaml` gives). */
export function defaultObjectName(prefix: string, key: string): string {
  return `${normalizePrefix(prefix)}${key}.yaml`;
}

/** The listing prefix that holds every spelling of `key`'s manifest (`manifests/p.`); filter with {@link manifestsOf}. */
export function keyListPrefix(prefix: string, key: string): string {
  return `${normalizePrefix(prefix)}${key}.`;
}

/**
 * The manifest objects among `names` that bind to project `key`, preferred spelling first: `.yaml`, `.yml`, then
 * other letter cases in code-point order. Two of them at once is a rename in progress, or a duplicate.
 */
export function manifestsOf<T extends { name: string }>(objects: readonly T[], prefix: string, key: string): T[] {
  const rank = (n: string) => (n.endsWith('.yaml') ? 0 : n.endsWith('.yml') ? 1 : 2);
  return objects
    .filter((o) => isManifestObject(o.name, prefix) && projectKeyOf(o.name) === key)
    .sort((a, b) => rank(a.name) - rank(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The live manifest of project `key` among `objects` (see the module comment), or undefined when it has none. */
export function liveManifestOf<T extends { name: string }>(
  objects: readonly T[],
  prefix: string,
  key: string,
): T | undefined {
  return manifestsOf(objects, prefix, key)[0];
}

/**
 * A warning when an operator command reads `given` while the pipeline (the validator) watches `watched`
 * (EGRESS_MANIFEST_PREFIX): what the command sees is then not what the pipeline acts on. Null when they agree.
 */
export function prefixWarning(given: string, watched: string): string | null {
  const g = normalizePrefix(given);
  const w = normalizePrefix(watched);
  if (g === w) return null;
  const show = (p: string) => (p === '' ? "'' (the bucket root)" : `'${p}'`);
  return (
    `warning: this command reads the prefix ${show(g)}, but the pipeline watches ${show(w)} (EGRESS_MANIFEST_PREFIX); ` +
    'its answers are about objects the validator ignores. Pass gs://BUCKET (no path) to use the watched prefix.'
  );
}
