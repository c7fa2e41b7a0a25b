/**
 * The applier's limits (docs/capacity.md, "Where the limits come from"): each policy of the placement's limits from
 * the host project's Cloud Quotas values (adapters/quotas.ts, required here, after the instance's first event, never
 * on the cold start), else the policy file's. One read per instance.
 */
import type { PolicyRef } from '../core/policy/placement';
import type { PlatformPolicy } from '../core/policy/types';
import { type Logger, nullLogger } from '../ports/logger';
import { capacitiesFor } from '../usecases/capacity';
import { lazy } from './lazy';

/** The limits in effect for each of `refs` (by policyRefKey); the log says where they came from. */
export async function quotaCapacities(
  policy: PlatformPolicy,
  hostProject: string,
  refs: readonly PolicyRef[],
  opts: { endpoint?: string },
  logger: Logger = nullLogger,
): Promise<Awaited<ReturnType<typeof capacitiesFor>>['capacities']> {
  const { cloudQuotasClient, cloudQuotasLimits } = lazy.quotas();
  const client = cloudQuotasClient({ ...opts, deadlineMs: 10_000 });
  try {
    const read = await capacitiesFor(cloudQuotasLimits(hostProject, client.api), policy.capacity, refs);
    const limits = Object.fromEntries(
      [...read.limits].map(([key, l]) => [
        key,
        { attributes: l.attributesPerPolicy, fqdns: l.fqdnsPerPolicy, sources: l.sources },
      ]),
    );
    logger.log(read.notes.length ? 'WARNING' : 'INFO', read.notes.join('; ') || 'per-policy limits', { limits });
    return read.capacities;
  } finally {
    await client.close();
  }
}
