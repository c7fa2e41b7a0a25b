/**
 * The ownership marker: the first part of every rule description this product writes. It is the registry (as
 * external-dns's TXT records are): a rule is ours only if its description parses as our marker, and it belongs to the
 * project the marker names. Rules without it are never read as ours, so never changed or deleted.
 *
 * This module is the one place that decides ownership: `parseMarker` returns a marker only for this product's
 * `managed-by` value, so a rule marked `managed-by=another-tool project=P` is nobody's project for every reader (plan,
 * drift, status, explain, denials, MCP), exactly like a rule without a marker.
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

const MARKER_RE = new RegExp(
  `^managed-by=${MANAGED_BY.replaceAll('.', '\\.')} project=` +
    /([a-z0-9][a-z0-9._-]*) generation=(\d+) hash=([0-9a-f]+)(?: state=(deleted)(?: at=(\d{1,12}))?)?(?:$| \| )/.source,
);

/** Renders a marker (without the human part). */
export function formatMarker(m: OwnershipMarker): string {
  const state = m.state ? ` state=${m.state}${m.at !== undefined ? ` at=${m.at}` : ''}` : '';
  return `managed-by=${m.managedBy} project=${m.project} generation=${m.generation} hash=${m.hash}${state}`;
}

/**
 * Parses this product's marker at the start of a description; null when there is none: a hand-written rule, or another
 * tool's marker (any other `managed-by`), is never ours.
 */
export function parseMarker(description: string | undefined | null): OwnershipMarker | null {
  if (!description) return null;
  const m = MARKER_RE.exec(description);
  if (!m) return null;
  const marker: OwnershipMarker = { managedBy: MANAGED_BY, project: m[1]!, generation: m[2]!, hash: m[3]! };
  if (m[4] === 'deleted') marker.state = 'deleted';
  if (m[5] !== undefined) marker.at = Number(m[5]);
  return marker;
}

/** The human part of a description (after the marker), '' when there is none. */
export function humanPart(description: string | undefined | null): string {
  if (!description) return '';
  const i = description.indexOf(MARKER_SEPARATOR);
  return parseMarker(description) && i >= 0 ? description.slice(i + MARKER_SEPARATOR.length) : '';
}
