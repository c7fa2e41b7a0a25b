/**
 * `npm start`: the whole pipeline on this machine (docs/local.md): the Pub/Sub emulator, the fake GCS, the fake Compute
 * (state in `.local/compute.json`) and both functions (logs in `.local/logs/`); uploads the example manifests (or
 * `--manifests DIR`) as `egress sync` does, waits for the outcomes, compares the fleet and prints the rules and the
 * rejections; then watches the folder and shows every edit's effect. `--once` exits after the first convergence.
 */
import { existsSync, type FSWatcher, rmSync, statSync, watch, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ManifestDirError, manifestFolders, readManifestDir } from '../../shared/adapters/manifestDir';
import { describeFailure, failureDetail } from '../../shared/cli/errors';
import { projectKeyOf } from '../../shared/core/bucket/layout';
import { parseMarker } from '../../shared/core/firewall';
import { policyRefPath } from '../../shared/core/policy/placement';
import { parseAllowRevocations } from '../../shared/core/safety/revocations';
import { loadPolicyFile } from '../../shared/runtime/policy';
import type { DriftRun } from '../../shared/usecases/drift';
import { SyncInputError } from '../../shared/usecases/sync';
import { stateFileIn } from '../fakes/compute/state';
import { agreeAndRepair, disagreements, fleetAgreement, type Round, syncAndWait } from './converge';
import { EmulatorSetupError } from './emulator';
import { agreementNotes, converged, type Outcome, renderRejections, renderRulesTable } from './render';
import {
  CLI_ENV_FILE,
  cliEnv,
  type LocalStack,
  NetworkFileError,
  REPO_ROOT,
  renderCliEnv,
  startLocalStack,
} from './stack';
import { acquireStateLock, StateDirLockedError, type StateLock } from './stateLock';
import { deletionNote, knownFiles, type Rename, renderChanges, watchRound } from './watchRound';

const USAGE = `usage: npm start -- [options]      (or: node dist/local/program/start.js [options])

Runs the egress pipeline locally: Pub/Sub emulator, fake GCS, fake Compute, egressValidator and egressApplier.
Uploads the manifests, prints the resulting firewall rules and rejections, then watches the folder for edits.

options:
  --manifests DIR   folder of Project manifests (default: examples/manifests)
  --once            exit after the first convergence: 0 when every manifest reached an outcome
                    (applied or rejected) and the firewall agrees with every manifest, 1 otherwise
  --state-dir DIR   where the fake firewall state and the function logs live (default: .local)
  --policy FILE     platform policy file of the functions and the CLI (EGRESS_POLICY_FILE); e.g.
                    examples/policy/regional.yaml for regional placement (one regional policy per region)
  --network FILE    the host project's VPC network and its subnets (YAML, see examples/network.yaml, the
                    default); a project it leaves out gets a subnet from the local pool (docs/local.md)
  --fresh           forget the fake firewall state of earlier runs first
  --timeout SEC     how long to wait for the outcome of a change (default: 30)
  --allow-revocations N
                    let one watched edit revoke up to N projects (deleting many files at once, or all of
                    them, is refused otherwise: the blast-radius guard of egress sync --delete)
  --verbose         print each start-up step
  -h, --help        this help

Function logs: <state-dir>/logs/validator.log and applier.log. Ctrl-C (SIGINT), SIGTERM or SIGHUP, to npm or to
this program, stops everything (exit 130, 143, 129); so does the end of the parent process. One npm start per state
dir: a second one is refused while the first runs (<state-dir>/start.lock holds its pid).`;

/** Parsed command line. */
export interface LocalPipelineArgs {
  manifests: string;
  once: boolean;
  stateDir: string;
  /** The platform policy file (absolute), or undefined for the documented defaults. */
  policyFile?: string;
  /** The network description (absolute), or undefined for examples/network.yaml. */
  networkFile?: string;
  fresh: boolean;
  timeoutMs: number;
  /** `--allow-revocations N`: the watcher's blast-radius allowance (core/safety/revocations.ts). */
  allowRevocations?: number;
  verbose: boolean;
  help: boolean;
}

/** Parses argv; throws an Error with a usage hint for bad values. */
export function parseLocalPipelineArgs(argv: string[]): LocalPipelineArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      manifests: { type: 'string' },
      once: { type: 'boolean', default: false },
      'state-dir': { type: 'string' },
      policy: { type: 'string' },
      network: { type: 'string' },
      fresh: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '30' },
      'allow-revocations': { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const timeout = Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new Error(`--timeout must be a positive number of seconds`);
  const allow = values['allow-revocations'];
  return {
    manifests: resolve(values.manifests ?? join(REPO_ROOT, 'examples/manifests')),
    once: values.once ?? false,
    stateDir: resolve(values['state-dir'] ?? join(REPO_ROOT, '.local')),
    ...(values.policy ? { policyFile: resolve(values.policy) } : {}),
    ...(values.network ? { networkFile: resolve(values.network) } : {}),
    fresh: values.fresh ?? false,
    timeoutMs: timeout * 1000,
    ...(allow !== undefined ? { allowRevocations: parseAllowRevocations(allow) } : {}),
    verbose: values.verbose ?? false,
    help: values.help ?? false,
  };
}

const rel = (p: string) => relative(process.cwd(), p) || '.';
const out = (line = '') => process.stdout.write(`${line}\n`);
const time = () => new Date().toTimeString().slice(0, 8);

/** Notes for projects without rules in the table: why they have none. */
function notesFor(outcomes: readonly Outcome[]): Map<string, string> {
  const notes = new Map<string, string>();
  for (const o of outcomes) {
    const s = o.status?.data;
    if (!s) notes.set(o.project, 'no outcome yet (see .local/logs)');
    else if (s.outcome === 'rejected') notes.set(o.project, 'manifest REJECTED: firewall left as it was');
    else if (s.outcome === 'apply-failed') notes.set(o.project, `apply FAILED: ${s.reason ?? ''} ${s.error ?? ''}`);
    else if (deletionNote(o)) notes.set(o.project, deletionNote(o)!);
  }
  return notes;
}

function printRound(
  stack: LocalStack,
  round: Round,
  first: boolean,
  agreement?: DriftRun,
  renames: readonly Rename[] = [],
): void {
  const { report } = round;
  const outcomes = round.outcomes.map((o) => (o.file ? { ...o, file: rel(o.file) } : o));
  // The first round shows every project of the folder (unchanged ones too: a restart uploads nothing unchanged).
  const unchanged = first
    ? report.items.filter((i) => i.action === 'unchanged').map((i) => projectKeyOf(i.object))
    : [];
  const projects = [...new Set([...outcomes.map((o) => o.project), ...unchanged])].sort();
  if (first) {
    out(
      `Uploaded ${report.summary.uploaded} manifest(s) to gs://${stack.bucket}/${stack.prefix}` +
        `${report.summary.unchanged ? ` (${report.summary.unchanged} unchanged since the last run, not re-applied)` : ''}:`,
    );
  } else {
    out(`[${time()}] ${outcomes.length} change(s):`);
  }
  // Relative paths in the lines, the same outcome objects for pairing the renames.
  const shown = new Map(round.outcomes.map((o, i) => [o, outcomes[i]!]));
  const pairs = renames.map((r) => ({ from: shown.get(r.from) ?? r.from, to: shown.get(r.to) ?? r.to }));
  for (const line of renderChanges(outcomes, pairs)) out(line);
  if (!projects.length) return;
  out();
  // The first round shows every project with rules; an edit shows only the projects it touched.
  // The notes say the one agreement of each project (core/agreement) where its rules disagree with its manifest.
  const notes = agreementNotes(
    (agreement?.report.agreements ?? []).filter((a) => first || projects.includes(a.project)),
    notesFor(outcomes),
  );
  out(renderRulesTable(first ? stack.rules() : projects.flatMap((p) => stack.rules(p)), projects, notes));
  const rejections = renderRejections(outcomes);
  if (rejections.length) {
    out();
    out('Rejections:');
    for (const line of rejections) out(`  ${line.replace(/\n/g, '\n  ')}`);
  }
}

/** Projects with owned rules in the (persisted) fake firewall that have no manifest in this run. */
function orphans(stack: LocalStack, round: Round): string[] {
  const known = new Set([
    ...round.outcomes.map((o) => o.project),
    ...round.report.items.map((i) => projectKeyOf(i.object)),
  ]);
  const owned = new Set(stack.rules().map((r) => parseMarker(r.description)?.project));
  return [...owned].filter((p): p is string => !!p && !known.has(p)).sort();
}

/** Why the manifest folder cannot be used (missing, not a folder, no manifest in it), or undefined when it can. */
export function folderRefusal(dir: string): string | undefined {
  const hint = 'hint: --manifests DIR naming a folder of Project manifests, e.g. --manifests examples/manifests';
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    return `manifest folder ${rel(dir)} does not exist or is not a folder (${hint})`;
  let count: number;
  try {
    count = readManifestDir(dir).length;
  } catch (err) {
    if (err instanceof ManifestDirError) return `manifest folder ${rel(dir)}: ${err.message} (${hint})`;
    throw err;
  }
  if (count === 0)
    return `manifest folder ${rel(dir)} has no manifests (*.yaml, *.yml): refused, since uploading it would revoke every project (${hint})`;
  return undefined;
}

/** Runs the local pipeline; resolves with the exit code (the watch mode resolves when stopped by a signal). */
export async function runLocalPipeline(args: LocalPipelineArgs): Promise<number> {
  // Refused before anything is uploaded: an empty folder synced with deletion would revoke every project.
  const refusal = folderRefusal(args.manifests);
  if (refusal) {
    process.stderr.write(`npm start: ${refusal}\n`);
    return 2;
  }
  // The same one-line messages as `egress validate --policy` (runtime/policy.ts), before anything starts.
  if (args.policyFile) {
    try {
      loadPolicyFile(args.policyFile);
    } catch (err) {
      process.stderr.write(`npm start: ${(err as Error).message}\n`);
      return 2;
    }
  }
  // One npm start per state dir, taken before anything in it changes (--fresh, cli.env, the fakes' files).
  let lock: StateLock;
  try {
    lock = acquireStateLock(args.stateDir);
  } catch (err) {
    if (!(err instanceof StateDirLockedError)) throw err;
    process.stderr.write(`npm start: ${err.message}\n`);
    return 1;
  }
  if (lock.tookOverFrom !== undefined && args.verbose)
    out(`  took over the lock of pid ${lock.tookOverFrom}, which is gone (${rel(lock.file)})`);
  // --fresh forgets the firewall; the stack then forgets the bucket too (local/program/stack: prepareStateDir).
  if (args.fresh) rmSync(stateFileIn(args.stateDir), { force: true });
  // Removed when the stack stops: its ports are gone with it.
  const envFile = join(args.stateDir, CLI_ENV_FILE);

  let stack: LocalStack | undefined;
  let watcher: FolderWatcher | undefined;
  let stopping: Promise<void> | undefined;
  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((r) => {
    resolveDone = r;
  });
  /** Stops on a signal (or when the parent is gone): exit 128 + the signal's number, the shells' convention. */
  const shutdown = (signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP', why: string = signal) => {
    const code = 128 + constants.signals[signal];
    if (stopping) {
      // A second Ctrl-C: leave now; the exit hooks kill the emulator and the function hosts see their parent go.
      process.exit(code);
    }
    out(`\n${why}: stopping the local pipeline…`);
    watcher?.close();
    stopping = (stack?.stop() ?? Promise.resolve()).then(() => {
      out('stopped: emulator, fakes and functions are down.');
      resolveDone(code);
    });
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const handlers = signals.map((sig) => [sig, () => shutdown(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);
  // `npm start` runs this program under a shell: when npm (and so the shell) is killed, the program is re-parented
  // and would run on with every child. A changed parent pid is the parent's end: stop as on SIGHUP.
  const parentPid = process.ppid;
  const orphanWatch = setInterval(() => {
    if (process.ppid !== parentPid && !stopping) shutdown('SIGHUP', `parent process ${parentPid} is gone`);
  }, 250);
  orphanWatch.unref();
  /** Resolves with `work`'s value, or undefined once a signal stopped the stack (its caller then returns `done`). */
  const untilStopped = <T>(work: Promise<T>): Promise<T | undefined> => {
    work.catch(() => undefined); // a failure after the stop is nobody's news
    return Promise.race([work, done.then(() => undefined)]);
  };

  try {
    out(`Starting the local egress pipeline (state and logs in ${rel(args.stateDir)}/)…`);
    try {
      stack = await startLocalStack({
        mode: 'child',
        stateDir: args.stateDir,
        logDir: join(args.stateDir, 'logs'),
        ...(args.policyFile ? { policyFile: args.policyFile } : {}),
        ...(args.networkFile ? { networkFile: args.networkFile } : {}),
        ...(args.verbose ? { onStep: (m: string) => out(`  ${m}`) } : {}),
      });
    } catch (err) {
      if (err instanceof EmulatorSetupError) {
        process.stderr.write(`npm start: ${err.message}\n`);
        return 1;
      }
      if (err instanceof NetworkFileError) {
        process.stderr.write(`npm start: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
    if (stopping) return await done;
    out(
      `  emulator ${stack.emulator.host}, fake GCS ${stack.gcs.url}, fake Compute ${stack.compute.url}, ` +
        `validator ${stack.validatorUrl}, applier ${stack.applierUrl}`,
    );
    for (const ref of stack.policies) out(`  firewall policy ${policyRefPath(stack.hostProject, ref)}`);
    writeFileSync(envFile, renderCliEnv(cliEnv(stack), rel(envFile)));
    out(
      `  CLI against this stack: set -a; . ${rel(envFile)}; set +a   (then e.g. egress drift, egress explain P HOST)`,
    );
    out();

    const t0 = performance.now();
    const first = await untilStopped(syncAndWait(stack, args.manifests, args.timeoutMs));
    if (!first) return await done;
    // Level-triggered: the firewall compared with the bucket's manifests (the one agreement), repaired through the
    // pipeline where they disagree (a wiped or edited firewall), before anything is called converged.
    const level = await untilStopped(agreeAndRepair(stack, args.timeoutMs));
    if (!level) return await done;
    printRound(stack, first, true, level.run);
    if (level.repaired.length)
      out(
        `\nRepaired through the pipeline (the firewall disagreed with the bucket): ${level.repaired.map((r) => `${r.project} (${r.reason})`).join(', ')}`,
      );
    const disagree = disagreements(level.run);
    if (disagree.length) out(`\nNot converged: the firewall disagrees with the manifests:\n  ${disagree.join('\n  ')}`);
    else out(`\nConverged in ${((performance.now() - t0) / 1000).toFixed(1)} s.`);
    const stale = orphans(stack, first);
    if (stale.length)
      out(
        `\nnote: ${rel(stateFileIn(args.stateDir))} still has rules of ${stale.join(', ')} from an earlier run ` +
          '(no manifest here); start with --fresh to begin with an empty firewall.',
      );
    const ok = first.outcomes.every(converged) && !disagree.length;
    if (args.once) {
      if (!ok) process.stderr.write('\nnpm start: some changes did not converge (see .local/logs/*.log)\n');
      await stack.stop();
      return ok ? 0 : 1;
    }

    const known = knownFiles(args.manifests, stack.prefix);
    const guard = {
      max: loadPolicyFile(args.policyFile ?? '').safety.maxRevocationsPerRun,
      allow: args.allowRevocations,
      where: rel(args.manifests),
    };
    watcher = watchFolder(args.manifests, async () => {
      if (!stack || stopping) return;
      try {
        const round = await watchRound(stack, args.manifests, known, guard, args.timeoutMs);
        if (round.refused !== undefined) out(`[${time()}] ${round.refused}`);
        else if (round.outcomes.length) printRound(stack, round, false, await fleetAgreement(stack), round.renames);
      } catch (err) {
        const msg = err instanceof SyncInputError || err instanceof ManifestDirError ? err.message : String(err);
        out(`[${time()}] ${msg}`);
      }
    });
    // Printed once the watchers are in place: an edit from now on is seen.
    out(`\nWatching ${rel(args.manifests)} for changes (Ctrl-C to stop)…`);
    return await done;
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
    clearInterval(orphanWatch);
    watcher?.close();
    await stopping;
    await stack?.stop();
    rmSync(envFile, { force: true });
    lock.release();
  }
}

/** A folder watcher; `close()` stops every underlying watcher and the pending debounce. */
export interface FolderWatcher {
  close(): void;
}

/**
 * Calls `onChange` after the folder changed (debounced: an editor's save is several events), never twice at once:
 * changes during a round trigger one more round after it. One plain (inotify) watcher per folder, re-scanned after
 * each round: Node 20's `recursive` option on Linux sets its watchers up asynchronously and can miss an early edit.
 */
export function watchFolder(dir: string, onChange: () => Promise<void>, debounceMs = 80): FolderWatcher {
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  let closed = false;
  const watchers = new Map<string, FSWatcher>();
  const trigger = () => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void run(), debounceMs);
  };
  const rescan = () => {
    const now = new Set(manifestFolders(dir));
    for (const [d, w] of watchers)
      if (!now.has(d)) {
        w.close();
        watchers.delete(d);
      }
    for (const d of now)
      if (!watchers.has(d)) {
        try {
          const w = watch(d, trigger);
          w.on('error', () => undefined);
          watchers.set(d, w);
        } catch {
          // Vanished between the scan and the watch: the next rescan settles it.
        }
      }
  };
  const run = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await onChange();
        if (!closed) rescan();
      } while (again && !closed);
    } finally {
      running = false;
    }
  };
  rescan();
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}

if (require.main === module) {
  let args: LocalPipelineArgs;
  try {
    args = parseLocalPipelineArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`npm start: ${(err as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  runLocalPipeline(args).then(
    (code) => process.exit(code),
    (err: unknown) => {
      // One line, as every egress command (shared/cli/errors.ts); the stack trace only with --verbose.
      process.stderr.write(`npm start: ${describeFailure(err)}\n`);
      if (args.verbose) process.stderr.write(`${failureDetail(err)}\n`);
      process.exit(1);
    },
  );
}
