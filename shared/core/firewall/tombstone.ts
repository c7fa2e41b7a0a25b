/**
 * The tombstone: the record of a project's deletion, kept in the firewall policy itself.
 *
 * Why: the stale-event guard reads the newest manifest generation from the markers of the project's owned rules. A
 * `delete` event removes those rules, so without a record a redelivered (Pub/Sub is at-least-once and unordered)
 * upsert of the generation just deleted, or of an older one, would find nothing newer and re-create the rules of a
 * deleted manifest. Applying a delete of generation N therefore leaves exactly one owned rule that records N:
 *
 *   `egress-<project>-tombstone`: EGRESS, action `deny`, `disabled: true`, destination 192.0.2.0/32 (TEST-NET-1,
 *   RFC 5737: never routed), all protocols, no targets, no logging; marker `generation=N … state=deleted`.
 *
 * Disabled, it is not evaluated at all; enabled by hand it would deny one unroutable address, so it can never open
 * anything. It has no targets, so it needs no target template (a delete never depended on `{hostProject}`).
 *
 * Semantics (docs/applier.md, "Deletion and the tombstone"): an upsert or replay of generation <= N is stale (a delete
 * at N beats an upsert at N); a later generation (the manifest re-created) proceeds, and its plan creates the new
 * rules first and deletes the tombstone last. A second delete of N plans nothing. A delete of a newer generation
 * re-stamps the tombstone. Versions of this product that predate the `state` field do not parse the marker, so they
 * read a tombstone as a foreign rule and leave it alone.
 */
import { compareGenerations, desiredHash } from '../events/codec';
import { formatMarker, MANAGED_BY, MARKER_SEPARATOR, parseMarker } from './marker';
import { tombstoneRuleName } from './naming';
import type { DesiredRule, ObservedRule } from './types';

/** The tombstone's destination: one address of TEST-NET-1 (RFC 5737), which no network routes. */
export const TOMBSTONE_RANGE = '192.0.2.0/32';

/** The human part of a tombstone's description (no generation in it: the marker carries that). */
export const TOMBSTONE_NOTE =
  'tombstone: manifest deleted; disabled deny rule that allows nothing, kept so that a late event of an older ' +
  'generation cannot restore the rules';

/**
 * The tombstone recording that `project`'s manifest was deleted at `generation`; `at` (unix seconds, the applier's
 * clock) stamps when, so the rate guard ({@link recentRevocations}) can count revocations across applier instances.
 */
export function tombstoneRule(project: string, generation: string, at?: number): DesiredRule {
  const marker = formatMarker({
    managedBy: MANAGED_BY,
    project,
    generation,
    hash: desiredHash(project, []),
    state: 'deleted',
    ...(at !== undefined ? { at } : {}),
  });
  return {
    ruleName: tombstoneRuleName(project),
    description: `${marker}${MARKER_SEPARATOR}${TOMBSTONE_NOTE}`,
    direction: 'EGRESS',
    action: 'deny',
    enableLogging: false,
    disabled: true,
    match: { destIpRanges: [TOMBSTONE_RANGE], layer4Configs: [{ ipProtocol: 'all' }] },
  };
}

/** True when the rule's marker says `state=deleted` (whatever its shape: a tombstone edited by hand is still one). */
export function isTombstone(rule: Pick<DesiredRule, 'description'>): boolean {
  return parseMarker(rule.description)?.state === 'deleted';
}

/** The newest deletion generation recorded by a tombstone among `owned` (one project's rules); null when none. */
export function deletedGeneration(owned: readonly ObservedRule[]): string | null {
  let best: string | null = null;
  for (const r of owned) {
    const m = parseMarker(r.description);
    if (m?.state !== 'deleted') continue;
    if (best === null || compareGenerations(m.generation, best) > 0) best = m.generation;
  }
  return best;
}

/**
 * Revocations applied since `sinceSeconds` (unix seconds): the tombstones among `rules` (the whole policy) whose `at`
 * stamp is that recent. The policy is the one store every applier instance reads, so the count is shared without any
 * other record (docs/operations.md, "Held revocations").
 */
export function recentRevocations(rules: readonly ObservedRule[], sinceSeconds: number): string[] {
  const out: string[] = [];
  for (const r of rules) {
    const m = parseMarker(r.description);
    if (m?.state === 'deleted' && m.at !== undefined && m.at >= sinceSeconds) out.push(m.project);
  }
  return out.sort();
}
