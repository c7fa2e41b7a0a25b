/**
 * The agreement of a project's live owned rules with its manifest, by content (docs/operations.md, "Agreement"):
 * the one answer `egress status`, `egress explain` (its `agreement`), `egress drift`, MCP `check_drift`, and
 * `npm start`'s "Converged" and rules table read.
 */
import type { PlanSummary } from '../firewall/types';
import type { EgressEntry, ProjectMeta } from '../manifest/types';

/**
 * - `in-sync`: the live owned rules are what the manifest compiles to (a revoked project: its tombstone alone);
 * - `drifted`: they differ (findings: missing, changed, extra, foreign-marker, misplaced) and nothing says an apply is
 *   on its way: changed outside the pipeline, or an apply failed;
 * - `pending`: they differ and record an older generation than the manifest: the apply is pending or failed, or a rule
 *   the last apply wrote was changed by hand since (the other rules keep their older markers, so the rules alone cannot
 *   tell these apart);
 * - `revoke-pending`: no manifest, but owned rules other than the tombstone remain;
 * - `revoked`: the project's only owned rule is its tombstone (no manifest, or one not newer than the revocation);
 * - `no-sources`: the manifest cannot be compiled for want of the project's sources (no subnet, a missing tag value):
 *   nothing of it can be allowed, whatever the firewall holds;
 * - `invalid-manifest`: the manifest is invalid (the pipeline ignores it) or cannot be compiled under the policy;
 * - `unknown`: not determinable (the firewall was not consulted, or neither manifest nor owned rules exist).
 */
export type AgreementStatus =
  | 'in-sync'
  | 'drifted'
  | 'pending'
  | 'revoke-pending'
  | 'revoked'
  | 'no-sources'
  | 'invalid-manifest'
  | 'unknown';

/** Statuses under which the firewall holds what the manifests say (npm start's "Converged"). */
export const AGREEING: readonly AgreementStatus[] = ['in-sync', 'revoked', 'invalid-manifest'];

/** Kinds of difference; `misplaced`: an owned rule in another policy of the placement than its project's. */
export type DriftKind = 'missing' | 'changed' | 'extra' | 'foreign-marker' | 'misplaced';

/** One difference. */
export interface DriftFinding {
  kind: DriftKind;
  ruleName: string;
  /** Absent for `missing`. */
  priority?: number;
  /** What differs, in words (`destFqdns +evil.example.com`, `priority 10 outside the band 1000-2000000000`). */
  detail: string;
}

/** How a repair handles a project that disagrees. */
export type DriftRepair =
  /** Publish a replay event of the live manifest (the applier re-plans and writes the difference). */
  | 'replay'
  /** No manifest: publish a `delete` event at the marker's generation (the applier revokes the owned rules). */
  | 'delete'
  /** Nothing a replay can fix (e.g. a marked rule outside the band): a human must act. */
  | 'manual';

/** A valid manifest, at its generation when read from a bucket (a local folder has none). */
export interface AgreementManifest {
  project: ProjectMeta;
  entries: EgressEntry[];
  object: string;
  generation?: string;
}

/** One project's agreement. */
export interface ProjectAgreement {
  project: string;
  status: AgreementStatus;
  /** The status in words, with what to do. */
  detail: string;
  /** The manifest object and its generation, when there is a manifest. */
  object?: string;
  manifestGeneration?: string;
  /** Newest generation recorded by the project's owned rules (tombstones included). */
  appliedGeneration?: string;
  /** Newest generation recorded by its live owned rules other than the tombstone. */
  liveGeneration?: string;
  /** Generation of the tombstone's revocation, when one is there. */
  revokedGeneration?: string;
  findings: DriftFinding[];
  /** What a replay (or delete) would write, as the applier would plan it. */
  plan: PlanSummary;
  repair: DriftRepair;
  /** Manifest entries that cannot apply (e.g. an IPv6 destination for a project without IPv6 sources). */
  warnings: string[];
  /** Why the manifest could not be compiled (`no-sources`, `invalid-manifest` from a compile error). */
  error?: string;
  /** The invalid manifest's error codes. */
  invalid?: boolean;
}
