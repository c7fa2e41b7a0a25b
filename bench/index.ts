/**
 * `npm run bench`: every figure the issues ask for, measured in one run on this machine. Each section prints its
 * lines as soon as it finishes; `npm run bench -- validate plan` runs only the named sections.
 */
import { benchCapacity } from './capacity';
import { benchPipeline } from './pipeline';
import { benchPlan } from './plan';
import { benchReplay } from './replay';
import { benchValidate } from './validate';

const SECTIONS: Record<string, () => Promise<string[]>> = {
  validate: benchValidate,
  plan: benchPlan,
  replay: () => benchReplay(),
  pipeline: benchPipeline,
  capacity: benchCapacity,
};

async function run(names: string[]): Promise<number> {
  const unknown = names.filter((n) => !(n in SECTIONS));
  if (unknown.length) {
    process.stderr.write(
      `unknown bench section(s): ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')}\n`,
    );
    return 2;
  }
  for (const name of names.length ? names : Object.keys(SECTIONS)) {
    const started = Date.now();
    process.stderr.write(`[bench] ${name}…\n`);
    const lines = await SECTIONS[name]!();
    for (const line of lines) process.stdout.write(`${line}\n`);
    process.stderr.write(`[bench] ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  return 0;
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
