/** `egress sync DIR gs://BUCKET[/PREFIX]`: the merge step (validate all, then upload what changed). See docs/sync.md. */
import { Storage } from '@google-cloud/storage';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { ManifestDirError, readManifestDir } from '../../adapters/manifestDir';
import { gcsManifestStore } from '../../adapters/storage';
import { prefixWarning } from '../../core/bucket/layout';
import { groupOwnedRules, isTombstone } from '../../core/firewall';
import type { ObservedRule } from '../../core/firewall/types';
import type { ManifestResult } from '../../core/manifest/types';
import type { PlatformPolicy } from '../../core/policy/types';
import type { ManifestStore } from '../../ports/storage';
import { liveRules, stateFileRules } from '../../runtime/cliClients';
import { type CommandContext, commandContext } from '../../runtime/context';
import { GsUrlError, parseGsUrl } from '../../runtime/gsUrl';
import {
  type LocalManifest,
  SyncInputError,
  type SyncItem,
  type SyncReport,
  syncManifests,
  toLocalManifests,
} from '../../usecases/sync';
import { describeFailure } from '../errors';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from '../exit';
import {
  addAllowRevocationsOption,
  addComputeEndpointOption,
  addStorageEndpointOption,
  formatOption,
  storageEndpointOf,
  tableOption,
} from '../options';
import { progressStream } from '../output';
import { progressBar } from '../progress';

interface SyncFlags {
  dryRun?: boolean;
  delete?: boolean;
  format: 'text' | 'json';
  policy?: string;
  /** `--storage-endpoint` (sync's old `--endpoint` is its hidden alias). */
  storageEndpoint?: string;
  endpoint?: string;
  concurrency: number;
  allowRevocations?: number;
  /** With --delete: where the firewall is read to count only deletions that revoke an allow. */
  state?: string;
  live?: boolean;
  computeEndpoint?: string;
}

/** Output sinks (process streams in the CLI). */
export interface SyncIo {
  out: (s: string) => void;
  err: (s: string) => void;
  stderr: { isTTY?: boolean; columns?: number; write(s: string): unknown };
}

const processIo = (): SyncIo => ({
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  stderr: process.stderr,
});

/**
 * The storage client: `--storage-endpoint` wins, else the client's own STORAGE_EMULATOR_HOST handling, else Google (ADC).
 * storage@7 uses STORAGE_EMULATOR_HOST verbatim as its base URL, so a value without `http://` cannot work.
 */
export function storageFor(endpoint: string | undefined, env: NodeJS.ProcessEnv = process.env): Storage {
  const emulator = env.STORAGE_EMULATOR_HOST;
  if (!endpoint && emulator !== undefined && !/^https?:\/\//.test(emulator))
    throw new SyncInputError(
      `STORAGE_EMULATOR_HOST='${emulator}' has no scheme: set it to http://${emulator} (the storage client uses it as a URL)`,
    );
  if (endpoint && !/^https?:\/\/[^/]+/.test(endpoint))
    throw new SyncInputError(`--storage-endpoint '${endpoint}' is not a URL: use e.g. http://127.0.0.1:4443`);
  return new Storage(endpoint ? { apiEndpoint: endpoint } : {});
}

function diagnosticLines(results: ManifestResult[]): string[] {
  const lines: string[] = [];
  for (const r of results)
    for (const d of r.diagnostics)
      lines.push(
        `${r.path}:${d.line}:${d.column}: ${d.severity} ${d.code} ${d.message}${d.hint ? ` (hint: ${d.hint})` : ''}`,
      );
  return lines;
}

function itemLine(i: SyncItem, dryRun: boolean, failed: string | undefined): string {
  const verb =
    i.object === failed
      ? 'FAILED'
      : i.action === 'unchanged'
        ? 'unchanged'
        : dryRun
          ? i.action === 'delete'
            ? 'would delete'
            : 'would upload'
          : !i.done
            ? 'skipped'
            : i.action === 'delete'
              ? 'deleted'
              : 'uploaded';
  const detail =
    i.action === 'create'
      ? i.generation
        ? `new, generation ${i.generation}`
        : 'new'
      : i.action === 'update'
        ? i.generation
          ? `generation ${i.previousGeneration} -> ${i.generation}`
          : `changed (generation ${i.previousGeneration})`
        : i.action === 'delete'
          ? `generation ${i.previousGeneration}`
          : '';
  return `  ${verb.padEnd(12)} ${i.object}${detail ? `  ${detail}` : ''}`;
}

function renderText(r: SyncReport, bucket: string, io: SyncIo): void {
  const where = `gs://${bucket}/${r.prefix}`;
  const warnings = diagnosticLines(r.manifests);
  if (!r.valid) {
    for (const l of warnings) io.out(`${l}\n`);
    const bad = r.manifests.filter((m) => !m.valid).length;
    io.out(
      `sync refused: ${bad} of ${r.manifests.length} manifest(s) invalid; nothing was uploaded to ${where}. Fix them (egress validate) and re-run.\n`,
    );
    return;
  }
  for (const l of warnings) io.err(`${l}\n`);
  if (r.refused) {
    io.out(`${r.refused.message}\n`);
    return;
  }
  if (r.error && r.items.length === 0) {
    // The listing failed: nothing was compared, so a "0 to upload" summary would claim a result that does not exist.
    io.err(`error: ${describeFailure(r.error)}\nnothing was compared or written to ${where}\n`);
    return;
  }
  for (const i of r.items) io.out(`${itemLine(i, r.dryRun, r.error?.object)}\n`);
  if (r.extraneous.length)
    io.out(
      `note: ${r.extraneous.length} object(s) under ${where} have no local file (run with --delete to remove them): ${r.extraneous.join(', ')}\n`,
    );
  const s = r.summary;
  if (r.dryRun) {
    const up = r.items.filter((i) => i.action === 'create' || i.action === 'update').length;
    const del = r.items.filter((i) => i.action === 'delete').length;
    io.out(`dry run, nothing written to ${where}: ${up} to upload, ${s.unchanged} unchanged, ${del} to delete\n`);
  } else {
    io.out(`${where}: ${s.uploaded} uploaded, ${s.unchanged} unchanged, ${s.deleted} deleted\n`);
  }
  if (r.error) io.err(`error: ${describeFailure(r.error)}\n`);
}

/**
 * With `--delete`, the projects among `keys` that hold an allow in the firewall (an owned rule other than a
 * tombstone), read from `--state FILE` (default EGRESS_STATE_FILE, npm start's cli.env) or `--live`: only their
 * deletion revokes anything, so only they count against the guard. Undefined when no firewall source is given: then
 * every deleted project counts (the bucket alone cannot tell).
 */
export function revokingFor(
  ctx: CommandContext<SyncFlags>,
): ((keys: readonly string[]) => Promise<string[]>) | undefined {
  const { flags, cfg, policy } = ctx;
  const { state } = flags; // npm start's cli.env default applied by the context (the option table's stateFile)
  if (!flags.delete || (!state && !flags.live)) return undefined;
  const read = async (): Promise<ObservedRule[]> =>
    state ? stateFileRules(state, flags, policy, cfg).rules : (await liveRules(flags, policy, cfg)).rules;
  return async (keys) => {
    const owned = groupOwnedRules(await read());
    return keys.filter((k) => owned.get(k)?.some((r) => !isTombstone(r)));
  };
}

/** Runs the command; resolves with the exit code. `makeStore` lets tests inject a store. */
export async function runSync(
  dir: string,
  target: string,
  flags: SyncFlags,
  io: SyncIo = processIo(),
  makeStore: (bucket: string) => ManifestStore = (bucket) =>
    gcsManifestStore(bucket, storageFor(storageEndpointOf(flags))),
): Promise<number> {
  let bucket: string;
  let prefix: string;
  let files: LocalManifest[];
  let policy: PlatformPolicy;
  let store: ManifestStore;
  const ctx = commandContext(flags); // the environment, read once for this run
  const { cfg } = ctx;
  try {
    // The same parser and meaning as replay/drift/explain: gs://B = EGRESS_MANIFEST_PREFIX (the folder the validator
    // watches), gs://B/ = the bucket root.
    ({ bucket, prefix } = parseGsUrl(target, { defaultPrefix: cfg.manifestPrefix }));
    files = toLocalManifests(readManifestDir(dir), prefix);
    // Same policy as the validator function and the other commands (EGRESS_POLICY_FILE): validating against the
    // defaults instead would let through, or refuse, manifests the pipeline judges otherwise.
    policy = ctx.policy;
    store = makeStore(bucket);
  } catch (err) {
    io.err(`error: ${(err as Error).message}\n`);
    return err instanceof SyncInputError || err instanceof ManifestDirError || err instanceof GsUrlError
      ? EXIT_USAGE
      : EXIT_INVALID;
  }
  if (files.length === 0) {
    // An empty tree with --delete would wipe the bucket: refuse rather than guess that was meant.
    io.err(`error: no *.yaml or *.yml files under ${dir}; nothing to sync\n`);
    return EXIT_INVALID;
  }
  const watched = prefixWarning(prefix, cfg.manifestPrefix);
  if (watched) io.err(`${watched}\n`);
  const bar = progressBar({ title: flags.dryRun ? 'sync (dry run)' : 'sync', stream: progressStream(io.stderr) });
  const revoking = revokingFor(ctx);
  let report: SyncReport;
  try {
    report = await syncManifests({
      store,
      prefix,
      files,
      validation: { policy },
      deleteRemoved: flags.delete ?? false,
      dryRun: flags.dryRun ?? false,
      concurrency: flags.concurrency,
      safety: { allow: flags.allowRevocations, ...(revoking ? { revoking } : {}) },
      onProgress: (done, total, item) => bar.update(done, total, item.object),
    });
  } catch (err) {
    // Only the firewall read of --state/--live can throw here: nothing was uploaded or deleted.
    bar.done();
    io.err(
      `error: reading the firewall to count revocations: ${describeFailure(err)}; nothing was uploaded or deleted\n`,
    );
    return EXIT_INVALID;
  }
  bar.done();
  if (flags.format === 'json') {
    const { items, ...rest } = report;
    io.out(`${JSON.stringify({ bucket, ...rest, objects: items }, null, 2)}\n`);
  } else {
    renderText(report, bucket, io);
  }
  return report.valid && !report.error && !report.refused ? EXIT_OK : EXIT_INVALID;
}

/** Registers `egress sync`. */
export function register(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('sync')
    .description(
      'Validate every manifest in DIR, then upload the changed ones to gs://BUCKET[/PREFIX] (object = PREFIX + file name); refuses to sync anything if one manifest is invalid',
    )
    .argument('<dir>', 'folder of Project manifests (*.yaml, *.yml; walked recursively)')
    .argument(
      '<target>',
      'gs://BUCKET/PREFIX (gs://BUCKET alone = EGRESS_MANIFEST_PREFIX, default manifests/; gs://BUCKET/ = the bucket root)',
    )
    .option('--dry-run', 'show what would be uploaded or deleted; write nothing')
    .option('--delete', 'also delete *.yaml/*.yml objects directly under PREFIX whose file was removed')
    .addOption(
      tableOption(
        'stateFile',
        'with --delete: a fake-Compute state file (default EGRESS_STATE_FILE) read to count only deletions that revoke an allow',
      ),
    )
    .addOption(
      tableOption('live', 'with --delete: read the live firewall to count only deletions that revoke an allow'),
    );
  addAllowRevocationsOption(cmd)
    .addOption(formatOption())
    .addOption(tableOption('policyFile'))
    .addOption(
      new Option('--concurrency <n>', 'parallel uploads').default(8).argParser((v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('expected an integer from 1 to 64');
        return n;
      }),
    );
  addComputeEndpointOption(cmd);
  addStorageEndpointOption(cmd).action(async (dir: string, target: string, flags: SyncFlags) => {
    setExit(await runSync(dir, target, flags));
  });
}
