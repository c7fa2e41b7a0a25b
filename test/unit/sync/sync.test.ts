/** The sync use case over an in-memory ManifestStore: planning, hashes, preconditions, failures, dry run. */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CRC32C } from '@google-cloud/storage';
import fc from 'fast-check';
import { ManifestDirError, readManifestDir as readDir } from '../../../shared/adapters/manifestDir';
import { runSync } from '../../../shared/cli/commands/sync';
import { normalizePrefix } from '../../../shared/core/bucket/layout';
import { tombstoneRule } from '../../../shared/core/firewall';
import { DEFAULT_POLICY } from '../../../shared/core/policy';
import {
  type ManifestStore,
  PreconditionFailedError,
  StorageApiError,
  type StoredObject,
} from '../../../shared/ports/storage';
import {
  type LocalManifest,
  objectChecksums,
  planSync,
  SyncInputError,
  sameContent,
  syncManifests,
  toLocalManifests,
} from '../../../shared/usecases/sync';
import { manifestYaml } from '../../support/manifests';

const manifest = (name: string, hosts: string[] = ['api.stripe.com']) => manifestYaml(name, hosts);

const local = (name: string, text: string, prefix = 'manifests/'): LocalManifest => ({
  path: `m/${name}.yaml`,
  objectName: `${prefix}${name}.yaml`,
  content: Buffer.from(text),
});

/** A ManifestStore in memory with GCS semantics for generations and preconditions; records writes. */
function memoryStore(): ManifestStore & {
  objects: Map<string, { content: Buffer; generation: string }>;
  writes: string[];
  beforeWrite?: (name: string) => void;
} {
  let gen = 1000n;
  const objects = new Map<string, { content: Buffer; generation: string }>();
  const stat = (name: string, o: { content: Buffer; generation: string }): StoredObject => ({
    name,
    generation: o.generation,
    size: o.content.length,
    ...objectChecksums(o.content),
  });
  const store = {
    objects,
    writes: [] as string[],
    beforeWrite: undefined as ((name: string) => void) | undefined,
    async read(name: string) {
      const o = objects.get(name);
      return o ? { object: stat(name, o), text: o.content.toString() } : null;
    },
    async stat(name: string) {
      const o = objects.get(name);
      return o ? stat(name, o) : null;
    },
    async list(prefix: string) {
      return [...objects.entries()].filter(([n]) => n.startsWith(prefix)).map(([n, o]) => stat(n, o));
    },
    async write(name: string, content: Buffer, opts: { ifGenerationMatch?: string } = {}) {
      store.beforeWrite?.(name);
      const cur = objects.get(name);
      if (opts.ifGenerationMatch !== undefined && (cur?.generation ?? '0') !== opts.ifGenerationMatch)
        throw new PreconditionFailedError(name);
      const o = { content, generation: String(++gen) };
      objects.set(name, o);
      store.writes.push(`write ${name}`);
      return stat(name, o);
    },
    async delete(name: string, opts: { ifGenerationMatch?: string } = {}) {
      const cur = objects.get(name);
      if (opts.ifGenerationMatch !== undefined && cur && cur.generation !== opts.ifGenerationMatch)
        throw new PreconditionFailedError(name);
      objects.delete(name);
      store.writes.push(`delete ${name}`);
    },
  };
  return store;
}

const policy = { policy: DEFAULT_POLICY };

describe('checksums', () => {
  it('matches the storage client CRC32C and node md5 on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const c = new CRC32C();
        c.update(Buffer.from(bytes));
        const got = objectChecksums(bytes);
        return got.crc32c === c.toString() && got.md5Hash === createHash('md5').update(bytes).digest('base64');
      }),
    );
  });

  it('compares by md5 when present, else crc32c, and never trusts size alone', () => {
    const bytes = Buffer.from('abc');
    const { md5Hash, crc32c } = objectChecksums(bytes);
    expect(sameContent(bytes, { name: 'x', generation: '1', size: 3, md5Hash })).toBe(true);
    expect(sameContent(bytes, { name: 'x', generation: '1', size: 3, crc32c })).toBe(true);
    expect(sameContent(Buffer.from('abd'), { name: 'x', generation: '1', size: 3, crc32c })).toBe(false);
    expect(sameContent(bytes, { name: 'x', generation: '1', size: 3 })).toBe(false);
    expect(sameContent(bytes, { name: 'x', generation: '1', size: 4, md5Hash })).toBe(false);
  });
});

describe('targets and prefixes', () => {
  it('normalizes a prefix to end in exactly one /', () => {
    expect(normalizePrefix('/x')).toBe('x/');
    expect(normalizePrefix('x/')).toBe('x/');
    expect(normalizePrefix('')).toBe('');
  });
});

describe('planSync', () => {
  it('creates new, updates changed, keeps unchanged; lists orphans unless deleting', () => {
    const same = local('same', 'a');
    const changed = local('changed', 'new');
    const fresh = local('fresh', 'n');
    const remote: StoredObject[] = [
      { name: 'manifests/same.yaml', generation: '5', size: 1, ...objectChecksums(Buffer.from('a')) },
      { name: 'manifests/changed.yaml', generation: '6', size: 3, ...objectChecksums(Buffer.from('old')) },
      { name: 'manifests/gone.yaml', generation: '7', size: 1, md5Hash: 'x' },
      { name: 'manifests/sub/nested.yaml', generation: '8', size: 1, md5Hash: 'x' },
      { name: 'manifests/README.md', generation: '9', size: 1, md5Hash: 'x' },
    ];
    const keep = planSync([same, changed, fresh], remote, 'manifests/', false);
    expect(keep.items.map((i) => [i.object, i.action, i.previousGeneration])).toEqual([
      ['manifests/same.yaml', 'unchanged', '5'],
      ['manifests/changed.yaml', 'update', '6'],
      ['manifests/fresh.yaml', 'create', undefined],
    ]);
    expect(keep.extraneous).toEqual(['manifests/gone.yaml']);
    const del = planSync([same, changed, fresh], remote, 'manifests/', true);
    expect(del.items.at(-1)).toEqual({
      object: 'manifests/gone.yaml',
      action: 'delete',
      previousGeneration: '7',
      done: false,
    });
    expect(del.items.filter((i) => i.action === 'delete')).toHaveLength(1);
  });
});

describe('syncManifests', () => {
  it('uploads new files with ifGenerationMatch 0 and reports generations; a second run changes nothing', async () => {
    const store = memoryStore();
    const files = [local('alpha', manifest('alpha')), local('beta', manifest('beta'))];
    const first = await syncManifests({ store, prefix: 'manifests/', files, validation: policy });
    expect(first.valid).toBe(true);
    expect(first.error).toBeUndefined();
    expect(first.summary).toEqual({ uploaded: 2, unchanged: 0, deleted: 0 });
    expect(first.items.every((i) => i.action === 'create' && i.done && /^\d+$/.test(i.generation ?? ''))).toBe(true);
    const second = await syncManifests({ store, prefix: 'manifests/', files, validation: policy });
    expect(second.summary).toEqual({ uploaded: 0, unchanged: 2, deleted: 0 });
    expect(store.writes).toHaveLength(2);
  });

  it('refuses to sync anything when one manifest is invalid, and returns every diagnostic', async () => {
    const store = memoryStore();
    const files = [
      local('alpha', manifest('alpha')),
      local('beta', manifest('not-beta')),
      local('gamma', manifest('gamma', ['https://api.x.com/v1'])),
    ];
    const r = await syncManifests({ store, prefix: 'manifests/', files, validation: policy });
    expect(r.valid).toBe(false);
    expect(r.manifests.map((m) => m.valid)).toEqual([true, false, false]);
    expect(r.manifests[1]?.diagnostics.length).toBeGreaterThan(0);
    expect(store.writes).toEqual([]);
    expect(r.items).toEqual([]);
  });

  it('refuses two files declaring the same project (cross-file check)', async () => {
    const store = memoryStore();
    const a = local('alpha', manifest('alpha'));
    const b: LocalManifest = {
      ...local('alpha', manifest('alpha')),
      path: 'other/alpha.yaml',
      objectName: 'x/alpha.yaml',
    };
    const r = await syncManifests({ store, prefix: 'manifests/', files: [a, b], validation: policy });
    expect(r.valid).toBe(false);
    expect(store.writes).toEqual([]);
  });

  it("'skip' uploads an invalid manifest as-is (the local pipeline's demo of a rejection)", async () => {
    const store = memoryStore();
    const r = await syncManifests({
      store,
      prefix: 'manifests/',
      files: [local('broken', 'not: [valid')],
      validation: 'skip',
    });
    expect(r.summary.uploaded).toBe(1);
    expect(r.manifests).toEqual([]);
  });

  it('dry run lists what would change and writes nothing', async () => {
    const store = memoryStore();
    await store.write('manifests/old.yaml', Buffer.from(manifest('old')));
    await store.write('manifests/alpha.yaml', Buffer.from('stale'));
    store.writes.length = 0;
    const r = await syncManifests({
      store,
      prefix: 'manifests/',
      files: [local('alpha', manifest('alpha')), local('beta', manifest('beta'))],
      validation: policy,
      dryRun: true,
      deleteRemoved: true,
    });
    expect(r.items.map((i) => [i.object, i.action, i.done])).toEqual([
      ['manifests/alpha.yaml', 'update', false],
      ['manifests/beta.yaml', 'create', false],
      ['manifests/old.yaml', 'delete', false],
    ]);
    expect(r.summary).toEqual({ uploaded: 0, unchanged: 0, deleted: 0 });
    expect(store.writes).toEqual([]);
  });

  it('deletes removed files only with deleteRemoved, guarded by their generation, after the uploads', async () => {
    const store = memoryStore();
    await store.write('manifests/old.yaml', Buffer.from(manifest('old')));
    store.writes.length = 0;
    const files = [local('alpha', manifest('alpha'))];
    const kept = await syncManifests({ store, prefix: 'manifests/', files, validation: policy });
    expect(kept.extraneous).toEqual(['manifests/old.yaml']);
    expect(store.objects.has('manifests/old.yaml')).toBe(true);
    const r = await syncManifests({ store, prefix: 'manifests/', files, validation: policy, deleteRemoved: true });
    expect(r.summary).toEqual({ uploaded: 0, unchanged: 1, deleted: 1 });
    expect(store.writes).toEqual(['write manifests/alpha.yaml', 'delete manifests/old.yaml']);
  });

  it('detects a concurrent writer: 412 stops the sync with a conflict that says to re-run', async () => {
    const store = memoryStore();
    await store.write('manifests/alpha.yaml', Buffer.from('v1'));
    // Another writer lands between our list and our write.
    store.beforeWrite = (name) => {
      store.beforeWrite = undefined;
      store.objects.set(name, { content: Buffer.from('theirs'), generation: '99999' });
    };
    const r = await syncManifests({
      store,
      prefix: 'manifests/',
      files: [local('alpha', manifest('alpha'))],
      validation: policy,
      concurrency: 1,
    });
    expect(r.error).toEqual(expect.objectContaining({ kind: 'conflict', object: 'manifests/alpha.yaml', status: 412 }));
    expect(r.error?.message).toMatch(/re-run/i);
    expect(store.objects.get('manifests/alpha.yaml')?.content.toString()).toBe('theirs');
    expect(r.summary.uploaded).toBe(0);
  });

  it('stops starting writes after a failure and keeps the storage status', async () => {
    const store = memoryStore();
    let calls = 0;
    store.beforeWrite = () => {
      calls += 1;
      if (calls === 2) throw new StorageApiError('HTTP 503', 503, 'backendError', true);
    };
    const files = Array.from({ length: 6 }, (_, i) => local(`p${i}`, manifest(`p${i}`)));
    const r = await syncManifests({ store, prefix: 'manifests/', files, validation: policy, concurrency: 1 });
    expect(r.error).toEqual(expect.objectContaining({ kind: 'storage', status: 503, transient: true }));
    expect(calls).toBe(2);
    expect(r.summary.uploaded).toBe(1);
    expect(r.items.filter((i) => i.done)).toHaveLength(1);
  });

  it('reports progress once per object, ending at the total', async () => {
    const store = memoryStore();
    await store.write('manifests/p0.yaml', Buffer.from(manifest('p0')));
    const seen: [number, number][] = [];
    const files = Array.from({ length: 4 }, (_, i) => local(`p${i}`, manifest(`p${i}`)));
    await syncManifests({
      store,
      prefix: 'manifests/',
      files,
      validation: policy,
      onProgress: (d, t) => seen.push([d, t]),
    });
    expect(seen.map(([d]) => d)).toEqual([1, 2, 3, 4]);
    expect(seen.every(([, t]) => t === 4)).toBe(true);
  });
});

const readManifestDir = (dir: string, prefix: string) => toLocalManifests(readDir(dir), prefix);

describe('readManifestDir + toLocalManifests', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sync-dir-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('walks *.yaml|*.yml recursively, skipping dot folders, object = prefix + base name', () => {
    mkdirSync(join(dir, 'team-a'));
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, 'a.yaml'), 'a');
    writeFileSync(join(dir, 'team-a', 'b.yml'), 'b');
    writeFileSync(join(dir, 'README.md'), 'r');
    writeFileSync(join(dir, '.git', 'c.yaml'), 'c');
    const files = readManifestDir(dir, 'manifests');
    expect(files.map((f) => f.objectName)).toEqual(['manifests/a.yaml', 'manifests/b.yml']);
  });

  it('rejects two files that map to the same object, and a missing folder', () => {
    mkdirSync(join(dir, 'x'));
    writeFileSync(join(dir, 'a.yaml'), 'a');
    writeFileSync(join(dir, 'x', 'a.yaml'), 'a');
    expect(() => readManifestDir(dir, '')).toThrow(/both be uploaded as a\.yaml/);
    expect(() => readManifestDir(dir, '')).toThrow(SyncInputError);
    expect(() => readManifestDir(join(dir, 'nope'), '')).toThrow(ManifestDirError);
  });
});

describe('runSync (the command) over a memory store', () => {
  let dir: string;
  const saved = process.env.EGRESS_MANIFEST_PREFIX;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sync-cmd-'));
    delete process.env.EGRESS_MANIFEST_PREFIX;
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (saved === undefined) delete process.env.EGRESS_MANIFEST_PREFIX;
    else process.env.EGRESS_MANIFEST_PREFIX = saved;
  });
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s), stderr: { write: () => true } },
    };
  };
  const flags = { format: 'text' as const, concurrency: 1 };

  it('--delete with --state counts only deleted projects that hold an allow, not those holding only a tombstone (issue 19, item 10)', async () => {
    writeFileSync(join(dir, 'e.yaml'), manifest('e'));
    const store = memoryStore();
    for (const n of ['a', 'b', 'c', 'd', 'e'])
      store.objects.set(`manifests/${n}.yaml`, { content: Buffer.from(manifest(n)), generation: '5' });
    const allow = (project: string, priority: number) => ({
      kind: 'compute#firewallPolicyRule',
      ruleName: `egress-${project}-fqdn-1`,
      description: `managed-by=infrastream-egress project=${project} generation=5 hash=0000000000000000 | api.stripe.com`,
      direction: 'EGRESS',
      action: 'allow',
      enableLogging: true,
      match: { destFqdns: ['api.stripe.com'], layer4Configs: [{ ipProtocol: 'all' }] },
      priority,
    });
    const golden = JSON.parse(readFileSync(join(__dirname, '../../golden/delete/state.json'), 'utf8')) as {
      policies: { rules: unknown[] }[];
    };
    golden.policies[0]!.rules = [
      allow('a', 1000),
      allow('b', 1001),
      { kind: 'compute#firewallPolicyRule', ...tombstoneRule('c', '4', 1767225600), priority: 1002 },
      { kind: 'compute#firewallPolicyRule', ...tombstoneRule('d', '4', 1767225600), priority: 1003 },
    ];
    const state = join(dir, 'state.json');
    writeFileSync(state, JSON.stringify(golden));
    // Without a firewall to read, every deleted project counts: 4 > safety.maxRevocationsPerRun (3).
    const blind = io();
    expect(await runSync(dir, 'gs://bkt', { ...flags, delete: true, dryRun: true }, blind.io, () => store)).toBe(1);
    expect(blind.out.join('')).toMatch(/would revoke the egress of 4 projects \(a, b, c, d\)/);
    // With the firewall: only a and b hold an allow, so the deletion of c and d revokes nothing.
    const ok = io();
    expect(await runSync(dir, 'gs://bkt', { ...flags, delete: true, state }, ok.io, () => store)).toBe(0);
    expect([...store.objects.keys()]).toEqual(['manifests/e.yaml']);
  });

  it('refuses "//", "." and ".." in the target (exit 2, with a hint) before touching the bucket', async () => {
    writeFileSync(join(dir, 'payment-gateway.yaml'), manifest('payment-gateway'));
    for (const target of ['gs://bkt//double', 'gs://bkt/a/../b', 'gs://bkt/./x', 'gs://goog-bkt/x']) {
      const o = io();
      const makeStore = jest.fn(() => memoryStore());
      expect(await runSync(dir, target, flags, o.io, makeStore)).toBe(2);
      expect(makeStore).not.toHaveBeenCalled();
      expect(o.err.join('')).toMatch(/hint: /);
    }
  });

  it('gs://B = EGRESS_MANIFEST_PREFIX (manifests/), gs://B/ = the bucket root, like replay/drift/explain', async () => {
    writeFileSync(join(dir, 'payment-gateway.yaml'), manifest('payment-gateway'));
    const a = memoryStore();
    expect(await runSync(dir, 'gs://bkt', flags, io().io, () => a)).toBe(0);
    expect([...a.objects.keys()]).toEqual(['manifests/payment-gateway.yaml']);
    const b = memoryStore();
    expect(await runSync(dir, 'gs://bkt/', flags, io().io, () => b)).toBe(0);
    expect([...b.objects.keys()]).toEqual(['payment-gateway.yaml']);
    process.env.EGRESS_MANIFEST_PREFIX = 'team';
    const c = memoryStore();
    expect(await runSync(dir, 'gs://bkt', flags, io().io, () => c)).toBe(0);
    expect([...c.objects.keys()]).toEqual(['team/payment-gateway.yaml']);
  });

  it('--delete with nested folders: PREFIX + base name; the same base name in two folders is refused, nothing touched', async () => {
    mkdirSync(join(dir, 'team-a'));
    mkdirSync(join(dir, 'team-b'));
    writeFileSync(join(dir, 'team-a', 'payment-gateway.yaml'), manifest('payment-gateway'));
    writeFileSync(join(dir, 'team-b', 'fraud-scoring.yaml'), manifest('fraud-scoring'));
    const store = memoryStore();
    store.objects.set('manifests/legacy.yaml', { content: Buffer.from('x'), generation: '1' });
    store.objects.set('manifests/team-a/kept.yaml', { content: Buffer.from('x'), generation: '2' });
    const ok = io();
    expect(await runSync(dir, 'gs://bkt/manifests', { ...flags, delete: true }, ok.io, () => store)).toBe(0);
    expect([...store.objects.keys()].sort()).toEqual([
      'manifests/fraud-scoring.yaml',
      'manifests/payment-gateway.yaml',
      'manifests/team-a/kept.yaml',
    ]);
    // A second payment-gateway.yaml in another folder binds to the same project and object: refused before listing.
    writeFileSync(join(dir, 'team-b', 'payment-gateway.yaml'), manifest('payment-gateway', ['hooks.slack.com']));
    const before = store.writes.length;
    const list = jest.spyOn(store, 'list');
    try {
      const dup = io();
      expect(await runSync(dir, 'gs://bkt/manifests', { ...flags, delete: true }, dup.io, () => store)).toBe(2);
      expect(dup.err.join('')).toMatch(
        /team-a\/payment-gateway\.yaml and .*team-b\/payment-gateway\.yaml would both be uploaded as manifests\/payment-gateway\.yaml/,
      );
      expect(list).not.toHaveBeenCalled();
      expect(store.writes.length).toBe(before);
    } finally {
      list.mockRestore();
    }
  });
});

describe("the watcher's blast-radius guard (syncManifests with safety.local; issue 19, item 3)", () => {
  const guard = (allow?: number, holding: readonly string[] = ['a', 'b', 'c', 'd', 'e']) => ({
    max: 3,
    allow,
    revoking: (keys: readonly string[]) => keys.filter((k) => holding.includes(k)),
    local: {
      command: 'npm start (watching the folder)',
      where: 'examples/manifests',
      howToAllow: (n: number) => `start it again with \`npm start -- --allow-revocations ${n}\``,
    },
  });
  async function seeded(names: string[]) {
    const store = memoryStore();
    for (const n of names) await store.write(`manifests/${n}.yaml`, Buffer.from(manifest(n)));
    store.writes.length = 0;
    return store;
  }
  const run = (store: ManifestStore, files: LocalManifest[], safety: ReturnType<typeof guard>) =>
    syncManifests({ store, prefix: 'manifests/', files, validation: 'skip', deleteRemoved: true, safety });

  it('an emptied folder is refused whatever the count, saying how to allow; nothing is deleted', async () => {
    const store = await seeded(['a', 'b']);
    const r = await run(store, [], guard());
    expect(r.refused).toMatchObject({ code: 'EMPTY_PREFIX', projects: ['a', 'b'] });
    expect(r.refused!.message).toMatch(/examples\/manifests holds no manifests any more/);
    expect(r.refused!.message).toMatch(/npm start -- --allow-revocations 2/);
    expect(store.writes).toEqual([]);
    const allowed = await run(store, [], guard(2));
    expect(allowed.refused).toBeUndefined();
    expect(store.writes.sort()).toEqual(['delete manifests/a.yaml', 'delete manifests/b.yaml']);
  });

  it('many deletions at once are refused beyond safety.maxRevocationsPerRun; only projects holding an allow count', async () => {
    const store = await seeded(['a', 'b', 'c', 'd', 'e']);
    const keep = [local('e', manifest('e'))];
    const refused = await run(store, keep, guard());
    expect(refused.refused).toMatchObject({ code: 'TOO_MANY_REVOCATIONS', projects: ['a', 'b', 'c', 'd'] });
    expect(refused.refused!.message).toMatch(/--allow-revocations 4/);
    expect(store.writes).toEqual([]);
    // a and b hold only tombstones (or no rule at all): their deletion revokes nothing, so 2 revocations pass.
    const ok = await run(store, keep, guard(undefined, ['c', 'd', 'e']));
    expect(ok.refused).toBeUndefined();
    expect(ok.summary.deleted).toBe(4);
  });
});
