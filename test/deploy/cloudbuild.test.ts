/**
 * cloudbuild.yaml: parsed with `yaml`, then each step's script is run with bash the way Cloud Build runs it
 * (substitutions as environment variables, `env:` entries expanded) against fake `npx`/`npm`/`gcloud`/`python3`
 * that record their calls. So the tests assert what each flow does, not only what the file says.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected values are Cloud Build / Terraform substitutions
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadTerraform } from './hcl';

const ROOT = join(__dirname, '..', '..');

interface Step {
  id: string;
  name: string;
  script?: string;
  args?: string[];
  env?: string[];
}

interface BuildConfig {
  substitutions: Record<string, string>;
  steps: Step[];
  artifacts?: { objects?: { location: string; paths: string[] } };
  options?: Record<string, unknown>;
}

const config = parse(readFileSync(join(ROOT, 'cloudbuild.yaml'), 'utf8')) as BuildConfig;

/** What the Terraform triggers set (values as a deployment would resolve them). */
const TRIGGER = {
  _BUCKET: 'acme-egress-manifests',
  _PREFIX: 'manifests/',
  _PUBSUB_PROJECT: 'acme-egress',
  _HOST_PROJECT: 'acme-net-host',
  _FIREWALL_POLICY: 'egress-zero-trust',
  _POLICY_FILE: '',
  _ARTIFACTS_BUCKET: 'acme-egress-manifests-ci',
  _PR_COMMENT_SECRET: '',
};

/** Fake tools: each appends `name args…` to $CALLS; `npx egress plan` prints a markdown plan like the CLI. */
const FAKES: Record<string, string> = {
  npx: `echo "npx $*" >> "$CALLS"
if [ "$1 $2" = "egress plan" ]; then
  echo "## egress plan"; echo "host=$EGRESS_HOST_PROJECT policy=$EGRESS_FIREWALL_POLICY file=$EGRESS_POLICY_FILE"
fi`,
  npm: 'echo "npm $*" >> "$CALLS"',
  'apt-get': 'echo "apt-get $*" >> "$CALLS"',
  gcloud: `echo "gcloud $*" >> "$CALLS"
echo "token-from-secret-manager"`,
  python3: `echo "python3 $* token=$GITHUB_TOKEN pr=$_PR_NUMBER repo=$REPO_FULL_NAME" >> "$CALLS"
cat > "$CALLS.python"`,
};

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  calls: string[];
  workspace: string;
}

let sandbox: string;

beforeAll(() => {
  sandbox = mkdtempSync(join(tmpdir(), 'egress-cloudbuild-'));
  const bin = join(sandbox, 'bin');
  mkdirSync(bin);
  for (const [name, body] of Object.entries(FAKES)) {
    writeFileSync(join(bin, name), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
});

afterAll(() => {
  rmSync(sandbox, { recursive: true, force: true });
});

function step(id: string): Step {
  const s = config.steps.find((x) => x.id === id);
  if (!s) throw new Error(`cloudbuild.yaml: no step with id "${id}"`);
  return s;
}

/** Cloud Build substitution in `env:` values: `$_X` and `${_X}`. */
function substitute(text: string, subs: Record<string, string>): string {
  return text.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (m, a: string | undefined, b: string | undefined) => subs[a ?? b ?? ''] ?? m,
  );
}

/** Runs the steps in order in one workspace (like /workspace), stopping at the first failure. */
function runFlow(ids: string[], overrides: Record<string, string>, extraBin?: string): Run {
  const workspace = mkdtempSync(join(sandbox, 'ws-'));
  const calls = join(workspace, '.calls');
  writeFileSync(calls, '');
  const subs: Record<string, string> = {
    ...config.substitutions,
    ...TRIGGER,
    PROJECT_ID: 'acme-egress',
    BUILD_ID: 'b-1',
    ...overrides,
  };
  let last = { status: 0 as number | null, stdout: '', stderr: '' };
  for (const id of ids) {
    const s = step(id);
    const stepEnv = Object.fromEntries(
      (s.env ?? []).map((e) => {
        const i = e.indexOf('=');
        return [e.slice(0, i), substitute(e.slice(i + 1), subs)];
      }),
    );
    const script = join(workspace, `.step-${id}.sh`);
    writeFileSync(script, s.script ?? '');
    const r = spawnSync('bash', [script], {
      cwd: workspace,
      encoding: 'utf8',
      env: {
        PATH: `${extraBin ? `${extraBin}:` : ''}${join(sandbox, 'bin')}:/usr/bin:/bin`,
        CALLS: calls,
        ...subs,
        ...stepEnv,
      },
    });
    last = { status: r.status, stdout: last.stdout + r.stdout, stderr: last.stderr + r.stderr };
    if (r.status !== 0) break;
  }
  const recorded = readFileSync(calls, 'utf8').split('\n').filter(Boolean);
  return { ...last, calls: recorded, workspace };
}

const ALL_BUT_TEST = ['preflight', 'install', 'validate', 'plan', 'pr-comment', 'sync'];

describe('cloudbuild.yaml structure', () => {
  test('every step runs a script in an image pinned by digest or exact version', () => {
    expect(config.steps.length).toBeGreaterThanOrEqual(5);
    for (const s of config.steps) {
      const pinned = /@sha256:[0-9a-f]{64}$/.test(s.name) || /:\d+\.\d+\.\d+(-[a-z0-9.-]+)?$/.test(s.name);
      expect({ step: s.id, image: s.name, pinned }).toEqual({ step: s.id, image: s.name, pinned: true });
      expect({ step: s.id, shebang: (s.script ?? '').startsWith('#!/usr/bin/env bash\nset -euo pipefail') }).toEqual({
        step: s.id,
        shebang: true,
      });
    }
  });

  test('Node steps run the exact Node of .nvmrc (the version npm test and the functions run on)', () => {
    const version = readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim();
    const nodeSteps = config.steps.filter((x) => x.name.startsWith('node:'));
    expect(nodeSteps.length).toBeGreaterThanOrEqual(5);
    for (const s of nodeSteps)
      expect({ step: s.id, image: s.name }).toEqual({ step: s.id, image: `node:${version}-bookworm` });
  });

  test('plan.md is the build artifact; substitutions reach scripts; logs work with a user service account', () => {
    expect(config.artifacts?.objects?.paths).toEqual(['plan.md']);
    expect(config.artifacts?.objects?.location).toBe('gs://${_ARTIFACTS_BUCKET}/plans/${BUILD_ID}/');
    expect(config.options).toMatchObject({ automapSubstitutions: true, logging: 'CLOUD_LOGGING_ONLY' });
  });

  test('every substitution the Terraform triggers set is declared in cloudbuild.yaml, and both triggers run it', async () => {
    const tf = await loadTerraform(join(ROOT, 'terraform'));
    const fromTf = Object.keys(tf.locals.ci_substitutions as Record<string, string>).concat('_FLOW');
    const declared = Object.keys(config.substitutions);
    for (const key of fromTf) expect({ key, declared: declared.includes(key) }).toEqual({ key, declared: true });
    const flows = ['pull_request', 'main'].map((n) =>
      String(tf.resource.google_cloudbuild_trigger?.[n]?.[0]?.filename),
    );
    expect(flows).toEqual(['cloudbuild.yaml', 'cloudbuild.yaml']);
  });
});

describe('pull request flow (_FLOW=pr)', () => {
  test('installs, validates and writes the live markdown plan to plan.md; never syncs', () => {
    const r = runFlow(ALL_BUT_TEST, { _FLOW: 'pr' });
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([
      'npm ci --no-audit --no-fund',
      'npx egress validate manifests/',
      'npx egress plan --live --format markdown manifests/',
    ]);
    expect(readFileSync(join(r.workspace, 'plan.md'), 'utf8')).toBe(
      '## egress plan\nhost=acme-net-host policy=egress-zero-trust file=\n',
    );
    expect(r.stdout).toContain('sync: skipped on pr');
  });

  test('the test step runs `npm test` (with the emulator installed) on pull requests only', () => {
    const script = step('test').script ?? '';
    expect(script).toMatch(/\n\s*METADATA_SERVER_DETECTION=none npm test\n/);
    expect(script).toContain('google-cloud-cli-pubsub-emulator=${GCLOUD_VERSION}-0');
    const onMain = runFlow(['test'], { _FLOW: 'main' });
    expect(onMain).toMatchObject({ status: 0, calls: [] });
  });

  test('a platform policy file is passed to validate and to plan', () => {
    const r = runFlow(['validate', 'plan'], { _FLOW: 'pr', _POLICY_FILE: 'policy/platform.yaml' });
    expect(r.calls[0]).toBe('npx egress validate --policy policy/platform.yaml manifests/');
    expect(readFileSync(join(r.workspace, 'plan.md'), 'utf8')).toContain('file=policy/platform.yaml');
  });

  test('posts the plan as a PR comment with the token from Secret Manager when a secret is configured', () => {
    const r = runFlow(['plan', 'pr-comment'], {
      _FLOW: 'pr',
      _PR_COMMENT_SECRET: 'github-token',
      _PR_NUMBER: '42',
      REPO_FULL_NAME: 'acme/egress',
    });
    expect(r.status).toBe(0);
    expect(r.calls).toContain('gcloud secrets versions access latest --secret github-token --project acme-egress');
    expect(r.calls).toContain('python3 - token=token-from-secret-manager pr=42 repo=acme/egress');
    const program = readFileSync(join(r.workspace, '.calls.python'), 'utf8');
    expect(program).toContain('https://api.github.com/repos/%s/issues/%s/comments');
    expect(program).toContain('open("plan.md"');
  });

  test('does not touch Secret Manager when no secret is configured', () => {
    const r = runFlow(['pr-comment'], { _FLOW: 'pr', _PR_NUMBER: '42' });
    expect(r).toMatchObject({ status: 0, calls: [] });
  });
});

describe('merge flow (_FLOW=main)', () => {
  test('validates, plans for the audit trail, then syncs with --delete to gs://BUCKET/PREFIX', () => {
    const r = runFlow(ALL_BUT_TEST, { _FLOW: 'main' });
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([
      'npm ci --no-audit --no-fund',
      'npx egress validate manifests/',
      'npx egress plan --live --format markdown manifests/',
      'npx egress sync manifests/ gs://acme-egress-manifests/manifests/ --delete',
    ]);
  });

  test('with a platform policy file, validate and sync both use it (sync re-validates)', () => {
    const r = runFlow(ALL_BUT_TEST, { _FLOW: 'main', _POLICY_FILE: 'policy/platform.yaml' });
    expect(r.status).toBe(0);
    expect(r.calls).toContain('npx egress validate --policy policy/platform.yaml manifests/');
    expect(r.calls).toContain(
      'npx egress sync --policy policy/platform.yaml manifests/ gs://acme-egress-manifests/manifests/ --delete',
    );
  });

  test('an invalid manifest stops the build before sync', () => {
    const failing = join(sandbox, 'bin-failing-validate');
    mkdirSync(failing, { recursive: true });
    writeFileSync(join(failing, 'npx'), '#!/usr/bin/env bash\necho "npx $*" >> "$CALLS"\n[ "$2" != validate ]\n');
    chmodSync(join(failing, 'npx'), 0o755);
    const r = runFlow(ALL_BUT_TEST, { _FLOW: 'main' }, failing);
    expect(r.status).toBe(1);
    expect(r.calls).toEqual(['npm ci --no-audit --no-fund', 'npx egress validate manifests/']);
  });
});

describe('preflight', () => {
  test('refuses an unknown flow', () => {
    const r = runFlow(['preflight'], { _FLOW: 'release' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("_FLOW must be 'pr' or 'main', got 'release'");
  });

  test('names every empty substitution the trigger must set', () => {
    const r = runFlow(['preflight'], { _FLOW: 'main', _BUCKET: '', _FIREWALL_POLICY: '' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('empty substitution(s): _BUCKET _FIREWALL_POLICY');
  });
});
