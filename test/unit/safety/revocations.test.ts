/** The blast-radius guard (core/safety/revocations.ts) and its uses by `sync --delete` and the tombstone's time stamp. */

import { memoryManifestStore } from '../../../shared/adapters/memory';
import { driftExitCode } from '../../../shared/cli/commands/drift';
import { decodeEgressChange, encodeEvent, makeEgressChange } from '../../../shared/core/events/codec';
import { parseMarker, recentRevocations, tombstoneRule } from '../../../shared/core/firewall';
import { DEFAULT_POLICY } from '../../../shared/core/policy/defaults';
import { parsePolicy } from '../../../shared/core/policy/parse';
import { checkRevocations, parseAllowRevocations } from '../../../shared/core/safety/revocations';
import type { DriftRun } from '../../../shared/usecases/drift';
import { syncManifests } from '../../../shared/usecases/sync';

const run = { command: 'drift --repair', where: 'gs://b/manifests/', max: 3 };

describe('checkRevocations', () => {
  it('lets through up to safety.maxRevocationsPerRun, or up to --allow-revocations', () => {
    expect(checkRevocations({ ...run, projects: ['a', 'b', 'c'] })).toEqual({ ok: true });
    const refused = checkRevocations({ ...run, projects: ['d', 'a', 'b', 'c'] });
    expect(refused).toMatchObject({ ok: false, code: 'TOO_MANY_REVOCATIONS', projects: ['a', 'b', 'c', 'd'] });
    if (refused.ok) throw new Error('refused');
    expect(refused.message).toMatch(/revoke the egress of 4 projects \(a, b, c, d\).*--allow-revocations 4\./);
    expect(checkRevocations({ ...run, projects: ['a', 'b', 'c', 'd'], allow: 4 })).toEqual({ ok: true });
    expect(checkRevocations({ ...run, projects: ['a', 'b', 'c', 'd'], allow: 3 })).toMatchObject({ ok: false });
  });

  it('refuses an empty prefix while owned rules exist, whatever the flag; an empty fleet is fine', () => {
    const empty = { ...run, projects: ['a'], manifests: 0, ownedProjects: 1, allow: 1000 };
    expect(checkRevocations(empty)).toMatchObject({ ok: false, code: 'EMPTY_PREFIX' });
    expect(checkRevocations({ ...empty, ownedProjects: 0 })).toEqual({ ok: true });
  });

  it('refuses revocations read from a prefix the pipeline does not watch', () => {
    expect(checkRevocations({ ...run, projects: ['a'], watchedElsewhere: 'manifests/' })).toMatchObject({
      ok: false,
      code: 'FOREIGN_PREFIX',
    });
    expect(checkRevocations({ ...run, projects: [], watchedElsewhere: 'manifests/' })).toEqual({ ok: true });
  });

  it('parses --allow-revocations as a whole number, naming a bad value', () => {
    expect(parseAllowRevocations('12')).toBe(12);
    expect(() => parseAllowRevocations('-1')).toThrow("--allow-revocations '-1' is not a whole number");
    expect(() => parseAllowRevocations('all')).toThrow(/not a whole number/);
  });

  it('drift --repair exits 1 when refused', () => {
    const refused = { code: 'EMPTY_PREFIX', message: 'x', projects: [], ok: false } as const;
    const r = {
      report: { clean: false, checked: 1, drifted: [], errors: [], unchecked: [] },
      refused,
    } as unknown as DriftRun;
    expect(driftExitCode(r, false, true)).toBe(1);
    expect(driftExitCode(r, false, false)).toBe(0);
  });
});

describe('policy safety settings', () => {
  it('have small documented defaults and can be overridden', () => {
    expect(DEFAULT_POLICY.safety).toEqual({ maxRevocationsPerRun: 3, revocationsPerWindow: 10, windowSeconds: 600 });
    const r = parsePolicy('safety:\n  maxRevocationsPerRun: 0\n  revocationsPerWindow: 50\n', 'p.yaml');
    expect(r.diagnostics).toEqual([]);
    expect(r.policy.safety).toEqual({ maxRevocationsPerRun: 0, revocationsPerWindow: 50, windowSeconds: 600 });
    expect(parsePolicy('safety:\n  windowSeconds: 0\n', 'p.yaml').diagnostics.length).toBeGreaterThan(0);
  });
});

describe('the tombstone time stamp (the applier rate guard counts it)', () => {
  it('round-trips in the marker and is counted only inside the window', () => {
    const t = { ...tombstoneRule('p', '7', 1_000), priority: 1000 };
    expect(parseMarker(t.description)).toMatchObject({ project: 'p', generation: '7', state: 'deleted', at: 1000 });
    const old = { ...tombstoneRule('q', '8'), priority: 1001 };
    expect(recentRevocations([t, old], 999)).toEqual(['p']);
    expect(recentRevocations([t, old], 1001)).toEqual([]);
  });

  it('release and supersedes survive the wire, with ids of their own', () => {
    const source = { bucket: 'b', object: 'manifests/p.yaml', generation: '5' };
    const base = { project: { name: 'p', environment: 'x' }, reason: 'delete' as const, entries: [], source };
    const plain = makeEgressChange(base);
    const released = makeEgressChange({ ...base, release: true });
    expect(released.id).not.toBe(plain.id);
    const d = decodeEgressChange(encodeEvent(released));
    expect(d.ok && d.event.data.release).toBe(true);
    const sup = makeEgressChange({
      ...base,
      reason: 'upsert',
      supersedes: { object: 'manifests/p.yml', generation: '9' },
    });
    const ds = decodeEgressChange(encodeEvent(sup));
    expect(ds.ok && ds.event.data.supersedes).toEqual({ object: 'manifests/p.yml', generation: '9' });
  });
});

describe('sync --delete', () => {
  const manifest = (name: string) =>
    `apiVersion: lowops.manifests.v1\nkind: Project\nmetadata:\n  name: ${name}\n  environment: production\nspec:\n  allowedEgress:\n    - "api.stripe.com"\n`;
  const file = (name: string, ext = 'yaml') => ({
    path: `m/${name}.${ext}`,
    objectName: `manifests/${name}.${ext}`,
    content: Buffer.from(manifest(name)),
  });

  it('refuses before any write when it would revoke more projects than allowed; a rename does not count', async () => {
    const store = memoryManifestStore();
    for (const n of ['a', 'b', 'c', 'd', 'e']) await store.write(`manifests/${n}.yaml`, Buffer.from(manifest(n)));
    await store.write('manifests/f.yml', Buffer.from(manifest('f')));
    const opts = { store, prefix: 'manifests/', validation: { policy: DEFAULT_POLICY }, deleteRemoved: true };
    // a kept, f renamed .yml -> .yaml, a new project g: deleting b..e revokes 4; f.yml's deletion revokes nothing.
    const files = [file('a'), file('f'), file('g')];
    const refused = await syncManifests({ ...opts, files });
    expect(refused.refused).toMatchObject({ code: 'TOO_MANY_REVOCATIONS', projects: ['b', 'c', 'd', 'e'] });
    expect(refused.summary).toEqual({ uploaded: 0, unchanged: 1, deleted: 0 });
    expect(store.calls.filter((c) => c.method === 'write' || c.method === 'delete')).toHaveLength(6); // the seeding
    const ok = await syncManifests({ ...opts, files, safety: { allow: 4 } });
    expect(ok.refused).toBeUndefined();
    expect(ok.summary).toEqual({ uploaded: 2, unchanged: 1, deleted: 5 });
  });
});
