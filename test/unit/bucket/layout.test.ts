/** The bucket layout: which objects are manifests, their project key, prefixes (one module for every caller). */
import {
  defaultObjectName,
  hasManifestExtension,
  isManifestObject,
  keyListPrefix,
  manifestsOf,
  normalizePrefix,
  objectNameOf,
  placeOf,
  projectKeyOf,
} from '../../../shared/core/bucket/layout';

describe('isManifestObject / placeOf', () => {
  it.each([
    ['manifests/p.yaml', 'manifests/', 'manifest'],
    ['manifests/p.yml', 'manifests/', 'manifest'],
    // One case rule everywhere: `npm start` and `egress sync` upload p.YAML, so the validator must see it.
    ['manifests/p.YAML', 'manifests/', 'manifest'],
    ['manifests/p.Yml', 'manifests/', 'manifest'],
    // A prefix set without its slash (EGRESS_MANIFEST_PREFIX=manifests) still means the folder, not a string prefix.
    ['manifests/p.yaml', 'manifests', 'manifest'],
    ['manifests-old/p.yaml', 'manifests', 'outside'],
    ['manifests/p.yaml', '/manifests/', 'manifest'],
    ['p.yaml', '', 'manifest'],
    ['manifests/team/p.yaml', 'manifests/', 'nested'],
    ['manifests/team/p.yaml', '', 'nested'],
    // No base name, no project key.
    ['manifests/.yaml', 'manifests/', 'not-yaml'],
    ['manifests/p.yaml.bak', 'manifests/', 'not-yaml'],
    ['manifests/p.json', 'manifests/', 'not-yaml'],
    ['other/p.yaml', 'manifests/', 'outside'],
  ])('%s under %j → %s', (name, prefix, expected) => {
    expect(placeOf(name, prefix)).toBe(expected);
    expect(isManifestObject(name, prefix)).toBe(expected === 'manifest');
  });
});

describe('normalizePrefix', () => {
  it.each([
    ['', ''],
    ['/', ''],
    ['manifests', 'manifests/'],
    ['manifests/', 'manifests/'],
    ['/manifests', 'manifests/'],
    ['//a/b', 'a/b/'],
  ])('%j → %j', (p, expected) => {
    expect(normalizePrefix(p)).toBe(expected);
  });
});

describe('projectKeyOf', () => {
  it.each([
    ['manifests/payment-gateway.yaml', 'payment-gateway'],
    ['payment-gateway.yml', 'payment-gateway'],
    ['manifests/p.YAML', 'p'],
    ['a/b/c.yaml', 'c'],
    ['C:\\repo\\x.yaml', 'x'],
    ['noext', 'noext'],
    ['x.json', 'x.json'],
    ['x.yaml.yaml', 'x.yaml'],
  ])('%s → %s', (p, k) => {
    expect(projectKeyOf(p)).toBe(k);
  });
});

describe('object names', () => {
  it('a file syncs to PREFIX + base name; a project without a manifest is spelled <key>.yaml', () => {
    expect(objectNameOf('manifests', 'dir/team/p.yml')).toBe('manifests/p.yml');
    expect(objectNameOf('', 'p.YAML')).toBe('p.YAML');
    expect(defaultObjectName('manifests', 'p')).toBe('manifests/p.yaml');
    expect(keyListPrefix('/m', 'p')).toBe('m/p.');
  });

  it('hasManifestExtension needs a stem and a .yaml/.yml ending in any case', () => {
    expect(['a.yaml', 'a.YML', 'dir/a.Yaml'].map(hasManifestExtension)).toEqual([true, true, true]);
    expect(['.yaml', 'a.yaml~', 'a.yamll', 'a'].map(hasManifestExtension)).toEqual([false, false, false, false]);
  });

  it('manifestsOf picks every spelling of one key, .yaml first, then .yml, then other cases', () => {
    const objects = ['m/p.YML', 'm/p.yml', 'm/px.yaml', 'm/p.yaml', 'm/team/p.yaml', 'm/p.yaml.bak', 'm/p.Yaml'].map(
      (name) => ({ name }),
    );
    expect(manifestsOf(objects, 'm', 'p').map((o) => o.name)).toEqual(['m/p.yaml', 'm/p.yml', 'm/p.YML', 'm/p.Yaml']);
    expect(manifestsOf(objects, 'm', 'q')).toEqual([]);
  });
});
