/**
 * Property: over random fleets (rules compiled for dual-stack or IPv4-only projects, random out-of-band changes, a
 * random VPC egress rule and enforcement order), `probe` and `explain` give the same verdict for every project and
 * destination address (one evaluator over one model); and when the project's agreement is in-sync, a destination its
 * manifest lists is allowed by both, from a source of the destination's family.
 */
import fc from 'fast-check';
import { agreeFleet } from '../../../shared/core/agreement';
import { explain } from '../../../shared/core/explain';
import { compileProject } from '../../../shared/core/firewall/compiler';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import type { SubnetRanges } from '../../../shared/core/firewall/workloads';
import type { EgressEntry } from '../../../shared/core/manifest/types';
import type { NetRule } from '../../../shared/core/network/model';
import { DEFAULT_POLICY } from '../../../shared/core/policy/defaults';
import { withNetworkTiers } from '../../../shared/usecases/explain';
import { probe } from '../../../shared/usecases/probe';
import { testModel } from '../network/fixtures';
import { DENY_ALL, DENY_ALL_V6 } from '../ops/explainFixtures';

const policy = DEFAULT_POLICY; // target mode subnets
const PROJECTS = ['alpha', 'beta', 'gamma'];
const RANGES = ['34.117.59.0/24', '35.190.0.0/17', '2606:4700::/32', '1.1.1.1/32'];
const DESTS = ['34.117.59.9', '35.190.12.1', '2606:4700::9', '1.1.1.1', '8.8.8.8', '2001:4860::8888'];
const clock = { now: () => Date.UTC(2026, 11, 7), sleep: async () => undefined };
const noLogs = { write: async () => undefined, list: async () => [], close: async () => undefined };

const subnetOf = (p: string, i: number, v6: boolean): SubnetRanges => ({
  name: `${p}-usc1`,
  region: 'us-central1',
  network: 'vpc',
  primary: `10.${50 + i}.0.0/24`,
  secondary: [],
  ipv6: v6 ? [`fd20:a:b:${50 + i}::/64`] : [],
});

const projectArb = fc.record({
  entries: fc.subarray(RANGES, { minLength: 0 }),
  dual: fc.boolean(),
  change: fc.constantFrom('none', 'remove-rule', 'add-range', 'wipe'),
});
const vpcArb = fc.option(
  fc.record({
    action: fc.constantFrom('allow', 'deny'),
    range: fc.constantFrom('0.0.0.0/0', '8.8.8.0/24', '1.1.1.0/24'),
  }),
);

test('probe and explain never disagree; an in-sync listed destination is allowed by both', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.tuple(...PROJECTS.map(() => projectArb)),
      vpcArb,
      fc.constantFrom('AFTER_CLASSIC_FIREWALL', 'BEFORE_CLASSIC_FIREWALL' as const),
      async (fleet, vpc, order) => {
        const rules: ObservedRule[] = [];
        const subnets = fleet.map((f, i) => subnetOf(PROJECTS[i]!, i, f.dual));
        const entriesOf = new Map<string, EgressEntry[]>();
        let priority = 1000;
        fleet.forEach((f, i) => {
          const name = PROJECTS[i]!;
          const entries: EgressEntry[] = f.entries.map((v) => ({ value: v, type: 'cidr' }));
          entriesOf.set(name, entries);
          let owned: ObservedRule[] = compileProject({ name, environment: 'p' }, entries, {
            policy,
            generation: '20',
            workloads: { mode: 'subnets', subnets: [subnets[i]!] },
          }).map((r) => ({ ...r, priority: priority++ }));
          if (f.change === 'wipe') owned = [];
          else if (f.change === 'remove-rule') owned = owned.slice(1);
          else if (owned[0] && f.change === 'add-range')
            owned[0] = { ...owned[0], match: { ...owned[0].match, destIpRanges: ['8.8.0.0/16'] } };
          rules.push(...owned);
        });
        const all = [...rules, DENY_ALL, DENY_ALL_V6];
        const vpcRules: NetRule[] = vpc
          ? [
              {
                priority: 1000,
                ruleName: 'legacy-egress',
                direction: 'EGRESS',
                action: vpc.action,
                match: { destIpRanges: [vpc.range], layer4Configs: [{ ipProtocol: 'all' }] },
              },
            ]
          : [];
        const model = testModel(
          subnets.map((s, i) => ({ ...s, project: PROJECTS[i]! })),
          all,
          { enforcementOrder: order, vpcRules },
        );
        const agreements = agreeFleet({
          manifests: PROJECTS.map((p) => ({
            project: { name: p, environment: 'p' },
            entries: entriesOf.get(p)!,
            object: `manifests/${p}.yaml`,
            generation: '20',
          })),
          invalid: [],
          placed: [{ ref: { name: '' }, rules: all }],
          policy,
          workloads: new Map(PROJECTS.map((p, i) => [p, { mode: 'subnets' as const, subnets: [subnets[i]!] }])),
          projects: PROJECTS,
        });
        for (const [i, p] of PROJECTS.entries()) {
          const entries = entriesOf.get(p)!;
          const firewall = withNetworkTiers({ source: 's', rules: all }, model, policy, p, { name: p });
          for (const dest of DESTS) {
            const v6 = dest.includes(':');
            const ex = explain({
              project: p,
              destination: dest,
              policy,
              manifest: {
                path: `${p}.yaml`,
                valid: true,
                project: { name: p, environment: 'p' },
                entries,
                generation: '20',
              },
              firewall,
            });
            const pr = await probe({
              project: p,
              destination: dest,
              model,
              subnetsMode: true,
              identity: { project: p },
              logs: noLogs,
              clock,
            });
            expect(pr.disposition).toBe(ex.firewall.allowed ? 'ALLOWED' : 'DENIED');
            const listed = ex.manifest.allowed;
            const canApply = !v6 || fleet[i]!.dual;
            const inSync = agreements.find((a) => a.project === p)?.status === 'in-sync';
            // The product's own answer: in sync, listed and applicable, and nothing before the policy denies it.
            if (inSync && listed && canApply && !(vpc?.action === 'deny' && order === 'AFTER_CLASSIC_FIREWALL'))
              expect(pr.disposition).toBe('ALLOWED');
          }
        }
      },
    ),
    { numRuns: 40 },
  );
});
