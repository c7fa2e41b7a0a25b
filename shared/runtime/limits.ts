/**
 * The applier's limits (docs/capacity.md, "Where the limits come from"): the platform policy with its `capacity`
 * limits replaced by the host project's values from the Cloud Quotas API (adapters/quotas.ts, required here, after the
 * instance's first event, never on the cold start), else left as the policy file says. One read per instance.
 */
import type { PlatformPolicy } from '../core/policy/types';
import { type Logger, nullLogger } from '../ports/logger';
import { limitsFor } from '../usecases/capacity';
import { lazy } from './lazy';

/** `policy` with the limits in effect for the global policy; the log says where they came from. */
export async function withQuotaLimits(
  policy: PlatformPolicy,
  hostProject: string,
  firewallPolicy: string,
  opts: { endpoint?: string },
  logger: Logger = nullLogger,
): Promise<PlatformPolicy> {
  const { cloudQuotasClient, cloudQuotasLimits } = lazy.quotas();
  const client = cloudQuotasClient({ ...opts, deadlineMs: 10_000 });
  try {
    const { limits, settings, note } = await limitsFor(cloudQuotasLimits(hostProject, client.api), policy.capacity, {
      name: firewallPolicy,
    });
    logger.log(note ? 'WARNING' : 'INFO', note ?? 'per-policy limits', {
      limits: { attributes: limits.attributesPerPolicy, fqdns: limits.fqdnsPerPolicy },
      sources: limits.sources,
    });
    return { ...policy, capacity: settings };
  } finally {
    await client.close();
  }
}
