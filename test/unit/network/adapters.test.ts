import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveNetwork, type NetworkApi } from '../../../shared/adapters/networkLive';
import { stateFileNetwork } from '../../../shared/adapters/networkState';
import { buildModel } from '../../../shared/core/network/build';
import { evaluate } from '../../../shared/core/network/evaluate';

const target = { mode: 'subnets' as const, subnets: '{project}-*' };
const rule = {
  priority: 2100000000,
  action: 'deny',
  direction: 'EGRESS',
  match: { destIpRanges: ['0.0.0.0/0'], layer4Configs: [{ ipProtocol: 'all' }] },
};

describe('the live NetworkReader (Compute API calls through a stub)', () => {
  const api = (order: string | undefined, notFound = false): NetworkApi => ({
    async getNetwork() {
      if (notFound) throw Object.assign(new Error('not found'), { httpStatusCode: 404 });
      return { networkFirewallPolicyEnforcementOrder: order ?? null };
    },
    async listFirewalls() {
      return [
        {
          name: 'open-443',
          network: 'projects/h/global/networks/shared-vpc',
          direction: 'EGRESS',
          destinationRanges: ['0.0.0.0/0'],
          allowed: [{ IPProtocol: 'tcp', ports: ['443'] }],
        },
      ];
    },
    async getEffectiveFirewalls() {
      return {
        firewallPolicys: [
          {
            name: '123',
            shortName: 'org-guard',
            type: 'HIERARCHY',
            rules: [{ priority: 1, action: 'deny', direction: 'EGRESS', match: { destIpRanges: ['192.0.2.0/24'] } }],
          },
          { name: 'egress', type: 'NETWORK', rules: [] },
        ],
      };
    },
  });
  const policies = {
    list: () => [{ name: 'egress' }],
    forPolicy: () => ({ getPolicy: async () => ({ rules: [rule] }) }),
  } as never;
  const subnets = {
    listSubnets: async () => [
      { name: 'pg-a', region: 'us-central1', network: 'shared-vpc', primary: '10.0.0.0/24', secondary: [], ipv6: [] },
    ],
  };

  it('reads the enforcement order, the VPC rules, the hierarchical policies, the policies and the subnets', async () => {
    const snap = await liveNetwork({
      hostProject: 'h',
      network: 'shared-vpc',
      api: api('BEFORE_CLASSIC_FIREWALL'),
      policies,
      subnets,
    }).read();
    const m = buildModel(snap, { target, projects: ['pg'] });
    expect(m).toMatchObject({
      enforcementOrder: 'BEFORE_CLASSIC_FIREWALL',
      hierarchical: [{ name: 'org-guard' }],
      global: { name: 'egress' },
    });
    expect(m.subnets[0]!.project).toBe('pg');
    const src = { project: 'pg', ip: '10.0.0.2' };
    expect(evaluate(m, src, { kind: 'ip', value: '192.0.2.1' }).decidedBy.tier.kind).toBe('hierarchical');
    expect(
      evaluate(m, src, { kind: 'ip', value: '8.8.8.8' }, { packet: { protocol: 'tcp', port: 443 } }).disposition,
    ).toBe('DENIED');
    const after = buildModel(
      await liveNetwork({ hostProject: 'h', network: 'shared-vpc', api: api(undefined), policies, subnets }).read(),
      { target, projects: ['pg'] },
    );
    expect(
      evaluate(after, src, { kind: 'ip', value: '8.8.8.8' }, { packet: { protocol: 'tcp', port: 443 } }).decidedBy.rule
        .ruleName,
    ).toBe('open-443');
  });

  it('a network that is not found is said in the source, with Google defaults', async () => {
    const snap = await liveNetwork({
      hostProject: 'h',
      network: 'shared-vpc',
      api: api(undefined, true),
      policies,
    }).read();
    expect(snap.enforcementOrder).toBeUndefined();
    expect(snap.source).toMatch(/not found: reading the network/);
  });
});

describe('the state-file NetworkReader (contract C1 fields)', () => {
  it('reads networks, firewalls and subnetworks of the host project, and the chosen policies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'egress-netstate-'));
    try {
      const file = join(dir, 'compute.json');
      writeFileSync(
        file,
        JSON.stringify({
          version: 1,
          policies: [
            { project: 'h', name: 'egress', rules: [rule] },
            { project: 'h', name: 'other', rules: [] },
          ],
          networks: [
            {
              project: 'h',
              name: 'shared-vpc',
              id: '1',
              networkFirewallPolicyEnforcementOrder: 'BEFORE_CLASSIC_FIREWALL',
            },
          ],
          firewalls: [
            { project: 'h', name: 'x', direction: 'EGRESS', allowed: [{ IPProtocol: 'all' }] },
            { project: 'elsewhere', name: 'y' },
          ],
          subnetworks: [
            {
              project: 'h',
              name: 'pg-a',
              region: 'regions/us-central1',
              network: 'shared-vpc',
              ipCidrRange: '10.0.0.0/24',
            },
          ],
        }),
      );
      const snap = await stateFileNetwork(file, {
        hostProject: 'h',
        network: 'shared-vpc',
        choose: (p) => p.name === 'egress',
      }).read();
      expect(snap).toMatchObject({
        enforcementOrder: 'BEFORE_CLASSIC_FIREWALL',
        policies: [{ name: 'egress' }],
        firewalls: [{ name: 'x' }],
      });
      expect(snap.subnets.map((s) => [s.name, s.region, s.primary])).toEqual([['pg-a', 'us-central1', '10.0.0.0/24']]);
      // an old file without the C1 fields: Google's default order, no VPC rules
      writeFileSync(file, JSON.stringify({ version: 1, policies: [] }));
      const old = await stateFileNetwork(file, { hostProject: 'h', network: 'shared-vpc', choose: () => true }).read();
      expect([old.enforcementOrder, old.firewalls]).toEqual([undefined, []]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
