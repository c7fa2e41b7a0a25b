/** Rule-level rules of the fake Compute's writes: stored form, priorities, the addRule window, applying an effect. */
import type { Counting } from '../../../shared/core/capacity/count';
import { ComputeApiError, invalidField, notFound, requiredField } from './errors';
import type { AddRuleRequest, Effect, IRule, OperationRecord, OperationRequest, PolicyRecord } from './types';
import { MAX_PRIORITY, type RuleLimits, ruleTupleCount, validateRule } from './validate';
import { clone, defaultPolicyRules, onPolicy, policyKey, scopeOf, wireNormalize } from './wire';

/** The rule as the API stores and returns it: output-only fields set, secure tags marked EFFECTIVE. */
export function storedRule(body: IRule, priority: number, counting?: Counting): IRule {
  const { kind: _k, ruleTupleCount: _t, ...fields } = body;
  const rule: IRule = clone({ ...fields, priority });
  if (rule.targetSecureTags)
    rule.targetSecureTags = rule.targetSecureTags.map((t) => ({ name: t.name, state: 'EFFECTIVE' }));
  return { kind: 'compute#firewallPolicyRule', ...rule, ruleTupleCount: ruleTupleCount(rule, counting) };
}

/** Throws 400 invalid unless `p` is a priority (0..MAX_PRIORITY). */
export function checkPriority(field: string, p: unknown): void {
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > MAX_PRIORITY) {
    throw invalidField(field, p, `Must be an integer between 0 and ${MAX_PRIORITY}.`);
  }
}

/** The `priority` query parameter: required, and a priority. */
export function priorityParam(p: number | null | undefined): number {
  if (p == null) throw requiredField('priority');
  checkPriority('priority', p);
  return p;
}

/** The 400 of a priority without a rule. */
export function noRule(priority: number): ComputeApiError {
  return invalidField('priority', priority, `The firewall policy does not contain a rule at priority ${priority}.`);
}

/**
 * The priority of an `addRule`: the body's, or the lowest unused one in the `minPriority`/`maxPriority` window
 * (exclusive with a body priority); 409 alreadyExists when taken in `projected` (the policy once pending writes land).
 */
export function addPriority(
  req: AddRuleRequest,
  body: IRule,
  projected: ReadonlyMap<number, IRule>,
  policyName: string,
): number {
  const priority = windowPriority(req, body, projected);
  if (projected.has(priority)) {
    throw new ComputeApiError(
      409,
      'alreadyExists',
      `A rule with priority ${priority} already exists in firewall policy '${policyName}'.`,
    );
  }
  return priority;
}

function windowPriority(req: AddRuleRequest, body: IRule, projected: ReadonlyMap<number, IRule>): number {
  const windowed = req.minPriority != null || req.maxPriority != null;
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
    checkPriority('minPriority', lo);
    checkPriority('maxPriority', hi);
    if (lo > hi) throw invalidField('minPriority', lo, `minPriority must not exceed maxPriority (${hi}).`);
    let p = lo;
    while (p <= hi && projected.has(p)) p++;
    if (p > hi) throw invalidField('maxPriority', hi, `No unused priority between ${lo} and ${hi}.`);
    return p;
  } else {
    if (body.priority == null) throw requiredField('resource.priority');
    checkPriority('resource.priority', body.priority);
    return body.priority;
  }
}

/** Applies a write's effect to a priority → rule map. */
export function applyEffect(rules: Map<number, IRule>, effect: Effect): void {
  if (effect.kind === 'add') rules.set(effect.rule.priority!, effect.rule);
  else if (effect.kind === 'remove') rules.delete(effect.priority);
  else if (effect.kind === 'replace') {
    rules.clear();
    for (const r of effect.rules) rules.set(r.priority!, r);
  } else {
    rules.delete(effect.from);
    rules.set(effect.rule.priority!, effect.rule);
  }
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** 400 invalid unless `requestId` is a UUID other than the zero UUID (as the API documents). */
export function checkRequestId(requestId: string): void {
  if (!UUID.test(requestId) || requestId === ZERO_UUID)
    throw invalidField('requestId', requestId, 'Request ID must be a valid UUID (not the zero UUID).');
}

/** patchRule's target priority: a valid priority, and free when the patch moves the rule (409 alreadyExists). */
export function checkMoveTarget(projected: ReadonlyMap<number, IRule>, from: number, to: number, policy: string): void {
  checkPriority('resource.priority', to);
  if (to !== from && projected.has(to))
    throw new ComputeApiError(
      409,
      'alreadyExists',
      `A rule with priority ${to} already exists in firewall policy '${policy}'.`,
    );
}

/** removeRule's priority: it holds a rule, and not one of the policy's default rules (which cannot be removed). */
export function checkRemovable(projected: ReadonlyMap<number, IRule>, priority: number): void {
  if (!projected.has(priority)) throw noRule(priority);
  if (priority >= 2147483644)
    throw invalidField('priority', priority, 'The default rules of a firewall policy cannot be removed.');
}

/** The policy's rules as they will be once every accepted operation completes (what new writes validate against). */
export function projectedRules(rec: PolicyRecord, operations: readonly OperationRecord[]): Map<number, IRule> {
  const rules = new Map(rec.rules);
  for (const o of operations) {
    if (o.status !== 'DONE' && o.effect && onPolicy(o, rec)) applyEffect(rules, o.effect);
  }
  return rules;
}

/**
 * Completes `op` and, first, every earlier operation on the same policy (operations on a policy are serial); returns
 * how many effects were applied.
 */
export function completeThrough(
  op: OperationRecord,
  operations: readonly OperationRecord[],
  policies: ReadonlyMap<string, PolicyRecord>,
  now: number,
): number {
  let applied = 0;
  for (const o of operations) {
    if (o.status === 'DONE' || o.project !== op.project || o.policy !== op.policy || o.region !== op.region) continue;
    const rec = policies.get(policyKey(o.project, o.policy, o.region));
    if (rec && o.effect) {
      applyEffect(rec.rules, o.effect);
      if (o.effect.kind === 'replace' && o.effect.description !== undefined) rec.description = o.effect.description;
      rec.generation++;
      applied++;
    }
    o.status = 'DONE';
    o.endedAt = now;
    if (o === op) break;
  }
  return applied;
}

/** The rules of a policy created by set-up (`createPolicy`): Google's default rules unless left out, then `rules`. */
export function seedRules(
  rules: IRule[],
  defaults: boolean,
  counting: Counting,
  limits: RuleLimits,
): Map<number, IRule> {
  const out = new Map<number, IRule>();
  for (const r of [...(defaults ? defaultPolicyRules() : []), ...rules]) {
    const stored = storedRule(wireNormalize(r), r.priority ?? 0, counting);
    const err = validateRule(stored, limits);
    if (err) throw new Error(`fake compute: seed rule ${r.priority} is invalid: ${err.message}`);
    out.set(stored.priority!, stored);
  }
  return out;
}

/** An operation by name or numeric id in its scope (global, or the request's region); 404 notFound otherwise. */
export function findOperation(operations: readonly OperationRecord[], req: OperationRequest): OperationRecord {
  const { project, region, operation: id } = req;
  const op = operations.find(
    (o) => o.project === project && (o.region ?? '') === (region ?? '') && (o.name === id || o.id === id),
  );
  if (!op) throw notFound(`projects/${project ?? ''}/${scopeOf(region)}/operations/${id ?? ''}`);
  return op;
}
