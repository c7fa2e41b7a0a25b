/** The one directory manifest source: walk order, extensions, dot entries, symbolic links, errors. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findManifestFile,
  listManifestFiles,
  ManifestDirError,
  manifestFolders,
  readManifestDir,
} from '../../../shared/adapters/manifestDir';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'manifest-dir-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const touch = (...parts: string[]) => {
  const p = join(dir, ...parts);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, parts.join('/'));
  return p;
};
const rel = (paths: string[]) => paths.map((p) => p.slice(dir.length + 1));

describe('listManifestFiles', () => {
  it('walks recursively in code-point order, .yaml/.yml in any case, skipping dot entries and node_modules', () => {
    touch('b.yaml');
    touch('a.YML');
    touch('B.yaml');
    touch('team', 'c.Yaml');
    touch('team', 'README.md');
    touch('.git', 'x.yaml');
    touch('node_modules', 'y.yaml');
    touch('.hidden.yaml');
    touch('p.yaml.bak');
    expect(rel(listManifestFiles([dir]))).toEqual(['B.yaml', 'a.YML', 'b.yaml', 'team/c.Yaml']);
  });

  it('takes a file given by path as given, and keeps a file reached twice once, under its first spelling', () => {
    const a = touch('a.yaml');
    expect(listManifestFiles([a, dir, join(dir, '.', 'a.yaml')])).toEqual([a]);
    // A file named explicitly is the user's choice, whatever its extension.
    const txt = touch('notes.txt');
    expect(listManifestFiles([txt])).toEqual([txt]);
  });

  it('follows links to files and folders, walks each real folder once (no loop), counts each real file once', () => {
    const real = touch('real', 'p.yaml');
    symlinkSync(real, join(dir, 'real', 'q.yaml')); // same file, second name: kept once (first spelling)
    symlinkSync(join(dir, 'real'), join(dir, 'linked')); // a folder link
    symlinkSync(dir, join(dir, 'real', 'up')); // a cycle back to the top
    // `linked` sorts before `real`: the folder is walked once, under that first spelling.
    expect(rel(listManifestFiles([dir]))).toEqual(['linked/p.yaml']);
    expect(rel(listManifestFiles([join(dir, 'real')]))).toEqual(['real/p.yaml']);
  });

  it('refuses a dangling link, whatever its name, naming it', () => {
    touch('a.yaml');
    symlinkSync(join(dir, 'gone'), join(dir, 'team'));
    expect(() => listManifestFiles([dir])).toThrow(ManifestDirError);
    expect(() => listManifestFiles([dir])).toThrow(`${join(dir, 'team')}: a symbolic link`);
  });

  it('refuses a missing path, and (when asked) a folder without manifests', () => {
    expect(() => listManifestFiles([join(dir, 'nope')])).toThrow(/no such file or directory/);
    touch('README.md');
    expect(listManifestFiles([dir])).toEqual([]);
    expect(() => listManifestFiles([dir], { requireManifests: true })).toThrow(/no manifests found/);
  });
});

describe('readManifestDir', () => {
  it('reads the walked files and refuses a missing folder or a file', () => {
    touch('p.yaml');
    expect(readManifestDir(dir).map((f) => [rel([f.path])[0], f.content.toString()])).toEqual([['p.yaml', 'p.yaml']]);
    expect(() => readManifestDir(join(dir, 'nope'))).toThrow(/does not exist/);
    expect(() => readManifestDir(join(dir, 'p.yaml'))).toThrow(/is not a folder/);
  });
});

describe('findManifestFile', () => {
  it('finds the project anywhere under the folder, preferring .yaml, then .yml, then other cases', () => {
    expect(findManifestFile(dir, 'p')).toBeNull();
    touch('team', 'p.YAML');
    expect(rel([findManifestFile(dir, 'p')!])).toEqual(['team/p.YAML']);
    touch('p.yml');
    expect(rel([findManifestFile(dir, 'p')!])).toEqual(['p.yml']);
    touch('z', 'p.yaml');
    expect(rel([findManifestFile(dir, 'p')!])).toEqual(['z/p.yaml']);
    expect(findManifestFile(dir, 'px')).toBeNull();
  });
});

describe('manifestFolders', () => {
  it('lists the real folders the walk enters; tolerates a dangling link; [] for a missing folder', () => {
    touch('team', 'a.yaml');
    touch('.git', 'HEAD');
    symlinkSync(join(dir, 'team'), join(dir, 'again'));
    symlinkSync(join(dir, 'gone'), join(dir, 'dangling'));
    expect(manifestFolders(dir)).toEqual([dir, join(dir, 'again')]);
    expect(manifestFolders(join(dir, 'nope'))).toEqual([]);
  });
});
