/**
 * `egress validate [--format text|json] [--policy FILE] PATH...` — validates Project manifests (directories are
 * walked for *.yaml/*.yml) and reports every diagnostic. Exit 0 valid (warnings allowed), 1 invalid, 2 usage.
 */
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { checkProjectSet, tooLargeResult, validateManifest } from '../../core/manifest';
import type { ManifestResult } from '../../core/manifest/types';
import type { PlatformPolicy } from '../../core/policy/types';
import { loadPolicyFile } from '../../runtime/policy';
import { EXIT_INVALID, EXIT_OK, UsageError } from '../exit';
import { formatDiagnostic, plural } from '../format';

const MANIFEST_RE = /\.ya?ml$/;

/**
 * Expands PATH arguments into manifest files: files as given, directories walked (sorted, dot-entries skipped).
 * A file reached twice (`dir/` and `./dir/x.yaml`) is kept once, under its first spelling: counted twice it
 * would be its own DUPLICATE_PROJECT.
 */
export function collectManifestFiles(paths: string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (p: string) => {
    let real = p;
    try {
      real = realpathSync(p);
    } catch {
      // Unreadable now: keep the path as given; reading it reports the problem.
    }
    if (seen.has(real)) return;
    seen.add(real);
    out.push(p);
  };
  const dirs = new Set<string>();
  const walk = (dir: string) => {
    // A symlinked directory can lead back up the tree: walk each real directory once.
    const real = realpathSync(dir);
    if (dirs.has(real)) return;
    dirs.add(real);
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        // Follow links: a linked manifest skipped in silence would pass CI unchecked.
        let st: ReturnType<typeof statSync> | undefined;
        try {
          st = statSync(p);
        } catch {
          if (MANIFEST_RE.test(e.name)) throw new UsageError(`${p}: a symbolic link to a file that does not exist`);
          continue;
        }
        isDir = st.isDirectory();
        isFile = st.isFile();
      }
      if (isDir) walk(p);
      else if (isFile && MANIFEST_RE.test(e.name)) add(p);
    }
  };
  for (const p of paths) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      throw new UsageError(`${p}: no such file or directory`);
    }
    if (st.isDirectory()) {
      const before = out.length;
      walk(p);
      // An empty walk is almost always a wrong path in CI: passing it would validate nothing and succeed.
      if (out.length === before)
        throw new UsageError(
          `${p}: no manifests found (looked for *.yaml / *.yml files; names are lowercase, e.g. payment-gateway.yaml)`,
        );
    } else add(p);
  }
  return out;
}

/** Validates the files with `policy` and the cross-file checks of one run. */
export function validateFiles(files: string[], policy: PlatformPolicy): ManifestResult[] {
  const results = files.map((f) => {
    const size = statSync(f).size;
    if (size > policy.manifest.maxFileBytes) return tooLargeResult(f, size, policy);
    return validateManifest(readFileSync(f, 'utf8'), { path: f, policy });
  });
  return checkProjectSet(results);
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
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--policy <file>', 'platform policy file (YAML/JSON) merged over the defaults')
    .addHelpText(
      'after',
      '\nExit codes: 0 all manifests valid (warnings allowed), 1 invalid manifest(s), 2 usage error.\nDiagnostic codes: docs/manifest.md',
    )
    .action((paths: string[], opts: { format: 'text' | 'json'; policy?: string }) => {
      let policy: PlatformPolicy;
      try {
        policy = loadPolicyFile(opts.policy ?? '');
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
