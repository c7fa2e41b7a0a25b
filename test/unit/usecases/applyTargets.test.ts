/**
 * The applier under the target modes that need a read: the project's subnets read at each event (a resize reaches
 * the rules on the next event), a project without subnet and a tag value that does not exist end `apply-failed`
 * with nothing written, and tag values are looked up through the cached resolver.
 */

import { resourceManagerTags } from '../../../shared/adapters/tags';
import type { SubnetRanges } from '../../../shared/core/firewall/workloads';
import type { EgressEntry } from '../../../shared/core/manifest/types';
import { WorkloadReadError } from '../../../shared/ports/workloads';
import { applyChange, RetryLaterError } from '../../../shared/usecases/applyChange';
import { testPolicy } from '../firewall/testPolicy';
import { change, harness } from './applyHarness';

const entries: EgressEntry[] = [
  { value: 'api.stripe.com', type: 'hostname' },
  { value: '34.117.59.0/24', type: 'cidr' },
];
const subnetsPolicy = testPolicy({ target: { mode: 'subnets', subnets: '{project}-*' } });
const tagsPolicy = testPolicy({
  target: { mode: 'secureTags', org: '42', templates: ['{org}/egress-project/{project}'] },
});
const subnet = (primary: string): SubnetRanges => ({
  name: 'payment-gateway-usc1',
  region: 'us-central1',
  network: 'shared-vpc',
  primary,
  secondary: [{ name: 'pods', range: '10.64.0.0/14' }],
  ipv6: [],
});

describe('applyChange: target mode subnets', () => {
  it('reads the subnets at each event: a resized subnet is in the rules of the next event', async () => {
    const h = harness();
    let current = [subnet('10.10.0.0/24'), { ...subnet('10.99.0.0/24'), name: 'fraud-scoring-usc1' }];
    let reads = 0;
    h.deps.policy = subnetsPolicy;
    h.deps.workloads = {
      subnets: {
        listSubnets: async () => {
          reads++;
          return current;
        },
      },
    };
    expect((await applyChange(h.deps, change('1', entries))).outcome).toBe('applied');
    const sources = () => h.firewall.list().map((r) => r.match.srcIpRanges);
    expect(sources()).toEqual([
      ['10.10.0.0/24', '10.64.0.0/14'],
      ['10.10.0.0/24', '10.64.0.0/14'],
    ]);
    current = [subnet('10.10.0.0/23')];
    const out = await applyChange(h.deps, change('2', entries));
    expect(out).toMatchObject({ outcome: 'applied', plan: { update: 2 } });
    expect(sources()).toEqual([
      ['10.10.0.0/23', '10.64.0.0/14'],
      ['10.10.0.0/23', '10.64.0.0/14'],
    ]);
    expect(reads).toBe(2);
  });

  it('a project without subnet: apply-failed (no-subnets), not one write, never a rule without sources', async () => {
    const h = harness();
    h.deps.policy = subnetsPolicy;
    h.deps.workloads = { subnets: { listSubnets: async () => [{ ...subnet('10.1.0.0/24'), name: 'other-usc1' }] } };
    const out = await applyChange(h.deps, change('1', entries));
    expect(out).toMatchObject({ outcome: 'apply-failed', reason: 'no-subnets', writes: 0 });
    expect(out.error).toMatch(/payment-gateway has no subnet assigned in the host project/);
    expect(h.firewall.calls.filter((c) => c.method !== 'get')).toEqual([]);
    expect(h.statuses()[0]).toMatchObject({ outcome: 'apply-failed', reason: 'no-subnets' });
  });

  it('a subnet read that keeps failing transiently is redelivered, not acknowledged', async () => {
    const h = harness();
    h.deps.policy = subnetsPolicy;
    h.deps.retry = { attempts: 2, random: () => 0.5 };
    h.deps.workloads = {
      subnets: {
        listSubnets: async () => {
          throw new WorkloadReadError('503 backendError', true);
        },
      },
    };
    await expect(applyChange(h.deps, change('1', entries))).rejects.toBeInstanceOf(RetryLaterError);
    expect(h.firewall.calls).toEqual([]);
  });
});

describe('applyChange: target mode secureTags', () => {
  it('targets the numeric tag value looked up once per instance (cached)', async () => {
    const h = harness();
    let lookups = 0;
    h.deps.policy = tagsPolicy;
    h.deps.workloads = {
      tags: resourceManagerTags({
        getNamespacedTagValue: async ({ name }) => {
          lookups++;
          expect(name).toBe('42/egress-project/payment-gateway');
          return [{ name: 'tagValues/281474976710700' }];
        },
      }),
    };
    await applyChange(h.deps, change('1', entries));
    await applyChange(h.deps, change('2', [entries[0]!]));
    for (const r of h.firewall.list()) expect(r.targetSecureTags).toEqual([{ name: 'tagValues/281474976710700' }]);
    expect(lookups).toBe(1);
  });

  it('a tag value that does not exist (PERMISSION_DENIED): apply-failed naming it, nothing written, never a 400', async () => {
    const h = harness();
    h.deps.policy = tagsPolicy;
    h.deps.workloads = {
      tags: resourceManagerTags({
        getNamespacedTagValue: async () => {
          throw Object.assign(new Error('7 PERMISSION_DENIED: Permission denied on resource'), { code: 7 });
        },
      }),
    };
    const out = await applyChange(h.deps, change('1', entries));
    expect(out).toMatchObject({ outcome: 'apply-failed', reason: 'tag-value-missing', writes: 0 });
    expect(out.error).toMatch(/tag value 42\/egress-project\/payment-gateway does not exist/);
    expect(h.firewall.calls.filter((c) => c.method !== 'get')).toEqual([]);
  });
});
