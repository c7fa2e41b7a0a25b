/** A platform policy literal for the firewall unit tests (independent of the policy module's defaults). */
import type { PlatformPolicy } from '../../../shared/core/policy/types';

export function testPolicy(over: Partial<PlatformPolicy['firewall']> = {}): PlatformPolicy {
  return {
    manifest: { maxFileBytes: 65536, maxEntries: 100, minPrefixV4: 16, minPrefixV6: 32 },
    wildcards: {
      '*.googleapis.com': { ranges: ['199.36.153.8/30', '2600:2d00:0002:2000::/56'], note: 'private.googleapis.com' },
    },
    firewall: {
      hostProject: 'host-prj',
      priorityMin: 1000,
      priorityMax: 1999,
      target: { mode: 'serviceAccounts', templates: ['egress-{project}@{hostProject}.iam.gserviceaccount.com'] },
      maxFqdnsPerRule: 100,
      maxRangesPerRule: 5000,
      enableLogging: true,
      placement: 'global',
      regions: [],
      regionalPolicyName: '{policy}-{region}',
      ...over,
    },
    safety: { maxRevocationsPerRun: 3, revocationsPerWindow: 10, windowSeconds: 600 },
    capacity: {
      attributesPerPolicy: 2000,
      fqdnsPerPolicy: 1000,
      fqdnAttributes: 1,
      secureTagAttributes: 1,
      serviceAccountAttributes: 1,
    },
  };
}

/** The workloads of a secure-tags policy as the applier resolves them (numeric tag values, here a readable one). */
export const TAG_WORKLOADS = {
  mode: 'secureTags' as const,
  tags: [{ name: 'tagValues/payment-gateway', namespaced: '42/egress/payment-gateway' }],
};
