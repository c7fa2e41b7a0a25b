/**
 * The one directory manifest source: how `validate`, `plan`, `sync`, `explain` and the local watcher (`npm start`)
 * find manifest files on disk. One rule for all of them (docs/sync.md):
 *
 * - a file given by path is taken as given; a folder is walked recursively;
 * - entries whose name starts with '.' and `node_modules` folders are skipped;
 * - entries are visited in code-point order of their names (the same order on every machine and locale);
 * - a manifest is a file whose name ends in `.yaml`/`.yml` in any letter case (the bucket layout's rule);
 * - symbolic links are followed (a linked manifest skipped in silence would pass CI unchecked); each real folder is
 *   walked once (a link back up the tree is no loop) and each real file is kept once, under its first spelling;
 * - a dangling symbolic link is an error ({@link ManifestDirError}): it usually is a manifest that was moved.
 */
import { readdirSync, readFileSync, realpathSync, type Stats, statSync } from 'node:fs';
import { join } from 'node:path';
import { baseName, hasManifestExtension, manifestsOf } from '../core/bucket/layout';

/** A path that cannot be used as a manifest source (missing, dangling, not a folder); the CLI's usage error. */
export class ManifestDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestDirError';
  }
}

/** A manifest file read from disk. */
export interface ManifestFile {
  /** The path as reached (the argument joined with the walked names); shown in messages. */
  path: string;
  content: Buffer;
}

function statOf(path: string, what: string): Stats {
  const st = tryStat(path);
  if (!st) throw new ManifestDirError(what);
  return st;
}

function tryStat(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function entriesOf(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.') && name !== 'node_modules')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const dangling = (p: string): never => {
  throw new ManifestDirError(
    `${p}: a symbolic link to a file or folder that does not exist (remove it or fix its target)`,
  );
};

/**
 * Walks `dir` by the module's rules; calls `onFolder` for each real folder (first spelling), `onFile` for each
 * manifest-named file and `onDangling` for a dangling link (default: throw {@link ManifestDirError}).
 */
function walk(
  dir: string,
  onFolder: (path: string) => void,
  onFile: (path: string) => void,
  onDangling: (path: string) => void = dangling,
): void {
  const seen = new Set<string>();
  const visit = (d: string) => {
    const real = realpathSync(d);
    if (seen.has(real)) return;
    seen.add(real);
    onFolder(d);
    for (const name of entriesOf(d)) {
      const p = join(d, name);
      // statSync follows links; it fails only for a dangling one (or an entry removed since the listing).
      const st = tryStat(p);
      if (!st) onDangling(p);
      else if (st.isDirectory()) visit(p);
      else if (st.isFile() && hasManifestExtension(name)) onFile(p);
    }
  };
  visit(dir);
}

/**
 * Expands path arguments into manifest file paths: files as given, folders walked. A file reached twice (`dir/`
 * and `./dir/x.yaml`, or through a link) is kept once, under its first spelling: counted twice it would be its own
 * duplicate project. With `requireManifests`, a folder holding no manifest is an error (in CI it is almost always a
 * wrong path: validating nothing would succeed).
 */
export function listManifestFiles(paths: readonly string[], opts: { requireManifests?: boolean } = {}): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (p: string) => {
    let real = p;
    try {
      real = realpathSync(p);
    } catch {
      // Unreadable now: keep the path as given; reading it reports the problem.
    }
    if (seen.has(real)) return;
    seen.add(real);
    out.push(p);
  };
  for (const p of paths) {
    const st = statOf(p, `${p}: no such file or directory`);
    if (!st.isDirectory()) {
      add(p);
      continue;
    }
    const before = out.length;
    walk(p, () => undefined, add);
    if (opts.requireManifests && out.length === before)
      throw new ManifestDirError(
        `${p}: no manifests found (looked for *.yaml / *.yml files; names are lowercase, e.g. payment-gateway.yaml)`,
      );
  }
  return out;
}

/** Reads every manifest under the folder `dir` (see the module rules). Throws {@link ManifestDirError}. */
export function readManifestDir(dir: string): ManifestFile[] {
  const st = statOf(dir, `manifest folder '${dir}' does not exist`);
  if (!st.isDirectory()) throw new ManifestDirError(`'${dir}' is not a folder: pass the folder holding the manifests`);
  return readManifestFiles(listManifestFiles([dir]));
}

/** Reads the given files. */
export function readManifestFiles(paths: readonly string[]): ManifestFile[] {
  return paths.map((path) => ({ path, content: readFileSync(path) }));
}

/** Size of a file in bytes (read before its content, so an oversized file is never read whole). */
export function fileSize(path: string): number {
  return statSync(path).size;
}

/** Reads a file as UTF-8 text. */
export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

/**
 * The manifest of project `key` under the folder `dir` (walked like `egress sync` walks it, which uploads every
 * file as PREFIX + base name): its path, preferred spelling first (`key.yaml`, `key.yml`, other letter cases), or
 * null when there is none.
 */
export function findManifestFile(dir: string, key: string): string | null {
  const files = listManifestFiles([dir]).map((path) => ({ path, name: baseName(path) }));
  return manifestsOf(files, '', key)[0]?.path ?? null;
}

/** {@link findManifestFile} with its text (UTF-8), or null. */
export function readProjectManifest(dir: string, key: string): { path: string; text: string } | null {
  const path = findManifestFile(dir, key);
  return path ? { path, text: readText(path) } : null;
}

/** The folder and every real sub-folder the walk enters (for a watcher); [] when `dir` is gone. */
export function manifestFolders(dir: string): string[] {
  const out: string[] = [];
  if (!tryStat(dir)?.isDirectory()) return out;
  try {
    // A dangling link is reported by the sync round that follows; the watcher only needs the folders.
    walk(
      dir,
      (d) => out.push(d),
      () => undefined,
      () => undefined,
    );
  } catch {
    // Changing meanwhile: the watcher rescans after the next round.
  }
  return out;
}
