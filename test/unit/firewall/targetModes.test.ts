/**
 * Target modes (docs/policy.md, "Target modes"): what each compiles to, the refusals, and a switch of mode in the
 * policy file re-planned through the write planner (replacements, since a patch cannot clear the old mode's field).
 */
import { makeEgressChange } from '../../../shared/core/events/codec';
import { CompileError, compileProject, planWrites, renderPlan } from '../../../shared/core/firewall';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import { assignedSubnets, type SubnetRanges, type Workloads } from '../../../shared/core/firewall/workloads';
import type { EgressEntry } from '../../../shared/core/manifest/types';
import { subnetNameMatcher } from '../../../shared/core/policy';
import { testPolicy } from './testPolicy';

const pg = { name: 'payment-gateway', environment: 'production' };
const entries: EgressEntry[] = [
  { value: 'api.stripe.com', type: 'hostname' },
  { value: '34.117.59.0/24', type: 'cidr' },
  { value: '2606:4700::/32', type: 'cidr' },
];
const subnet = (over: Partial<SubnetRanges> = {}): SubnetRanges => ({
  name: 'payment-gateway-usc1',
  region: 'us-central1',
  network: 'https://www.googleapis.com/compute/v1/projects/host-prj/global/networks/shared-vpc',
  primary: '10.10.0.0/24',
  secondary: [
    { name: 'pods', range: '10.64.0.0/14' },
    { name: 'services', range: '10.68.0.0/20' },
  ],
  ipv6: [],
  ...over,
});
const subnetsPolicy = testPolicy({ target: { mode: 'subnets', subnets: '{project}-*', network: 'shared-vpc' } });
const subnets = (list: SubnetRanges[]): Workloads => ({ mode: 'subnets', subnets: list });

describe('target mode subnets', () => {
  it('matches the project subnets by template and network, never another project or network', () => {
    const all = [
      subnet(),
      subnet({ name: 'payment-gateway-euw1', region: 'europe-west1', secondary: [] }),
      subnet({ name: 'payment-gateway-legacy-usc1', network: 'projects/host-prj/global/networks/other' }),
      subnet({ name: 'payment-gateway2-usc1' }),
      subnet({ name: 'fraud-scoring-usc1' }),
    ];
    const t = subnetsPolicy.firewall.target as Extract<typeof subnetsPolicy.firewall.target, { mode: 'subnets' }>;
    // `-legacy-usc1` matches the glob but sits in another network; `payment-gateway2-…` is another project's.
    expect(assignedSubnets(t, 'payment-gateway', all).map((s) => s.name)).toEqual([
      'payment-gateway-euw1',
      'payment-gateway-usc1',
    ]);
    const strict = subnetNameMatcher('/{project}-[a-z]+[0-9]/', 'payment-gateway');
    expect(all.map((s) => s.name).filter(strict)).toEqual(['payment-gateway-usc1', 'payment-gateway-euw1']);
  });

  it('puts primary + every secondary range in srcIpRanges of each IPv4 rule; no IPv6 rule without IPv6 sources', () => {
    const rules = compileProject(pg, entries, {
      policy: subnetsPolicy,
      generation: '1',
      workloads: subnets([subnet()]),
    });
    expect(rules.map((r) => r.ruleName)).toEqual(['egress-payment-gateway-fqdn-1', 'egress-payment-gateway-v4-1']);
    for (const r of rules) {
      expect(r.match.srcIpRanges).toEqual(['10.10.0.0/24', '10.64.0.0/14', '10.68.0.0/20']);
      expect(r.targetServiceAccounts).toBeUndefined();
      expect(r.coverage).toBe('subnet payment-gateway-usc1: primary + pods + services');
    }
  });

  it('gives IPv6 destinations the IPv6 sources (one family per rule) and FQDNs a rule per source family', () => {
    const rules = compileProject(pg, entries, {
      policy: subnetsPolicy,
      generation: '1',
      workloads: subnets([subnet({ ipv6: ['fd20:a:b:1000::/64'] })]),
    });
    expect(rules.map((r) => [r.ruleName, r.match.srcIpRanges])).toEqual([
      ['egress-payment-gateway-fqdn-1', ['10.10.0.0/24', '10.64.0.0/14', '10.68.0.0/20']],
      ['egress-payment-gateway-fqdn6-1', ['fd20:a:b:1000::/64']],
      ['egress-payment-gateway-v4-1', ['10.10.0.0/24', '10.64.0.0/14', '10.68.0.0/20']],
      ['egress-payment-gateway-v6-1', ['fd20:a:b:1000::/64']],
    ]);
    expect(rules[3]!.match.destIpRanges).toEqual(['2606:4700::/32']);
  });

  it('refuses a project without an assigned subnet (a rule without sources would match every workload)', () => {
    const run = () => compileProject(pg, entries, { policy: subnetsPolicy, generation: '1', workloads: subnets([]) });
    expect(run).toThrow(CompileError);
    expect(run).toThrow(/payment-gateway has no subnet assigned/);
    try {
      run();
    } catch (e) {
      expect((e as CompileError).reason).toBe('no-subnets');
    }
    // and never compiles without the read
    expect(() => compileProject(pg, entries, { policy: subnetsPolicy, generation: '1' })).toThrow(
      /needs the project's subnets/,
    );
  });

  it('the plan says which workloads a rule covers', () => {
    const rules = compileProject(pg, entries.slice(0, 1), {
      policy: subnetsPolicy,
      generation: '1',
      workloads: subnets([subnet()]),
    });
    const text = renderPlan({ create: rules, update: [], delete: [] }, 'text');
    expect(text).toContain(
      'sources: 10.10.0.0/24, 10.64.0.0/14, 10.68.0.0/20 (subnet payment-gateway-usc1: primary + pods + services)',
    );
    expect(
      JSON.parse(renderPlan({ create: rules, update: [], delete: [] }, 'json')).projects[0].create[0].coverage,
    ).toBe('subnet payment-gateway-usc1: primary + pods + services');
  });
});

describe('target mode serviceAccounts', () => {
  it('targets every listed account of the project', () => {
    const policy = testPolicy({
      target: {
        mode: 'serviceAccounts',
        templates: [
          'workload@{project}.iam.gserviceaccount.com',
          'gke-{project}@{hostProject}.iam.gserviceaccount.com',
        ],
      },
    });
    const [r] = compileProject(pg, entries.slice(0, 1), { policy, generation: '1' });
    expect(r!.targetServiceAccounts).toEqual([
      'workload@payment-gateway.iam.gserviceaccount.com',
      'gke-payment-gateway@host-prj.iam.gserviceaccount.com',
    ]);
    expect(r!.match.srcIpRanges).toBeUndefined();
  });
});

describe('switching the target mode in the policy file re-plans cleanly (the write planner)', () => {
  const event = (generation: string) =>
    makeEgressChange({
      project: pg,
      reason: 'upsert',
      entries,
      source: { bucket: 'b', object: 'manifests/payment-gateway.yaml', generation },
    });
  const accounts = testPolicy();
  const G = { name: 'global' };
  const placed = (rules: ReturnType<typeof compileProject>): ObservedRule[] =>
    rules.map(({ coverage: _, ...r }, i) => ({ ...r, priority: 1000 + i }));

  it('serviceAccounts → subnets: the rules replaced in place and the new one added, in one patch', () => {
    const before = placed(compileProject(pg, entries, { policy: accounts, generation: '1' }));
    const workloads = subnets([subnet({ ipv6: ['fd20:a:b:1000::/64'] })]);
    const desired = compileProject(pg, entries, { policy: subnetsPolicy, generation: '2', workloads });
    const w = planWrites(event('2'), desired, G, { rules: before }, subnetsPolicy);
    // 3 rules before (fqdn, v4, v6), 4 after (fqdn, fqdn6, v4, v6): fqdn6 is new, the other 3 are replaced in place.
    expect(w.writes).toHaveLength(1);
    const p = w.writes[0]!;
    expect(p.changes.update).toEqual([
      'egress-payment-gateway-fqdn-1@1000',
      'egress-payment-gateway-v4-1@1001',
      'egress-payment-gateway-v6-1@1002',
    ]);
    expect(p.changes.add).toEqual([expect.stringMatching(/^egress-payment-gateway-fqdn6-1@/)]);
    expect(p.rules).toHaveLength(4);
    for (const r of p.rules) expect(r.targetServiceAccounts).toBeUndefined();

    // once applied, the same event plans nothing
    const after = placed(desired).map((r, i) => ({ ...r, priority: 3000 + i }));
    expect(planWrites(event('2'), desired, G, { rules: after }, subnetsPolicy).writes).toEqual([]);
  });

  it('a subnet resized: the sources are patched in place (same mode), one write per rule', () => {
    const before = placed(
      compileProject(pg, entries.slice(0, 2), {
        policy: subnetsPolicy,
        generation: '1',
        workloads: subnets([subnet()]),
      }),
    );
    const grown = subnets([subnet({ primary: '10.10.0.0/23' })]);
    const desired = compileProject(pg, entries.slice(0, 2), {
      policy: subnetsPolicy,
      generation: '1',
      workloads: grown,
    });
    const w = planWrites(event('1'), desired, G, { rules: before }, subnetsPolicy);
    expect(w.writes.map((x) => x.changes)).toEqual([
      {
        add: [],
        update: ['egress-payment-gateway-fqdn-1@1000', 'egress-payment-gateway-v4-1@1001'],
        remove: [],
      },
    ]);
  });
});
