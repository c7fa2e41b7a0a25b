import { memoryManifestStore } from '../../../shared/adapters/memory';
import { DEFAULT_POLICY } from '../../../shared/core/policy';
import { loadBucketManifests } from '../../../shared/usecases/bucketManifests';
import { manifestYaml } from '../../support/manifests';

const manifest = (name: string) => manifestYaml(name, ['api.stripe.com']);

describe('loadBucketManifests (replay, drift)', () => {
  it('takes only the objects the validator treats as manifests: directly under the prefix, *.yaml / *.yml', async () => {
    const store = memoryManifestStore();
    await store.write('manifests/alpha.yaml', Buffer.from(manifest('alpha')));
    await store.write('manifests/beta.yml', Buffer.from(manifest('beta')));
    await store.write('manifests/team/alpha.yaml', Buffer.from(manifest('alpha'))); // ignored by the validator
    await store.write('manifests/notes.txt', Buffer.from('x'));
    await store.write('other/gamma.yaml', Buffer.from(manifest('gamma')));

    const got = await loadBucketManifests(store, 'manifests/', DEFAULT_POLICY);
    expect(got.map((m) => [m.object.name, m.key, m.valid])).toEqual([
      ['manifests/alpha.yaml', 'alpha', true],
      ['manifests/beta.yml', 'beta', true],
    ]);
    // A prefix written without its slash means the same folder.
    expect((await loadBucketManifests(store, 'manifests', DEFAULT_POLICY)).map((m) => m.key)).toEqual([
      'alpha',
      'beta',
    ]);
  });
});
