/**
 * The one `gs://BUCKET[/PREFIX]` parser of the CLI (sync, replay, drift, explain). One meaning everywhere:
 *
 * - `gs://B` (no path): the default prefix (EGRESS_MANIFEST_PREFIX, default `manifests/`: where the validator looks);
 * - `gs://B/` (an explicit slash and nothing after it): the bucket root;
 * - `gs://B/P` and `gs://B/P/`: the folder `P/`.
 *
 * Empty segments (`gs://B//x`), `.` and `..` segments and invalid bucket names are refused: GCS object names are
 * literal, so `a/../b` would create an object whose name contains `..`, not the folder `b/`.
 */
import { normalizePrefix } from '../core/bucket/layout';

/** A `gs://` URL that cannot be used; `hint` says what to write instead. */
export class GsUrlError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(`${message} (hint: ${hint})`);
    this.name = 'GsUrlError';
  }
}

/** A parsed `gs://` URL: the bucket and the object-name prefix (`''` = bucket root, else ending in `/`). */
export interface GsUrl {
  bucket: string;
  prefix: string;
}

/** Why `name` is not a valid Cloud Storage bucket name, or undefined when it is. */
export function bucketNameProblem(name: string): string | undefined {
  if (!/^[a-z0-9][a-z0-9._-]*[a-z0-9]$/.test(name))
    return 'use lowercase letters, digits, "-", "_" and "." only, starting and ending with a letter or digit';
  const parts = name.split('.');
  if (parts.some((p) => p === '')) return 'dots may not be adjacent';
  if (name.length < 3 || name.length > (parts.length > 1 ? 222 : 63))
    return 'use 3 to 63 characters (up to 222 when the name contains dots)';
  if (parts.some((p) => p.length > 63)) return 'each dot-separated part may have at most 63 characters';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'a bucket name may not look like an IP address';
  if (name.startsWith('goog') || name.includes('google'))
    return 'a bucket name may not start with "goog" or contain "google"';
  return undefined;
}

/**
 * Parses `gs://BUCKET[/PREFIX]` (see the module comment for what a missing or trailing slash means).
 * `defaultPrefix` is what `gs://BUCKET` means; it is normalized to end in `/` (or stays `''`).
 * Throws {@link GsUrlError} naming the URL, with a hint.
 */
export function parseGsUrl(url: string, opts: { defaultPrefix: string }): GsUrl {
  const example = 'gs://my-egress-manifests/manifests/';
  const s = url.trim();
  const m = /^gs:\/\/([^/]*)(\/.*)?$/s.exec(s);
  if (!m) throw new GsUrlError(`${url} is not a gs:// URL`, `write gs://BUCKET or gs://BUCKET/PREFIX, e.g. ${example}`);
  const bucket = m[1] ?? '';
  if (!bucket) throw new GsUrlError(`${url} names no bucket`, `write gs://BUCKET/PREFIX, e.g. ${example}`);
  const problem = bucketNameProblem(bucket);
  if (problem) throw new GsUrlError(`${url}: '${bucket}' is not a valid bucket name`, problem);
  const path = m[2];
  if (path === undefined) return { bucket, prefix: normalizePrefix(opts.defaultPrefix) };
  if (path === '/') return { bucket, prefix: '' };
  // '/a/b/' -> ['a', 'b']; one trailing slash is optional, anything else empty is a typo.
  const segments = path.slice(1).replace(/\/$/, '').split('/');
  for (const seg of segments) {
    if (seg === '')
      throw new GsUrlError(
        `${url} has an empty path segment ("//")`,
        `object names are literal, so "//" would create an empty folder name: write gs://${bucket}/${segments.filter(Boolean).join('/')}/`,
      );
    if (seg === '.' || seg === '..')
      throw new GsUrlError(
        `${url} has a "${seg}" path segment`,
        'object names are literal (GCS does not resolve "." or ".."): write the folder itself',
      );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused here
    if (/[\u0000-\u001f\u007f]/.test(seg))
      throw new GsUrlError(`${JSON.stringify(url)} has a control character in its path`, 'remove it');
  }
  return { bucket, prefix: `${segments.join('/')}/` };
}
