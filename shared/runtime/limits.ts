/**
 * The applier's limits (docs/capacity.md, "Where the limits come from"): each policy of the placement's limits from
 * the host project's Cloud Quotas values (adapters/quotas.ts, required here, after the instance's first event, never
 * on the cold start), else the policy file's. One read per instance.
 */
import type { PolicyRef } from '../core/policy/placement';
import type { PlatformPolicy } from '../core/policy/types';
import type { FirewallPolicies } from '../ports/firewall';
import { type Logger, nullLogger } from '../ports/logger';
import { capacitiesFor, type PolicyCapacities } from '../usecases/capacity';
import type { CommandContext } from './context';
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

/**
 * A command's per-policy limits for a fleet reconcile (`replay --all`, `drift --repair` and their predictions): the
 * Cloud Quotas values the context reads (ctx.limits: live, or npm start's fake), as the applier checks its patches
 * against; `{}` when the context reads none (the policy file's limits apply). A failed read is logged and falls back.
 */
export async function fleetCapacities(
  ctx: Pick<CommandContext, 'limits' | 'policy'>,
  hostProject: string,
  policies: FirewallPolicies,
  logger: Logger = nullLogger,
): Promise<{ capacities?: PolicyCapacities }> {
  const reader = ctx.limits(hostProject);
  if (!reader) return {};
  const read = await capacitiesFor(reader, ctx.policy.capacity, policies.list());
  for (const note of read.notes) logger.log('WARNING', note);
  return { capacities: read.capacities };
}
