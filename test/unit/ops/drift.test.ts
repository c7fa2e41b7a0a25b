import { describeChange, detectDrift, foreignReason, renderDriftText } from '../../../shared/core/drift';
import { compileProject } from '../../../shared/core/firewall/compiler';
import { tombstoneRule } from '../../../shared/core/firewall/tombstone';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import type { EgressEntry } from '../../../shared/core/manifest/types';
import { DEFAULT_POLICY } from '../../../shared/core/policy/defaults';
import type { PlatformPolicy } from '../../../shared/core/policy/types';

/** The defaults with service-account targets; the subnets mode has its own tests below. */
const policy: PlatformPolicy = {
  ...DEFAULT_POLICY,
  firewall: {
    ...DEFAULT_POLICY.firewall,
    target: { mode: 'serviceAccounts', templates: ['workload@{project}.iam.gserviceaccount.com'] },
  },
};
const A: EgressEntry[] = [
  { value: 'api.stripe.com', type: 'hostname' },
  { value: 'hooks.slack.com', type: 'hostname' },
  { value: '34.117.59.0/24', type: 'cidr' },
];
const B: EgressEntry[] = [{ value: 'api.github.com', type: 'hostname' }];

function manifest(name: string, entries: EgressEntry[], generation = '5') {
  return { project: { name, environment: 'prod' }, entries, object: `manifests/${name}.yaml`, generation };
}
function rules(name: string, entries: EgressEntry[], generation = '5', start = 1000): ObservedRule[] {
  return compileProject({ name, environment: 'prod' }, entries, { policy, generation }).map((r, i) => ({
    ...r,
    priority: start + i * 10,
  }));
}
const FOREIGN_UNMARKED: ObservedRule = {
  priority: 500,
  ruleName: 'hand-made',
  description: 'someone else',
  direction: 'EGRESS',
  action: 'allow',
  enableLogging: false,
  match: { destFqdns: ['x.example.com'], layer4Configs: [{ ipProtocol: 'all' }] },
};

describe('detectDrift', () => {
  it('is clean when every project matches, whatever else is in the policy', () => {
    const r = detectDrift({
      manifests: [manifest('alpha', A), manifest('beta', B)],
      rules: [...rules('alpha', A), ...rules('beta', B, '5', 3000), FOREIGN_UNMARKED],
      policy,
    });
    expect(r).toEqual({
      clean: true,
      checked: 2,
      drifted: [],
      errors: [],
      unchecked: [],
      agreements: [
        { project: 'alpha', status: 'in-sync', detail: 'the owned rules match the manifest' },
        { project: 'beta', status: 'in-sync', detail: 'the owned rules match the manifest' },
      ],
    });
    expect(renderDriftText(r)).toBe('no drift: 2 project(s) match their manifests\n');
  });

  it('is clean when only the manifest generation moved (same content)', () => {
    const r = detectDrift({ manifests: [manifest('alpha', A, '9')], rules: rules('alpha', A, '5'), policy });
    expect(r.clean).toBe(true);
  });

  it('finds missing rules (e.g. after the firewall lost them) and asks for a replay', () => {
    const r = detectDrift({ manifests: [manifest('alpha', A)], rules: [], policy });
    expect(r.clean).toBe(false);
    expect(r.drifted).toHaveLength(1);
    expect(r.drifted[0]).toMatchObject({
      project: 'alpha',
      repair: 'replay',
      plan: { create: 2, update: 0, delete: 0 },
    });
    expect(r.drifted[0]!.findings.map((f) => [f.kind, f.ruleName])).toEqual([
      ['missing', 'egress-alpha-fqdn-1'],
      ['missing', 'egress-alpha-v4-1'],
    ]);
  });

  it('finds a rule changed by hand and says what changed', () => {
    const live = rules('alpha', A).map((r) =>
      r.match.destFqdns ? { ...r, match: { ...r.match, destFqdns: [...r.match.destFqdns, 'evil.example.com'] } } : r,
    );
    const r = detectDrift({ manifests: [manifest('alpha', A)], rules: live, policy });
    expect(r.drifted[0]!.findings).toEqual([
      { kind: 'changed', ruleName: 'egress-alpha-fqdn-1', priority: 1000, detail: 'destFqdns +evil.example.com' },
    ]);
    expect(r.drifted[0]!.repair).toBe('replay');
  });

  it('finds extra rules: a leftover chunk, and every rule of a project without manifest (repair: delete)', () => {
    const leftover = {
      ...rules('alpha', [{ value: 'a.example.com', type: 'hostname' }])[0]!,
      ruleName: 'egress-alpha-fqdn-2',
      priority: 1900,
    };
    const r = detectDrift({
      manifests: [manifest('alpha', A)],
      rules: [...rules('alpha', A), leftover, ...rules('gone', B, '12', 4000)],
      policy,
    });
    const alpha = r.drifted.find((p) => p.project === 'alpha')!;
    expect(alpha.findings).toEqual([
      {
        kind: 'extra',
        ruleName: 'egress-alpha-fqdn-2',
        priority: 1900,
        detail: 'not in what the manifest compiles to',
      },
    ]);
    const gone = r.drifted.find((p) => p.project === 'gone')!;
    expect(gone).toMatchObject({ repair: 'delete', appliedGeneration: '12', plan: { delete: 1 } });
    expect(gone.object).toBeUndefined();
    expect(gone.findings[0]).toMatchObject({ kind: 'extra', detail: 'project gone has no manifest' });
  });

  it('flags rules that carry our marker but that we would never have written', () => {
    const good = rules('alpha', A);
    const outside = { ...good[0]!, priority: 10 };
    const wrongName = { ...good[0]!, ruleName: 'egress-beta-fqdn-1', priority: 1500 };
    const dup = { ...good[1]!, priority: 1600 };
    const r = detectDrift({
      manifests: [manifest('alpha', A)],
      rules: [...good.slice(1), outside, wrongName, dup],
      policy,
    });
    const f = r.drifted[0]!.findings.filter((x) => x.kind === 'foreign-marker');
    expect(f.map((x) => x.priority)).toEqual([10, 1500, 1600]);
    expect(f[0]!.detail).toMatch(/^priority 10 outside the band 1000-2000000000/);
    expect(f[1]!.detail).toBe('name egress-beta-fqdn-1 is not a rule name of project alpha; a repair deletes it');
    expect(f[2]!.detail).toBe('a second rule named egress-alpha-v4-1; a repair deletes it');
  });

  it('marks a project manual when only a human can fix it', () => {
    const good = rules('alpha', A);
    const r = detectDrift({
      manifests: [manifest('alpha', A)],
      rules: [{ ...good[0]!, priority: 10 }, good[1]!],
      policy,
    });
    expect(r.drifted[0]!.repair).toBe('manual');
    expect(r.drifted[0]!.findings[0]!.detail).toMatch(/remove it by hand$/);
  });

  it("detects a marked rule targeting another project's workloads", () => {
    const good = rules('alpha', A);
    const hijack = { ...good[0]!, targetServiceAccounts: ['workload@beta.iam.gserviceaccount.com'] };
    expect(foreignReason(hijack, 'alpha', policy, undefined)).toMatch(/^targets .* are not the project's own/);
    expect(foreignReason(good[0]!, 'alpha', policy, undefined)).toBeNull();
    expect(foreignReason({ ...good[0]!, action: 'deny' as 'allow' }, 'alpha', policy, undefined)).toMatch(
      /EGRESS deny/,
    );
  });

  it('leaves out projects whose live manifest is invalid, and reports compile errors', () => {
    const r = detectDrift({
      manifests: [manifest('wild', [{ value: '*.example.com', type: 'wildcard' }])],
      uncheckedProjects: ['broken'],
      rules: rules('broken', A),
      policy,
    });
    expect(r.unchecked).toEqual(['broken']);
    expect(r.errors).toEqual([{ project: 'wild', message: expect.stringContaining('*.example.com') }]);
    expect(r.clean).toBe(false);
    expect(renderDriftText(r)).toContain('broken: not checked (its manifest in the bucket is invalid)');
  });

  it('describes changes of targets, logging and ranges', () => {
    const [fqdn, v4] = rules('alpha', A);
    expect(
      describeChange({ ...v4!, enableLogging: false, match: { ...v4!.match, destIpRanges: ['1.2.3.0/24'] } }, v4!),
    ).toBe('destIpRanges +1.2.3.0/24, destIpRanges -34.117.59.0/24, enableLogging false');
    expect(describeChange({ ...fqdn!, targetServiceAccounts: ['x@y'] }, fqdn!)).toMatch(
      /targetServiceAccounts \+x@y, targetServiceAccounts -workload@alpha/,
    );
  });
});

describe('detectDrift with tombstones', () => {
  const tomb = (name: string, generation: string, priority = 7000): ObservedRule => ({
    ...tombstoneRule(name, generation),
    priority,
  });

  it('a project without manifest whose only rule is its tombstone is clean (the expected state)', () => {
    const r = detectDrift({
      manifests: [manifest('alpha', A)],
      rules: [...rules('alpha', A), tomb('gone', '12')],
      policy,
    });
    expect(r.clean).toBe(true);
    expect(r.drifted).toEqual([]);
  });

  it('a manifest that lists no entries, with its tombstone, is clean', () => {
    const r = detectDrift({ manifests: [manifest('alpha', [], '9')], rules: [tomb('alpha', '9')], policy });
    expect(r.clean).toBe(true);
  });

  it('leftovers of an interrupted revocation are extra; the repair is a delete at the recorded generation', () => {
    const r = detectDrift({ manifests: [], rules: [tomb('gone', '12'), ...rules('gone', B, '12', 4000)], policy });
    expect(r.drifted).toEqual([
      expect.objectContaining({
        project: 'gone',
        repair: 'delete',
        appliedGeneration: '12',
        plan: { create: 0, update: 0, delete: 1, unchanged: 1 },
        findings: [expect.objectContaining({ kind: 'extra', ruleName: 'egress-gone-fqdn-1' })],
      }),
    ]);
  });

  it('rules left without a tombstone (older versions) are extra; the repair will also write the tombstone', () => {
    const r = detectDrift({ manifests: [], rules: rules('gone', B, '12', 4000), policy });
    expect(r.drifted[0]).toMatchObject({ repair: 'delete', plan: { create: 1, delete: 1 } });
    expect(r.drifted[0]!.findings.map((f) => f.kind)).toEqual(['extra']);
  });

  it('a manifest re-created at a newer generation: the tombstone is extra and the rules missing (repair: replay)', () => {
    const r = detectDrift({ manifests: [manifest('alpha', A, '13')], rules: [tomb('alpha', '12')], policy });
    const p = r.drifted[0]!;
    expect(p.repair).toBe('replay');
    expect(p.findings.map((f) => [f.kind, f.ruleName])).toEqual([
      ['missing', 'egress-alpha-fqdn-1'],
      ['missing', 'egress-alpha-v4-1'],
      ['extra', 'egress-alpha-tombstone'],
    ]);
    expect(p.findings[2]!.detail).toMatch(/revocation at generation 12: the manifest exists again \(generation 13\)/);
  });

  it('a live manifest no newer than the revocation cannot be replayed: manual, with what to do', () => {
    const r = detectDrift({ manifests: [manifest('alpha', A, '12')], rules: [tomb('alpha', '12')], policy });
    expect(r.drifted[0]!.repair).toBe('manual');
    expect(r.drifted[0]!.findings.at(-1)!.detail).toMatch(
      /is not newer, so the applier skips a plain replay; if that revocation was wrong, `egress replay --restore --project alpha`/,
    );
  });

  it('a tombstone enabled by hand is changed; a marked deleted-state rule under another name is foreign', () => {
    const enabled = { ...tomb('gone', '12'), disabled: false };
    const r = detectDrift({ manifests: [], rules: [enabled], policy });
    expect(r.drifted[0]!.findings).toEqual([
      expect.objectContaining({ kind: 'changed', ruleName: 'egress-gone-tombstone', detail: 'disabled false' }),
    ]);
    expect(foreignReason(tomb('gone', '12'), 'gone', policy, undefined)).toBeNull();
    expect(foreignReason({ ...tomb('gone', '12'), ruleName: 'egress-gone-fqdn-9' }, 'gone', policy, undefined)).toBe(
      'name egress-gone-fqdn-9 is not the tombstone name of project gone',
    );
    expect(foreignReason(tomb('gone', '12', 10), 'gone', policy, undefined)).toMatch(/outside the band/);
  });
});
