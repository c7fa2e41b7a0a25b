/** The applier's warm-up (example.ts): its composition, then the example's egress change on an in-memory policy. */
import { memoryLogger, memoryPublisher } from '../../adapters/memory';
import { encodeEvent, makeEgressChange } from '../../core/events/codec';
import type { ObservedRule } from '../../core/firewall/types';
import type { SubnetRanges } from '../../core/firewall/workloads';
import { validateManifest } from '../../core/manifest';
import { type FirewallPolicyPort, singlePolicy } from '../../ports/firewall';
import { composeApplier } from '../applier';
import { WARM_UP_BUCKET, WARM_UP_ENV, WARM_UP_MANIFEST, WARM_UP_OBJECT } from './example';

/** A policy held in memory: the writes land, so the applier's own reads see them. */
function memoryFirewall(): FirewallPolicyPort {
  let rules: ObservedRule[] = [];
  return {
    getPolicy: async () => ({ rules: rules.map((r) => ({ ...r })) }),
    patchPolicy: async (next) => {
      rules = next.map((r) => ({ ...r }));
    },
  };
}

const SUBNET: SubnetRanges = {
  name: 'warm-up-usc1',
  region: 'us-central1',
  network: 'shared-vpc',
  primary: '10.0.0.0/24',
  secondary: [{ name: 'pods', range: '10.64.0.0/14' }],
  ipv6: [],
};

/** Applies the example manifest's change as its Pub/Sub message; throws unless the rules were written. */
export async function warmUpApplier(): Promise<void> {
  const applier = await composeApplier(WARM_UP_ENV);
  const manifest = validateManifest(WARM_UP_MANIFEST, { path: WARM_UP_OBJECT, policy: applier.policy });
  if (!manifest.valid || !manifest.project) throw new Error('warm-up: the example manifest is not valid');
  const message = encodeEvent(
    makeEgressChange({
      project: manifest.project,
      reason: 'upsert',
      entries: manifest.egress,
      source: { bucket: WARM_UP_BUCKET, object: WARM_UP_OBJECT, generation: '1' },
    }),
  );
  const { handleEgressMessage } = await import('../../usecases/applyChange');
  const outcome = await handleEgressMessage(
    {
      ...applier,
      policies: singlePolicy(memoryFirewall()),
      publisher: memoryPublisher(),
      logger: memoryLogger(),
      workloads: { subnets: { listSubnets: async () => [SUBNET] } },
      // The example's object is live at the event's generation (the first apply of a project checks it).
      storeFor: () => ({ stat: async (name) => ({ name, generation: '1', size: WARM_UP_MANIFEST.length }) }),
    },
    message,
  );
  if (outcome.outcome !== 'applied') throw new Error(`warm-up: the applier ended ${outcome.outcome}`);
}
