/**
 * `npm start` (local/program/start.ts) as a user runs it: a separate process with the functions as its own child
 * processes (here from the TypeScript sources through the swc require hook; `npm start` runs the same code from
 * dist/). It reuses the e2e emulator through PUBSUB_EMULATOR_HOST, so only the functions and fakes start here.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMarker } from '../../shared/core/firewall/marker';
import { runCli } from '../support/cli';
import { eventually } from '../support/eventually';

jest.setTimeout(60_000);

const ROOT = join(__dirname, '../..');
const SCRIPT = join(ROOT, 'local/program/start.ts');
const REGISTER = join(ROOT, 'local/harness/registerTs.js');

/** A running script with its output so far and a way to wait for a line (no fixed sleeps). */
interface Run {
  child: ChildProcess;
  output(): string;
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Every script started by a test; afterEach stops those a failed test left running (and their children). */
const started: Run[] = [];

/**
 * Runs the script with `args`; `via` puts a parent between the test and the program as `npm start` does: `shell`
 * (sh -c 'true && node …', the shell npm runs a script in, which stays the program's parent) or `npm` (npm running
 * the repository's own start script, its build step left out).
 */
function run(args: string[], env: NodeJS.ProcessEnv = process.env, via?: 'shell' | 'npm'): Run {
  const program = [process.execPath, '-r', REGISTER, SCRIPT, ...args];
  const child =
    via === 'shell'
      ? spawn('sh', ['-c', 'true && "$0" "$@"', ...program], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
      : via === 'npm'
        ? spawn('npm', ['run', '--silent', 'start', '--', ...args], {
            cwd: npmProject(),
            env,
            stdio: ['ignore', 'pipe', 'pipe'],
          })
        : spawn(program[0]!, program.slice(1), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (b: Buffer) => {
    text += b.toString();
    for (const l of [...listeners]) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const r: Run = {
    child,
    output: () => text,
    exit,
    waitFor(re, timeoutMs = 40_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(text);
          if (m) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no output matching ${re} within ${timeoutMs} ms; output:\n${text}`));
        }, timeoutMs);
        listeners.add(check);
        void exit.then(() => setImmediate(check));
        check();
      });
    },
  };
  started.push(r);
  return r;
}

/**
 * A project folder whose `start` script is the repository's own, with the build step left out and the program run
 * from the TypeScript sources: npm starts it the way `npm start` does (a shell running the script).
 */
function npmProject(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const start = pkg.scripts.start
    .replace('npm run build && ', 'true && ')
    .replace('node dist/local/program/start.js', `'${process.execPath}' -r '${REGISTER}' '${SCRIPT}'`);
  expect(start).not.toBe(pkg.scripts.start);
  const dir = join(work, 'npm-project');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'start-under-npm', private: true, scripts: { start } }),
  );
  return dir;
}

/** True while a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Function hosts still running that belong to a script run under `stateDir` (their stdout is its log file), so a
 * concurrent run elsewhere on the machine does not count. The script must leave none.
 */
function functionHosts(stateDir: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.includes('local/program/functionHost'))
    .filter((l) => {
      try {
        return readlinkSync(`/proc/${l.split(' ')[0]}/fd/1`).startsWith(stateDir);
      } catch {
        return false; // gone meanwhile, or not ours to inspect
      }
    });
}

const VALID = `apiVersion: lowops.manifests.v1
kind: Project
metadata:
  name: checkout
  environment: production
spec:
  allowedEgress:
    - "api.stripe.com" # Payment processor API
`;
const INVALID = `apiVersion: lowops.manifests.v1
kind: Project
metadata:
  name: broken-feed
  environment: production
spec:
  allowedEgress:
    - "https://feed.partner-data.io/v1" # URL instead of host
`;

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'egress-local-'));
});
afterEach(async () => {
  // SIGINT is the script's own clean stop (its function hosts go with it); SIGKILL if that hangs.
  for (const r of started.splice(0)) {
    if (r.child.exitCode !== null || r.child.signalCode !== null) continue;
    r.child.kill('SIGINT');
    const killer = setTimeout(() => r.child.kill('SIGKILL'), 10_000);
    await r.exit;
    clearTimeout(killer);
  }
  rmSync(work, { recursive: true, force: true });
});

it('--help prints the usage and exits 0', async () => {
  const r = run(['--help']);
  expect(await r.exit).toEqual({ code: 0, signal: null });
  expect(r.output()).toMatch(/--manifests DIR/);
  expect(r.output()).toMatch(/--once/);
});

it('--network FILE that cannot be used: FILE:LINE problems with hints, exit 2, nothing started', async () => {
  const file = join(work, 'net.yaml');
  writeFileSync(file, 'subnets:\n  - name: ledger-usc1\n    region: us-central1\n    ipCidrRange: 10.1.0.1/24\n');
  const r = run(['--once', '--network', file, '--state-dir', join(work, 'state')]);
  expect(await r.exit).toEqual({ code: 2, signal: null });
  expect(r.output()).toMatch(
    /net\.yaml:4: subnet ledger-usc1: ipCidrRange `10\.1\.0\.1\/24` has host bits set .*\(hint: /,
  );
  expect(r.output()).not.toMatch(/^\s+at /m);
  expect(functionHosts(join(work, 'state'))).toEqual([]);
});

it('without Java it says what to install and exits 1', async () => {
  const { PUBSUB_EMULATOR_HOST: _reuse, ...env } = process.env;
  const r = run(['--once', '--state-dir', join(work, 'state')], { ...env, PATH: join(work, 'no-bin') });
  expect(await r.exit).toEqual({ code: 1, signal: null });
  expect(r.output()).toMatch(/the Pub\/Sub emulator needs Java; install a Java runtime/);
});

it('converges, prints rules and rejections, shows an edit, and stops every child on SIGINT', async () => {
  const dir = join(work, 'manifests');
  mkdirSync(dir);
  cpSync(join(ROOT, 'examples/manifests/payment-gateway.yaml'), join(dir, 'payment-gateway.yaml'));
  writeFileSync(join(dir, 'checkout.yaml'), VALID);
  writeFileSync(join(dir, 'broken-feed.yaml'), INVALID);
  const r = run(['--manifests', dir, '--state-dir', join(work, 'state')]);

  await r.waitFor(/Watching .* for changes/);
  const out = r.output();
  expect(out).toMatch(/checkout\s+egress-checkout-fqdn-1\s+\d+\s+sources 10\.16\.0\.0\/24\s+1 fqdn: api\.stripe\.com/);
  expect(out).toMatch(
    /payment-gateway\s+egress-payment-gateway-fqdn-1\s+\d+\s+sources 10\.10\.0\.0\/24, 10\.64\.0\.0\/14, 10\.68\.0\.0\/20\s+3 fqdns: api\.stripe\.com/,
  );
  expect(out).toMatch(/broken-feed\s+-\s+-\s+-\s+manifest REJECTED/);
  expect(out).toMatch(/broken-feed\.yaml:8:7: error ENTRY_URL /);
  // Function logs go to files, not the terminal.
  expect(out).not.toMatch(/"severity"/);
  expect(readFileSync(join(work, 'state/logs/applier.log'), 'utf8')).toMatch(/"message":"applied"/);

  // An edit: its effect is printed (rows of the touched project only).
  writeFileSync(
    join(dir, 'checkout.yaml'),
    VALID.replace('    - "api.stripe.com"', '    - "api.adyen.com"\n    - "api.stripe.com"'),
  );
  await r.waitFor(
    /checkout\.yaml: applied \(\+0 ~1 -0 =0\)\n\nPROJECT.*\ncheckout\s+egress-checkout-fqdn-1\s+\d+\s+sources 10\.16\.0\.0\/24\s+2 fqdns: api\.adyen\.com, api\.stripe\.com/,
  );

  // A rename .yaml -> .yml: the new object applies, the deletion of the old one revokes nothing and says so (no
  // "no outcome yet" wait), and the rules stay.
  renameSync(join(dir, 'checkout.yaml'), join(dir, 'checkout.yml'));
  await r.waitFor(/checkout\.yaml: skipped \(the project still has a live manifest manifests\/checkout\.yml/);
  expect(r.output()).toMatch(/checkout\.yml: applied/);
  expect(r.output()).not.toMatch(/checkout\.yaml: deleted, rules revoked/);

  // A removed file revokes the project's rules.
  rmSync(join(dir, 'payment-gateway.yaml'));
  await r.waitFor(/payment-gateway\.yaml: deleted, rules revoked/);

  // The detection works: both function hosts of this run are seen while it runs.
  expect(functionHosts(work)).toHaveLength(2);
  r.child.kill('SIGINT');
  expect(await r.exit).toEqual({ code: 130, signal: null });
  expect(r.output()).toMatch(/stopped: emulator, fakes and functions are down/);
  expect(functionHosts(work)).toEqual([]);
  // The firewall state persisted for the next run (and for `egress plan --state`).
  const state = JSON.parse(readFileSync(join(work, 'state/compute.json'), 'utf8')) as {
    policies: { rules: { ruleName?: string }[] }[];
  };
  expect(state.policies[0]!.rules.map((x) => x.ruleName)).toContain('egress-checkout-fqdn-1');
});

it('the watcher: a rename to another key is one change, a rule-less deletion revokes nothing, an emptied folder is refused (issue 19, items 3 and 10)', async () => {
  const dir = join(work, 'manifests');
  mkdirSync(dir);
  cpSync(join(ROOT, 'examples/manifests/payment-gateway.yaml'), join(dir, 'payment-gateway.yaml'));
  writeFileSync(join(dir, 'checkout.yaml'), VALID);
  writeFileSync(join(dir, 'broken-feed.yaml'), INVALID);
  const r = run(['--manifests', dir, '--state-dir', join(work, 'state')]);
  await r.waitFor(/Watching .* for changes/);

  // A rename to another key: one line saying what it is, never "REJECTED" and "deleted, rules revoked" apart.
  renameSync(join(dir, 'checkout.yaml'), join(dir, 'checkout-v2.yaml'));
  const renamed = await r.waitFor(/\n {2}(\S*)checkout\.yaml renamed to \S*checkout-v2\.yaml: ([^\n]*)\n/);
  expect(renamed[1]).toMatch(/manifests\/$/); // the local file, not the object name
  expect(renamed[2]).toMatch(
    /^a file's name is its project key, so checkout-v2 is a new project, not checkout renamed\./,
  );
  expect(renamed[2]).toMatch(/checkout-v2 \(\S+\): REJECTED \(1 error\), firewall left as it was\./);
  expect(renamed[2]).toMatch(/checkout \(\S+\): deleted, rules revoked/);
  expect(r.output()).not.toMatch(/\n {2}\S*checkout-v2\.yaml: REJECTED/);

  // A manifest that never had rules: no tombstone, "nothing to revoke", under its file path.
  rmSync(join(dir, 'broken-feed.yaml'));
  await r.waitFor(/\n {2}\S*manifests\/broken-feed\.yaml: deleted, nothing to revoke \(broken-feed never had rules/);

  // Deleting every file: refused by the blast-radius guard, saying how to allow; nothing deleted in the bucket.
  rmSync(join(dir, 'payment-gateway.yaml'));
  rmSync(join(dir, 'checkout-v2.yaml'));
  await r.waitFor(
    /npm start \(watching the folder\) refused: \S+ holds no manifests any more[^\n]*--allow-revocations 1/,
  );
  r.child.kill('SIGINT');
  expect(await r.exit).toEqual({ code: 130, signal: null });
  const state = JSON.parse(readFileSync(join(work, 'state/compute.json'), 'utf8')) as {
    policies: { rules: { ruleName?: string; description?: string }[] }[];
  };
  const rules = state.policies.flatMap((p) => p.rules);
  expect(rules.map((x) => x.ruleName)).toContain('egress-payment-gateway-fqdn-1');
  // broken-feed never had rules: its deletion wrote nothing, no tombstone either.
  expect(rules.filter((x) => parseMarker(x.description)?.project === 'broken-feed')).toEqual([]);
});

it('--once exits 0 after convergence, and a second run on the saved state uploads and writes nothing', async () => {
  const dir = join(work, 'manifests');
  mkdirSync(dir);
  cpSync(join(ROOT, 'examples/manifests/fraud-scoring.yaml'), join(dir, 'fraud-scoring.yaml'));
  const args = ['--once', '--manifests', dir, '--state-dir', join(work, 'state')];
  const first = run(args);
  expect(await first.exit).toEqual({ code: 0, signal: null });
  expect(first.output()).toMatch(/fraud-scoring\.yaml: applied \(\+1 ~0 -0 =0\)/);
  // `egress capacity --state` reads the state file `npm start` leaves (docs/capacity.md).
  const capacity = await runCli('capacity', '--state', join(work, 'state', 'compute.json'), '--format', 'json');
  expect(capacity.code).toBe(0);
  const report = JSON.parse(capacity.out) as {
    policies: { rules: number; projects: number; attributes: { used: number } }[];
  };
  expect(report.policies).toHaveLength(1);
  expect(report.policies[0]).toMatchObject({ projects: 1, attributes: { limit: 2000 }, fqdns: { limit: 1000 } });
  // The four default rules (8) and the local baseline (terraform's) come before the project's own rule.
  expect(report.policies[0]!.attributes.used).toBeGreaterThan(12);
  const stateBefore = readFileSync(join(work, 'state/compute.json'), 'utf8');
  const second = run(args);
  expect(await second.exit).toEqual({ code: 0, signal: null });
  // The bucket persisted: the unchanged file is not uploaded again, so nothing is re-applied or re-stamped.
  expect(second.output()).toMatch(/Uploaded 0 manifest\(s\) .*\(1 unchanged since the last run/);
  expect(second.output()).not.toMatch(/applied \(/);
  expect(second.output()).toMatch(/fraud-scoring\s+egress-fraud-scoring-fqdn-1/);
  expect(second.output()).not.toMatch(/still has rules of fraud-scoring/);
  expect(readFileSync(join(work, 'state/compute.json'), 'utf8')).toBe(stateBefore);
  expect(functionHosts(work)).toEqual([]);
});

/** `egress ARGS` in a shell that sourced cli.env the documented way; no Google credentials, no other EGRESS_*. */
function egressWithEnvFile(envFile: string, cwd: string, ...args: string[]) {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(EGRESS_|GOOGLE_|GCLOUD_|STORAGE_EMULATOR|PUBSUB_EMULATOR|METADATA_SERVER)/.test(k)) env[k] = v;
  env.HOME = cwd;
  const cli = `require(${JSON.stringify(join(ROOT, 'shared/cli/main.ts'))}).main(['node', ...process.argv.slice(1)]).then((c) => { process.exitCode = c; })`;
  const quoted = ['egress', ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const script = `set -a; . '${envFile}'; set +a; exec '${process.execPath}' -r '${REGISTER}' -e "$CLI" ${quoted}`;
  const r = spawnSync('sh', ['-c', script], { cwd, env: { ...env, CLI: cli }, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

it('writes <state-dir>/cli.env: sourced, every egress command talks to the running stack; removed on stop', async () => {
  const dir = join(work, 'manifests');
  mkdirSync(dir);
  writeFileSync(join(dir, 'checkout.yaml'), VALID);
  const r = run(['--manifests', dir, '--state-dir', join(work, 'state')]);
  await r.waitFor(/Watching .* for changes/);
  expect(r.output()).toMatch(/set -a; \. .*cli\.env; set \+a/);
  const envFile = join(work, 'state/cli.env');
  const lines = readFileSync(envFile, 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));
  expect(lines.every((l) => /^[A-Z_]+=\S*$/.test(l))).toBe(true);
  const vars = Object.fromEntries(lines.map((l) => l.split(/=(.*)/s).slice(0, 2)));
  expect(Object.keys(vars)).toEqual(
    expect.arrayContaining([
      'STORAGE_EMULATOR_HOST',
      'PUBSUB_EMULATOR_HOST',
      'EGRESS_COMPUTE_ENDPOINT',
      'EGRESS_LOGGING_ENDPOINT',
      'EGRESS_MANIFEST_BUCKET',
      'EGRESS_MANIFEST_PREFIX',
      'EGRESS_HOST_PROJECT',
      'EGRESS_FIREWALL_POLICY',
      'EGRESS_NETWORK',
      'EGRESS_PUBSUB_PROJECT',
      'EGRESS_CHANGES_TOPIC',
      'EGRESS_STATUS_TOPIC',
      'EGRESS_STATE_FILE',
      'EGRESS_DNS_TABLE',
    ]),
  );
  expect(vars.EGRESS_STATE_FILE).toBe(join(work, 'state/compute.json'));
  expect(vars.EGRESS_NETWORK).toBe('shared-vpc');

  // drift reads the fake bucket and the fake Compute: clean.
  const drift = egressWithEnvFile(envFile, work, 'drift', '--format', 'json');
  expect({ code: drift.code, err: drift.err }).toEqual({ code: 0, err: expect.any(String) });
  expect(drift.err).not.toMatch(/^\s+at /m);
  // explain: the manifest from the bucket, the firewall from the state file (the default), then --live.
  for (const extra of [[], ['--live']]) {
    const ex = egressWithEnvFile(envFile, work, 'explain', 'checkout', 'api.stripe.com', '--format', 'json', ...extra);
    expect({ code: ex.code, err: ex.err }).toEqual({ code: 0, err: '' });
    expect(JSON.parse(ex.out)).toMatchObject({ allowed: true });
  }
  // status: the live rules, their generation, in sync with the bucket's manifest, the last status event `applied`.
  const st = egressWithEnvFile(envFile, work, 'status', 'checkout', '--format', 'json');
  expect({ code: st.code, err: st.err }).toEqual({ code: 0, err: '' });
  const status = JSON.parse(st.out);
  expect(status).toMatchObject({
    project: 'checkout',
    agreement: 'in-sync',
    rules: [expect.objectContaining({ ruleName: 'egress-checkout-fqdn-1', destinations: ['api.stripe.com'] })],
    lastStatus: { event: { data: { outcome: 'applied', project: 'checkout' } } },
  });
  expect(status.rules[0].generation).toBe(status.manifest.generation);
  // Read-only: a second look sees the same event.
  const again = JSON.parse(egressWithEnvFile(envFile, work, 'status', 'checkout', '--format', 'json').out);
  expect(again.lastStatus.event.id).toBe(status.lastStatus.event.id);
  // plan against the state file named in cli.env: nothing to change.
  const plan = egressWithEnvFile(envFile, work, 'plan', dir, '--detailed-exitcode');
  expect({ code: plan.code, err: plan.err }).toEqual({ code: 0, err: '' });

  // SIGTERM (a service manager's stop): the same clean stop, exit 143, cli.env removed.
  r.child.kill('SIGTERM');
  expect(await r.exit).toEqual({ code: 143, signal: null });
  expect(existsSync(envFile)).toBe(false);
  expect(functionHosts(work)).toEqual([]);
}, 120_000);

it('SIGHUP stops every child, its own emulator too (exit 129); meanwhile a second start on the state dir is refused and leaves cli.env alone', async () => {
  const dir = join(work, 'manifests');
  mkdirSync(dir);
  writeFileSync(join(dir, 'checkout.yaml'), VALID);
  const state = join(work, 'state');
  // No PUBSUB_EMULATOR_HOST: the script starts (and must stop) its own emulator.
  const { PUBSUB_EMULATOR_HOST: _reuse, ...env } = process.env;
  const r = run(['--manifests', dir, '--state-dir', state, '--verbose'], env);
  const emulatorPid = Number((await r.waitFor(/Pub\/Sub emulator on \S+ \(pid (\d+)\)/))[1]);
  await r.waitFor(/Watching .* for changes/, 100_000);
  const envFile = join(state, 'cli.env');
  expect(JSON.parse(readFileSync(join(state, 'start.lock'), 'utf8'))).toMatchObject({ pid: r.child.pid });

  const second = run(['--once', '--manifests', dir, '--state-dir', state]);
  expect(await second.exit).toEqual({ code: 1, signal: null });
  expect(second.output()).toMatch(
    new RegExp(`^npm start: another npm start \\(pid ${r.child.pid}\\) is running on this state dir`, 'm'),
  );
  expect(existsSync(envFile)).toBe(true);

  expect(functionHosts(work)).toHaveLength(2);
  expect(alive(emulatorPid)).toBe(true);
  r.child.kill('SIGHUP');
  expect(await r.exit).toEqual({ code: 129, signal: null });
  expect(functionHosts(work)).toEqual([]);
  await eventually('the emulator to be gone', () => !alive(emulatorPid));
  expect(existsSync(envFile)).toBe(false);
  expect(existsSync(join(state, 'start.lock'))).toBe(false);
}, 200_000);

it('when the shell npm runs it in is killed, the program stops every child; a stale lock (dead pid) is taken over', async () => {
  const dir = join(work, 'manifests');
  mkdirSync(dir);
  writeFileSync(join(dir, 'checkout.yaml'), VALID);
  const state = join(work, 'state');
  mkdirSync(state);
  // The lock of an owner killed with SIGKILL: its pid no longer runs.
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  writeFileSync(join(state, 'start.lock'), JSON.stringify({ pid: dead }));
  const r = run(['--manifests', dir, '--state-dir', state, '--verbose'], process.env, 'shell');
  await r.waitFor(/Watching .* for changes/, 100_000);
  expect(r.output()).toContain(`took over the lock of pid ${dead}, which is gone`);
  const program = (JSON.parse(readFileSync(join(state, 'start.lock'), 'utf8')) as { pid: number }).pid;
  expect(program).not.toBe(r.child.pid);
  expect(functionHosts(work)).toHaveLength(2);

  // npm killed with SIGTERM kills its shell: the program, re-parented, must not run on.
  r.child.kill('SIGTERM');
  await r.waitFor(/gone: stopping the local pipeline…\n[\s\S]*stopped: emulator, fakes and functions are down/);
  await eventually('the program to exit', () => !alive(program));
  expect(functionHosts(work)).toEqual([]);
  expect(existsSync(join(state, 'cli.env'))).toBe(false);
  expect(existsSync(join(state, 'start.lock'))).toBe(false);
}, 200_000);

it('SIGINT to npm (npm start): npm passes it to the program, which stops every child (exit 130)', async () => {
  const dir = join(work, 'manifests');
  mkdirSync(dir);
  writeFileSync(join(dir, 'checkout.yaml'), VALID);
  const state = join(work, 'state');
  const r = run(['--manifests', dir, '--state-dir', state], process.env, 'npm');
  await r.waitFor(/Watching .* for changes/, 100_000);
  const program = (JSON.parse(readFileSync(join(state, 'start.lock'), 'utf8')) as { pid: number }).pid;
  expect(functionHosts(work)).toHaveLength(2);
  r.child.kill('SIGINT');
  await r.waitFor(/SIGINT: stopping the local pipeline…\n[\s\S]*stopped: emulator, fakes and functions are down/);
  expect((await r.exit).code).toBe(130);
  expect(alive(program)).toBe(false);
  expect(functionHosts(work)).toEqual([]);
  expect(existsSync(join(state, 'cli.env'))).toBe(false);
}, 200_000);

it('--policy: a missing or invalid file gives the lines of `egress validate --policy`, no stack trace (exit 2)', async () => {
  const bad = join(work, 'policy.yaml');
  writeFileSync(bad, 'capacity:\n  attributesPerPolicy: -3\n');
  for (const [file, line] of [
    ['/nonexistent.yaml', /^npm start: cannot read platform policy file \/nonexistent\.yaml: ENOENT/m],
    [bad, new RegExp(`^${bad}:2:24: VALUE_OUT_OF_RANGE \`capacity.attributesPerPolicy\` is -3`, 'm')],
  ] as const) {
    const r = run(['--once', '--policy', file, '--state-dir', join(work, 'state')]);
    expect(await r.exit).toEqual({ code: 2, signal: null });
    expect(r.output()).toMatch(line);
    const cli = await runCli('validate', '--policy', file, join(ROOT, 'examples/manifests/payment-gateway.yaml'));
    // The same message as egress validate (its `error: ` prefix for npm start's `npm start: `).
    expect(r.output().replace(/^npm start: /, '')).toBe(cli.err.replace(/^error: /, ''));
    expect(r.output()).not.toMatch(/^\s+at /m);
  }
});
