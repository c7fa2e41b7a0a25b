/**
 * Issue 20 item 1: the environment is read once per invocation, by the command context (runtime/context.ts) for every
 * command and MCP tool, and by the two function composition roots. A command (or a composition) that calls
 * `readConfig` itself again reads `process.env` from deep inside: this test names it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The files of `dir` whose code (comments left out) calls `readConfig(`. */
function readConfigCallers(dir: string): string[] {
  return tsFiles(join(ROOT, dir))
    .filter((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .some((line) => !/^\s*(\*|\/\/|\/\*)/.test(line) && /\breadConfig\(/.test(line)),
    )
    .map((f) => relative(ROOT, f))
    .sort();
}

test('only the command context and the function composition roots read the environment', () => {
  expect(readConfigCallers('shared')).toEqual([
    'shared/runtime/applier.ts',
    'shared/runtime/config.ts', // its definition
    'shared/runtime/context.ts',
    'shared/runtime/validator.ts',
  ]);
});

test('every command module builds the command context (none reads its configuration another way)', () => {
  const commands = tsFiles(join(ROOT, 'shared/cli/commands')).filter((f) => !f.endsWith('index.ts'));
  expect(commands.length).toBeGreaterThanOrEqual(13); // the probe reads the real command modules
  const without = commands
    .filter((f) => /\.action\(/.test(readFileSync(f, 'utf8')))
    .filter((f) => !/\bcommandContext\(/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(ROOT, f));
  expect(without).toEqual([]);
});
