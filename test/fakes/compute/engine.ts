/**
 * The one semantic engine of the fake Compute: global network firewall policies keyed by (project, policy), with the
 * rule-level methods of `NetworkFirewallPolicies` (get, getRule, addRule, patchRule, removeRule) and the global
 * operations they create (get, wait). The fake client and the fake REST server are thin shells over it, so the two
 * exposures cannot diverge. No HTTP and no jest here: it is compiled into dist/ for the local pipeline.
 *
 * Model (see docs/fake-compute.md for what is verified and what is assumed):
 * - a write is validated when it is received (400/404/409/403 thrown synchronously, no operation created); accepted
 *   writes become operations whose effect lands when the operation completes (immediately, after N polls, or after a
 *   delay on the injectable clock); operations on one policy complete in order; reads see only completed effects;
 * - `requestId` (a UUID) makes a write idempotent: the same id returns the same operation and has no second effect;
 * - every applied write changes the policy fingerprint.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { protos } from '@google-cloud/compute';
import { type Clock, systemClock } from '../../../shared/ports/clock';
import { ComputeApiError, invalidField, notFound, requiredField, statusText } from './errors';
import { DEFAULT_RULE_LIMITS, MAX_PRIORITY, type RuleLimits, ruleTupleCount, validateRule } from './validate';

type IRule = protos.google.cloud.compute.v1.IFirewallPolicyRule;
type IPolicy = protos.google.cloud.compute.v1.IFirewallPolicy;
type IOperation = protos.google.cloud.compute.v1.IOperation;

/** A rule, policy and operation as the real client types them. */
export type { IOperation as Operation, IPolicy as FirewallPolicy, IRule as FirewallPolicyRule };

/** Request shapes, as the real client's `protos.google.cloud.compute.v1.I…Request` types. */
export type GetPolicyRequest = protos.google.cloud.compute.v1.IGetNetworkFirewallPolicyRequest;
/** getRule request. */
export type GetRuleRequest = protos.google.cloud.compute.v1.IGetRuleNetworkFirewallPolicyRequest;
/** addRule request. */
export type AddRuleRequest = protos.google.cloud.compute.v1.IAddRuleNetworkFirewallPolicyRequest;
/** patchRule request. */
export type PatchRuleRequest = protos.google.cloud.compute.v1.IPatchRuleNetworkFirewallPolicyRequest;
/** removeRule request. */
export type RemoveRuleRequest = protos.google.cloud.compute.v1.IRemoveRuleNetworkFirewallPolicyRequest;
/** globalOperations.get / wait request. */
export type OperationRequest = protos.google.cloud.compute.v1.IWaitGlobalOperationRequest;

/** When an accepted write's operation becomes DONE. */
export type Completion = 'immediate' | { afterPolls: number } | { afterMs: number };

/** The API methods the engine serves (keys of the call counters). */
export type Method = 'get' | 'getRule' | 'addRule' | 'patchRule' | 'removeRule' | 'getOperation' | 'wait';

const WRITES: ReadonlySet<Method> = new Set<Method>(['addRule', 'patchRule', 'removeRule']);
const READS: ReadonlySet<Method> = new Set<Method>(['get', 'getRule']);

/** Engine configuration; every field optional. */
export interface EngineOptions {
  /** Time source for operation delays, write quota and request-id retention (default: the wall clock). */
  clock?: Clock;
  /** Default `{afterPolls: 1}`: the write returns RUNNING and the first get/wait of the operation sees DONE. */
  completion?: Completion;
  /** Attribute ("tuple") quota per policy (sum of `ruleTupleCount`); exceeding it is 403 quotaExceeded. */
  ruleAttributeQuota?: number;
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
  /** addRule + patchRule + removeRule calls (failed and deduplicated ones included). */
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

type Effect =
  | { kind: 'add'; rule: IRule }
  | { kind: 'patch'; from: number; rule: IRule }
  | { kind: 'remove'; priority: number };

interface OperationRecord {
  id: string;
  name: string;
  project: string;
  policy: string;
  operationType: string;
  requestId?: string;
  createdAt: number;
  polls: number;
  status: 'RUNNING' | 'DONE';
  endedAt?: number;
  effect?: Effect;
  error?: { code: string; message: string; httpStatus: number };
}

interface PolicyRecord {
  project: string;
  name: string;
  id: string;
  description: string;
  createdAt: number;
  /** Bumped by every applied write; the fingerprint is derived from it. */
  generation: number;
  rules: Map<number, IRule>;
}

/** The persisted JSON form (`version: 1`). `egress plan --state FILE` and the server CLI read it. */
export interface EngineState {
  version: 1;
  nextId: number;
  policies: {
    project: string;
    name: string;
    id: string;
    description: string;
    createdAt: number;
    generation: number;
    rules: IRule[];
  }[];
  operations: OperationRecord[];
  requestIds: { project: string; requestId: string; operation: string; at: number }[];
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const BASE = 'https://www.googleapis.com/compute/v1';
const OP_TYPES: Record<Effect['kind'], string> = {
  add: 'addFirewallRuleToFirewallPolicy',
  patch: 'patchFirewallRuleInFirewallPolicy',
  remove: 'removeFirewallRuleFromFirewallPolicy',
};

/** The rules Google puts into a new global network firewall policy (lowest priorities, goto_next for both families). */
export function defaultPolicyRules(): IRule[] {
  const rule = (priority: number, direction: string, range: string, description: string): IRule => ({
    priority,
    direction,
    action: 'goto_next',
    description,
    match:
      direction === 'EGRESS'
        ? { destIpRanges: [range], layer4Configs: [{ ipProtocol: 'all' }] }
        : { srcIpRanges: [range], layer4Configs: [{ ipProtocol: 'all' }] },
  });
  return [
    rule(2147483644, 'EGRESS', '::/0', 'default egress rule ipv6'),
    rule(2147483645, 'INGRESS', '::/0', 'default ingress rule ipv6'),
    rule(2147483646, 'EGRESS', '0.0.0.0/0', 'default egress rule'),
    rule(2147483647, 'INGRESS', '0.0.0.0/0', 'default ingress rule'),
  ];
}

/** Drops null/undefined and empty lists at every level, as the real client's proto3-JSON encoding does on the wire. */
export function wireNormalize<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => wireNormalize(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = wireNormalize(v);
  }
  return out as T;
}

const clone = <T>(v: T): T => structuredClone(v);
const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace('Z', '-00:00');

function emptyCounters(): Counters {
  return {
    calls: { get: 0, getRule: 0, addRule: 0, patchRule: 0, removeRule: 0, getOperation: 0, wait: 0 },
    reads: 0,
    writes: 0,
    polls: 0,
    applied: 0,
    deduplicated: 0,
    errors: 0,
  };
}

/** A faithful in-memory model of Compute's global network firewall policies. */
export class FirewallPolicyEngine {
  private readonly clock: Clock;
  private completion: Completion;
  private readonly limits: RuleLimits;
  private ruleAttributeQuota: number;
  private readonly requestIdTtlMs: number;
  private readonly strictRequestId: boolean;
  private readonly maxWaitMs: number;
  private readonly stateFile: string | undefined;

  private nextId = 1;
  private readonly policies = new Map<string, PolicyRecord>();
  private readonly operations: OperationRecord[] = [];
  private readonly requestIds = new Map<string, { operation: string; at: number }>();
  private counts = emptyCounters();

  private failures: FailureFault[] = [];
  private opFailures: OperationFault[] = [];
  private latencyMs = 0;
  private crash: { after: number; accepted: number } | undefined;
  private writeQuota: { perMinute: number; status: 403 | 429; times: number[] } | undefined;

  constructor(options: EngineOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.completion = options.completion ?? { afterPolls: 1 };
    this.limits = { ...DEFAULT_RULE_LIMITS, ...options.limits };
    this.ruleAttributeQuota = options.ruleAttributeQuota ?? 20000;
    this.requestIdTtlMs = options.requestIdTtlMs ?? 60 * 60 * 1000;
    this.strictRequestId = options.strictRequestId ?? true;
    this.maxWaitMs = options.maxWaitMs ?? 120_000;
    this.stateFile = options.stateFile;
  }

  // ---------------------------------------------------------------- set-up and inspection (not API calls)

  /** Creates a policy (with Google's four default rules unless `defaultRules: false`) plus any seed rules. */
  createPolicy(
    project: string,
    name: string,
    opts: { rules?: IRule[]; defaultRules?: boolean; description?: string } = {},
  ): void {
    const key = this.key(project, name);
    if (this.policies.has(key)) throw new Error(`fake compute: policy ${key} already exists`);
    const rec: PolicyRecord = {
      project,
      name,
      id: this.newId(),
      description: opts.description ?? '',
      createdAt: this.clock.now(),
      generation: 1,
      rules: new Map(),
    };
    for (const r of [...(opts.defaultRules === false ? [] : defaultPolicyRules()), ...(opts.rules ?? [])]) {
      const stored = this.storedRule(wireNormalize(r), r.priority ?? 0);
      const err = validateRule(stored, this.limits);
      if (err) throw new Error(`fake compute: seed rule ${r.priority} is invalid: ${err.message}`);
      rec.rules.set(stored.priority!, stored);
    }
    this.policies.set(key, rec);
    this.persist();
  }

  /** The committed rules of a policy, by ascending priority (a copy; no call is counted). */
  rules(project: string, name: string): IRule[] {
    const rec = this.policies.get(this.key(project, name));
    if (!rec) throw new Error(`fake compute: no policy ${this.key(project, name)}`);
    return [...rec.rules.values()].sort((a, b) => a.priority! - b.priority!).map(clone);
  }

  /** A copy of the call counters. */
  counters(): Counters {
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
  setCompletion(completion: Completion): void {
    this.completion = completion;
  }

  /** Changes the per-policy attribute quota. */
  setRuleAttributeQuota(quota: number): void {
    this.ruleAttributeQuota = quota;
  }

  // ---------------------------------------------------------------- faults

  /** The next `count` matching calls fail with `status`/`reason` before any effect. Faults queue in order. */
  failNext(fault: FailureFault): void {
    this.failures.push({ ...fault });
  }

  /** The next `count` accepted writes get an operation that ends DONE with an error and no effect. */
  failOperations(fault: OperationFault): void {
    this.opFailures.push({ ...fault });
  }

  /** Every call first sleeps `ms` on the engine clock. */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** After `k` more accepted writes, every write fails with 503 backendError and no effect (until `clearFaults`). */
  crashAfterWrites(k: number): void {
    this.crash = { after: k, accepted: 0 };
  }

  /** At most `perMinute` writes in any 60 s of the clock; more fail with 403 (or 429) rateLimitExceeded. */
  setWriteQuota(perMinute: number, status: 403 | 429 = 403): void {
    this.writeQuota = { perMinute, status, times: [] };
  }

  /** Removes every injected fault, the latency and the write quota. */
  clearFaults(): void {
    this.failures = [];
    this.opFailures = [];
    this.latencyMs = 0;
    this.crash = undefined;
    this.writeQuota = undefined;
  }

  // ---------------------------------------------------------------- API: NetworkFirewallPolicies

  /** `networkFirewallPolicies.get`: the policy with its committed rules, fingerprint and ruleTupleCount. */
  async get(req: GetPolicyRequest): Promise<IPolicy> {
    return this.call('get', () => this.policyView(this.policy(req.project, req.firewallPolicy)));
  }

  /** `networkFirewallPolicies.getRule`. A priority without a rule is 400 invalid. */
  async getRule(req: GetRuleRequest): Promise<IRule> {
    return this.call('getRule', () => {
      const rec = this.policy(req.project, req.firewallPolicy);
      const priority = this.priorityParam(req.priority);
      const rule = rec.rules.get(priority);
      if (!rule) throw this.noRule(priority);
      return clone(rule);
    });
  }

  /** `networkFirewallPolicies.addRule` (fixed `priority` in the body, or a `minPriority`/`maxPriority` window). */
  async addRule(req: AddRuleRequest): Promise<IOperation> {
    return this.write('addRule', req.project, req.requestId, () => {
      const rec = this.policy(req.project, req.firewallPolicy);
      const body = wireNormalize(req.firewallPolicyRuleResource ?? {});
      if (!req.firewallPolicyRuleResource) throw requiredField('resource');
      const projected = this.projectedRules(rec);
      const windowed = req.minPriority != null || req.maxPriority != null;
      let priority: number;
      if (body.priority != null && windowed) {
        throw invalidField(
          'minPriority',
          req.minPriority ?? req.maxPriority,
          'minPriority/maxPriority are exclusive with rule.priority.',
        );
      }
      if (windowed) {
        const lo = req.minPriority ?? 0;
        const hi = req.maxPriority ?? MAX_PRIORITY;
        this.checkPriority('minPriority', lo);
        this.checkPriority('maxPriority', hi);
        if (lo > hi) throw invalidField('minPriority', lo, `minPriority must not exceed maxPriority (${hi}).`);
        let p = lo;
        while (p <= hi && projected.has(p)) p++;
        if (p > hi) throw invalidField('maxPriority', hi, `No unused priority between ${lo} and ${hi}.`);
        priority = p;
      } else {
        if (body.priority == null) throw requiredField('resource.priority');
        this.checkPriority('resource.priority', body.priority);
        priority = body.priority;
      }
      if (projected.has(priority)) {
        throw new ComputeApiError(
          409,
          'alreadyExists',
          `A rule with priority ${priority} already exists in firewall policy '${rec.name}'.`,
        );
      }
      const rule = this.storedRule(body, priority);
      this.checkRule(rec, projected, rule, undefined);
      return { rec, effect: { kind: 'add', rule } };
    });
  }

  /**
   * `networkFirewallPolicies.patchRule`: fields present in the body replace the rule's (top-level merge; lists and
   * `match` are replaced whole); a body `priority` different from the query `priority` moves the rule.
   */
  async patchRule(req: PatchRuleRequest): Promise<IOperation> {
    return this.write('patchRule', req.project, req.requestId, () => {
      const rec = this.policy(req.project, req.firewallPolicy);
      const from = this.priorityParam(req.priority);
      const projected = this.projectedRules(rec);
      const old = projected.get(from);
      if (!old) throw this.noRule(from);
      const body = wireNormalize(req.firewallPolicyRuleResource ?? {});
      const to = body.priority ?? from;
      this.checkPriority('resource.priority', to);
      if (to !== from && projected.has(to)) {
        throw new ComputeApiError(
          409,
          'alreadyExists',
          `A rule with priority ${to} already exists in firewall policy '${rec.name}'.`,
        );
      }
      const { kind: _k, ruleTupleCount: _t, ...oldFields } = old;
      const rule = this.storedRule({ ...oldFields, ...body }, to);
      this.checkRule(rec, projected, rule, from);
      return { rec, effect: { kind: 'patch', from, rule } };
    });
  }

  /** `networkFirewallPolicies.removeRule`. The policy's default rules cannot be removed. */
  async removeRule(req: RemoveRuleRequest): Promise<IOperation> {
    return this.write('removeRule', req.project, req.requestId, () => {
      const rec = this.policy(req.project, req.firewallPolicy);
      const priority = this.priorityParam(req.priority);
      if (!this.projectedRules(rec).has(priority)) throw this.noRule(priority);
      if (priority >= 2147483644) {
        throw invalidField('priority', priority, 'The default rules of a firewall policy cannot be removed.');
      }
      return { rec, effect: { kind: 'remove', priority } };
    });
  }

  // ---------------------------------------------------------------- API: GlobalOperations

  /** `globalOperations.get` by name or numeric id: counts as a poll. */
  async getOperation(req: OperationRequest): Promise<IOperation> {
    return this.call('getOperation', () => {
      const op = this.operation(req.project, req.operation);
      this.poll(op);
      return this.operationView(op);
    });
  }

  /**
   * `globalOperations.wait`: returns when the operation is DONE or after `maxWaitMs` (then possibly still RUNNING,
   * as the real method may); counts as a poll.
   */
  async wait(req: OperationRequest): Promise<IOperation> {
    return this.call('wait', async () => {
      const op = this.operation(req.project, req.operation);
      this.poll(op);
      if (op.status !== 'DONE' && typeof this.completion === 'object' && 'afterMs' in this.completion) {
        const due = op.createdAt + this.completion.afterMs - this.clock.now();
        await this.clock.sleep(Math.max(0, Math.min(due, this.maxWaitMs)));
        this.advance();
      }
      return this.operationView(op);
    });
  }

  // ---------------------------------------------------------------- persistence

  /** The whole state as JSON-able data (faults and counters are not state). */
  toJSON(): EngineState {
    this.pruneRequestIds();
    return {
      version: 1,
      nextId: this.nextId,
      policies: [...this.policies.values()].map((p) => ({
        project: p.project,
        name: p.name,
        id: p.id,
        description: p.description,
        createdAt: p.createdAt,
        generation: p.generation,
        rules: [...p.rules.values()].sort((a, b) => a.priority! - b.priority!),
      })),
      operations: this.operations,
      requestIds: [...this.requestIds.entries()].map(([k, v]) => {
        const [project, requestId] = JSON.parse(k) as [string, string];
        return { project, requestId, operation: v.operation, at: v.at };
      }),
    };
  }

  /** An engine holding `state` (from `toJSON` or a state file). */
  static fromJSON(state: EngineState, options: EngineOptions = {}): FirewallPolicyEngine {
    if (state?.version !== 1) throw new Error('fake compute: unsupported state (expected {"version": 1, …})');
    const e = new FirewallPolicyEngine(options);
    e.nextId = state.nextId;
    for (const p of state.policies) {
      e.policies.set(e.key(p.project, p.name), {
        ...p,
        rules: new Map(p.rules.map((r) => [r.priority!, r])),
      });
    }
    e.operations.push(...state.operations);
    for (const r of state.requestIds)
      e.requestIds.set(JSON.stringify([r.project, r.requestId]), { operation: r.operation, at: r.at });
    return e;
  }

  /** Writes the state to `file` (atomically: temp file + rename). */
  save(file: string): void {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.toJSON(), null, 2)}\n`);
    renameSync(tmp, file);
  }

  /** Reads a state file written by `save` (or by an engine with `stateFile`). */
  static load(file: string, options: EngineOptions = {}): FirewallPolicyEngine {
    let state: EngineState;
    try {
      state = JSON.parse(readFileSync(file, 'utf8')) as EngineState;
    } catch (err) {
      throw new Error(`fake compute: cannot read state file ${file}: ${(err as Error).message}`);
    }
    return FirewallPolicyEngine.fromJSON(state, options);
  }

  // ---------------------------------------------------------------- internals

  private key(project: string | null | undefined, name: string | null | undefined): string {
    return `projects/${project ?? ''}/global/firewallPolicies/${name ?? ''}`;
  }

  private newId(): string {
    // Compute ids are uint64 rendered as decimal strings.
    return (1_000_000_000_000_000_000n + BigInt(this.nextId++)).toString();
  }

  private async call<T>(method: Method, fn: () => T | Promise<T>): Promise<T> {
    this.counts.calls[method]++;
    if (READS.has(method)) this.counts.reads++;
    else if (WRITES.has(method)) this.counts.writes++;
    else this.counts.polls++;
    if (this.latencyMs > 0) await this.clock.sleep(this.latencyMs);
    try {
      this.advance();
      this.injectedFailure(method);
      return await fn();
    } catch (err) {
      if (err instanceof ComputeApiError) this.counts.errors++;
      throw err;
    }
  }

  private injectedFailure(method: Method): void {
    const i = this.failures.findIndex((f) => !f.methods || f.methods.includes(method));
    const f = this.failures[i];
    if (!f) return;
    if (--f.count <= 0) this.failures.splice(i, 1);
    // A rate limit carries Compute's own wording (clients since google-gax 6 classify a 403 by it).
    const text = f.reason === 'rateLimitExceeded' ? 'Rate Limit Exceeded' : `Injected failure: ${statusText(f.status)}`;
    throw new ComputeApiError(f.status, f.reason, f.message ?? text);
  }

  private async write(
    method: Method,
    project: string | null | undefined,
    requestId: string | null | undefined,
    accept: () => { rec: PolicyRecord; effect: Effect },
  ): Promise<IOperation> {
    return this.call(method, () => {
      if (this.writeQuota) {
        const now = this.clock.now();
        this.writeQuota.times = this.writeQuota.times.filter((t) => t > now - 60_000);
        if (this.writeQuota.times.length >= this.writeQuota.perMinute) {
          throw new ComputeApiError(
            this.writeQuota.status,
            'rateLimitExceeded',
            `Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute' of service 'compute.googleapis.com'.`,
          );
        }
        this.writeQuota.times.push(now);
      }
      if (this.crash && this.crash.accepted >= this.crash.after) {
        throw new ComputeApiError(503, 'backendError', 'The service is currently unavailable.');
      }
      if (requestId != null && requestId !== '') {
        if (this.strictRequestId && (!UUID.test(requestId) || requestId === ZERO_UUID)) {
          throw invalidField('requestId', requestId, 'Request ID must be a valid UUID (not the zero UUID).');
        }
        this.pruneRequestIds();
        const seen = this.requestIds.get(JSON.stringify([project ?? '', requestId]));
        const op = seen && this.operations.find((o) => o.name === seen.operation);
        if (op) {
          this.counts.deduplicated++;
          return this.operationView(op);
        }
      }
      const { rec, effect } = accept();
      const op = this.newOperation(rec, effect, requestId ?? undefined);
      if (this.crash) this.crash.accepted++;
      if (requestId)
        this.requestIds.set(JSON.stringify([project ?? '', requestId]), { operation: op.name, at: this.clock.now() });
      if (this.completion === 'immediate') this.complete(op);
      this.persist();
      return this.operationView(op);
    });
  }

  private newOperation(rec: PolicyRecord, effect: Effect, requestId: string | undefined): OperationRecord {
    const id = this.newId();
    const now = this.clock.now();
    const hex = createHash('sha256').update(id).digest('hex');
    const op: OperationRecord = {
      id,
      name: `operation-${now}-${hex.slice(0, 13)}-${hex.slice(13, 21)}-${hex.slice(21, 29)}`,
      project: rec.project,
      policy: rec.name,
      operationType: OP_TYPES[effect.kind],
      createdAt: now,
      polls: 0,
      status: 'RUNNING',
      effect,
      ...(requestId ? { requestId } : {}),
    };
    const fault = this.opFailures[0];
    if (fault) {
      if (--fault.count <= 0) this.opFailures.shift();
      op.error = {
        code: fault.code ?? 'INTERNAL_ERROR',
        message: fault.message ?? 'Internal error. Please try again or contact Google Support.',
        httpStatus: fault.httpStatus ?? 500,
      };
      delete op.effect;
    }
    this.operations.push(op);
    return op;
  }

  private poll(op: OperationRecord): void {
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
  private complete(op: OperationRecord): void {
    for (const o of this.operations) {
      if (o.status === 'DONE' || o.project !== op.project || o.policy !== op.policy) continue;
      const rec = this.policies.get(this.key(o.project, o.policy));
      if (rec && o.effect) {
        applyEffect(rec.rules, o.effect);
        rec.generation++;
        this.counts.applied++;
      }
      o.status = 'DONE';
      o.endedAt = this.clock.now();
      if (o === op) break;
    }
    this.persist();
  }

  /** The policy's rules as they will be once every accepted operation completes (what new writes validate against). */
  private projectedRules(rec: PolicyRecord): Map<number, IRule> {
    const rules = new Map(rec.rules);
    for (const o of this.operations) {
      if (o.status !== 'DONE' && o.effect && o.project === rec.project && o.policy === rec.name)
        applyEffect(rules, o.effect);
    }
    return rules;
  }

  private checkRule(
    rec: PolicyRecord,
    projected: Map<number, IRule>,
    rule: IRule,
    replacing: number | undefined,
  ): void {
    const err = validateRule(rule, this.limits);
    if (err) throw err;
    let total = rule.ruleTupleCount ?? 0;
    for (const [p, r] of projected) if (p !== replacing) total += r.ruleTupleCount ?? 0;
    if (total > this.ruleAttributeQuota) {
      throw new ComputeApiError(
        403,
        'quotaExceeded',
        `Quota 'FIREWALL_POLICY_RULE_ATTRIBUTES' exceeded. Limit: ${this.ruleAttributeQuota} in policy '${rec.name}' (would be ${total}).`,
        'usageLimits',
      );
    }
  }

  /** The rule as the API stores and returns it: output-only fields set, secure tags marked EFFECTIVE. */
  private storedRule(body: IRule, priority: number): IRule {
    const { kind: _k, ruleTupleCount: _t, ...fields } = body;
    const rule: IRule = clone({ ...fields, priority });
    if (rule.targetSecureTags)
      rule.targetSecureTags = rule.targetSecureTags.map((t) => ({ name: t.name, state: 'EFFECTIVE' }));
    return { kind: 'compute#firewallPolicyRule', ...rule, ruleTupleCount: ruleTupleCount(rule) };
  }

  private checkPriority(field: string, p: unknown): void {
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > MAX_PRIORITY) {
      throw invalidField(field, p, `Must be an integer between 0 and ${MAX_PRIORITY}.`);
    }
  }

  private priorityParam(p: number | null | undefined): number {
    if (p == null) throw requiredField('priority');
    this.checkPriority('priority', p);
    return p;
  }

  private noRule(priority: number): ComputeApiError {
    return invalidField('priority', priority, `The firewall policy does not contain a rule at priority ${priority}.`);
  }

  private policy(project: string | null | undefined, name: string | null | undefined): PolicyRecord {
    if (!project) throw requiredField('project');
    if (!name) throw requiredField('firewallPolicy');
    const rec = this.policies.get(this.key(project, name));
    if (!rec) throw notFound(this.key(project, name));
    return rec;
  }

  private operation(project: string | null | undefined, nameOrId: string | null | undefined): OperationRecord {
    const op = this.operations.find((o) => o.project === project && (o.name === nameOrId || o.id === nameOrId));
    if (!op) throw notFound(`projects/${project ?? ''}/global/operations/${nameOrId ?? ''}`);
    return op;
  }

  private pruneRequestIds(): void {
    const cutoff = this.clock.now() - this.requestIdTtlMs;
    for (const [k, v] of this.requestIds) if (v.at < cutoff) this.requestIds.delete(k);
  }

  private fingerprint(rec: PolicyRecord): string {
    return createHash('sha256').update(`${rec.id}:${rec.generation}`).digest().subarray(0, 8).toString('base64');
  }

  private policyView(rec: PolicyRecord): IPolicy {
    const rules = [...rec.rules.values()].sort((a, b) => a.priority! - b.priority!).map(clone);
    return {
      kind: 'compute#firewallPolicy',
      id: rec.id,
      creationTimestamp: rfc3339(rec.createdAt),
      name: rec.name,
      ...(rec.description ? { description: rec.description } : {}),
      rules,
      fingerprint: this.fingerprint(rec),
      selfLink: `${BASE}/${this.key(rec.project, rec.name)}`,
      selfLinkWithId: `${BASE}/projects/${rec.project}/global/firewallPolicies/${rec.id}`,
      ruleTupleCount: rules.reduce((n, r) => n + (r.ruleTupleCount ?? 0), 0),
    };
  }

  private operationView(op: OperationRecord): IOperation {
    const rec = this.policies.get(this.key(op.project, op.policy));
    const done = op.status === 'DONE';
    return {
      kind: 'compute#operation',
      id: op.id,
      name: op.name,
      operationType: op.operationType,
      targetLink: `${BASE}/${this.key(op.project, op.policy)}`,
      ...(rec ? { targetId: rec.id } : {}),
      status: op.status,
      user: 'fake-compute@example.com',
      progress: done ? 100 : 0,
      insertTime: rfc3339(op.createdAt),
      startTime: rfc3339(op.createdAt),
      ...(done && op.endedAt !== undefined ? { endTime: rfc3339(op.endedAt) } : {}),
      selfLink: `${BASE}/projects/${op.project}/global/operations/${op.name}`,
      ...(op.requestId ? { clientOperationId: op.requestId } : {}),
      ...(done && op.error
        ? {
            error: { errors: [{ code: op.error.code, message: op.error.message }] },
            httpErrorStatusCode: op.error.httpStatus,
            httpErrorMessage: statusText(op.error.httpStatus).toUpperCase(),
          }
        : {}),
    };
  }

  private persist(): void {
    if (this.stateFile) this.save(this.stateFile);
  }
}

function applyEffect(rules: Map<number, IRule>, effect: Effect): void {
  if (effect.kind === 'add') rules.set(effect.rule.priority!, effect.rule);
  else if (effect.kind === 'remove') rules.delete(effect.priority);
  else {
    rules.delete(effect.from);
    rules.set(effect.rule.priority!, effect.rule);
  }
}
