/**
 * `egress doctor`: the platform's own preconditions checked on the network as it is (docs/doctor.md). The facts are
 * read once by the use case (usecases/doctor.ts); every check here is pure and answers PASS, WARN or FAIL with the
 * fact found, the fix and the docs link. Text and JSON are rendered from the same values.
 */

import type { LimitSource } from '../capacity/limits';
import type { PolicyCapacity } from '../capacity/report';
import type { DnsServerPolicyJson, NetworkModel } from '../network/model';
import type { PolicyRef } from '../policy/placement';
import type { TargetMapping } from '../policy/types';

export type CheckStatus = 'PASS' | 'WARN' | 'FAIL';

/** One check's answer (the JSON shape of `egress doctor --format json`, one entry of `checks`). */
export interface Check {
  id: string;
  status: CheckStatus;
  /** The fact found, in words (names the rules, policies, projects or quotas concerned). */
  message: string;
  /** What to do (empty for a PASS). */
  fix: string;
  /** The page that explains the check and the Google source behind it. */
  docs: string;
}

/** A Cloud DNS server policy (`dns/v1/projects/P/policies`), the fields doctor reads (REST names). */
export type DnsServerPolicy = DnsServerPolicyJson & { name: string };

/** What a read could not get: the check then says so (WARN) instead of guessing. */
export interface Unread {
  unread: string;
}

/** One policy's usage against the limits in effect, and where each limit came from. */
export interface CapacityFact {
  usage: PolicyCapacity;
  sources: { attributes: LimitSource; fqdns: LimitSource };
}

/** The caller's permissions on one policy (`testIamPermissions`). */
export interface PermissionFact {
  policy: string;
  required: string[];
  granted: string[];
}

/** Everything the checks look at, read once. */
export interface DoctorFacts {
  model: NetworkModel;
  /** The policies of the placement (global first). */
  expected: PolicyRef[];
  target: TargetMapping;
  dnsPolicies: DnsServerPolicy[] | Unread;
  /** The projects with a manifest. */
  projects: string[] | Unread;
  capacity: CapacityFact[];
  /** Why the limits did not come from the quotas API, when they did not. */
  capacityNote?: string;
  permissions: PermissionFact[] | Unread;
}

/** docs/doctor.md and its anchors, one per check. */
export const DOCTOR_DOCS = 'docs/doctor.md';
export const docsFor = (id: string): string => `${DOCTOR_DOCS}#${id}`;

/** Builds a check's answer. */
export function check(id: string, status: CheckStatus, message: string, fix = ''): Check {
  return { id, status, message, fix: status === 'PASS' ? '' : fix, docs: docsFor(id) };
}

export const isUnread = (x: unknown): x is Unread => !!x && typeof x === 'object' && 'unread' in (x as object);
