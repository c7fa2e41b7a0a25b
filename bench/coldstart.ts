/**
 * Cold start of the deploy artifact (issue 9): each function's `npm run package` directory served by its own
 * `functions-framework` CLI on this Node, against a bare CloudEvent function served by the same CLI, in paired
 * rounds (one of each per round, the order rotating). A measurement is spawn → the answer to the first real
 * CloudEvent (node start, module load, lazy composition of the clients, the event's real I/O on the local stack).
 *
 * Variants (`EGRESS_BENCH_COLD_VARIANTS=1`, for docs/deploy.md): the unbundled build (dist/, the repository's
 * node_modules), and the packaged directories without their V8 code cache (what an instance whose V8 differs from the
 * recording's gets: scripts/package/codeCache.ts).
 */
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageFunctions } from '../scripts/package';
import { BUNDLE, ENTRY } from '../scripts/package/codeCache';
import { invoke, servePackaged } from '../scripts/package/serve';

/** At least 7 paired rounds (issue 9). */
export const COLD_ROUNDS = 7;

/** A request that makes a function do its real work once. */
export interface ColdRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

interface Subject {
  label: string;
  dir: string;
  target: string;
  request: ColdRequest;
  env?: NodeJS.ProcessEnv;
}

/** The value at quantile `q` (nearest rank) of `xs`. */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.ceil(0.5 * s.length) - 1] ?? Number.NaN;
}

/** Spawn → first answer of `s`, in ms; the answer must be 2xx. */
async function once(s: Subject, env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  const fn = await servePackaged(s.dir, s.target, { ...env, ...s.env });
  try {
    const res = await invoke(fn, s.request.path, s.request.headers, s.request.body);
    if (res.status >= 300) throw new Error(`${s.label}: first invocation answered HTTP ${res.status}\n${fn.output()}`);
    return performance.now() - t0;
  } finally {
    await fn.stop();
  }
}

/** Runs `rounds` paired rounds over `subjects`; returns each label's samples. */
async function rounds(subjects: Subject[], env: NodeJS.ProcessEnv, n: number): Promise<Map<string, number[]>> {
  const out = new Map(subjects.map((s) => [s.label, [] as number[]]));
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < subjects.length; k++) {
      const s = subjects[(r + k) % subjects.length]!;
      out.get(s.label)!.push(await once(s, env));
    }
  }
  return out;
}

/** A bare CloudEvent function served by the same framework copy as `frameworkDir`'s. */
function bareDir(frameworkDir: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'egress-bare-'));
  writeFileSync(
    join(dir, 'index.js'),
    "require('@google-cloud/functions-framework').cloudEvent('bareCloudEvent', () => undefined);\n",
  );
  writeFileSync(join(dir, 'package.json'), '{"main":"index.js"}\n');
  symlinkSync(join(frameworkDir, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** A copy of the packaged `dir` without its code cache (the bundle, entry and package.json; node_modules linked). */
function withoutCodeCache(dir: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'egress-no-cache-'));
  for (const f of [ENTRY, BUNDLE, 'package.json']) copyFileSync(join(dir, f), join(copy, f));
  symlinkSync(join(dir, 'node_modules'), join(copy, 'node_modules'));
  return copy;
}

/** The report lines: the required `cold start:` line first, then mins and the variants. */
export async function coldStartFigures(
  root: string,
  env: NodeJS.ProcessEnv,
  requests: { storage: ColdRequest; push: ColdRequest },
  n = COLD_ROUNDS,
): Promise<string[]> {
  const made = await packageFunctions(root);
  const dirOf = (name: string) => made.find((m) => m.name === name)!.dir;
  const bare = bareDir(dirOf('validator'));
  const cleanups = [() => rmSync(bare, { recursive: true, force: true })];
  try {
    const base: Subject[] = [
      { label: 'bare', dir: bare, target: 'bareCloudEvent', request: requests.push },
      { label: 'validator', dir: dirOf('validator'), target: 'egressValidator', request: requests.storage },
      { label: 'applier', dir: dirOf('applier'), target: 'egressApplier', request: requests.push },
    ];
    const runs = await rounds(base, env, n);
    const f = (ms: number) => ms.toFixed(0);
    const stat = (label: string) => ({ med: median(runs.get(label)!), min: Math.min(...runs.get(label)!) });
    const b = stat('bare');
    const v = stat('validator');
    const a = stat('applier');
    const lines = [
      `cold start: validator ${f(v.med)} ms (${(v.med / b.med).toFixed(1)}x bare), applier ${f(a.med)} ms (${(a.med / b.med).toFixed(1)}x bare), bare ${f(b.med)} ms`,
      `cold start detail: packaged bundles, ${n} paired rounds, median (min): validator ${f(v.med)} (${f(v.min)}) ms, applier ${f(a.med)} (${f(a.min)}) ms, bare ${f(b.med)} (${f(b.min)}) ms; directories ${made.map((m) => `${m.name} ${(m.bytes / 1048576).toFixed(1)} MB (code cache ${(m.codeCacheBytes / 1048576).toFixed(1)} MB)`).join(', ')}`,
    ];
    if (env.EGRESS_BENCH_COLD_VARIANTS === '1') {
      // Unbundled: dist/ with the repository's node_modules, served by the repository's framework copy.
      const unbundled = bareDir(root);
      cleanups.push(() => rmSync(unbundled, { recursive: true, force: true }));
      writeFileSync(
        join(unbundled, 'index.js'),
        `module.exports = require(${JSON.stringify(join(root, 'dist/functions/index.js'))});\n`,
      );
      const noCache = made.map((m) => withoutCodeCache(m.dir));
      for (const d of noCache) cleanups.push(() => rmSync(d, { recursive: true, force: true }));
      const variants: Subject[] = [
        { label: 'bare', dir: bare, target: 'bareCloudEvent', request: requests.push },
        { label: 'validator dist', dir: unbundled, target: 'egressValidator', request: requests.storage },
        { label: 'applier dist', dir: unbundled, target: 'egressApplier', request: requests.push },
        { label: 'validator no code cache', dir: noCache[0]!, target: 'egressValidator', request: requests.storage },
        { label: 'applier no code cache', dir: noCache[1]!, target: 'egressApplier', request: requests.push },
      ];
      const vr = await rounds(variants, env, n);
      const bm = median(vr.get('bare')!);
      lines.push(
        `cold start variants (${n} paired rounds, median (min), ratio to bare ${f(bm)} ms): ${[...vr.entries()]
          .filter(([k]) => k !== 'bare')
          .map(([k, xs]) => `${k} ${f(median(xs))} (${f(Math.min(...xs))}) ms ${(median(xs) / bm).toFixed(1)}x`)
          .join(', ')}`,
      );
    }
    return lines;
  } finally {
    for (const c of cleanups) c();
  }
}
