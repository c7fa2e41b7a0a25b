/**
 * A prediction is what the applier then does: replay (and drift --repair) predict each project's writes with the
 * applier's own planner, so over the same policy the predicted count and request ids equal the writes the applier
 * makes for the event replay publishes, including a target-kind change (replaced, not patched), a re-stamp, a
 * tombstone, and the events the stale-event guard skips (0 writes, and why).
 */

import { memoryManifestStore, memoryPublisher } from '../../../shared/adapters/memory';
import { compileProject, policyView, tombstoneRule } from '../../../shared/core/firewall';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import type { EgressEntry } from '../../../shared/core/manifest/types';
import { singlePolicy } from '../../../shared/ports/firewall';
import { handleEgressMessage } from '../../../shared/usecases/applyChange';
import { loadBucketManifests } from '../../../shared/usecases/bucketManifests';
import { runDrift } from '../../../shared/usecases/drift';
import { predictWrites } from '../../../shared/usecases/planEvent';
import { replay, replayEventOver } from '../../../shared/usecases/replay';
import { TAG_WORKLOADS, testPolicy } from '../firewall/testPolicy';
import { harness } from './applyHarness';

const PROJECT = { name: 'payment-gateway', environment: 'production' };
const policy = testPolicy();
const entries: EgressEntry[] = [
  { value: 'api.stripe.com', type: 'hostname' },
  { value: 'hooks.slack.com', type: 'hostname' },
  { value: '34.117.59.0/24', type: 'cidr' },
];
const yaml = (values: string[]) => `apiVersion: lowops.manifests.v1
kind: Project
metadata:
  name: ${PROJECT.name}
  environment: ${PROJECT.environment}
spec:
  allowedEgress:
${values.map((v) => `    - "${v}"`).join('\n')}
`;

/** The rules the applier would have written for `es` at `generation`, at priorities from 1000. */
const applied = (generation: string, es: EgressEntry[] = entries, p = policy): ObservedRule[] =>
  compileProject(PROJECT, es, { policy: p, generation, ...(p === secureTags ? { workloads: TAG_WORKLOADS } : {}) }).map(
    (r, i) => ({ ...r, priority: 1000 + i }),
  );
const older = (g: string) => String(BigInt(g) - 5n);
const newer = (g: string) => String(BigInt(g) + 5n);
const secureTags = testPolicy({ target: { mode: 'secureTags', org: '42', templates: ['{org}/egress/{project}'] } });

/** Each case: the live manifest's values, and the firewall as it is when replay and the applier read it. */
const cases: [
  string,
  string[],
  (gen: string, sibling?: string) => ObservedRule[],
  { writes: number; skipped?: boolean; sibling?: boolean },
][] = [
  ['a plain create (empty firewall)', ['api.stripe.com', '34.117.59.0/24'], () => [], { writes: 1 }],
  [
    'an update (one range changed)',
    ['api.stripe.com', 'hooks.slack.com', '34.117.60.0/24'],
    (g) => applied(older(g)),
    { writes: 1 },
  ],
  // The range rule is removed and the kept rule re-stamped with the new generation (no create or update carries it).
  [
    'a delete (the ranges left the manifest)',
    ['api.stripe.com', 'hooks.slack.com'],
    (g) => applied(older(g)),
    { writes: 1 },
  ],
  ['a re-stamp (same content, newer generation)', entries.map((e) => e.value), (g) => applied(older(g)), { writes: 1 }],
  [
    'a target-kind change (secure tags -> service accounts: replaced in place, in the one patch)',
    entries.map((e) => e.value),
    (g) => applied(older(g), entries, secureTags),
    { writes: 1 },
  ],
  // A newer generation of a live object (the other spelling `.yml`, uploaded later) stays newer: stale.
  [
    'a stale event (the firewall reflects a newer generation of a live object)',
    entries.map((e) => e.value),
    (g, sibling) => applied(sibling ?? newer(g), entries.slice(0, 1)),
    { writes: 0, skipped: true, sibling: true },
  ],
  // A newer generation no live object has (a deleted sibling spelling): the replay supersedes it (object+generation).
  [
    'a newer generation of an object that is gone (superseded, applied)',
    entries.map((e) => e.value),
    (g) => applied(newer(g), entries.slice(0, 1)),
    { writes: 1 },
  ],
  [
    'a stale event (revoked by a tombstone at a generation not older than the manifest)',
    entries.map((e) => e.value),
    (g) => [{ ...tombstoneRule(PROJECT.name, g), priority: 1500 }],
    { writes: 0, skipped: true },
  ],
  [
    'a tombstone of an older revocation (the manifest is back: create the rules, remove the tombstone)',
    entries.map((e) => e.value),
    (g) => [{ ...tombstoneRule(PROJECT.name, older(g)), priority: 1500 }],
    { writes: 1 },
  ],
];

/** The bucket and the harness's firewall as the operator commands take them. */
function opsDeps(store: ReturnType<typeof memoryManifestStore>, h: ReturnType<typeof harness>) {
  return {
    store,
    bucket: 'manifests',
    prefix: 'manifests/',
    policy,
    clock: h.clock,
    policies: singlePolicy(h.firewall),
  };
}

describe('replay and drift predict exactly what the applier writes', () => {
  it.each(cases)('%s', async (_what, values, seed, want) => {
    const store = memoryManifestStore('manifests');
    const { generation } = await store.write(`manifests/${PROJECT.name}.yaml`, Buffer.from(yaml(values)));
    const sibling = want.sibling
      ? (await store.write(`manifests/${PROJECT.name}.yml`, Buffer.from(yaml(values)))).generation
      : undefined;
    const h = harness(seed(generation, sibling));
    const publisher = memoryPublisher();
    const deps = opsDeps(store, h);

    const report = await replay({ ...deps, publisher, changesTopic: 'egress-changes' }, { projects: [PROJECT.name] });
    const item = report.items[0]!;
    expect(item).toMatchObject({ status: 'published', expectedWrites: want.writes });
    if (want.skipped) expect(item.skipped).toMatch(/^stale event: /);
    else expect(item.skipped).toBeUndefined();

    // The request ids of the same prediction (what replay counted), from the same policy state.
    const [m] = await loadBucketManifests(store, 'manifests/', policy);
    const snapshot = await h.firewall.getPolicy();
    const ev = replayEventOver('manifests', m!, policyView(snapshot, PROJECT.name).owned, new Date(h.clock.now()));
    expect(ev.id).toBe(item.eventId);
    const states = [{ ref: { name: 'global' }, snapshot: await h.firewall.getPolicy() }];
    const prediction = predictWrites(ev, states, policy);
    if ('failed' in prediction) throw new Error(prediction.failed);

    // Drift's repair forecast for the same state, when the project drifted (content, not generations).
    const drift = await runDrift(deps);
    const forecast = drift.forecast.find((f) => f.project === PROJECT.name);

    // The applier, on the very message replay published.
    h.firewall.calls.length = 0;
    const { message } = publisher.on('egress-changes')[0]!;
    const out = await handleEgressMessage(h.deps, message);
    const writes = h.firewall.calls.filter((c) => c.method !== 'get');
    expect(out.outcome).toBe(want.skipped ? 'skipped' : 'applied');
    expect(out.writes).toBe(want.writes);
    expect(writes).toHaveLength(item.expectedWrites!);
    expect(writes.map((c) => c.requestId)).toEqual(prediction.writes.map((w) => w.requestId));
    expect(h.firewall.sent).toEqual(prediction.writes.map((w) => w.rules));
    if (want.skipped) expect(out.reason).toBe(item.skipped);
    if (forecast) {
      expect(forecast.expectedWrites).toBe(writes.length);
      expect(forecast.eventId).toBe(item.eventId);
    }
  });

  it('a dry run lists the stale event with 0 expected writes and the reason', async () => {
    const store = memoryManifestStore('manifests');
    await store.write(`manifests/${PROJECT.name}.yaml`, Buffer.from(yaml(['api.stripe.com'])));
    const { generation } = await store.write(`manifests/${PROJECT.name}.yml`, Buffer.from(yaml(['api.stripe.com'])));
    const h = harness(applied(generation));
    const report = await replay(
      { ...opsDeps(store, h), publisher: memoryPublisher(), changesTopic: 'egress-changes' },
      { dryRun: true },
    );
    expect(report.expectedWrites).toBe(0);
    expect(report.items[0]).toMatchObject({
      status: 'would-publish',
      expectedWrites: 0,
      skipped: expect.stringContaining(`already reflects generation ${generation}`),
    });
  });
});
