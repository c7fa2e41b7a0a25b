/**
 * Batch update of a network firewall policy (`networkFirewallPolicies.patch` / `regionNetworkFirewallPolicies.patch`
 * with the complete `rules` list), as Google documents it (https://cloud.google.com/firewall/docs/batch-update-overview,
 * https://cloud.google.com/firewall/docs/configure-batch-updates; docs/fake-compute.md "Batch update"):
 * the whole list is validated before anything changes (one invalid rule refuses the patch), the request carries the
 * policy's fingerprint (optimistic locking), the default `goto_next` rules stay, and the new list replaces every rule
 * in one operation. The engine applies the effect; here are the checks and the new list.
 */
import type { CapacitySettings } from '../../../shared/core/policy/capacity';
import { ComputeApiError, invalidField, requiredField } from './errors';
import { checkPriority, storedRule } from './rules';
import type { IPolicy, IRule, PolicyRecord } from './types';
import { type RuleLimits, validateRule } from './validate';
import { defaultPolicyRules, fingerprint } from './wire';

/** The priorities of the default rules every network firewall policy keeps (2147483644..2147483647). */
export const DEFAULT_PRIORITIES: readonly number[] = defaultPolicyRules().map((r) => r.priority!);

/**
 * 400 required without a fingerprint (the REST patch requires one); 412 conditionNotMet when it is not the policy's
 * current fingerprint (another write landed since the caller's get).
 */
export function checkFingerprint(rec: PolicyRecord, given: string | null | undefined): void {
  if (!given) throw requiredField('resource.fingerprint');
  if (given !== fingerprint(rec))
    throw new ComputeApiError(
      412,
      'conditionNotMet',
      'Supplied fingerprint does not match current metadata fingerprint.',
    );
}

/** A rule's error re-pointed at its place in the list (`resource.rules[i].…`). */
function atIndex(err: ComputeApiError, i: number): ComputeApiError {
  const message = err.message.replace(/'resource\./g, `'resource.rules[${i}].`);
  return new ComputeApiError(err.status, err.reason, message, err.domain);
}

/**
 * The policy's new rules from a patch body's `rules`: each rule as the API stores it (output-only fields recomputed,
 * `ruleTupleCount` over the new rule), by ascending priority. Throws the first problem of the whole list: a rule
 * without a valid priority, two rules at one priority, an invalid rule, or a default rule left out.
 */
export function replacementRules(rules: readonly IRule[], capacity: CapacitySettings, limits: RuleLimits): IRule[] {
  const out = new Map<number, IRule>();
  for (const [i, r] of rules.entries()) {
    if (r.priority == null) throw requiredField(`resource.rules[${i}].priority`);
    checkPriority(`resource.rules[${i}].priority`, r.priority);
    if (out.has(r.priority))
      throw invalidField(`resource.rules[${i}].priority`, r.priority, 'Two rules of the list have this priority.');
    const stored = storedRule(r, r.priority, capacity);
    const err = validateRule(stored, limits);
    if (err) throw atIndex(err, i);
    out.set(r.priority, stored);
  }
  const missing = DEFAULT_PRIORITIES.filter((p) => !out.has(p));
  if (missing.length)
    throw invalidField('resource.rules', missing, 'The default goto_next rules of a firewall policy must be kept.');
  return [...out.values()].sort((a, b) => a.priority! - b.priority!);
}

/** The fields of a policy patch body the fake applies: `rules` (the batch update) and `description`. */
export function patchFields(body: IPolicy): { rules?: IRule[]; description?: string } {
  return {
    ...(body.rules && body.rules.length > 0 ? { rules: body.rules } : {}),
    ...(typeof body.description === 'string' ? { description: body.description } : {}),
  };
}
