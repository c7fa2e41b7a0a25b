/**
 * `npm run fuzz -- --runs 100000 [--seed N] [--case I] [--replay FILE]`: manifest validation on arbitrary and mutated
 * inputs, each timed, each result checked against the validator's contract (docs/reliability.md). Prints
 * `fuzz: <N> inputs, <C> crashes, max <M> ms`; exit 1 when any input crashed. A crashing input is written to
 * `.local/fuzz/` (bytes + a JSON note) and replayed with `--replay FILE` or regenerated with `--seed N --case I`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  checkProjectSet,
  DIAGNOSTIC_CODES,
  type ManifestResult,
  normalizeEgressValue,
  tooLargeResult,
  validateManifest,
} from '../shared/core/manifest';
import { DEFAULT_POLICY } from '../shared/core/policy';
import type { PlatformPolicy } from '../shared/core/policy/types';
import { exampleSeeds, type FuzzInput, fuzzInput } from './reliability/inputs';
import { intFlag, parseFlags, Rng, randomSeed, UsageError } from './reliability/rng';

/** Raw control characters (C0 but tab, DEL, C1) and bidi overrides: never echoed into a diagnostic or a value. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what the contract refuses
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * Validates `bytes` as `egress validate` does for one file: refused by size first, else read as UTF-8 text and
 * validated, then the cross-file checks of a one-file run.
 */
export function validateBytes(bytes: Buffer, path: string, policy: PlatformPolicy = DEFAULT_POLICY): ManifestResult {
  if (bytes.length > policy.manifest.maxFileBytes)
    return checkProjectSet([tooLargeResult(path, bytes.length, policy)])[0]!;
  return checkProjectSet([validateManifest(bytes.toString('utf8'), { path, policy })])[0]!;
}

/** Why `value` is not plain JSON data (a function, a bigint, a non-finite number, a cycle), or null. */
function notJson(value: unknown, where: string, seen: Set<object>): string | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${where} is ${value}`;
  if (typeof value !== 'object') return `${where} is a ${typeof value}`;
  if (seen.has(value)) return `${where} is a cycle`;
  seen.add(value);
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const p = notJson(v, `${where}.${k}`, seen);
    if (p) return p;
  }
  seen.delete(value);
  return null;
}

/** The contract of a validation result; every broken clause is one string (none: the result is well-formed). */
export function contractProblems(r: ManifestResult, text: string, policy: PlatformPolicy = DEFAULT_POLICY): string[] {
  const out: string[] = [];
  const json = notJson(r, 'result', new Set());
  if (json) out.push(`not JSON-serialisable: ${json}`);
  if (typeof r.valid !== 'boolean' || !Array.isArray(r.diagnostics) || !Array.isArray(r.egress))
    return [...out, 'result is not {valid, diagnostics[], egress[]}'];
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (r.valid !== (errors.length === 0)) out.push(`valid=${r.valid} with ${errors.length} error(s)`);
  if (r.valid && r.project === null) out.push('valid but no project');
  const lineCount = text.split(/\r\n|\r|\n/).length;
  r.diagnostics.forEach((d, i) => {
    const w = `diagnostics[${i}] ${d.code}`;
    if (d.severity !== 'error' && d.severity !== 'warning') out.push(`${w}: severity ${String(d.severity)}`);
    if (d.code === 'INTERNAL_ERROR') out.push(`${w}: ${d.message}`);
    else if (!(d.code in DIAGNOSTIC_CODES)) out.push(`${w}: code not in DIAGNOSTIC_CODES`);
    if (!Number.isInteger(d.line) || !Number.isInteger(d.column) || d.line < 1 || d.column < 1)
      out.push(`${w}: no line/column (${d.line}:${d.column})`);
    else if (d.line > lineCount + 1) out.push(`${w}: line ${d.line} beyond the input's ${lineCount} lines`);
    if (typeof d.message !== 'string' || d.message.trim() === '') out.push(`${w}: empty message`);
    for (const [field, v] of [
      ['message', d.message],
      ['hint', d.hint],
      ['path', d.path],
    ] as const)
      if (typeof v === 'string' && CONTROL.test(v))
        out.push(`${w}: raw control character in ${field}: ${JSON.stringify(v)}`);
  });
  for (const e of r.egress) {
    if (CONTROL.test(e.value) || CONTROL.test(e.description ?? ''))
      out.push(`egress ${JSON.stringify(e.value)}: raw control character`);
    if (!r.valid) continue;
    // An accepted value is canonical: the applier re-normalizes it and must get the same entry back.
    const again = normalizeEgressValue(e.value, policy);
    if (!again.ok || again.entry.value !== e.value || again.entry.type !== e.type)
      out.push(`egress ${JSON.stringify(e.value)}: not canonical (${again.ok ? again.entry.value : again.code})`);
  }
  return out;
}

/** One checked input. */
export interface Checked {
  problems: string[];
  ms: number;
}

/** Validates one input, timed, and checks the result; a throw is a problem like any broken clause. */
export function checkInput(input: Pick<FuzzInput, 'bytes' | 'path'>): Checked {
  // A Node warning (process.emitWarning) would reach the user's stderr beside the CLI's answer: a broken clause too.
  const warnings: string[] = [];
  const emitWarning = process.emitWarning;
  process.emitWarning = ((w: string | Error) => {
    warnings.push(`wrote a Node warning: ${String(w instanceof Error ? w.message : w).slice(0, 200)}`);
  }) as typeof process.emitWarning;
  const t0 = performance.now();
  let result: ManifestResult;
  try {
    result = validateBytes(input.bytes, input.path);
  } catch (err) {
    return { problems: [`threw: ${(err as Error)?.stack ?? String(err)}`], ms: performance.now() - t0 };
  } finally {
    process.emitWarning = emitWarning;
  }
  const ms = performance.now() - t0;
  return { problems: [...warnings, ...contractProblems(result, input.bytes.toString('utf8'))], ms };
}

/** A crashing input, with what regenerates it. */
export interface FuzzCrash {
  seed: number;
  index: number;
  kind: string;
  path: string;
  problems: string[];
  bytes: Buffer;
}

/** The figures of one run. */
export interface FuzzReport {
  seed: number;
  inputs: number;
  crashes: FuzzCrash[];
  maxMs: number;
  slowest: { index: number; kind: string; bytes: number; ms: number } | null;
}

/** Runs inputs `from .. from+runs-1` of `seed` (the whole run, or one `--case`). */
export function runFuzz(opts: {
  runs: number;
  seed: number;
  from?: number;
  /** Cut every input to this many bytes (the in-suite run: huge inputs cost seconds each on a loaded machine). */
  maxBytes?: number;
  /** Called every 5,000 inputs (the CLI prints a progress line). */
  onProgress?: (r: FuzzReport) => void;
}): FuzzReport {
  const seeds = exampleSeeds();
  const report: FuzzReport = { seed: opts.seed, inputs: 0, crashes: [], maxMs: 0, slowest: null };
  const from = opts.from ?? 0;
  for (let index = from; index < from + opts.runs; index++) {
    const made = fuzzInput(Rng.forCase(opts.seed, index), seeds);
    const input = opts.maxBytes === undefined ? made : { ...made, bytes: made.bytes.subarray(0, opts.maxBytes) };
    const { problems, ms } = checkInput(input);
    report.inputs++;
    if (report.inputs % 5_000 === 0) opts.onProgress?.(report);
    if (ms > report.maxMs) {
      report.maxMs = ms;
      report.slowest = { index, kind: input.kind, bytes: input.bytes.length, ms };
    }
    if (problems.length)
      report.crashes.push({ seed: opts.seed, index, kind: input.kind, path: input.path, problems, bytes: input.bytes });
  }
  return report;
}

/** The one summary line. */
export function fuzzLine(r: FuzzReport): string {
  return `fuzz: ${r.inputs} inputs, ${r.crashes.length} crashes, max ${Math.ceil(r.maxMs)} ms`;
}

function main(argv: string[]): number {
  const flags = parseFlags(argv, ['runs', 'seed', 'case', 'replay', 'out']);
  const out = flags.get('out') ?? join('.local', 'fuzz');
  const replay = flags.get('replay');
  if (replay) {
    const note = JSON.parse(readFileSync(`${replay}.json`, 'utf8')) as { path: string };
    const { problems, ms } = checkInput({ bytes: readFileSync(replay), path: note.path });
    for (const p of problems) process.stderr.write(`  ${p}\n`);
    process.stdout.write(`fuzz: 1 inputs, ${problems.length ? 1 : 0} crashes, max ${Math.ceil(ms)} ms\n`);
    return problems.length ? 1 : 0;
  }
  const seed = intFlag(flags, 'seed', randomSeed());
  const only = flags.has('case') ? intFlag(flags, 'case', 0) : undefined;
  const runs = only === undefined ? intFlag(flags, 'runs', 10_000) : 1;
  process.stderr.write(
    `fuzz: seed ${seed}${only === undefined ? '' : `, case ${only}`} (repeat with --seed ${seed})\n`,
  );
  const report = runFuzz({
    runs,
    seed,
    ...(only === undefined ? {} : { from: only }),
    onProgress: (r) =>
      process.stderr.write(`  ${r.inputs}/${runs}: ${r.crashes.length} crashes, max ${Math.ceil(r.maxMs)} ms\n`),
  });
  if (report.crashes.length) mkdirSync(out, { recursive: true });
  for (const c of report.crashes.slice(0, 20)) {
    const file = join(out, `crash-${c.seed}-${c.index}.bin`);
    writeFileSync(file, c.bytes);
    writeFileSync(
      `${file}.json`,
      `${JSON.stringify({ seed: c.seed, case: c.index, kind: c.kind, path: c.path, problems: c.problems }, null, 2)}\n`,
    );
    process.stderr.write(
      `crash: case ${c.index} (${c.kind}, ${c.bytes.length} bytes, path ${JSON.stringify(c.path)}): ${c.problems[0]}\n` +
        `  replay: npm run fuzz -- --replay ${file}   or   --seed ${c.seed} --case ${c.index}\n`,
    );
  }
  if (report.slowest)
    process.stderr.write(
      `slowest: case ${report.slowest.index} (${report.slowest.kind}, ${report.slowest.bytes} bytes): ${report.slowest.ms.toFixed(1)} ms\n`,
    );
  process.stdout.write(`${fuzzLine(report)}\n`);
  return report.crashes.length ? 1 : 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`fuzz: ${err instanceof UsageError ? err.message : (err as Error).stack}\n`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  }
}
