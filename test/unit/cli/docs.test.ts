/**
 * The README and docs agree with the code: the README's command table lists exactly the registered commands
 * (shared/cli/commands/index.ts), and the client versions they name are the ones package.json pins.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerCommands } from '../../../shared/cli/commands';

const ROOT = join(__dirname, '../../..');
const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');
const pinned = JSON.parse(read('package.json')).dependencies as Record<string, string>;

test("the README's command table lists every registered command, and only those", () => {
  const program = new Command();
  registerCommands(program, () => undefined);
  const registered = program.commands.map((c) => c.name()).sort();
  const table = [...read('README.md').matchAll(/^\| `egress ([a-z-]+)[ `]/gm)].map((m) => m[1]!).sort();
  expect(registered).toEqual(expect.arrayContaining(['probe', 'denials', 'release']));
  expect(table).toEqual(registered);
});

/** `@google-cloud/NAME` VERSION as the text names it (`…/logging` 12.1.0, @google-cloud/logging 12.1.0). */
const named = (text: string) =>
  [...text.matchAll(/@google-cloud\/([a-z-]+)`?\s+(\d+\.\d+\.\d+)/g)].map((m) => ({
    pkg: `@google-cloud/${m[1]}`,
    v: m[2],
  }));

test('the README names the pinned version of every Google client it lists', () => {
  const found = named(read('README.md'));
  expect(found.length).toBeGreaterThan(3);
  for (const { pkg, v } of found) expect({ pkg, v }).toEqual({ pkg, v: pinned[pkg] });
});

test('the docs name the pinned @google-cloud/logging version', () => {
  const found = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .flatMap((f) => named(read(`docs/${f}`)).map((n) => ({ ...n, f })))
    .filter((n) => n.pkg === '@google-cloud/logging');
  expect(found.length).toBeGreaterThan(0);
  for (const n of found) expect(n).toEqual({ ...n, v: pinned['@google-cloud/logging'] });
});
