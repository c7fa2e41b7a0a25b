/**
 * One flag name per endpoint on every command that uses it (shared/cli/options.ts): `--compute-endpoint` wherever
 * the live firewall is read or written, `--storage-endpoint` wherever the bucket is (sync's old `--endpoint` kept as
 * a hidden alias), and the program's `--version` / `--verbose`.
 */
import type { Command } from 'commander';
import { buildProgram, packageVersion } from '../../../shared/cli/main';

const program = buildProgram(() => undefined);
const command = (name: string): Command => program.commands.find((c) => c.name() === name)!;
const option = (name: string, flag: string) => command(name).options.find((o) => o.long === flag);

test.each(['plan', 'drift', 'replay', 'release', 'explain', 'status', 'mcp'])(
  '%s has --compute-endpoint, described once',
  (name) => {
    const o = option(name, '--compute-endpoint');
    expect(o?.description).toBe(option('plan', '--compute-endpoint')?.description);
    expect(o?.description).toContain('EGRESS_COMPUTE_ENDPOINT');
  },
);

test.each(['sync', 'drift', 'replay', 'release', 'explain', 'denials', 'status', 'mcp'])(
  '%s has --storage-endpoint, described once',
  (name) => {
    expect(option(name, '--storage-endpoint')?.description).toBe(option('sync', '--storage-endpoint')?.description);
  },
);

test('sync keeps --endpoint as a hidden alias: parsed, not shown in the help', () => {
  const alias = option('sync', '--endpoint');
  expect(alias?.hidden).toBe(true);
  expect(command('sync').helpInformation()).not.toMatch(/--endpoint\b/);
  expect(command('sync').helpInformation()).toMatch(/--storage-endpoint/);
});

test('the program has --version (the package version) and --verbose', () => {
  expect(program.version()).toBe(packageVersion());
  expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
  expect(program.options.map((o) => o.long)).toEqual(expect.arrayContaining(['--version', '--verbose']));
});

test('every command is registered once', () => {
  const names = program.commands.map((c) => c.name());
  expect([...names].sort()).toEqual(
    [
      'capacity',
      'denials',
      'doctor',
      'drift',
      'explain',
      'mcp',
      'plan',
      'probe',
      'release',
      'replay',
      'status',
      'sync',
      'validate',
    ].sort(),
  );
});

test('sync, replay and drift keep --allow-revocations', () => {
  for (const name of ['sync', 'replay', 'drift']) expect(option(name, '--allow-revocations')).toBeDefined();
});
