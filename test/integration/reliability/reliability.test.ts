/**
 * The reliability runs of docs/reliability.md at small counts and a fixed seed: `npm run fuzz` (validation never
 * throws or breaks its result contract) and `npm run chaos` (the applier converges under faults and never touches a
 * rule without its marker). No timing assertions: the machine is shared; `npm run fuzz` reports the time.
 */
import { runChaos } from '../../../scripts/chaos';
import { checkInput, contractProblems, runFuzz, validateBytes } from '../../../scripts/fuzz';

jest.setTimeout(240_000);

describe('npm run fuzz, in the suite', () => {
  it('1,000 inputs of seed 20261201 (cut to 16 KiB): no crash', () => {
    const r = runFuzz({ runs: 1_000, seed: 20261201, maxBytes: 16 * 1024 });
    expect(r.inputs).toBe(1_000);
    expect(r.crashes.map((c) => `case ${c.index} (${c.kind}): ${c.problems[0]}`)).toEqual([]);
  });

  it('the contract catches what it is meant to catch', () => {
    const ok = validateBytes(Buffer.from('kind: Project\n'), 'manifests/p.yaml');
    expect(contractProblems(ok, 'kind: Project\n')).toEqual([]);
    const bad = structuredClone(ok);
    bad.diagnostics[0]!.line = 0;
    bad.diagnostics[0]!.message = 'value `a\u0000b`';
    expect(contractProblems(bad, 'kind: Project\n')).toEqual([
      expect.stringContaining('no line/column'),
      expect.stringContaining('raw control character in message'),
    ]);
    expect(contractProblems({ ...ok, valid: true }, '')).toEqual([
      expect.stringContaining('valid=true with'),
      'valid but no project',
    ]);
    expect(contractProblems({ ...ok, project: { name: 'p', environment: 'e', n: Number.NaN } } as never, '')).toEqual([
      expect.stringContaining('not JSON-serialisable: result.project.n is NaN'),
    ]);
    expect(checkInput({ bytes: Buffer.from([0xff, 0x00, 0x1b]), path: 'manifests/p.yaml' }).problems).toEqual([]);
  });
});

describe('npm run chaos, in the suite', () => {
  it('20 schedules of seed 20261201: every one converges, no unmanaged rule touched', async () => {
    const r = await runChaos({ schedules: 20, seed: 20261201 });
    expect(r.failures.map((f) => `case ${f.schedule.index}: ${f.result.problems.join('; ')}`)).toEqual([]);
    expect(r).toMatchObject({ schedules: 20, converged: 20, unmanagedTouched: 0 });
  });
});
