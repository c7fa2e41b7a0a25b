/**
 * `egress plan`'s preview of the applier's writes (core/firewall/previewPlan.ts): the same
 * steps as the applier's planner for an event, by content alone, so the patches `plan` shows are the ones the applier
 * sends for that manifest's event.
 */
import { makeEgressChange } from '../../../shared/core/events/codec';
import {
  compileProject,
  desiredRules,
  planPlacedWrites,
  previewPlan,
  targetPolicy,
} from '../../../shared/core/firewall';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import type { EgressEntry } from '../../../shared/core/manifest/types';
import { testPolicy } from './testPolicy';

const global = testPolicy();
const regional = testPolicy({ placement: 'regional', regions: ['us-central1', 'europe-west1'] });
const pg = { name: 'payment-gateway', environment: 'production', region: 'us-central1' };
const ledger = { name: 'ledger', environment: 'production', region: 'us-central1' };
const before: EgressEntry[] = [
  { value: 'api.stripe.com', type: 'hostname' },
  { value: '34.117.59.0/24', type: 'cidr' },
];
const after: EgressEntry[] = [
  { value: 'api.stripe.com', type: 'hostname' },
  { value: 'hooks.slack.com', type: 'hostname' },
];
/** One project's preview, placed in `target`. */
const preview = (
  states: Parameters<typeof previewPlan>[0],
  project: string,
  desired: ReturnType<typeof desiredRules>,
  target: { name: string; region?: string },
  policy = global,
) => previewPlan(states, new Map([[project, desired]]), () => ({ ref: target }), policy).previews[0]!;
const placed = (rules: ReturnType<typeof compileProject>, from: number): ObservedRule[] =>
  rules.map(({ coverage: _, ...r }, i) => ({ ...r, priority: from + i }));
const unmanaged: ObservedRule = {
  ruleName: 'netops-allow-dns',
  description: 'the network team, by hand',
  direction: 'EGRESS',
  action: 'allow',
  enableLogging: false,
  priority: 900,
  match: { destIpRanges: ['8.8.8.8/32'], layer4Configs: [{ ipProtocol: 'udp', ports: ['53'] }] },
};
const defaultRule: ObservedRule = {
  ruleName: 'default-egress',
  description: 'default egress rule',
  direction: 'EGRESS',
  action: 'goto_next' as 'allow', // as the adapter reads it (Google's default rules end each policy)
  enableLogging: false,
  priority: 2147483646,
  match: { destIpRanges: ['0.0.0.0/0'], layer4Configs: [{ ipProtocol: 'all' }] },
};

describe('previewPlan', () => {
  const current = [
    unmanaged,
    ...placed(compileProject(pg, before, { policy: global, generation: '5' }), 1000),
    ...placed(compileProject(ledger, before, { policy: global, generation: '7' }), 1100),
    defaultRule,
  ];
  const states = [{ ref: { name: 'fw' }, snapshot: { rules: current } }];

  it('is the patch the applier sends for the manifest event of the same content', () => {
    const desired = desiredRules(pg, after, { policy: global, generation: '0' });
    const got = preview(states, 'payment-gateway', desired, { name: 'fw' }, global);
    const ev = makeEgressChange({
      project: pg,
      reason: 'upsert',
      entries: after,
      source: { bucket: 'b', object: 'manifests/payment-gateway.yaml', generation: '6' },
    });
    const applier = planPlacedWrites(
      ev,
      desiredRules(pg, after, { policy: global, generation: '6' }),
      states,
      targetPolicy(global.firewall, states, ev),
      global,
    );
    expect(got.failed).toBeUndefined();
    expect(got.writes.map((w) => [w.policy, w.changes])).toEqual(applier.writes.map((w) => [w.policy, w.changes]));
    expect(got.writes).toHaveLength(1);
    expect(got.plan.update.length + got.plan.create.length + got.plan.delete.length).toBeGreaterThan(0);
  });

  it('keeps every rule the project does not own as the very object read', () => {
    const desired = desiredRules(pg, after, { policy: global, generation: '0' });
    const [patch] = preview(states, 'payment-gateway', desired, { name: 'fw' }, global).writes;
    for (const r of current.filter((r) => !r.description.includes('project=payment-gateway')))
      expect(patch!.rules).toContainEqual(r);
    expect(patch!.rules.find((r) => r.ruleName === 'netops-allow-dns')).toBe(unmanaged);
    expect(patch!.rules.at(-1)).toBe(defaultRule);
  });

  it('writes nothing when the content is the same, whatever the generation', () => {
    const same = desiredRules(pg, before, { policy: global, generation: '0' });
    const got = preview(states, 'payment-gateway', same, { name: 'fw' }, global);
    expect(got.writes).toEqual([]);
    expect(got.plan.unchanged).toBe(2);
  });

  it('a move patches the new policy first, then removes the rules from the old one', () => {
    const st = [
      { ref: { name: 'fw' }, snapshot: { rules: current } },
      { ref: { name: 'fw-us-central1', region: 'us-central1' }, snapshot: { rules: [] } },
      { ref: { name: 'fw-europe-west1', region: 'europe-west1' }, snapshot: { rules: [] } },
    ];
    const desired = desiredRules(pg, before, { policy: regional, generation: '0' });
    const target = { name: 'fw-us-central1', region: 'us-central1' };
    const got = preview(st, 'payment-gateway', desired, target, regional);
    expect(got.writes.map((w) => w.policy.name)).toEqual(['fw-us-central1', 'fw']);
    expect(got.writes[1]!.changes.remove).toEqual([
      'egress-payment-gateway-fqdn-1@1000',
      'egress-payment-gateway-v4-1@1001',
    ]);
    expect(got.plan.delete.map((r) => r.priority)).toEqual([1000, 1001]);
  });

  it('a full priority band is the applier refusal, with the plan still shown and no patch', () => {
    const tiny = testPolicy({ priorityMin: 1000, priorityMax: 1003 });
    const desired = desiredRules(
      { name: 'newcomer', environment: 'production' },
      [{ value: 'api.example.org', type: 'hostname' }],
      { policy: tiny, generation: '0' },
    );
    // Every priority of the band taken (by rules the applier does not own).
    const taken = [1000, 1001, 1002, 1003].map((priority) => ({
      ...unmanaged,
      ruleName: `netops-${priority}`,
      priority,
    }));
    const full = [{ ref: { name: 'fw' }, snapshot: { rules: taken } }];
    const got = preview(full, 'newcomer', desired, { name: 'fw' }, tiny);
    expect(got.failed?.reason).toBe('priority-band-full');
    expect(got.writes).toEqual([]);
    expect(got.plan.create.map((r) => r.ruleName)).toEqual(desired.map((r) => r.ruleName));
  });

  it('a project placed in a policy that was not read is the applier refusal `placement`, no patch', () => {
    const desired = desiredRules(pg, after, { policy: regional, generation: '0' });
    const got = preview(states, 'payment-gateway', desired, { name: 'fw-asia-east1', region: 'asia-east1' }, regional);
    expect(got.failed).toEqual({ reason: 'placement', message: expect.stringContaining('fw-asia-east1') });
    expect(got.writes).toEqual([]);
  });
});
