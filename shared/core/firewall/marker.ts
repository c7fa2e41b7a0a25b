/**
 * The ownership marker: the first part of every rule description this product writes. It is the registry (as
 * external-dns's TXT records are): a rule is ours only if its description parses as our marker, and it belongs to the
 * project the marker names. Rules without it are never read as ours, so never changed or deleted.
 *
 * Format (one line, space separated, fields in this order):
 *   `managed-by=infrastream-egress project=<key> generation=<decimal> hash=<hex>`, then ` state=deleted` on a
 *   tombstone only (tombstone.ts), optionally followed by ` at=<unix seconds>` (when the revocation was applied: the
 *   applier's rate guard counts these), then optionally ` | <human text>`. Any other `state` value is not parsed, so a rule
 *   written by a newer version with a state this one does not know is left alone (read as foreign), never rewritten.
 */
import type { OwnershipMarker } from './types';

/** The `managed-by` value of this product's rules. */
export const MANAGED_BY = 'infrastream-egress';

/** Separates the marker from the human-readable part of a description. */
export const MARKER_SEPARATOR = ' | ';

const MARKER_RE =
  /^managed-by=([A-Za-z0-9._-]+) project=([a-z0-9][a-z0-9._-]*) generation=(\d+) hash=([0-9a-f]+)(?: state=(deleted)(?: at=(\d{1,12}))?)?(?:$| \| )/;

/** Renders a marker (without the human part). */
export function formatMarker(m: OwnershipMarker): string {
  const state = m.state ? ` state=${m.state}${m.at !== undefined ? ` at=${m.at}` : ''}` : '';
  return `managed-by=${m.managedBy} project=${m.project} generation=${m.generation} hash=${m.hash}${state}`;
}

/** Parses the marker at the start of a description; null when there is none (a foreign or hand-written rule). */
export function parseMarker(description: string | undefined | null): OwnershipMarker | null {
  if (!description) return null;
  const m = MARKER_RE.exec(description);
  if (!m) return null;
  const marker: OwnershipMarker = { managedBy: m[1]!, project: m[2]!, generation: m[3]!, hash: m[4]! };
  if (m[5] === 'deleted') marker.state = 'deleted';
  if (m[6] !== undefined) marker.at = Number(m[6]);
  return marker;
}

/** The human part of a description (after the marker), '' when there is none. */
export function humanPart(description: string | undefined | null): string {
  if (!description) return '';
  const i = description.indexOf(MARKER_SEPARATOR);
  return parseMarker(description) && i >= 0 ? description.slice(i + MARKER_SEPARATOR.length) : '';
}
