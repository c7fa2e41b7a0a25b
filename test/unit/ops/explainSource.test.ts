/** explain finds a project's manifest by the shared layout rules: any letter case, nested folders, bucket prefix. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readProjectManifest } from '../../../shared/adapters/manifestDir';
import { DEFAULT_POLICY } from '../../../shared/core/policy';
import type { ManifestStore, StoredObject } from '../../../shared/ports/storage';
import { findManifest } from '../../../shared/usecases/explain';
import { manifest } from '../manifest/helpers';

const TEXT = manifest(['"api.stripe.com"'], 'p');

/** A read-only store over fixed objects (explain only lists and reads). */
function storeOf(names: string[]): ManifestStore & { listed: string[] } {
  const objects: StoredObject[] = names.map((name, i) => ({ name, generation: String(i + 1), size: TEXT.length }));
  const listed: string[] = [];
  const no = () => Promise.reject(new Error('not used'));
  return {
    listed,
    list: async (prefix) => {
      listed.push(prefix);
      return objects.filter((o) => o.name.startsWith(prefix));
    },
    read: async (name) => {
      const object = objects.find((o) => o.name === name);
      return object ? { object, text: TEXT } : null;
    },
    stat: no,
    write: no,
    delete: no,
  };
}

describe('findManifest (explain)', () => {
  it('reads p.YAML directly under the prefix, never a nested or other-key object', async () => {
    const store = storeOf(['manifests/team/p.yaml', 'manifests/px.yaml', 'manifests/p.YAML']);
    const r = await findManifest('p', { kind: 'bucket', store, bucket: 'b', prefix: 'manifests' }, DEFAULT_POLICY);
    expect(r.manifest).toMatchObject({ path: 'gs://b/manifests/p.YAML', generation: '3', valid: true });
    expect(store.listed).toEqual(['manifests/p.']);
  });

  it('suggests <key>.yaml under the prefix when the bucket has none', async () => {
    const r = await findManifest(
      'q',
      { kind: 'bucket', store: storeOf([]), bucket: 'b', prefix: 'm/' },
      DEFAULT_POLICY,
    );
    expect(r.manifest).toBeNull();
    expect(r.suggestedPath).toContain('gs://b/m/q.yaml');
  });

  it('finds a folder manifest where sync would upload it from (a sub-folder, any letter case)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'explain-src-'));
    try {
      mkdirSync(join(dir, 'team'));
      writeFileSync(join(dir, 'team', 'p.Yml'), TEXT);
      const source = { kind: 'dir' as const, dir, find: (k: string) => readProjectManifest(dir, k) };
      const r = await findManifest('p', source, DEFAULT_POLICY);
      expect(r.manifest).toMatchObject({ path: join(dir, 'team', 'p.Yml'), valid: true });
      const none = await findManifest('q', source, DEFAULT_POLICY);
      expect(none).toEqual({ manifest: null, suggestedPath: join(dir, 'q.yaml') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
