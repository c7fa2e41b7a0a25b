/**
 * The one semantic engine of the fake Compute: network firewall policies keyed by (project, scope, policy) with the
 * methods of `NetworkFirewallPolicies` (get, getRule, addRule, patchRule, removeRule, patch: batch.ts) and their
 * operations (get, wait); VPC networks (networks.ts) and firewall rules (firewalls.ts) beside them. The fake clients
 * and the REST server are thin shells over it. Model (docs/fake-compute.md: confirmed and assumed): a write is
 * validated when received (errors thrown, no operation); accepted writes become operations whose effect lands when
 * they complete (quotas: DONE with QUOTA_EXCEEDED); operations on one policy complete in order; `requestId` dedupes.
 */

import { type CapacitySettings, DEFAULT_CAPACITY } from '../../../shared/core/policy/capacity';
import { type Clock, systemClock } from '../../../shared/ports/clock';
import { checkFingerprint, patchFields, replacementRules } from './batch';
import { Directory } from './directory';
import { DnsPolicyStore } from './dnsPolicies';
import { ComputeApiError, notFound, requiredField } from './errors';
import { Faults } from './faults';
import { FirewallStore, networkUrl } from './firewalls';
import { NetworkStore } from './networks';
import { checkReady, listQuotaError, quotaError } from './quotas';
import {
  addPriority,
  checkMoveTarget,
  checkRemovable,
  checkRequestId,
  completeThrough,
  findOperation,
  noRule,
  priorityParam,
  projectedRules,
  seedRules,
  storedRule,
} from './rules';
import { decodeState, type EngineState, encodeState, readStateFile, requestKey, writeStateFile } from './state';
import type * as T from './types';
import { emptyCounters } from './types';
import { DEFAULT_RULE_LIMITS, type RuleLimits, validateRule } from './validate';
import { clone, operationRecord, operationView, policyKey, policyView, resourceOperation, wireNormalize } from './wire';

export * from './state';
export * from './types';
export { defaultPolicyRules, wireNormalize } from './wire';

const WRITES: ReadonlySet<T.Method> = new Set<T.Method>(['addRule', 'patchRule', 'removeRule', 'patch']);
const READS: ReadonlySet<T.Method> = new Set<T.Method>(['get', 'getRule']);

/** A faithful in-memory model of Compute's global network firewall policies. */
export class FirewallPolicyEngine {
  private readonly clock: Clock;
  private completion: T.Completion;
  private readonly limits: RuleLimits;
  private capacity: CapacitySettings;
  private readonly serializeWrites: boolean;
  private readonly requestIdTtlMs: number;
  private readonly strictRequestId: boolean;
  private readonly maxWaitMs: number;
  private readonly stateFile: string | undefined;

  // Persisted fields (read by encodeState), not API.
  nextId = 1;
  readonly policies = new Map<string, T.PolicyRecord>();
  readonly operations: T.OperationRecord[] = [];
  readonly requestIds = new Map<string, { operation: string; at: number }>();
  readonly directory = new Directory(); // subnetworks and tag values (directory.ts), persisted with the policies
  readonly networks: NetworkStore; // VPC networks (networks.ts), persisted as `networks`
  readonly firewalls: FirewallStore; // VPC firewall rules (firewalls.ts), persisted as `firewalls`
  readonly dns = new DnsPolicyStore(); // Cloud DNS server policies (dnsPolicies.ts), persisted as `dnsPolicies`
  private counts = emptyCounters();

  private readonly faults: Faults;

  constructor(options: T.EngineOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.completion = options.completion ?? { afterPolls: 1 };
    this.limits = { ...DEFAULT_RULE_LIMITS, ...options.limits };
    this.capacity = { ...DEFAULT_CAPACITY, ...options.capacity };
    if (options.ruleAttributeQuota !== undefined) this.capacity.attributesPerPolicy = options.ruleAttributeQuota;
    this.serializeWrites = options.serializeWrites ?? true;
    this.requestIdTtlMs = options.requestIdTtlMs ?? 60 * 60 * 1000;
    this.strictRequestId = options.strictRequestId ?? true;
    this.maxWaitMs = options.maxWaitMs ?? 120_000;
    this.stateFile = options.stateFile;
    this.faults = new Faults(this.clock);
    const done = (project: string, target: string, targetId: string, type: string) => {
      const op = resourceOperation(this.newId(), this.clock.now(), project, target, targetId, type);
      this.operations.push(op);
      this.persist();
      return this.view(op);
    };
    const host: T.OperationHost = { newId: () => this.newId(), now: () => this.clock.now(), done };
    this.networks = new NetworkStore(host, this.directory);
    this.firewalls = new FirewallStore(host, (_project, url) => this.networks.exists(url));
  }

  // ---------------------------------------------------------------- set-up and inspection (not API calls)

  /** Creates a policy (with Google's four default rules unless `defaultRules: false`) plus any seed rules. */
  createPolicy(
    project: string,
    name: string,
    opts: { rules?: T.IRule[]; defaultRules?: boolean; description?: string; region?: string } = {},
  ): void {
    const key = policyKey(project, name, opts.region);
    if (this.policies.has(key)) throw new Error(`fake compute: policy ${key} already exists`);
    const rec: T.PolicyRecord = {
      project,
      ...(opts.region ? { region: opts.region } : {}),
      name,
      id: this.newId(),
      description: opts.description ?? '',
      createdAt: this.clock.now(),
      generation: 1,
      rules: seedRules(opts.rules ?? [], opts.defaultRules !== false, this.capacity, this.limits),
    };
    this.policies.set(key, rec);
    this.persist();
  }

  /** Makes sure `project`'s VPC network `name` exists (new: `AFTER_CLASSIC_FIREWALL`); the local stack calls it. */
  ensureNetwork(project: string, name: string, dnsPolicy?: string): void {
    const created = this.networks.ensure(project, name);
    // terraform's default DNS evidence (network.tf): a logging server policy, if the project has none
    const dns = !!dnsPolicy && this.dns.ensureLogging(project, networkUrl(project, name), dnsPolicy);
    if (created || dns) this.persist();
  }

  /** The committed rules of a policy (regional with `region`), by ascending priority (a copy; no call is counted). */
  rules(project: string, name: string, region?: string): T.IRule[] {
    const rec = this.policies.get(policyKey(project, name, region));
    if (!rec) throw new Error(`fake compute: no policy ${policyKey(project, name, region)}`);
    return [...rec.rules.values()].sort((a, b) => a.priority! - b.priority!).map(clone);
  }

  /** A copy of the call counters. */
  counters(): T.Counters {
    return clone(this.counts);
  }

  /** Zeroes the call counters (e.g. after seeding, before the call under test). */
  resetCounters(): void {
    this.counts = emptyCounters();
  }

  /** Operations not yet DONE (for assertions about half-applied plans). */
  pendingOperations(): string[] {
    return this.operations.filter((o) => o.status !== 'DONE').map((o) => o.name);
  }

  /** Changes when future writes complete. */
  setCompletion(completion: T.Completion): void {
    this.completion = completion;
  }

  /** The per-policy quotas in force (what the fake Cloud Quotas endpoint reports, quotasApi.ts). */
  quotas = (): CapacitySettings => ({ ...this.capacity });

  /** Changes the per-policy quotas (and attribute weights) of later writes. */
  setCapacity(capacity: Partial<CapacitySettings>): void {
    this.capacity = { ...this.capacity, ...capacity };
  }

  // ---------------------------------------------------------------- faults

  /** The next `count` matching calls fail with `status`/`reason` before any effect. Faults queue in order. */
  failNext(fault: T.FailureFault): void {
    this.faults.failNext(fault);
  }

  /** The next `count` accepted writes get an operation that ends DONE with an error and no effect. */
  failOperations(fault: T.OperationFault): void {
    this.faults.failOperations(fault);
  }

  /** Every call first sleeps `ms` on the engine clock. */
  setLatency(ms: number): void {
    this.faults.latencyMs = ms;
  }

  /** After `k` more accepted writes, every write fails with 503 backendError and no effect (until `clearFaults`). */
  crashAfterWrites(k: number): void {
    this.faults.crashAfterWrites(k);
  }

  /** At most `perMinute` writes in any 60 s of the clock; more fail with 403 (or 429) rateLimitExceeded. */
  setWriteQuota(perMinute: number, status: 403 | 429 = 403): void {
    this.faults.setWriteQuota(perMinute, status);
  }

  /** Removes every injected fault, the latency and the write quota. */
  clearFaults(): void {
    this.faults.clear();
  }

  // ------------------------------------------- API: NetworkFirewallPolicies (RegionNetworkFirewallPolicies: `region`)

  /** `networkFirewallPolicies.get`: the policy with its committed rules, fingerprint and ruleTupleCount. */
  async get(req: T.GetPolicyRequest): Promise<T.IPolicy> {
    return this.call('get', () => policyView(this.policy(req)));
  }

  /** `networkFirewallPolicies.getRule`. A priority without a rule is 400 invalid. */
  async getRule(req: T.GetRuleRequest): Promise<T.IRule> {
    return this.call('getRule', () => {
      const rec = this.policy(req);
      const priority = priorityParam(req.priority);
      const rule = rec.rules.get(priority);
      if (!rule) throw noRule(priority);
      return clone(rule);
    });
  }

  /** `networkFirewallPolicies.addRule` (fixed `priority` in the body, or a `minPriority`/`maxPriority` window). */
  async addRule(req: T.AddRuleRequest): Promise<T.IOperation> {
    return this.write('addRule', req.project, req.requestId, () => {
      const rec = this.policy(req);
      const body = wireNormalize(req.firewallPolicyRuleResource ?? {});
      if (!req.firewallPolicyRuleResource) throw requiredField('resource');
      const projected = projectedRules(rec, this.operations);
      const priority = addPriority(req, body, projected, rec.name);
      const rule = storedRule(body, priority, this.capacity);
      return { rec, effect: { kind: 'add', rule }, error: this.checkRule(rec, projected, rule) };
    });
  }

  /**
   * `networkFirewallPolicies.patchRule`: fields present in the body replace the rule's (top-level merge; lists and
   * `match` are replaced whole); a body `priority` different from the query `priority` moves the rule.
   */
  async patchRule(req: T.PatchRuleRequest): Promise<T.IOperation> {
    return this.write('patchRule', req.project, req.requestId, () => {
      const rec = this.policy(req);
      const from = priorityParam(req.priority);
      const projected = projectedRules(rec, this.operations);
      const old = projected.get(from);
      if (!old) throw noRule(from);
      const body = wireNormalize(req.firewallPolicyRuleResource ?? {});
      const to = body.priority ?? from;
      checkMoveTarget(projected, from, to, rec.name);
      const { kind: _k, ruleTupleCount: _t, ...oldFields } = old;
      const rule = storedRule({ ...oldFields, ...body }, to, this.capacity);
      return { rec, effect: { kind: 'patch', from, rule }, error: this.checkRule(rec, projected, rule, from) };
    });
  }

  /** `networkFirewallPolicies.removeRule`. The policy's default rules cannot be removed. */
  async removeRule(req: T.RemoveRuleRequest): Promise<T.IOperation> {
    return this.write('removeRule', req.project, req.requestId, () => {
      const rec = this.policy(req);
      const priority = priorityParam(req.priority);
      checkRemovable(projectedRules(rec, this.operations), priority);
      return { rec, effect: { kind: 'remove', priority } };
    });
  }

  /**
   * `networkFirewallPolicies.patch` (batch update, batch.ts): with `rules`, the complete new list, validated whole
   * before anything changes, replacing every rule in one operation (quotas over the new list); the body's
   * `fingerprint` must be the policy's current one (412 conditionNotMet).
   */
  async patch(req: T.PatchPolicyRequest): Promise<T.IOperation> {
    return this.write('patch', req.project, req.requestId, () => {
      const rec = this.policy(req);
      if (!req.firewallPolicyResource) throw requiredField('resource');
      const body = wireNormalize(req.firewallPolicyResource);
      checkFingerprint(rec, body.fingerprint);
      const { rules, description } = patchFields(body);
      const before = [...projectedRules(rec, this.operations).values()];
      const after = rules ? replacementRules(rules, this.capacity, this.limits) : before;
      const effect: T.Effect = { kind: 'replace', rules: after, ...(description !== undefined ? { description } : {}) };
      return { rec, effect, error: listQuotaError(before, after, this.capacity, rec.region) };
    });
  }

  // ---------------------------------------------------------------- API: GlobalOperations (RegionOperations: `region`)

  /** `globalOperations.get` by name or numeric id: counts as a poll. */
  async getOperation(req: T.OperationRequest): Promise<T.IOperation> {
    return this.call('getOperation', () => {
      const op = this.operation(req);
      this.poll(op);
      return this.view(op);
    });
  }

  /** `globalOperations.wait`: returns when DONE or after `maxWaitMs` (then maybe still RUNNING); counts as a poll. */
  async wait(req: T.OperationRequest): Promise<T.IOperation> {
    return this.call('wait', async () => {
      const op = this.operation(req);
      this.poll(op);
      if (op.status !== 'DONE' && typeof this.completion === 'object' && 'afterMs' in this.completion) {
        const due = op.createdAt + this.completion.afterMs - this.clock.now();
        await this.clock.sleep(Math.max(0, Math.min(due, this.maxWaitMs)));
        this.advance();
      }
      return this.view(op);
    });
  }

  // ---------------------------------------------------------------- persistence

  /** The whole state as JSON-able data (faults and counters are not state). */
  toJSON(): EngineState {
    this.pruneRequestIds();
    return encodeState(this);
  }

  /** An engine holding `state` (from `toJSON` or a state file). */
  static fromJSON(state: EngineState, options: T.EngineOptions = {}): FirewallPolicyEngine {
    const e = new FirewallPolicyEngine(options);
    const d = decodeState(state);
    e.nextId = d.nextId;
    for (const [k, v] of d.policies) e.policies.set(k, v);
    e.operations.push(...d.operations);
    for (const [k, v] of d.requestIds) e.requestIds.set(k, v);
    e.directory.load(state);
    e.networks.load(state);
    e.firewalls.load(state);
    e.dns.load(state);
    return e;
  }

  /** Writes the state to `file` (atomically: temp file + rename). */
  save(file: string): void {
    writeStateFile(file, this.toJSON());
  }

  /** Reads a state file written by `save` (or by an engine with `stateFile`). */
  static load(file: string, options: T.EngineOptions = {}): FirewallPolicyEngine {
    return FirewallPolicyEngine.fromJSON(readStateFile(file), options);
  }

  // ---------------------------------------------------------------- internals

  private newId(): string {
    // Compute ids are uint64 rendered as decimal strings.
    return (1_000_000_000_000_000_000n + BigInt(this.nextId++)).toString();
  }

  private async call<T>(method: T.Method, fn: () => T | Promise<T>): Promise<T> {
    this.counts.calls[method]++;
    if (READS.has(method)) this.counts.reads++;
    else if (WRITES.has(method)) this.counts.writes++;
    else this.counts.polls++;
    if (this.faults.latencyMs > 0) await this.clock.sleep(this.faults.latencyMs);
    try {
      this.advance();
      this.faults.beforeCall(method);
      return await fn();
    } catch (err) {
      if (err instanceof ComputeApiError) this.counts.errors++;
      throw err;
    }
  }

  private async write(
    method: T.Method,
    project: string | null | undefined,
    requestId: string | null | undefined,
    accept: () => { rec: T.PolicyRecord; effect: T.Effect; error?: T.OperationRecord['error'] },
  ): Promise<T.IOperation> {
    return this.call(method, () => {
      this.faults.beforeWrite();
      if (requestId != null && requestId !== '') {
        if (this.strictRequestId) checkRequestId(requestId);
        this.pruneRequestIds();
        const seen = this.requestIds.get(requestKey(project, requestId));
        const op = seen && this.operations.find((o) => o.name === seen.operation);
        if (op) {
          this.counts.deduplicated++;
          return this.view(op);
        }
      }
      const { rec, effect, error } = accept();
      // Rule writes are refused while a batch update runs (batch-update-overview), whatever `serializeWrites`.
      checkReady(rec, this.operations, !this.serializeWrites);
      const op = this.newOperation(rec, effect, requestId ?? undefined, error);
      this.faults.accepted();
      if (requestId) this.requestIds.set(requestKey(project, requestId), { operation: op.name, at: this.clock.now() });
      if (this.completion === 'immediate') this.complete(op);
      this.persist();
      return this.view(op);
    });
  }

  private newOperation(
    rec: T.PolicyRecord,
    effect: T.Effect,
    requestId: string | undefined,
    quota: T.OperationRecord['error'],
  ): T.OperationRecord {
    const error = quota ?? this.faults.operationError();
    const op = operationRecord(this.newId(), this.clock.now(), rec, effect, requestId, error);
    this.operations.push(op);
    return op;
  }

  private poll(op: T.OperationRecord): void {
    op.polls++;
    if (op.status !== 'DONE' && typeof this.completion === 'object' && 'afterPolls' in this.completion) {
      if (op.polls >= this.completion.afterPolls) this.complete(op);
    }
  }

  /** Completes operations whose delay has passed. */
  private advance(): void {
    const c = this.completion;
    if (typeof c !== 'object' || !('afterMs' in c)) return;
    const now = this.clock.now();
    for (const op of this.operations) {
      if (op.status !== 'DONE' && op.createdAt + c.afterMs <= now) this.complete(op);
    }
  }

  /** Completes `op` and, first, every earlier operation on the same policy (operations on a policy are serial). */
  private complete(op: T.OperationRecord): void {
    this.counts.applied += completeThrough(op, this.operations, this.policies, this.clock.now());
    this.persist();
  }

  /** Throws the rule's validation error; returns the quota error its operation will end with, if any. */
  private checkRule(rec: T.PolicyRecord, projected: Map<number, T.IRule>, rule: T.IRule, from?: number) {
    const err = validateRule(rule, this.limits);
    if (err) throw err;
    return quotaError(projected, rule, from, this.capacity, rec.region);
  }

  private policy(req: T.GetPolicyRequest): T.PolicyRecord {
    if (!req.project) throw requiredField('project');
    if (!req.firewallPolicy) throw requiredField('firewallPolicy');
    const rec = this.policies.get(policyKey(req.project, req.firewallPolicy, req.region));
    if (!rec) throw notFound(policyKey(req.project, req.firewallPolicy, req.region));
    return rec;
  }

  private operation(req: T.OperationRequest): T.OperationRecord {
    return findOperation(this.operations, req);
  }

  private pruneRequestIds(): void {
    const cutoff = this.clock.now() - this.requestIdTtlMs;
    for (const [k, v] of this.requestIds) if (v.at < cutoff) this.requestIds.delete(k);
  }

  private view(op: T.OperationRecord): T.IOperation {
    return operationView(op, this.policies.get(policyKey(op.project, op.policy, op.region)));
  }

  persist(): void {
    if (this.stateFile) this.save(this.stateFile);
  }
}
