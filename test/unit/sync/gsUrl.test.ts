/** The CLI's one gs:// parser (shared/runtime/gsUrl.ts), used by sync and by replay/drift/explain's --bucket. */
import fc from 'fast-check';
import { parseBucketUrl, resolveBucket } from '../../../shared/runtime/cliClients';
import { readConfig } from '../../../shared/runtime/config';
import { bucketNameProblem, GsUrlError, parseGsUrl } from '../../../shared/runtime/gsUrl';

const d = { defaultPrefix: 'manifests/' };

describe('parseGsUrl', () => {
  it('gs://B is the default prefix, gs://B/ the bucket root, gs://B/P and gs://B/P/ the folder P/', () => {
    expect(parseGsUrl('gs://my-bucket', d)).toEqual({ bucket: 'my-bucket', prefix: 'manifests/' });
    expect(parseGsUrl('gs://my-bucket', { defaultPrefix: 'team' })).toEqual({ bucket: 'my-bucket', prefix: 'team/' });
    expect(parseGsUrl('gs://my-bucket', { defaultPrefix: '' })).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(parseGsUrl('gs://my-bucket/', d)).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(parseGsUrl('gs://my-bucket/manifests', d)).toEqual({ bucket: 'my-bucket', prefix: 'manifests/' });
    expect(parseGsUrl('gs://my-bucket/a/b/', d)).toEqual({ bucket: 'my-bucket', prefix: 'a/b/' });
    expect(parseGsUrl(' gs://my-bucket/a ', d)).toEqual({ bucket: 'my-bucket', prefix: 'a/' });
  });

  it.each([
    ['gs://bkt//double', /empty path segment/, /write gs:\/\/bkt\/double\//],
    ['gs://bkt/a//b/', /empty path segment/, /gs:\/\/bkt\/a\/b\//],
    ['gs://bkt/a/', null, null],
    ['gs://bkt/a/../b', /"\.\." path segment/, /literal/],
    ['gs://bkt/./manifests', /"\." path segment/, /literal/],
    ['gs://bkt/..', /"\.\." path segment/, /literal/],
    ['gs://bkt/a\nb', /control character/, /remove/],
    ['gs:///manifests', /names no bucket/, /gs:\/\/BUCKET/],
    ['my-bucket/x', /is not a gs:\/\/ URL/, /gs:\/\/BUCKET/],
    ['s3://bkt/x', /is not a gs:\/\/ URL/, /gs:\/\/BUCKET/],
    ['gs://My_Bucket/x', /not a valid bucket name/, /lowercase/],
  ])('%j: %s', (url, message, hint) => {
    if (message === null) {
      expect(() => parseGsUrl(url, d)).not.toThrow();
      return;
    }
    let err: unknown;
    try {
      parseGsUrl(url, d);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GsUrlError);
    expect((err as GsUrlError).message).toMatch(message);
    expect((err as GsUrlError).hint).toMatch(hint!);
  });

  it('checks bucket names by the Cloud Storage rules', () => {
    for (const ok of ['abc', 'egress-manifests', 'a_b-c', 'my.bucket.example.com', 'x'.repeat(63)])
      expect(bucketNameProblem(ok)).toBeUndefined();
    for (const bad of ['ab', 'x'.repeat(64), 'a..b', '-ab', 'ab-', 'AB', '192.168.5.4', 'goog-x', 'my-google-x', 'a b'])
      expect(bucketNameProblem(bad)).toBeDefined();
    expect(bucketNameProblem(`${'a'.repeat(63)}.${'b'.repeat(63)}`)).toBeUndefined();
    expect(bucketNameProblem(`${'a'.repeat(64)}.b`)).toMatch(/63/);
  });

  it('never yields a prefix with an empty, "." or ".." segment, or without its trailing /', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', '', '.', '..', 'x.y'), { maxLength: 5 }),
        fc.boolean(),
        (segs, slash) => {
          const url = `gs://bkt/${segs.join('/')}${slash ? '/' : ''}`;
          let r: { prefix: string } | undefined;
          try {
            r = parseGsUrl(url, d);
          } catch (e) {
            expect(e).toBeInstanceOf(GsUrlError);
            return;
          }
          if (r.prefix === '') return;
          expect(r.prefix.endsWith('/')).toBe(true);
          for (const s of r.prefix.slice(0, -1).split('/')) expect(['', '.', '..']).not.toContain(s);
        },
      ),
    );
  });
});

describe('replay/drift/explain bucket parsing uses the same meaning', () => {
  const cfg = { ...readConfig({}), manifestPrefix: 'manifests/' };
  it('gs://B = EGRESS_MANIFEST_PREFIX, gs://B/ = the root, a bad URL names the flag or variable', () => {
    expect(resolveBucket({ bucket: 'gs://bkt' }, cfg)).toEqual({ bucket: 'bkt', prefix: 'manifests/' });
    expect(resolveBucket({ bucket: 'gs://bkt/' }, cfg)).toEqual({ bucket: 'bkt', prefix: '' });
    expect(resolveBucket({ bucket: 'gs://bkt/x' }, cfg)).toEqual({ bucket: 'bkt', prefix: 'x/' });
    expect(resolveBucket({}, { ...cfg, manifestBucket: 'bkt' })).toEqual({ bucket: 'bkt', prefix: 'manifests/' });
    expect(resolveBucket({}, { ...cfg, manifestBucket: 'gs://bkt' })).toEqual({ bucket: 'bkt', prefix: 'manifests/' });
    expect(() => resolveBucket({ bucket: 'gs://bkt//x' }, cfg)).toThrow(/--bucket gs:\/\/bkt\/\/x has an empty path/);
    expect(() => resolveBucket({}, { ...cfg, manifestBucket: 'Bad_Name' })).toThrow(
      /EGRESS_MANIFEST_BUCKET .*valid bucket/,
    );
    expect(() => parseBucketUrl('b')).toThrow('--bucket b is not a gs:// URL');
  });
});
