/** The documented defaults of the platform policy (docs/policy.md); an override file is merged over them. */
import { DEFAULT_CAPACITY } from './capacity';
import type { PlatformPolicy } from './types';

/**
 * The defaults. `*.googleapis.com` is the one wildcard the platform can enforce out of the box: Cloud NGFW FQDN
 * objects cannot match wildcards, so it maps to the Private Google Access VIP ranges (private.googleapis.com).
 * The default target mode is `subnets`: a project's rules match the source ranges of the Shared VPC subnets named
 * `<project>-…` (primary + every secondary range), which covers every workload there whatever it runs as.
 */
export const DEFAULT_POLICY: PlatformPolicy = Object.freeze({
  manifest: Object.freeze({
    maxFileBytes: 128 * 1024,
    maxEntries: 250,
    minPrefixV4: 16,
    minPrefixV6: 32,
  }),
  wildcards: Object.freeze({
    '*.googleapis.com': Object.freeze({
      ranges: Object.freeze(['199.36.153.8/30', '2600:2d00:2:2000::/56']) as unknown as string[],
      note: 'Private Google Access (private.googleapis.com)',
    }),
  }),
  firewall: Object.freeze({
    priorityMin: 1000,
    priorityMax: 2000000000,
    target: Object.freeze({ mode: 'subnets', subnets: '{project}-*' }),
    maxFqdnsPerRule: 100,
    maxRangesPerRule: 5000,
    enableLogging: true,
    placement: 'global',
    regions: Object.freeze([]) as unknown as string[],
    regionalPolicyName: '{policy}-{region}',
  }),
  safety: Object.freeze({ maxRevocationsPerRun: 3, revocationsPerWindow: 10, windowSeconds: 600 }),
  capacity: DEFAULT_CAPACITY,
}) as PlatformPolicy;
