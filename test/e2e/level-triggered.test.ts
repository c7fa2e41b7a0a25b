/**
 * `npm start` is level-triggered (local/program/start.ts, local/program/converge.ts): at start it compares the firewall with the
 * bucket's manifests by the one agreement (core/agreement) and repairs what disagrees through the pipeline before it
 * says "Converged". The managed rules wiped from the saved firewall are restored by the next `--once`, and only then
 * is it converged. An empty or missing --manifests folder is refused before anything is uploaded (exit 2).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMarker } from '../../shared/core/firewall';

jest.setTimeout(300_000);

const ROOT = join(__dirname, '../..');
const SCRIPT = join(ROOT, 'local/program/start.ts');
const REGISTER = join(ROOT, 'local/harness/registerTs.js');

const children: ChildProcess[] = [];

/** Runs the script to its end; resolves with its exit code and output. */
function npmStart(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['-r', REGISTER, SCRIPT, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out, err })));
}

type StateFile = { policies: { rules?: { description?: string; ruleName?: string }[] }[] };
const owned = (s: StateFile) =>
  s.policies.flatMap((p) => (p.rules ?? []).filter((r) => parseMarker(r.description ?? '')).map((r) => r.ruleName));

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'egress-level-'));
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

test('a wiped firewall is restored by the next --once, which says Converged only after the repair', async () => {
  const dir = join(work, 'manifests');
  mkdirSync(dir);
  for (const f of ['payment-gateway.yaml', 'fraud-scoring.yaml'])
    cpSync(join(ROOT, 'examples/manifests', f), join(dir, f));
  const args = ['--once', '--timeout', '90', '--manifests', dir, '--state-dir', join(work, 'state')];
  const first = await npmStart(args);
  expect({ code: first.code, out: first.out }).toEqual({ code: 0, out: expect.stringMatching(/Converged in/) });
  const file = join(work, 'state', 'compute.json');
  const applied = JSON.parse(readFileSync(file, 'utf8')) as StateFile;
  const rules = owned(applied).sort();
  expect(rules.length).toBeGreaterThanOrEqual(2);

  // The wipe: every managed rule removed from the saved firewall (the bucket still holds both manifests).
  const wiped = {
    ...applied,
    policies: applied.policies.map((p) => ({
      ...p,
      rules: (p.rules ?? []).filter((r) => !parseMarker(r.description ?? '')),
    })),
  };
  writeFileSync(file, JSON.stringify(wiped, null, 2));

  const second = await npmStart(args);
  expect({ code: second.code, out: second.out, err: second.err }).toEqual({
    code: 0,
    out: expect.stringMatching(/Converged in/),
    err: '',
  });
  // Nothing changed in the folder, so nothing is uploaded; the agreement finds the wipe and the pipeline repairs it.
  expect(second.out).toMatch(/Uploaded 0 manifest\(s\)/);
  expect(second.out).toMatch(/Repaired through the pipeline .*fraud-scoring \(replay\).*payment-gateway \(replay\)/);
  expect(second.out.indexOf('Converged in')).toBeGreaterThan(second.out.indexOf('Repaired through the pipeline'));
  expect(second.out).not.toMatch(/no rules/);
  expect(owned(JSON.parse(readFileSync(file, 'utf8')) as StateFile).sort()).toEqual(rules);
});

test('an empty or missing --manifests folder is refused before anything is uploaded (exit 2, one line)', async () => {
  const empty = join(work, 'empty');
  mkdirSync(empty);
  for (const dir of [empty, join(work, 'missing')]) {
    const r = await npmStart(['--once', '--manifests', dir, '--state-dir', join(work, 'state')]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^npm start: manifest folder .*(empty|missing) .*hint: --manifests DIR/);
  }
});
