/**
 * Property: over random fleets and random out-of-band changes, `status` (projectStatus), explain's agreement section
 * and `drift` (detectDrift, the fleet loop check_drift shares) never disagree: the same status for every project,
 * and a project is in drift's `drifted` list exactly when its agreement has findings.
 */
import fc from 'fast-check';
import { detectDrift } from '../../../shared/core/drift';
import { explain } from '../../../shared/core/explain';
import { compileProject } from '../../../shared/core/firewall/compiler';
import { tombstoneRule } from '../../../shared/core/firewall/tombstone';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import type { SubnetRanges } from '../../../shared/core/firewall/workloads';
import type { EgressEntry } from '../../../shared/core/manifest/types';
import { DEFAULT_POLICY } from '../../../shared/core/policy/defaults';
import type { ManifestStore } from '../../../shared/ports/storage';
import { projectStatus, readAgreement } from '../../../shared/usecases/status';

const policy = DEFAULT_POLICY;
const HOSTS = ['api.stripe.com', 'hooks.slack.com', 'api.github.com', 'api.sift.com'];
const RANGES = ['34.117.59.0/24', '35.190.0.0/17', '2606:4700::/32'];
const PROJECTS = ['alpha', 'beta', 'gamma', 'delta'];

const subnetsOf = (p: string, i: number, v6: boolean): SubnetRanges[] => [
  {
    name: `${p}-usc1`,
    region: 'us-central1',
    network: 'shared-vpc',
    primary: `10.${10 + i}.0.0/24`,
    secondary: [],
    ipv6: v6 ? [`fd20:${i}::/64`] : [],
  },
];

const projectArb = fc.record({
  manifest: fc.constantFrom('valid', 'none', 'invalid'),
  entries: fc.subarray([...HOSTS, ...RANGES], { minLength: 0 }),
  subnet: fc.constantFrom('v4', 'dual', 'none'),
  applied: fc.constantFrom('current', 'older', 'none', 'tombstone'),
  change: fc.constantFrom('none', 'add-range', 'remove-rule', 'add-fqdn', 'foreign-name', 'wipe'),
});

test('status, explain and drift never disagree', async () => {
  await fc.assert(
    fc.asyncProperty(fc.tuple(...PROJECTS.map(() => projectArb)), async (fleet) => {
      const rules: ObservedRule[] = [];
      const subnets: SubnetRanges[] = [];
      const manifests = new Map<string, { entries: EgressEntry[]; generation: string; valid: boolean }>();
      let priority = 1000;
      fleet.forEach((f, i) => {
        const name = PROJECTS[i]!;
        const sn = f.subnet === 'none' ? [] : subnetsOf(name, i, f.subnet === 'dual');
        subnets.push(...sn);
        const entries: EgressEntry[] = f.entries.map((v) => ({
          value: v,
          type: v.includes('/') ? 'cidr' : 'hostname',
        }));
        if (f.manifest !== 'none') manifests.set(name, { entries, generation: '20', valid: f.manifest === 'valid' });
        let owned: ObservedRule[] = [];
        const workloads = { mode: 'subnets' as const, subnets: sn };
        if (f.applied === 'tombstone') owned = [{ ...tombstoneRule(name, '15'), priority: priority++ }];
        else if (f.applied !== 'none' && sn.length && entries.length) {
          const gen = f.applied === 'current' ? '20' : '10';
          const es = f.applied === 'current' ? entries : entries.slice(1);
          owned = compileProject({ name, environment: 'p' }, es, { policy, generation: gen, workloads }).map((r) => ({
            ...r,
            priority: priority++,
          }));
        }
        if (f.change === 'wipe') owned = [];
        else if (f.change === 'remove-rule') owned = owned.slice(1);
        else if (owned[0] && f.change === 'add-range')
          owned[0] = { ...owned[0], match: { ...owned[0].match, destIpRanges: ['8.8.0.0/16'] } };
        else if (owned[0] && f.change === 'add-fqdn')
          owned[0] = { ...owned[0], match: { ...owned[0].match, destFqdns: ['evil.example.com'] } };
        else if (owned[0] && f.change === 'foreign-name') owned[0] = { ...owned[0], ruleName: `egress-${name}-x-1` };
        rules.push(...owned);
      });
      const report = detectDrift({
        manifests: [...manifests.entries()]
          .filter(([, m]) => m.valid)
          .map(([p, m]) => ({
            project: { name: p, environment: 'p' },
            entries: m.entries,
            object: `manifests/${p}.yaml`,
            generation: m.generation,
          })),
        uncheckedProjects: [...manifests.entries()].filter(([, m]) => !m.valid).map(([p]) => p),
        rules,
        policy,
        workloads: new Map(
          PROJECTS.filter((p) => manifests.get(p)?.valid).map((p) => [
            p,
            { mode: 'subnets' as const, subnets: subnets.filter((s) => s.name === `${p}-usc1`) },
          ]),
        ),
      });
      for (const p of PROJECTS) {
        const m = manifests.get(p);
        const manifest = m
          ? {
              path: `manifests/${p}.yaml`,
              valid: m.valid,
              project: m.valid ? { name: p, environment: 'p' } : null,
              entries: m.valid ? m.entries : [],
              generation: m.generation,
            }
          : null;
        const inDrift = report.agreements.find((a) => a.project === p);
        const text = m
          ? m.valid
            ? `apiVersion: lowops.manifests.v1\nkind: Project\nmetadata:\n  name: ${p}\n  environment: p\nspec:\n  allowedEgress:${m.entries.length ? `\n${m.entries.map((e) => `    - "${e.value}"`).join('\n')}` : ' []'}\n`
            : 'not: [a manifest'
          : undefined;
        // The bucket as the pipeline sees it: every manifest at generation 20.
        const object = { name: `manifests/${p}.yaml`, generation: '20' };
        const store = {
          list: async () => (text ? [object] : []),
          read: async () => (text ? { text, object } : null),
        } as unknown as ManifestStore;
        const source = { kind: 'bucket' as const, store, bucket: 'b', prefix: 'manifests/' };
        const status = await projectStatus({
          project: p,
          policy,
          source,
          firewall: { source: 'x', rules },
          workloads: { subnets: { listSubnets: async () => subnets } },
        }).catch((e: Error) => e);
        if (!inDrift) {
          // neither manifest nor owned rule: status says no such project
          expect(status).toBeInstanceOf(Error);
          continue;
        }
        if (status instanceof Error) throw status;
        expect(status.agreement).toBe(inDrift.status);
        expect(report.drifted.some((d) => d.project === p)).toBe(status.findings.length > 0);
        const ex = explain({
          project: p,
          destination: 'api.stripe.com',
          policy,
          manifest,
          firewall: { source: 'x', rules },
          agreement: (
            await readAgreement({
              project: p,
              policy,
              source,
              firewall: { source: 'x', rules },
              workloads: { subnets: { listSubnets: async () => subnets } },
            })
          ).agreement,
        });
        expect(ex.agreement.status).toBe(status.agreement);
      }
    }),
    { numRuns: 60 },
  );
});
