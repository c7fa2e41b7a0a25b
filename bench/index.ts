/**
 * `npm run bench`: every figure the issues ask for, measured in one run on this machine. Each section prints its
 * lines as soon as it finishes; `npm run bench -- validate plan` runs only the named sections. `--smoke` (or
 * EGRESS_BENCH_SMOKE=1) runs every section at small sizes: the figures mean nothing, but a section that breaks fails
 * the run (CI runs it, .ci/run). A failing section is named on stderr, the others still run, and the exit code is 1.
 */
import { benchCapacity } from './capacity';
import { benchPipeline } from './pipeline';
import { benchPlan } from './plan';
import { benchReplay } from './replay';
import { benchValidate } from './validate';

/** Each section at its full size, and at its smoke size (seconds, for CI). */
const SECTIONS: Record<string, { full: () => Promise<string[]>; smoke: () => Promise<string[]> }> = {
  validate: { full: () => benchValidate(), smoke: () => benchValidate(50) },
  plan: { full: () => benchPlan(), smoke: () => benchPlan(200) },
  replay: { full: () => benchReplay(), smoke: () => benchReplay(100) },
  pipeline: { full: () => benchPipeline(), smoke: () => benchPipeline(3, 1) },
  capacity: { full: () => benchCapacity(), smoke: () => benchCapacity(300) },
};

const message = (err: unknown) => (err instanceof Error ? (err.stack ?? err.message) : String(err));

async function run(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const smoke = argv.includes('--smoke') || env.EGRESS_BENCH_SMOKE === '1';
  const names = argv.filter((a) => a !== '--smoke');
  const unknown = names.filter((n) => !(n in SECTIONS));
  if (unknown.length) {
    process.stderr.write(
      `unknown bench section(s): ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')} (and --smoke)\n`,
    );
    return 2;
  }
  const failed: string[] = [];
  for (const name of names.length ? names : Object.keys(SECTIONS)) {
    const started = Date.now();
    process.stderr.write(`[bench] ${name}${smoke ? ' (smoke)' : ''}…\n`);
    try {
      const lines = await SECTIONS[name]![smoke ? 'smoke' : 'full']();
      for (const line of lines) process.stdout.write(`${line}\n`);
      process.stderr.write(`[bench] ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    } catch (err) {
      failed.push(name);
      process.stderr.write(`[bench] ${name} FAILED: ${message(err)}\n`);
    }
  }
  if (failed.length) process.stderr.write(`bench failed: ${failed.join(', ')}\n`);
  return failed.length ? 1 : 0;
}

run(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench failed: ${message(err)}\n`);
    process.exit(1);
  },
);
