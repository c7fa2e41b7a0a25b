/** The narrow view of a global network firewall policy that the applier needs. Adapters: compute (real/fake REST), fake client. */
import type { DesiredRule, ObservedRule } from '../core/firewall/types';

/** Snapshot of the policy: every rule (owned or not), read with one `get`. */
export interface PolicySnapshot {
  rules: ObservedRule[];
  fingerprint?: string;
}

/** Writes wait for their long-running operation to be DONE and throw `FirewallApiError` if it failed. */
export interface FirewallPolicyPort {
  /** One API read (`NetworkFirewallPolicies.get`). */
  getPolicy(): Promise<PolicySnapshot>;
  addRule(rule: DesiredRule & { priority: number }, requestId: string): Promise<void>;
  /** Replaces the rule at `priority` with `rule` (priority unchanged). */
  patchRule(priority: number, rule: DesiredRule, requestId: string): Promise<void>;
  removeRule(priority: number, requestId: string): Promise<void>;
}

/** An API failure, classified. `transient` failures are retried (429, 403 rateLimitExceeded, 5xx, timeouts). */
export class FirewallApiError extends Error {
  constructor(
    message: string,
    /** HTTP status (0 when none, e.g. a timeout). */
    readonly status: number,
    /** The API's error reason (`rateLimitExceeded`, `alreadyExists`, `notFound`, `conditionNotMet`, `invalid`…). */
    readonly reason: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'FirewallApiError';
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
