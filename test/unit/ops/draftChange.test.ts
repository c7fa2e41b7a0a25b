/**
 * draft_egress_change's use case (usecases/draftChange.ts) and the one unified diff (core/textDiff.ts): explain's
 * fix applied in memory at the place explain reports, validated by the pipeline's validator, refused in the
 * validator's words; nothing is written.
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { memoryManifestStore } from '../../../shared/adapters/memory';
import { validateManifest } from '../../../shared/core/manifest/validate';
import { DEFAULT_POLICY } from '../../../shared/core/policy/defaults';
import { unifiedDiff } from '../../../shared/core/textDiff';
import { DraftRefusedError, draftEgressChange } from '../../../shared/usecases/draftChange';
import type { ManifestSourceSpec } from '../../../shared/usecases/explain';
import { tempDir } from '../../support/tempDir';

const HEAD = `apiVersion: lowops.manifests.v1
kind: Project
metadata:
  name: shop
  environment: production
`;

/** A folder source over files in memory (a source can only be read: the draft has nowhere to write). */
function source(files: Record<string, string>): ManifestSourceSpec {
  return {
    kind: 'dir',
    dir: 'manifests',
    find: (key) => (files[key] !== undefined ? { path: `manifests/${key}.yaml`, text: files[key]! } : null),
  };
}

const draft = (text: string | undefined, destination: string, reason = 'checkout') =>
  draftEgressChange({
    project: 'shop',
    destination,
    reason,
    policy: DEFAULT_POLICY,
    source: source(text === undefined ? {} : { shop: text }),
  });

/** Applies a one-hunk diff of added lines (what drafts are) to `before`. */
function applyAdded(before: string, diff: string): string {
  const lines = before.split('\n');
  const hunk = /^@@ -(\d+),(\d+) \+(\d+),(\d+) @@$/m.exec(diff)!;
  const start = Number(hunk[1]) === 0 ? 0 : Number(hunk[1]) - 1;
  const body = diff.slice(diff.indexOf(hunk[0]) + hunk[0].length + 1).split('\n');
  const out = lines.slice(0, start);
  let i = start;
  for (const l of body) {
    if (l.startsWith('+')) out.push(l.slice(1));
    else if (l.startsWith(' ')) out.push(lines[i++]!);
    else if (l.startsWith('-')) i++;
  }
  return [...out, ...lines.slice(i)].join('\n');
}

describe('unifiedDiff', () => {
  it('one inserted line with three lines of context each side', () => {
    const a = 'a\nb\nc\nd\ne\nf\ng\n';
    const b = 'a\nb\nc\nd\nX\ne\nf\ng\n';
    expect(unifiedDiff(a, b, 'f.yaml')).toBe(
      '--- a/f.yaml\n+++ b/f.yaml\n@@ -2,6 +2,7 @@\n b\n c\n d\n+X\n e\n f\n g\n',
    );
  });
  it('a new file, an append at the end, no change', () => {
    expect(unifiedDiff('', 'x\ny\n', 'n.yaml')).toBe('--- /dev/null\n+++ b/n.yaml\n@@ -0,0 +1,2 @@\n+x\n+y\n');
    expect(unifiedDiff('a\n', 'a\nb\n', 'f')).toBe('--- a/f\n+++ b/f\n@@ -1,1 +1,2 @@\n a\n+b\n');
    expect(unifiedDiff('a\nb\n', 'a\nb\n', 'f')).toBe('');
  });
  it('a replaced line is a removal and an addition', () => {
    expect(unifiedDiff('a\nb\nc\n', 'a\nB\nc\n', 'f')).toBe('--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n');
  });
});

describe('draftEgressChange', () => {
  const listed = `${HEAD}spec:\n  allowedEgress:\n    - "api.stripe.com"  # payments\n  region: us-central1\n`;

  it('inserts the line after the last entry, indented like it; the result validates with the new entry', async () => {
    const d = await draft(listed, 'https://api.newpartner.com/v1', 'order  sync\nwith partner');
    expect(d).toMatchObject({
      status: 'drafted',
      file: 'manifests/shop.yaml',
      entry: 'api.newpartner.com',
      line: '- "api.newpartner.com"  # order sync with partner',
      pullRequest: { title: 'egress(shop): allow api.newpartner.com', branch: 'egress/shop/allow-api-newpartner-com' },
    });
    const after = applyAdded(listed, d.diff);
    expect(after).toContain(
      '    - "api.stripe.com"  # payments\n    - "api.newpartner.com"  # order sync with partner\n  region',
    );
    const v = validateManifest(after, { path: 'shop.yaml', policy: DEFAULT_POLICY });
    expect(v.valid).toBe(true);
    expect(v.egress.map((e) => e.value)).toEqual(['api.stripe.com', 'api.newpartner.com']);
    expect(d.pullRequest!.body).toContain('order sync with partner');
  });

  it('a manifest with spec but no allowedEgress gets the key and the line under spec', async () => {
    const text = `${HEAD}spec:\n  region: us-central1\n`;
    const d = await draft(text, '34.117.59.0/24');
    const v = validateManifest(applyAdded(text, d.diff), { path: 'shop.yaml', policy: DEFAULT_POLICY });
    expect(v.valid).toBe(true);
    expect(v.egress.map((e) => e.value)).toEqual(['34.117.59.0/24']);
  });

  it('a project without a manifest gets a whole one (a new file)', async () => {
    const d = await draft(undefined, 'api.newpartner.com');
    expect(d.diff.startsWith('--- /dev/null\n+++ b/manifests/shop.yaml\n@@ -0,0 +1,')).toBe(true);
    const v = validateManifest(applyAdded('', d.diff), { path: 'shop.yaml', policy: DEFAULT_POLICY });
    expect(v).toMatchObject({ valid: true, project: { name: 'shop' } });
  });

  it('an already listed destination drafts nothing', async () => {
    expect(await draft(listed, 'api.stripe.com')).toMatchObject({
      status: 'already-listed',
      diff: '',
      pullRequest: null,
      entry: null,
    });
  });

  it('refuses in the validator words: all addresses, a special-use domain, a private range, an empty reason', async () => {
    const refusal = async (dest: string, reason = 'x') => {
      try {
        await draft(listed, dest, reason);
      } catch (e) {
        expect(e).toBeInstanceOf(DraftRefusedError);
        return e as DraftRefusedError;
      }
      throw new Error(`no refusal for ${dest}`);
    };
    const all = await refusal('0.0.0.0/0');
    expect(all.code).toBe('CIDR_ALL_ADDRESSES');
    expect(all.hint).toBeTruthy();
    expect((await refusal('printer.example')).message).toMatch(/special-use/);
    expect((await refusal('10.1.2.3')).code).toBeTruthy();
    expect((await refusal('api.newpartner.com', '  ')).message).toBe('reason is empty');
  });

  it('rewrites a flow-style list as a block list, as explain places it: [], [a], [a, b] with comments kept', async () => {
    const cases: [string, string[]][] = [
      [`${HEAD}spec:\n  allowedEgress: []  # nothing yet\n  region: us-central1\n`, []],
      [`${HEAD}spec:\n  allowedEgress: ["api.stripe.com"]\n`, ['api.stripe.com']],
      [
        `${HEAD}spec:\n  region: us-central1\n  allowedEgress: [\n    "api.stripe.com",  # payments\n    hooks.slack.com\n  ]\n`,
        ['api.stripe.com', 'hooks.slack.com'],
      ],
    ];
    for (const [text, before] of cases) {
      const d = await draft(text, 'api.newpartner.com', 'order sync');
      expect(d.status).toBe('drafted');
      const after = applyAdded(text, d.diff);
      const v = validateManifest(after, { path: 'shop.yaml', policy: DEFAULT_POLICY });
      expect(v.valid).toBe(true);
      expect(v.egress.map((e) => e.value)).toEqual([...before, 'api.newpartner.com']);
      expect(v.layout?.list?.flow).toBe(false);
      expect(after).toContain('    - "api.newpartner.com"  # order sync\n');
    }
    const multi = applyAdded(cases[2]![0], (await draft(cases[2]![0], 'api.newpartner.com')).diff);
    expect(multi).toContain('  allowedEgress:\n    - "api.stripe.com"  # payments\n    - hooks.slack.com\n');
    const empty = applyAdded(cases[0]![0], (await draft(cases[0]![0], 'api.newpartner.com')).diff);
    expect(empty).toContain('  allowedEgress:  # nothing yet\n    - "api.newpartner.com"');
  });

  it('refuses a flow-style spec (a hand edit) and an invalid manifest (fix it first)', async () => {
    const flow = `${HEAD}spec: { allowedEgress: ["api.stripe.com"] }\n`;
    await expect(draft(flow, 'api.newpartner.com')).rejects.toThrow(/flow-style/);
    const invalid = `${HEAD}spec:\n  allowedEgress:\n    - "https://api.stripe.com/v1"\n`;
    const e = (await draft(invalid, 'api.newpartner.com').catch((x: unknown) => x)) as DraftRefusedError;
    expect(e).toBeInstanceOf(DraftRefusedError);
    expect(e.message).toMatch(/^manifests\/shop\.yaml is invalid already \(manifests\/shop\.yaml:8: /);
    expect(e.hint).toBe('fix it first: egress validate manifests/shop.yaml');
  });
});

describe('the diff git applies', () => {
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: 'pipe' });
  const listed = `${HEAD}spec:\n  allowedEgress: ["api.stripe.com"]\n`;
  /** The draft that lets `project` reach api.new.com, its manifest read from `src`. */
  const draftFrom = (src: ManifestSourceSpec, project: string) =>
    draftEgressChange({ project, destination: 'api.new.com', reason: 'x', policy: DEFAULT_POLICY, source: src });
  const heads = (diff: string) => diff.split('\n').slice(0, 2);

  it('names the file from the root of its git work tree; git apply --check accepts it (and a new file)', async () => {
    const repo = tempDir('draft-git');
    git(repo, 'init', '-q');
    const dir = join(repo, 'teams', 'manifests');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'shop.yaml'), listed);
    const src: ManifestSourceSpec = {
      kind: 'dir',
      dir,
      find: (key) => (key === 'shop' ? { path: join(dir, 'shop.yaml'), text: listed } : null),
    };
    const d = await draftFrom(src, 'shop');
    expect(heads(d.diff)).toEqual(['--- a/teams/manifests/shop.yaml', '+++ b/teams/manifests/shop.yaml']);
    writeFileSync(join(repo, 'change.diff'), d.diff);
    expect(() => git(repo, 'apply', '--check', 'change.diff')).not.toThrow();
    git(repo, 'apply', 'change.diff');
    expect(
      validateManifest(readFileSync(join(dir, 'shop.yaml'), 'utf8'), {
        path: 'shop.yaml',
        policy: DEFAULT_POLICY,
      }).egress.map((e) => e.value),
    ).toEqual(['api.stripe.com', 'api.new.com']);

    const fresh = await draftFrom(src, 'cart');
    expect(heads(fresh.diff)).toEqual(['--- /dev/null', '+++ b/teams/manifests/cart.yaml']);
    writeFileSync(join(repo, 'new.diff'), fresh.diff);
    expect(() => git(repo, 'apply', '--check', 'new.diff')).not.toThrow();
  });

  it('from the bucket: the object name, never gs://', async () => {
    const store = memoryManifestStore('egress-manifests');
    await store.write('manifests/shop.yaml', Buffer.from(listed));
    const src: ManifestSourceSpec = { kind: 'bucket', store, bucket: 'egress-manifests', prefix: 'manifests/' };
    const d = await draftFrom(src, 'shop');
    expect(d.file).toBe('gs://egress-manifests/manifests/shop.yaml');
    expect(heads(d.diff)).toEqual(['--- a/manifests/shop.yaml', '+++ b/manifests/shop.yaml']);
    const none = await draftFrom(src, 'cart');
    expect(heads(none.diff)).toEqual(['--- /dev/null', '+++ b/manifests/cart.yaml']);
  });
});
