/** The plan use case: refuses invalid or uncompilable manifests without reading the rules; plans only their projects. */
import { desiredRules } from '../../../shared/core/firewall';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import { validateManifest } from '../../../shared/core/manifest';
import { DEFAULT_POLICY } from '../../../shared/core/policy';
import type { PlatformPolicy } from '../../../shared/core/policy/types';
import { planManifests } from '../../../shared/usecases/plan';
import { manifest } from '../manifest/helpers';

/** The defaults with service-account targets (no subnet read). */
const policy: PlatformPolicy = {
  ...DEFAULT_POLICY,
  firewall: {
    ...DEFAULT_POLICY.firewall,
    target: { mode: 'serviceAccounts', templates: ['workload@{project}.iam.gserviceaccount.com'] },
  },
};
const hostProject = 'net-host';
const valid = (name: string, entries = ['"api.stripe.com"']) =>
  validateManifest(manifest(entries, name), { path: `m/${name}.yaml`, policy });

function observedOf(name: string, entries = ['"api.stripe.com"']): ObservedRule[] {
  const r = valid(name, entries);
  return desiredRules(r.project!, r.egress, { policy, generation: '7', hostProject }).map((d, i) => ({
    ...d,
    priority: 1000 + i,
  }));
}

describe('planManifests', () => {
  it('refuses invalid manifests and never reads the current rules', async () => {
    const currentRules = jest.fn();
    const bad = validateManifest(manifest(['"http://x.example.com/a"'], 'bad'), { path: 'm/bad.yaml', policy });
    const r = await planManifests({ manifests: [valid('a'), bad], policy, hostProject, currentRules });
    expect(r.kind).toBe('invalid');
    expect(r.kind === 'invalid' && r.invalid.map((m) => m.path)).toEqual(['m/bad.yaml']);
    expect(currentRules).not.toHaveBeenCalled();
  });

  it('returns an unreadable outcome carrying the error of the rules source', async () => {
    const error = new Error('no credentials');
    const r = await planManifests({
      manifests: [valid('a')],
      policy,
      hostProject,
      currentRules: () => Promise.reject(error),
    });
    expect(r).toEqual({ kind: 'unreadable', error });
  });

  it('plans only the named projects, content only: a new generation with the same entries is no change', async () => {
    const rules = [...observedOf('a'), ...observedOf('other', ['"hooks.slack.com"'])];
    const same = await planManifests({
      manifests: [valid('a')],
      policy,
      hostProject,
      currentRules: async () => ({ rules, source: 'state file x' }),
    });
    expect(same).toMatchObject({ kind: 'planned', source: 'state file x', projects: ['a'], changed: false });

    const changed = await planManifests({
      manifests: [valid('a', ['"api.stripe.com"', '"hooks.slack.com"']), valid('b')],
      policy,
      hostProject,
      currentRules: async () => ({ rules, source: 'live' }),
    });
    if (changed.kind !== 'planned') throw new Error(changed.kind);
    expect(changed.projects).toEqual(['a', 'b']);
    expect(changed.changed).toBe(true);
    // `other` has rules but no manifest here: never part of the plan.
    const touched = [...changed.plan.create, ...changed.plan.update, ...changed.plan.delete].map((c) =>
      JSON.stringify(c),
    );
    expect(touched.some((c) => c.includes('egress-other-'))).toBe(false);
  });
});

describe('planManifests over a regional placement', () => {
  const placed: PlatformPolicy = {
    ...policy,
    firewall: { ...policy.firewall, placement: 'regional', regions: ['us-central1', 'europe-west1'] },
  };
  const validPlaced = (name: string) =>
    validateManifest(manifest(['"api.stripe.com"'], name), { path: `m/${name}.yaml`, policy: placed });
  const refs = [
    { name: 'fw' },
    { name: 'fw-us-central1', region: 'us-central1' },
    { name: 'fw-europe-west1', region: 'europe-west1' },
  ];

  it('plans a project whose rules sit in the global policy as a move: creates in its region, deletes in the global', async () => {
    const inGlobal = observedOf('a');
    const r = await planManifests({
      manifests: [validPlaced('a')],
      policy: placed,
      hostProject,
      currentRules: async () => ({
        rules: inGlobal,
        source: 'state',
        byPolicy: [
          { ref: refs[0]!, rules: inGlobal },
          { ref: refs[1]!, rules: [] },
          { ref: refs[2]!, rules: [] },
        ],
      }),
    });
    expect(r.kind).toBe('planned');
    if (r.kind !== 'planned') return;
    expect(r.changed).toBe(true);
    expect(r.plan.create.map((c) => c.ruleName)).toEqual(inGlobal.map((o) => o.ruleName));
    expect(r.plan.delete.map((d) => d.ruleName)).toEqual(inGlobal.map((o) => o.ruleName));
    expect(r.plan.update).toEqual([]);
  });

  it('plans nothing for a project already in its region’s policy (the other policies hold none of its rules)', async () => {
    const inRegion = observedOf('a');
    const r = await planManifests({
      manifests: [validPlaced('a')],
      policy: placed,
      hostProject,
      currentRules: async () => ({
        rules: inRegion,
        source: 'state',
        byPolicy: [
          { ref: refs[0]!, rules: [] },
          { ref: refs[1]!, rules: inRegion },
          { ref: refs[2]!, rules: [] },
        ],
      }),
    });
    expect(r).toMatchObject({ kind: 'planned', changed: false });
  });
});

describe('entries that cannot apply to the project sources', () => {
  const subnetsPolicy: PlatformPolicy = DEFAULT_POLICY;
  const v4Only = {
    listSubnets: async () => [
      {
        name: 'ledger-usc1',
        region: 'us-central1',
        network: 'shared-vpc',
        primary: '10.9.0.0/24',
        secondary: [],
        ipv6: [],
      },
    ],
  };
  const plan = (entries: string[]) =>
    planManifests({
      manifests: [validateManifest(manifest(entries, 'ledger'), { path: 'm/ledger.yaml', policy: subnetsPolicy })],
      policy: subnetsPolicy,
      hostProject,
      currentRules: async () => ({ rules: [], source: 'state file x' }),
      workloads: () => ({ subnets: v4Only }),
    });

  it('an IPv6 destination of a project without IPv6 ranges is a warning naming the file, not a planned rule', async () => {
    const r = await plan(['"2606:4700:4700::1111"', '"34.117.59.0/24"']);
    expect(r.kind).toBe('planned');
    if (r.kind !== 'planned') return;
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(
      /^m\/ledger\.yaml: "2606:4700:4700::1111(\/128)?" cannot apply: ledger has no IPv6 source range/,
    );
    expect(r.plan.create.flatMap((c) => c.match.destIpRanges ?? [])).not.toContain('2606:4700:4700::1111/128');
  });

  it('no warning when every entry has sources of its family', async () => {
    const r = await plan(['"34.117.59.0/24"', '"api.stripe.com"']);
    expect(r.kind === 'planned' && r.warnings).toEqual([]);
  });

  it("warns, as drift does, when a project's subnets lie outside its spec.region under regional placement", async () => {
    const regional: PlatformPolicy = {
      ...DEFAULT_POLICY,
      firewall: { ...DEFAULT_POLICY.firewall, placement: 'regional', regions: ['us-central1', 'europe-west1'] },
    };
    const m = validateManifest(manifest(['"api.stripe.com"'], 'shop').replace('us-central1', 'europe-west1'), {
      path: 'm/shop.yaml',
      policy: regional,
    });
    expect(m.project?.region).toBe('europe-west1');
    const subnets = [
      { name: 'shop-usc1', region: 'us-central1', network: 'vpc', primary: '10.9.0.0/24', secondary: [], ipv6: [] },
    ];
    const r = await planManifests({
      manifests: [m],
      policy: regional,
      hostProject,
      currentRules: async () => ({
        rules: [],
        source: 'state file x',
        byPolicy: [
          { ref: { name: 'fw' }, rules: [] },
          { ref: { name: 'fw-us-central1', region: 'us-central1' }, rules: [] },
          { ref: { name: 'fw-europe-west1', region: 'europe-west1' }, rules: [] },
        ],
      }),
      workloads: () => ({ subnets: { listSubnets: async () => subnets } }),
    });
    expect(r.kind === 'planned' && r.warnings).toEqual([
      expect.stringMatching(
        /^m\/shop\.yaml: shop: subnets shop-usc1 \(us-central1\) are outside its spec.region europe-west1: /,
      ),
    ]);
  });
});
