/**
 * The fake's per-policy quotas and write serialization (docs/fake-compute.md): rule attributes and FQDNs per policy
 * counted with the core's one count (shared/core/capacity), reported where Google reports them, in the OPERATION's
 * error (`QUOTA_EXCEEDED`), not synchronously; and the synchronous 400 `resourceNotReady` of a write that arrives
 * while another operation on the same policy is still running.
 */
import { policyUsage } from '../../../shared/core/capacity/count';
import type { CapacitySettings } from '../../../shared/core/policy/capacity';
import { ComputeApiError } from './errors';
import type { IRule, OperationRecord, PolicyRecord } from './types';
import { onPolicy, policyKey } from './wire';

/**
 * The error of the operation of a write that would put the policy (with `rule` in place of `replacing`) over a quota;
 * undefined when it fits. The quota names are the metric names upper-cased (ASSUMED); the message form is the one
 * Google's operations carry (`Quota 'X' exceeded.  Limit: N globally.`).
 */
export function quotaError(
  projected: ReadonlyMap<number, IRule>,
  rule: IRule,
  replacing: number | undefined,
  capacity: CapacitySettings,
  /** A regional policy's region: its quotas are the `…_PER_REGIONAL_…` metrics (ASSUMED: the global settings). */
  region?: string,
): OperationRecord['error'] {
  const rules = [...projected].filter(([p]) => p !== replacing).map(([, r]) => r);
  return listQuotaError([...projected.values()], [...rules, rule], capacity, region);
}

/**
 * The quota error of a write that turns the policy's rules `before` into `after` (a rule write, or a batch update's
 * whole new list); undefined when it fits. A figure that does not grow is not refused (a patch that shrinks a rule of
 * an over-quota policy).
 */
export function listQuotaError(
  before: readonly IRule[],
  after: readonly IRule[],
  capacity: CapacitySettings,
  region?: string,
): OperationRecord['error'] {
  const scope = region ? 'REGIONAL' : 'GLOBAL';
  const was = policyUsage([...before], capacity);
  const will = policyUsage([...after], capacity);
  const over = (name: string, limit: number) => ({
    code: 'QUOTA_EXCEEDED',
    message: `Quota '${name}' exceeded.  Limit: ${limit.toFixed(1)} ${region ? `in region ${region}` : 'globally'}.`,
    httpStatus: 403,
  });
  if (will.attributes > capacity.attributesPerPolicy && will.attributes > was.attributes)
    return over(`RULE_ATTRIBUTES_PER_${scope}_NETWORK_FIREWALL_POLICY`, capacity.attributesPerPolicy);
  if (will.fqdns > capacity.fqdnsPerPolicy && will.fqdns > was.fqdns)
    return over(`FQDNS_PER_${scope}_NETWORK_FIREWALL_POLICY`, capacity.fqdnsPerPolicy);
  return undefined;
}

/**
 * 400 `resourceNotReady` when an operation on `rec` is still running: the policy serializes its mutations, and a write
 * racing an in-flight operation is refused (the message follows Compute's `The resource '…' is not ready`).
 */
export function checkReady(
  rec: PolicyRecord,
  operations: readonly OperationRecord[],
  /** Only a running batch update (patch) counts: rule writes are refused while one runs, whatever `serializeWrites`. */
  patchesOnly = false,
): void {
  const blocks = (o: OperationRecord) => !patchesOnly || o.effect?.kind === 'replace';
  if (operations.some((o) => o.status !== 'DONE' && onPolicy(o, rec) && blocks(o)))
    throw new ComputeApiError(
      400,
      'resourceNotReady',
      `The resource '${policyKey(rec.project, rec.name, rec.region)}' is not ready`,
    );
}
