/** Validating a set of manifest files read from disk: the one recipe of `validate`, `plan` and `sync`. */
import { checkProjectSet, tooLargeResult, validateManifest } from '../core/manifest';
import type { ManifestResult } from '../core/manifest/types';
import type { PlatformPolicy } from '../core/policy/types';

/** A manifest file's path (shown in diagnostics) and bytes. */
export interface ManifestBytes {
  path: string;
  content: Buffer;
}

/**
 * Validates every file with the manifest core (name binding and platform policy included), then the cross-file
 * checks of one run (duplicate project names). A file over `manifest.maxFileBytes` is refused without parsing.
 */
export function validateManifestFiles(files: readonly ManifestBytes[], policy: PlatformPolicy): ManifestResult[] {
  const results = files.map((f) =>
    f.content.length > policy.manifest.maxFileBytes
      ? tooLargeResult(f.path, f.content.length, policy)
      : validateManifest(f.content.toString('utf8'), { path: f.path, policy }),
  );
  return checkProjectSet(results);
}
