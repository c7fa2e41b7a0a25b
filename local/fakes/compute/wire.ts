/**
 * The fake Compute's wire forms: Google's default rules of a new policy, proto3-JSON normalisation, and the policy and
 * operation resources as the API returns them.
 */
import { createHash } from 'node:crypto';
import { statusText } from './errors';
import type { Effect, IOperation, IPolicy, IRule, OperationRecord, PolicyRecord } from './types';

const BASE = 'https://www.googleapis.com/compute/v1';

/** A deep copy (the engine never hands out its own records). */
export const clone = <T>(v: T): T => structuredClone(v);
/** Compute's timestamp form (RFC 3339 with a -00:00 offset). */
export const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace('Z', '-00:00');

/** `global` or `regions/R`: where a policy or operation lives (regional network firewall policies have a region). */
export function scopeOf(region: string | null | undefined): string {
  return region ? `regions/${region}` : 'global';
}

/** The resource path of a policy (global, or regional with `region`); also the engine's key of it. */
export function policyKey(
  project: string | null | undefined,
  name: string | null | undefined,
  region?: string | null,
): string {
  return `projects/${project ?? ''}/${scopeOf(region)}/firewallPolicies/${name ?? ''}`;
}

/** True when operation `o` targets policy `rec` (same project, scope and name). */
export function onPolicy(o: OperationRecord, rec: PolicyRecord): boolean {
  return o.project === rec.project && o.policy === rec.name && (o.region ?? '') === (rec.region ?? '');
}

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

/** The policy fingerprint: changes with every applied write. */
export function fingerprint(rec: PolicyRecord): string {
  return createHash('sha256').update(`${rec.id}:${rec.generation}`).digest().subarray(0, 8).toString('base64');
}

/** A policy as `networkFirewallPolicies.get` returns it. */
export function policyView(rec: PolicyRecord): IPolicy {
  const rules = [...rec.rules.values()].sort((a, b) => a.priority! - b.priority!).map(clone);
  return {
    kind: 'compute#firewallPolicy',
    ...(rec.region ? { region: `${BASE}/projects/${rec.project}/regions/${rec.region}` } : {}),
    id: rec.id,
    creationTimestamp: rfc3339(rec.createdAt),
    name: rec.name,
    ...(rec.description ? { description: rec.description } : {}),
    rules,
    fingerprint: fingerprint(rec),
    selfLink: `${BASE}/${policyKey(rec.project, rec.name, rec.region)}`,
    selfLinkWithId: `${BASE}/${policyKey(rec.project, rec.id, rec.region)}`,
    ruleTupleCount: rules.reduce((n, r) => n + (r.ruleTupleCount ?? 0), 0),
  };
}

/** An operation as the API returns it (`rec`: its target policy, when it still exists). */
export function operationView(op: OperationRecord, rec: PolicyRecord | undefined): IOperation {
  const done = op.status === 'DONE';
  return {
    kind: 'compute#operation',
    id: op.id,
    name: op.name,
    operationType: op.operationType,
    targetLink: `${BASE}/${op.targetLink ?? policyKey(op.project, op.policy, op.region)}`,
    ...(op.targetId ? { targetId: op.targetId } : rec ? { targetId: rec.id } : {}),
    status: op.status,
    user: 'fake-compute@example.com',
    progress: done ? 100 : 0,
    insertTime: rfc3339(op.createdAt),
    startTime: rfc3339(op.createdAt),
    ...(done && op.endedAt !== undefined ? { endTime: rfc3339(op.endedAt) } : {}),
    ...(op.region ? { region: `${BASE}/projects/${op.project}/regions/${op.region}` } : {}),
    selfLink: `${BASE}/projects/${op.project}/${scopeOf(op.region)}/operations/${op.name}`,
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

const OP_TYPES: Record<Effect['kind'], string> = {
  add: 'addFirewallRuleToFirewallPolicy',
  patch: 'patchFirewallRuleInFirewallPolicy',
  remove: 'removeFirewallRuleFromFirewallPolicy',
  replace: 'compute.networkFirewallPolicy.patch', // recorded (k8s-config-connector computenetworkfirewallpolicy)
};

/** A new RUNNING operation of `effect` on `rec` (its name derived from its id, as Compute's look). */
export function operationRecord(
  id: string,
  now: number,
  rec: PolicyRecord,
  effect: Effect,
  requestId: string | undefined,
  /** The error it will end with (a quota or an injected fault): then it has no effect. */
  error?: OperationRecord['error'],
): OperationRecord {
  return {
    id,
    name: operationName(id, now),
    project: rec.project,
    ...(rec.region ? { region: rec.region } : {}),
    policy: rec.name,
    operationType: OP_TYPES[effect.kind],
    createdAt: now,
    polls: 0,
    status: 'RUNNING',
    ...(error ? { error } : { effect }),
    ...(requestId ? { requestId } : {}),
  };
}

/** Compute's look of an operation name, derived from its id. */
function operationName(id: string, now: number): string {
  const hex = createHash('sha256').update(id).digest('hex');
  return `operation-${now}-${hex.slice(0, 13)}-${hex.slice(13, 21)}-${hex.slice(21, 29)}`;
}

/**
 * The operation of a write on a VPC firewall rule or network (`target`: `projects/P/global/…`): DONE when returned,
 * its effect already made (the fake completes these writes at once; Google answers RUNNING first).
 */
export function resourceOperation(
  id: string,
  now: number,
  project: string,
  target: string,
  targetId: string,
  operationType: string,
): OperationRecord {
  const base = { id, name: operationName(id, now), project, policy: '', targetLink: target, targetId };
  return { ...base, operationType, createdAt: now, polls: 0, status: 'DONE', endedAt: now };
}
