/** The network's DNS query logging in the model: read live through a DnsPolicyList, or from the state file. */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { liveNetwork, type NetworkApi } from '../../../shared/adapters/networkLive';
import { stateFileNetwork } from '../../../shared/adapters/networkState';
import { buildModel } from '../../../shared/core/network/build';
import { tempDir } from '../../support/tempDir';

const target = { mode: 'subnets' as const, subnets: '{project}-*' };
const NET = 'https://www.googleapis.com/compute/v1/projects/h/global/networks/shared-vpc';
const api: NetworkApi = {
  getNetwork: async () => ({}),
  listFirewalls: async () => [],
  getEffectiveFirewalls: async () => ({}),
};
const policies = { list: () => [], forPolicy: () => ({}) } as never;
const logged = { name: 'dns-log', enableLogging: true, networks: [{ networkUrl: NET }] };

describe('live', () => {
  it('the bound server policy gives the fact; no reader, or a failed read, is unknown', async () => {
    const read = async (dnsPolicies?: { list(p: string): Promise<unknown[]> }) =>
      buildModel(
        await liveNetwork({
          hostProject: 'h',
          network: 'shared-vpc',
          api,
          policies,
          ...(dnsPolicies ? { dnsPolicies: dnsPolicies as never } : {}),
        }).read(),
        { target, projects: [] },
      ).dnsLogging;
    const asked: string[] = [];
    expect(
      await read({
        list: async (p) => {
          asked.push(p);
          return [logged];
        },
      }),
    ).toEqual({ enabled: true, alternativeNameServers: false, policyName: 'dns-log' });
    expect(asked).toEqual(['h']);
    expect(await read()).toBe('unknown');
    expect(
      await read({
        list: async () => {
          throw new Error('403');
        },
      }),
    ).toBe('unknown');
  });
});

describe('state file', () => {
  it('dnsPolicies of the host project give the fact; a file without the key is unknown', async () => {
    const dir = tempDir('dns-logging');
    try {
      const file = join(dir, 'compute.json');
      const read = async (extra: object) => {
        writeFileSync(file, JSON.stringify({ version: 1, policies: [], ...extra }));
        const snap = await stateFileNetwork(file, {
          hostProject: 'h',
          network: 'shared-vpc',
          choose: () => true,
        }).read();
        return buildModel(snap, { target, projects: [] }).dnsLogging;
      };
      expect(await read({})).toBe('unknown');
      expect(await read({ dnsPolicies: [{ project: 'other', ...logged }] })).toEqual({
        enabled: false,
        alternativeNameServers: false,
        policyName: null,
      });
      expect(await read({ dnsPolicies: [{ project: 'h', ...logged }] })).toMatchObject({ enabled: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
