/** Optional persistence of the fake's buckets to one JSON file, so the local pipeline keeps its bucket across runs. */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeStorage, ObjectVersion } from './model';

const FILE = 'gcs-state.json';

interface StoredVersion extends Omit<ObjectVersion, 'generation' | 'content'> {
  generation: string;
  content: string;
  live: boolean;
}

interface StoredState {
  version: 1;
  buckets: { name: string; versioning: boolean; timeCreated: string; objects: StoredVersion[] }[];
}

/** Writes the whole state atomically (temp file + rename): manifests are small, simplicity beats incremental writes. */
export function saveState(dir: string, s: FakeStorage): void {
  mkdirSync(dir, { recursive: true });
  const state: StoredState = { version: 1, buckets: [] };
  for (const b of s.buckets.values()) {
    const objects: StoredVersion[] = [];
    for (const entry of b.objects.values()) {
      for (const v of entry.versions) {
        objects.push({
          ...v,
          generation: v.generation.toString(),
          content: v.content.toString('base64'),
          live: entry.live === v,
        });
      }
    }
    state.buckets.push({ name: b.name, versioning: b.versioning, timeCreated: b.timeCreated, objects });
  }
  const tmp = join(dir, `${FILE}.tmp`);
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, join(dir, FILE));
}

/** Loads a state saved by `saveState` into `s` (no events are emitted for loaded objects). */
export function loadState(dir: string, s: FakeStorage): void {
  const path = join(dir, FILE);
  if (!existsSync(path)) return;
  let state: StoredState;
  try {
    state = JSON.parse(readFileSync(path, 'utf8')) as StoredState;
  } catch (err) {
    throw new Error(
      `fake GCS: cannot read ${path} (${(err as Error).message}); delete it to start with an empty bucket`,
    );
  }
  for (const sb of state.buckets) {
    const b = s.buckets.get(sb.name) ?? s.createBucket(sb.name, sb.versioning);
    b.timeCreated = sb.timeCreated;
    for (const o of sb.objects) {
      const { live, content, generation, ...rest } = o;
      const v: ObjectVersion = { ...rest, generation: BigInt(generation), content: Buffer.from(content, 'base64') };
      s.observeGeneration(v.generation);
      const entry = b.objects.get(v.name) ?? { versions: [], live: null };
      entry.versions.push(v);
      entry.versions.sort((x, y) => (x.generation < y.generation ? -1 : 1));
      if (live) entry.live = v;
      b.objects.set(v.name, entry);
    }
  }
}
