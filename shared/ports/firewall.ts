/** The narrow view of a network firewall policy that the applier needs. Adapters: compute (real/fake REST), fake client. */
import type { ObservedRule } from '../core/firewall/types';
import type { PolicyRef } from '../core/policy/placement';
import { PortError } from './errors';

/** Snapshot of the policy: every rule (owned or not), read with one `get`. */
export interface PolicySnapshot {
  rules: ObservedRule[];
  fingerprint?: string;
  /** The API's `FirewallPolicy.ruleTupleCount` (Google's count of the policy's rule attributes), when reported. */
  ruleTupleCount?: number;
}

/** Writes wait for their long-running operation to be DONE and throw `FirewallApiError` if it failed. */
export interface FirewallPolicyPort {
  /** One API read (`NetworkFirewallPolicies.get`). */
  getPolicy(): Promise<PolicySnapshot>;
  /**
   * The batch update (`NetworkFirewallPolicies.patch` with the complete `rules` list): replaces every rule of the
   * policy with `rules` in one atomic operation, refused with 412 `conditionNotMet` unless `fingerprint` is still the
   * policy's (https://cloud.google.com/firewall/docs/batch-update-overview). A rule of the list equal to one of the
   * read that returned `fingerprint` is sent exactly as that read returned it.
   */
  patchPolicy(rules: readonly ObservedRule[], fingerprint: string | undefined, requestId: string): Promise<void>;
}

/**
 * The network firewall policies of the placement (core/policy/placement.ts): the port of each. `list()` is every
 * policy of the placement, the global one first; under global placement it is that one policy.
 */
export interface FirewallPolicies {
  list(): PolicyRef[];
  forPolicy(ref: PolicyRef): FirewallPolicyPort;
}

/** The one-policy set of global placement over an existing port (tests, and callers that only know one policy). */
export function singlePolicy(port: FirewallPolicyPort, name = 'global'): FirewallPolicies {
  return { list: () => [{ name }], forPolicy: () => port };
}

/** Compute's answers to a rate quota: 403 `rateLimitExceeded`/`userRateLimitExceeded`, and 429. */
export const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);

/**
 * The policy is busy: a write raced an operation still running on it (400 `resourceNotReady`, synchronous) or an
 * operation ended so. Transient: the policy serializes its mutations, a retry after the running one succeeds.
 */
export const NOT_READY_REASONS = new Set(['resourceNotReady', 'RESOURCE_NOT_READY']);

/** A per-policy resource quota refused the write (the operation's `QUOTA_EXCEEDED`): permanent until it is raised. */
export const QUOTA_REASONS = new Set(['QUOTA_EXCEEDED', 'quotaExceeded']);

/**
 * A Compute API failure, classified by the adapter (ports/errors.ts). `transient` failures are retried (429, 403
 * rateLimitExceeded, 5xx, timeouts). Use cases read the classification (`transient`, `rateLimited`, `precondition`),
 * never the status.
 */
export class FirewallApiError extends PortError {
  constructor(
    message: string,
    /** HTTP status (0 when none, e.g. a timeout). */
    readonly status: number,
    /** The API's error reason (`rateLimitExceeded`, `alreadyExists`, `notFound`, `conditionNotMet`, `invalid`…). */
    readonly reason: string,
    transient: boolean,
  ) {
    super(message, transient);
    this.name = 'FirewallApiError';
  }

  /** The write quota refused the call (403 rate limit or 429): the caller should slow down, not just retry. */
  get rateLimited(): boolean {
    return this.status === 429 || RATE_LIMIT_REASONS.has(this.reason);
  }

  /** A resource quota (rule attributes, FQDNs per policy) refused the write: reported as reason `capacity`. */
  get quotaExceeded(): boolean {
    return QUOTA_REASONS.has(this.reason);
  }

  /** 412 `conditionNotMet`: Compute's optimistic-locking answer (the policy changed under the caller). */
  get precondition(): boolean {
    return this.status === 412;
  }

  /**
   * The policy moved under the caller: 412 conditionNotMet, 409 alreadyExists (the slot is taken), or 400 "does not
   * contain a rule at priority N" (the slot holds no rule) — possibly by another writer's operation still in flight.
   */
  get slotRace(): boolean {
    return (
      this.precondition ||
      this.status === 409 ||
      (this.status === 400 && /does not contain a rule at priority/.test(this.message))
    );
  }

  /** `403 quotaExceeded: message`, for logs and status events. */
  get detail(): string {
    return `${this.status} ${this.reason}: ${this.message}`;
  }
}

/**
 * The write was accepted but its operation ended DONE with an error. A retry must use a NEW requestId: the old one
 * would be answered with the same failed operation.
 */
export class OperationFailedError extends FirewallApiError {
  constructor(
    message: string,
    status: number,
    reason: string,
    transient: boolean,
    /** The operation's name. */
    readonly operation: string,
  ) {
    super(message, status, reason, transient);
    this.name = 'OperationFailedError';
  }
}
