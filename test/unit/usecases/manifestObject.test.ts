/** Which storage objects the validator treats as manifests, and the other spelling of one (rename handling). */
import { isManifestObject, siblingManifestObject } from '../../../shared/usecases/validateObject';

describe('isManifestObject', () => {
  it.each([
    ['manifests/p.yaml', 'manifests/', true],
    ['manifests/p.yml', 'manifests/', true],
    // A prefix set without its slash (EGRESS_MANIFEST_PREFIX=manifests) still means the folder, not a string prefix.
    ['manifests/p.yaml', 'manifests', true],
    ['manifests-old/p.yaml', 'manifests', false],
    ['manifests/p.yaml', '/manifests/', true],
    ['p.yaml', '', true],
    ['manifests/team/p.yaml', 'manifests/', false],
    ['manifests/team/p.yaml', '', false],
    ['manifests/p.YAML', 'manifests/', false],
    // No base name, no project key.
    ['manifests/.yaml', 'manifests/', false],
    ['manifests/p.yaml.bak', 'manifests/', false],
    ['other/p.yaml', 'manifests/', false],
  ])('%s under %j → %s', (name, prefix, expected) => {
    expect(isManifestObject(name, prefix)).toBe(expected);
  });
});

describe('siblingManifestObject', () => {
  it('maps .yaml and .yml to each other', () => {
    expect(siblingManifestObject('manifests/p.yaml')).toBe('manifests/p.yml');
    expect(siblingManifestObject('manifests/p.yml')).toBe('manifests/p.yaml');
  });
});
