/**
 * `egress validate [--format text|json] [--policy FILE] PATH...` — validates Project manifests (directories are
 * walked for *.yaml/*.yml) and reports every diagnostic. Exit 0 valid (warnings allowed), 1 invalid, 2 usage.
 */

import type { Command } from 'commander';
import { listManifestFiles, ManifestDirError, readManifestFiles } from '../../adapters/manifestDir';
import type { ManifestResult } from '../../core/manifest/types';
import type { PlatformPolicy } from '../../core/policy/types';
import { commandContext } from '../../runtime/context';
import { validateManifestFiles } from '../../usecases/validateFiles';
import { EXIT_INVALID, EXIT_OK, UsageError } from '../exit';
import { formatDiagnostic, plural } from '../format';
import { formatOption, tableOption } from '../options';

/**
 * Path arguments → manifest files, by the one directory source's rules (adapters/manifestDir: links followed, each
 * file once, code-point order, `.yaml`/`.yml` in any case). A missing path, a dangling link or a folder without
 * manifests is a usage error.
 */
export function collectManifestFiles(paths: string[]): string[] {
  try {
    return listManifestFiles(paths, { requireManifests: true });
  } catch (err) {
    if (err instanceof ManifestDirError) throw new UsageError(err.message);
    throw err;
  }
}

/** Reads and validates the files with `policy` and the cross-file checks of one run. */
export function validateFiles(files: string[], policy: PlatformPolicy): ManifestResult[] {
  return validateManifestFiles(readManifestFiles(files), policy);
}

/** The JSON document of `--format json` (the shape issue 2 specifies). */
export function toJson(results: ManifestResult[]): unknown {
  return {
    valid: results.every((r) => r.valid),
    manifests: results.map((r) => ({
      path: r.path,
      valid: r.valid,
      project: r.project,
      egress: r.egress,
      diagnostics: r.diagnostics,
    })),
  };
}

/** Text report: one line per diagnostic (hint below it), then a summary line. */
export function toText(results: ManifestResult[]): string {
  const lines: string[] = [];
  let errors = 0;
  let warnings = 0;
  for (const r of results)
    for (const d of r.diagnostics) {
      lines.push(formatDiagnostic(r.path, d));
      if (d.severity === 'error') errors++;
      else warnings++;
    }
  const invalid = results.filter((r) => !r.valid).length;
  lines.push(
    `${plural(results.length, 'manifest')} checked: ${results.length - invalid} valid, ${invalid} invalid (${plural(errors, 'error')}, ${plural(warnings, 'warning')})`,
  );
  return `${lines.join('\n')}\n`;
}

/** Registers `validate` on the program. */
export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('validate')
    .description(
      'Validate Project manifests: every problem in every file, with file:line:col, a stable code and a hint',
    )
    .argument('<paths...>', 'manifest files or directories (walked for *.yaml / *.yml)')
    .addOption(formatOption())
    .addOption(tableOption('policyFile'))
    .addHelpText(
      'after',
      '\nExit codes: 0 all manifests valid (warnings allowed), 1 invalid manifest(s), 2 usage error.\nDiagnostic codes: docs/manifest.md',
    )
    .action((paths: string[], opts: { format: 'text' | 'json'; policy?: string }) => {
      // The policy the validator function uses: --policy, else EGRESS_POLICY_FILE (npm start's cli.env sets it when
      // the stack runs with a policy file), else the defaults; as sync and every other command resolve it.
      const ctx = commandContext(opts);
      let policy: PlatformPolicy;
      try {
        policy = ctx.policy;
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const files = collectManifestFiles(paths);
      const results = validateFiles(files, policy);
      if (opts.format === 'json') process.stdout.write(`${JSON.stringify(toJson(results), null, 2)}\n`);
      else {
        process.stdout.write(toText(results));
      }
      setExit(results.every((r) => r.valid) ? EXIT_OK : EXIT_INVALID);
    });
}
