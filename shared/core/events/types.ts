/** The egress-change and status event contracts (see docs/events.md). Pure data. */
import type { Diagnostic } from '../diagnostics';
import type { PlanSummary } from '../firewall/types';
import type { EgressEntry, ProjectMeta } from '../manifest/types';

/** CloudEvent type of an egress change; bump the suffix on any incompatible change of `EgressChangeData`. */
export const EGRESS_CHANGED_TYPE = 'dev.infrastream.egress.changed.v1';
/** CloudEvent type of a pipeline outcome on the status topic. */
export const EGRESS_STATUS_TYPE = 'dev.infrastream.egress.status.v1';

export type ChangeReason = 'upsert' | 'delete' | 'replay';

/** Where the manifest came from: the object generation orders changes of one project. */
export interface ManifestSource {
  bucket: string;
  object: string;
  /** GCS object generation as a decimal string (it exceeds 2^53). */
  generation: string;
  md5Hash?: string;
  crc32c?: string;
}

/** The JSON data of an egress-change event. */
export interface EgressChangeData {
  schemaVersion: 1;
  /** The project key (`metadata.name`) and its metadata. */
  project: ProjectMeta;
  reason: ChangeReason;
  /** Normalized entries (empty for `delete`). */
  entries: EgressEntry[];
  source: ManifestSource;
  /** Hash of the desired state (project key + entries); equal hashes mean equal rules. */
  desiredHash: string;
  /**
   * The generation of another object (or of a wrong tombstone) this event replaces: the firewall may record it, and
   * it is newer, yet it is not live (a deleted sibling spelling `p.yaml` of `p.yml`, or a revocation recorded at a
   * live generation). The stale-event guard lets the event through only while the firewall records exactly that
   * generation (object+generation, not generation alone). Set by the validator, replay and drift, never by hand.
   */
  supersedes?: { generation: string; object?: string };
  /** On a `delete` re-published by `egress release`: apply it even beyond the applier's revocation rate. */
  release?: true;
}

/** A CloudEvent (binary mode on Pub/Sub: the ce-* attributes, JSON data). */
export interface CloudEventEnvelope<T> {
  specversion: '1.0';
  id: string;
  type: string;
  source: string;
  subject: string;
  time: string;
  data: T;
}

export type EgressChangeEvent = CloudEventEnvelope<EgressChangeData>;

/** `precondition-failed`: a FAIL of `egress doctor --report-status` (reason: the check's id; project: the host project). */
export type StatusOutcome =
  | 'rejected'
  | 'applied'
  | 'apply-failed'
  | 'skipped'
  | 'drift'
  | 'held'
  | 'precondition-failed';

/** The JSON data of a status event. */
export interface StatusData {
  outcome: StatusOutcome;
  /** The project key (for `rejected`: the rejected object's base name, whatever name the file declares). */
  project: string;
  /** The egress-change event this is about, when there is one. */
  changeId?: string;
  source?: ManifestSource;
  diagnostics?: Diagnostic[];
  plan?: PlanSummary;
  /** For skipped/apply-failed: why. */
  reason?: string;
  error?: string;
  /** On `drift` statuses when the policy uses over 80% of a quota (core/capacity/report.ts): usage and limits. */
  capacity?: { attributes: { used: number; limit: number }; fqdns: { used: number; limit: number } };
}

export type StatusEvent = CloudEventEnvelope<StatusData>;

/** A message as published to / received from Pub/Sub. */
export interface PubSubMessage {
  data: Buffer;
  attributes: Record<string, string>;
  orderingKey?: string;
}
