/** The fake Compute's types: the real client's shapes, the engine's options, counters, faults and records. */
import type { protos } from '@google-cloud/compute';
import type { CapacitySettings } from '../../../shared/core/policy/capacity';
import type { Clock } from '../../../shared/ports/clock';
import type { RuleLimits } from './validate';

/** A rule as the real client types it. */
export type IRule = protos.google.cloud.compute.v1.IFirewallPolicyRule;
/** A policy as the real client types it. */
export type IPolicy = protos.google.cloud.compute.v1.IFirewallPolicy;
/** An operation as the real client types it. */
export type IOperation = protos.google.cloud.compute.v1.IOperation;

/** A rule, policy and operation as the real client types them. */
export type { IOperation as Operation, IPolicy as FirewallPolicy, IRule as FirewallPolicyRule };

/** A regional request's extra field (`RegionNetworkFirewallPolicies`, `RegionOperations`): absent for global ones. */
type Regional = { region?: string | null };
/**
 * Request shapes, as the real client's `protos.google.cloud.compute.v1.I…Request` types; with `region` they are the
 * `…RegionNetworkFirewallPolicyRequest` / `…RegionOperationRequest` ones (the same fields plus region).
 */
export type GetPolicyRequest = protos.google.cloud.compute.v1.IGetNetworkFirewallPolicyRequest & Regional;
/** getRule request. */
export type GetRuleRequest = protos.google.cloud.compute.v1.IGetRuleNetworkFirewallPolicyRequest & Regional;
/** addRule request. */
export type AddRuleRequest = protos.google.cloud.compute.v1.IAddRuleNetworkFirewallPolicyRequest & Regional;
/** patchRule request. */
export type PatchRuleRequest = protos.google.cloud.compute.v1.IPatchRuleNetworkFirewallPolicyRequest & Regional;
/** patch request (the batch update: the whole `rules` list with the policy's `fingerprint`). */
export type PatchPolicyRequest = protos.google.cloud.compute.v1.IPatchNetworkFirewallPolicyRequest & Regional;
/** removeRule request. */
export type RemoveRuleRequest = protos.google.cloud.compute.v1.IRemoveRuleNetworkFirewallPolicyRequest & Regional;
/** globalOperations.get / wait request (regionOperations with `region`). */
export type OperationRequest = protos.google.cloud.compute.v1.IWaitGlobalOperationRequest & Regional;

/** When an accepted write's operation becomes DONE. */
export type Completion = 'immediate' | { afterPolls: number } | { afterMs: number };

/** The API methods the engine serves (keys of the call counters). */
export type Method = 'get' | 'getRule' | 'addRule' | 'patchRule' | 'removeRule' | 'patch' | 'getOperation' | 'wait';

/** Engine configuration; every field optional. */
export interface EngineOptions {
  /** Time source for operation delays, write quota and request-id retention (default: the wall clock). */
  clock?: Clock;
  /** Default `{afterPolls: 1}`: the write returns RUNNING and the first get/wait of the operation sees DONE. */
  completion?: Completion;
  /**
   * Per-policy quotas and attribute weights (default: the policy's documented defaults, shared/core/policy/capacity.ts).
   * A write over a quota is accepted and its operation ends DONE with `QUOTA_EXCEEDED` (quotas.ts).
   */
  capacity?: Partial<CapacitySettings>;
  /** Shorthand for `capacity.attributesPerPolicy`. */
  ruleAttributeQuota?: number;
  /**
   * A write while an operation on the same policy is running is 400 `resourceNotReady` (default true). With false,
   * only a running batch update (patch) refuses writes (batch-update-overview).
   */
  serializeWrites?: boolean;
  /** Per-rule limits (defaults: the documented ones). */
  limits?: Partial<RuleLimits>;
  /** How long a requestId is remembered (Google guarantees at least 60 minutes). */
  requestIdTtlMs?: number;
  /** Refuse request ids that are not UUIDs (the API documents that they must be). Default true. */
  strictRequestId?: boolean;
  /** The longest a `wait` blocks before returning a not-yet-DONE operation (the API's ~2 minute deadline). */
  maxWaitMs?: number;
  /** If set, the state is written to this JSON file after every change (for the local pipeline and `--state`). */
  stateFile?: string;
}

/** Per-method call counts and aggregates, for API-economy assertions. */
export interface Counters {
  calls: Record<Method, number>;
  /** get + getRule calls. */
  reads: number;
  /** addRule + patchRule + removeRule + patch calls (failed and deduplicated ones included). */
  writes: number;
  /** getOperation + wait calls. */
  polls: number;
  /** Write effects applied to a policy. */
  applied: number;
  /** Writes answered from the requestId cache (no second effect). */
  deduplicated: number;
  /** Calls that threw an API error (injected or real). */
  errors: number;
}

/** An injected failure of the next `count` calls (optionally only of some methods), before any effect. */
export interface FailureFault {
  count: number;
  status: number;
  reason: string;
  message?: string;
  methods?: Method[];
}

/** Accepted writes whose operation ends DONE with `error` and no effect. */
export interface OperationFault {
  count: number;
  /** Operation error code, e.g. `INTERNAL_ERROR`, `RESOURCE_NOT_READY`. */
  code?: string;
  message?: string;
  /** `httpErrorStatusCode` of the operation (default 500). */
  httpStatus?: number;
}

/** What an accepted write does once its operation completes. */
export type Effect =
  | { kind: 'add'; rule: IRule }
  | { kind: 'patch'; from: number; rule: IRule }
  | { kind: 'remove'; priority: number }
  /** A batch update (patch): the policy's rules become `rules`; `description` when the patch sets it. */
  | { kind: 'replace'; rules: IRule[]; description?: string };

/** One operation, as the engine keeps (and persists) it. */
export interface OperationRecord {
  id: string;
  name: string;
  project: string;
  /** A regional policy's operation (a region operation); absent: a global operation. */
  region?: string;
  /** The target policy's name ('' for an operation on another resource, `targetLink`). */
  policy: string;
  /** Another target than a policy (a VPC firewall rule or network): its path `projects/P/global/…` and id. */
  targetLink?: string;
  targetId?: string;
  operationType: string;
  requestId?: string;
  createdAt: number;
  polls: number;
  status: 'RUNNING' | 'DONE';
  endedAt?: number;
  effect?: Effect;
  error?: { code: string; message: string; httpStatus: number };
}

/** One policy, as the engine keeps it. */
export interface PolicyRecord {
  project: string;
  /** A regional network firewall policy's region; absent: the global policy (state files before regions). */
  region?: string;
  name: string;
  id: string;
  description: string;
  createdAt: number;
  /** Bumped by every applied write; the fingerprint is derived from it. */
  generation: number;
  rules: Map<number, IRule>;
}

/** What the VPC firewall and network stores need of the engine: ids, time, and their (at once DONE) operations. */
export interface OperationHost {
  newId(): string;
  now(): number;
  /** Records the DONE operation of a write that took effect when received; returns it as the API does. */
  done(project: string, target: string, targetId: string, operationType: string): IOperation;
}

/** Counters at zero. */
export function emptyCounters(): Counters {
  return {
    calls: { get: 0, getRule: 0, addRule: 0, patchRule: 0, removeRule: 0, patch: 0, getOperation: 0, wait: 0 },
    reads: 0,
    writes: 0,
    polls: 0,
    applied: 0,
    deduplicated: 0,
    errors: 0,
  };
}
