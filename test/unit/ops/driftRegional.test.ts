/**
 * Drift under regional placement (core/placementDrift.ts, usecases/drift.ts): every policy of the placement read, a
 * project compared in its region's policy, its rules left in the global policy after a switch reported `misplaced`
 * (and `missing` where they belong; a replay moves them), usage per policy, and a region with subnets but no
 * regional policy reported.
 */
import { memoryManifestStore } from '../../../shared/adapters/memory';
import { renderDriftText } from '../../../shared/core/drift';
import { compileProject } from '../../../shared/core/firewall/compiler';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import type { EgressEntry } from '../../../shared/core/manifest/types';
import { placementPolicies, policyRefKey } from '../../../shared/core/policy/placement';
import type { PlatformPolicy } from '../../../shared/core/policy/types';
import { virtualClock } from '../../../shared/ports/clock';
import type { FirewallPolicies, FirewallPolicyPort } from '../../../shared/ports/firewall';
import { runDrift } from '../../../shared/usecases/drift';
import { releaseRevocations } from '../../../shared/usecases/release';
import { manifestYaml } from '../../support/manifests';
import { testPolicy } from '../firewall/testPolicy';

const policy: PlatformPolicy = testPolicy({ placement: 'regional', regions: ['us-central1', 'europe-west1'] });
const entries: EgressEntry[] = [
  { value: 'api.stripe.com', type: 'hostname' },
  { value: '34.117.59.0/24', type: 'cidr' },
];
const rules = (name: string): ObservedRule[] =>
  compileProject({ name, environment: 'production' }, entries, { policy, generation: '1' }).map(
    ({ coverage: _, ...r }, i) => ({ ...r, priority: 1000 + i }),
  );

function fleet(byKey: Record<string, ObservedRule[]>): FirewallPolicies {
  const port = (rs: ObservedRule[]): FirewallPolicyPort => ({
    getPolicy: async () => ({ rules: rs }),
    patchPolicy: async () => undefined,
  });
  return {
    list: () => placementPolicies(policy.firewall, 'fw'),
    forPolicy: (ref) => port(byKey[policyRefKey(ref)] ?? []),
  };
}

async function drift(byKey: Record<string, ObservedRule[]>, subnets: { name: string; region: string }[] = []) {
  const store = memoryManifestStore('b');
  await store.write(
    'manifests/payments.yaml',
    Buffer.from(manifestYaml('payments', ['api.stripe.com', '34.117.59.0/24'], { region: 'us-central1' })),
  );
  const policies = fleet(byKey);
  return runDrift({
    store,
    bucket: 'b',
    prefix: 'manifests/',
    policies,
    policy,
    clock: virtualClock(0),
    hostProject: 'host-prj',
    workloads: {
      subnets: {
        listSubnets: async () =>
          subnets.map((s) => ({ ...s, network: 'n', primary: '10.0.0.0/24', secondary: [], ipv6: [] })),
      },
    },
  });
}

describe('drift under regional placement', () => {
  it('is clean when the project is in its region policy; one capacity entry per policy', async () => {
    const run = await drift({ 'regions/us-central1/fw-us-central1': rules('payments') });
    expect(run.report).toMatchObject({ drifted: [], errors: [] });
    expect(run.report.clean).toBe(true);
    expect(run.capacities?.map((c) => [c.policy, c.projects])).toEqual([
      ['fw', 0],
      ['projects/host-prj/regions/us-central1/firewallPolicies/fw-us-central1', 1],
      ['projects/host-prj/regions/europe-west1/firewallPolicies/fw-europe-west1', 0],
    ]);
  });

  it('after a switch global → regional: misplaced in the global policy, missing in the region, a replay repairs', async () => {
    const run = await drift({ 'global/fw': rules('payments') });
    const p = run.report.drifted.find((d) => d.project === 'payments')!;
    expect(p.repair).toBe('replay');
    expect(p.findings.map((f) => `${f.kind} ${f.ruleName}`).sort()).toEqual([
      'misplaced egress-payments-fqdn-1',
      'misplaced egress-payments-v4-1',
      'missing egress-payments-fqdn-1',
      'missing egress-payments-v4-1',
    ]);
    expect(p.findings.find((f) => f.kind === 'misplaced')!.detail).toBe(
      'in global/fw, belongs in regions/us-central1/fw-us-central1 (firewall.placement regional)',
    );
    expect(renderDriftText(run.report)).toContain('2 missing, 0 changed, 0 extra, 0 foreign marker, 2 misplaced');
    // The repair's forecast is the applier's move: one patch of the region's policy, then one of the global policy.
    expect(run.forecast).toMatchObject([{ project: 'payments', reason: 'replay', expectedWrites: 2 }]);
  });

  it('reports a region with subnets but no regional policy (its egress falls to the implied allow)', async () => {
    const run = await drift({ 'regions/us-central1/fw-us-central1': rules('payments') }, [
      { name: 'payments-usc1', region: 'us-central1' },
      { name: 'payments-ase1', region: 'asia-east1' },
    ]);
    expect(run.regionsWithoutPolicy).toEqual([{ region: 'asia-east1', subnets: ['payments-ase1'] }]);
    expect(run.report.clean).toBe(false);
  });
});

describe('release under regional placement', () => {
  it('finds a held revocation whose rules are in a regional policy (every policy of the placement read)', async () => {
    const policies = fleet({ 'regions/europe-west1/fw-europe-west1': rules('ghost') });
    const store = memoryManifestStore('b');
    // (an empty bucket would be refused by the blast-radius guard: another project's manifest is live)
    await store.write('manifests/payments.yaml', Buffer.from(manifestYaml('payments', [], { region: 'us-central1' })));
    const r = await releaseRevocations(
      {
        store,
        bucket: 'b',
        prefix: 'manifests/',
        policies,
        publisher: { publish: async () => 'id' },
        changesTopic: 'changes',
        policy,
        clock: virtualClock(0),
      },
      { projects: ['ghost'], dryRun: true },
    );
    expect(r.refused).toBeUndefined();
    expect(r.items).toMatchObject([{ project: 'ghost', status: 'would-release' }]);
  });
});
