/**
 * The fleet reconcile (issue 17 item 3): many projects' events written as ONE fingerprinted patch per policy, with the
 * applier's own planner: rules not owned by the run's projects and the default rules kept byte-for-byte, an unchanged
 * fleet writes nothing, the blast-radius guard refuses before any write, a 412 re-reads and re-plans.
 */
import { memoryManifestStore, memoryPublisher } from '../../../shared/adapters/memory';
import { makeEgressChange } from '../../../shared/core/events/codec';
import { ownedRules } from '../../../shared/core/firewall';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import type { EgressEntry } from '../../../shared/core/manifest/types';
import { checkRevocations } from '../../../shared/core/safety/revocations';
import { FirewallApiError, singlePolicy } from '../../../shared/ports/firewall';
import type { LimitsReader } from '../../../shared/ports/limits';
import { applyChange } from '../../../shared/usecases/applyChange';
import { runDrift } from '../../../shared/usecases/drift';
import { reconcileFleet } from '../../../shared/usecases/fleet';
import { replay } from '../../../shared/usecases/replay';
import { testPolicy } from '../firewall/testPolicy';
import { fakeClock, harness, MemoryFirewall } from './applyHarness';

const policy = testPolicy();
const entries = (i: number): EgressEntry[] => [
  { value: `api${i}.example.com`, type: 'hostname' },
  { value: `34.${i}.0.0/24`, type: 'cidr' },
];
const DEFAULTS: ObservedRule[] = [2147483644, 2147483645, 2147483646, 2147483647].map((priority, i) => ({
  priority,
  ruleName: '',
  description: 'default rule',
  direction: (i % 2 ? 'INGRESS' : 'EGRESS') as 'EGRESS',
  action: 'goto_next' as 'allow',
  enableLogging: false,
  match: { destIpRanges: ['0.0.0.0/0'], layer4Configs: [{ ipProtocol: 'all' }] },
}));
const FOREIGN: ObservedRule = {
  priority: 1500,
  ruleName: 'corp-proxy',
  description: 'terraform',
  direction: 'EGRESS',
  action: 'allow',
  enableLogging: true,
  match: { destIpRanges: ['10.0.0.1/32'], layer4Configs: [{ ipProtocol: 'tcp', ports: ['3128'] }] },
};
const project = (i: number) => ({ name: `proj-${i}`, environment: 'production' });
const event = (i: number, es = entries(i), generation = '7') =>
  makeEgressChange({
    project: project(i),
    reason: 'replay',
    entries: es,
    source: { bucket: 'manifests', object: `manifests/proj-${i}.yaml`, generation },
    time: new Date(0),
  });

function deps(fw: MemoryFirewall) {
  return { policies: singlePolicy(fw), policy, clock: fakeClock(), retry: { random: () => 0.5 } };
}

describe('reconcileFleet', () => {
  it('writes every project of the run in one patch of the policy; foreign and default rules kept byte-for-byte', async () => {
    const fw = new MemoryFirewall([FOREIGN, ...DEFAULTS]);
    const inputs = [1, 2, 3, 4, 5].map((i) => ({ event: event(i) }));
    const r = await reconcileFleet(deps(fw), inputs, { runKey: 't' });
    expect(r).toMatchObject({ writes: 1, rounds: 1 });
    expect(fw.calls.filter((c) => c.method === 'patch')).toHaveLength(1);
    expect(r.patches).toHaveLength(1);
    expect(r.patches[0]!.changes.add).toHaveLength(10);
    const after = fw.list();
    expect(after.find((x) => x.priority === FOREIGN.priority)).toEqual(FOREIGN);
    for (const d of DEFAULTS) expect(after.find((x) => x.priority === d.priority)).toEqual(d);
    // What the applier then sees for each project: nothing left to write (the fleet patch is its own plan).
    const h = harness(after);
    for (const i of [1, 2, 3, 4, 5]) expect((await applyChange(h.deps, event(i))).writes).toBe(0);
  });

  it("checks the fleet patch against the policy's limits as read from the quotas, read only when there is a patch", async () => {
    const fw = new MemoryFirewall([FOREIGN, ...DEFAULTS]);
    const inputs = [1, 2, 3].map((i) => ({ event: event(i) }));
    const scopes: string[] = [];
    const tight: LimitsReader = {
      read: async (scope) => {
        scopes.push(scope);
        return { fqdnsPerPolicy: 2 };
      },
    };
    const r = await reconcileFleet({ ...deps(fw), limits: tight }, inputs, { runKey: 'q' });
    expect(r.failed).toMatch(/^capacity: .*FQDNs/);
    expect(scopes).toEqual(['global']);
    expect(fw.calls.filter((c) => c.method === 'patch')).toHaveLength(0);
    // Without the quota read the policy file's limits hold the same fleet.
    expect(await reconcileFleet(deps(fw), inputs, { runKey: 'f' })).toMatchObject({ writes: 1 });
    // Nothing left to patch: the quotas are not read at all.
    scopes.length = 0;
    expect(await reconcileFleet({ ...deps(fw), limits: tight }, inputs, { runKey: 'g' })).toMatchObject({ writes: 0 });
    expect(scopes).toEqual([]);
  });

  it('an unchanged fleet plans no patch and writes nothing', async () => {
    const fw = new MemoryFirewall([FOREIGN, ...DEFAULTS]);
    const inputs = [1, 2, 3].map((i) => ({ event: event(i) }));
    await reconcileFleet(deps(fw), inputs, { runKey: 'first' });
    fw.calls = [];
    const again = await reconcileFleet(deps(fw), inputs, { runKey: 'second' });
    expect(again).toMatchObject({ writes: 0, patches: [] });
    expect(fw.calls.map((c) => c.method)).toEqual(['get']);
  });

  it('changes only what differs: an updated project keeps its priorities, the others are the objects read', async () => {
    const fw = new MemoryFirewall([FOREIGN, ...DEFAULTS]);
    await reconcileFleet(
      deps(fw),
      [1, 2].map((i) => ({ event: event(i) })),
      { runKey: 'a' },
    );
    const before = fw.list();
    const changed = [{ event: event(1, [{ value: 'new.example.com', type: 'hostname' }, entries(1)[1]!], '8') }];
    const r = await reconcileFleet(deps(fw), [...changed, { event: event(2) }], { runKey: 'b' });
    expect(r.writes).toBe(1);
    expect(r.patches[0]!.changes).toMatchObject({ add: [], remove: [] });
    const p1 = (rules: ObservedRule[]) => ownedRules(rules, 'proj-1').map((x) => x.priority);
    expect(p1(fw.list())).toEqual(p1(before));
    expect(ownedRules(fw.list(), 'proj-2')).toEqual(ownedRules(before, 'proj-2'));
  });

  it('the guard refuses before any write', async () => {
    const fw = new MemoryFirewall([FOREIGN]);
    await reconcileFleet(
      deps(fw),
      [1, 2].map((i) => ({ event: event(i) })),
      { runKey: 'a' },
    );
    fw.calls = [];
    const revoke = [1, 2].map((i) => ({ event: event(i, [], '9') }));
    const r = await reconcileFleet(deps(fw), revoke, {
      runKey: 'b',
      guard: (projects) =>
        checkRevocations({ command: 'replay', where: 'gs://manifests/manifests/', projects, max: 1, allow: undefined }),
    });
    expect(r.refused).toMatchObject({ code: 'TOO_MANY_REVOCATIONS', projects: ['proj-1', 'proj-2'] });
    expect(r.writes).toBe(0);
    expect(fw.calls.filter((c) => c.method === 'patch')).toEqual([]);
  });

  it('a 412 (another writer moved the policy) re-reads and re-plans; the other writer’s rule is kept', async () => {
    const fw = new MemoryFirewall([...DEFAULTS]);
    let raced = false;
    fw.before = (c) => {
      if (c.method !== 'patch' || raced) return;
      raced = true;
      fw.rules.set(FOREIGN.priority, structuredClone(FOREIGN));
      fw.version++;
    };
    const r = await reconcileFleet(
      deps(fw),
      [1, 2, 3].map((i) => ({ event: event(i) })),
      { runKey: 'race' },
    );
    expect(r).toMatchObject({ writes: 1, rounds: 2 });
    expect(fw.list().find((x) => x.priority === FOREIGN.priority)).toEqual(FOREIGN);
    expect(ownedRules(fw.list()).length).toBe(6);
  });
});

describe('replay --all as a fleet reconcile', () => {
  const yaml = (name: string, hosts: string[]) =>
    `apiVersion: lowops.manifests.v1\nkind: Project\nmetadata:\n  name: ${name}\n  environment: production\nspec:\n  allowedEgress:\n${hosts.map((h) => `    - "${h}"`).join('\n')}\n`;

  async function bucket(n: number) {
    const store = memoryManifestStore('manifests');
    for (let i = 1; i <= n; i++)
      await store.write(`manifests/proj-${i}.yaml`, Buffer.from(yaml(`proj-${i}`, [`api${i}.example.com`])));
    return store;
  }

  it('one patch for the whole bucket, nothing published; a second run writes nothing; the dry run shows the patch', async () => {
    const fw = new MemoryFirewall([FOREIGN, ...DEFAULTS]);
    const store = await bucket(4);
    const publisher = memoryPublisher();
    const d = {
      store,
      bucket: 'manifests',
      prefix: 'manifests/',
      publisher,
      changesTopic: 'egress-changes',
      policy,
      clock: fakeClock(),
      policies: singlePolicy(fw),
    };
    const dry = await replay(d, { fleet: true, dryRun: true });
    expect(dry.fleet?.patches.map((p) => p.summary)).toEqual([expect.stringMatching(/^patch global: add /)]);
    expect(fw.calls.filter((c) => c.method === 'patch')).toEqual([]);
    const r = await replay(d, { fleet: true });
    expect(r.fleet).toMatchObject({ writes: 1 });
    expect(r.items.map((i) => i.status)).toEqual(['patched', 'patched', 'patched', 'patched']);
    expect(publisher.published).toEqual([]);
    fw.calls = [];
    const again = await replay(d, { fleet: true });
    expect(again.fleet).toMatchObject({ writes: 0, patches: [] });
    expect(fw.calls.filter((c) => c.method === 'patch')).toEqual([]);
  });
});

describe('drift --repair as a fleet reconcile', () => {
  const yaml = (name: string) =>
    `apiVersion: lowops.manifests.v1\nkind: Project\nmetadata:\n  name: ${name}\n  environment: production\nspec:\n  allowedEgress:\n    - "api.${name}.example.com"\n`;

  async function setup(fw: MemoryFirewall) {
    const store = memoryManifestStore('manifests');
    for (const n of ['alpha', 'beta']) await store.write(`manifests/${n}.yaml`, Buffer.from(yaml(n)));
    const publisher = memoryPublisher();
    const deps = {
      store,
      bucket: 'manifests',
      prefix: 'manifests/',
      policies: singlePolicy(fw),
      policy,
      hostProject: 'host',
      clock: fakeClock(),
      publisher,
      changesTopic: 'egress-changes',
    };
    return { deps, publisher };
  }

  it('repairs every drifted project in one patch, publishes nothing; the next check is clean', async () => {
    const fw = new MemoryFirewall([FOREIGN, ...DEFAULTS]);
    const { deps, publisher } = await setup(fw);
    const run = await runDrift(deps, { repair: true, fleet: true });
    expect(run.fleet).toMatchObject({ writes: 1, patches: [expect.anything()] });
    expect(run.repairs.map((r) => r.project)).toEqual(['alpha', 'beta']);
    expect(publisher.published).toEqual([]);
    expect(fw.list().find((x) => x.priority === FOREIGN.priority)).toEqual(FOREIGN);
    const again = await runDrift(deps, { repair: true, fleet: true });
    expect(again.report.clean).toBe(true);
    expect(again.fleet).toMatchObject({ writes: 0, patches: [] });
  });

  it('a repair the account may not write (403) falls back to the per-project events', async () => {
    const fw = new MemoryFirewall([FOREIGN, ...DEFAULTS]);
    fw.before = (c) => {
      if (c.method === 'patch') throw new FirewallApiError('Required permission', 403, 'forbidden', false);
    };
    const { deps, publisher } = await setup(fw);
    const run = await runDrift(deps, { repair: true, fleet: true });
    expect(run.fleet?.failed).toMatch(/^api-refused: 403/);
    expect(run.repairs.map((r) => r.project)).toEqual(['alpha', 'beta']);
    expect(publisher.published).toHaveLength(2);
  });
});
