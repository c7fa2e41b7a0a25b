/**
 * Every command the README and the docs show runs as they say, on the shipped examples against the local stack
 * (`npm start`'s stack, started the same way: startLocalStack, then the examples uploaded and applied), with the
 * stack's cli.env as the environment (`set -a; . .local/cli.env; set +a`). DOCUMENTED is the one list: each entry is
 * a line as a doc shows it, the exit code and the key output. The test fails when a doc no longer shows a listed
 * line, and when a `npx egress …` line in a code block of README.md or docs/*.md is not listed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { syncAndWait } from '../../local/program/converge';
import { converged } from '../../local/program/render';
import { cliEnv, type LocalStack, startLocalStack } from '../../local/program/stack';
import { type CliRun, runCli } from '../support/cli';
import { tempDir } from '../support/tempDir';

jest.setTimeout(240_000);

const ROOT = join(__dirname, '../..');

interface Documented {
  /** The file that shows the line. */
  doc: string;
  /** The line as the doc shows it (without its `# comment`); a `a && b` line runs each part and stops at a failure. */
  line: string;
  /** What runs when the doc's line is a synopsis (`DIR`, `gs://BUCKET`): the same command on the shipped examples. */
  run?: string;
  /** The exit code of the (last) command. */
  exit: number;
  /** The key output (stdout, then stderr). */
  out?: RegExp;
}

/** In the order a reader runs them: probe writes the log entries denials reads. */
const DOCUMENTED: Documented[] = [
  { doc: 'README.md', line: 'npx egress drift', exit: 0, out: /no drift/ },
  { doc: 'README.md', line: 'npx egress doctor', exit: 0, out: /^PASS baseline: [\s\S]* 0 failed$/m },
  { doc: 'docs/doctor.md', line: 'npx egress doctor', exit: 0, out: /^WARN enforcement-order: /m },
  {
    doc: 'README.md',
    line: 'npx egress explain payment-gateway api.stripe.com',
    exit: 0,
    out: /ALLOWED[\s\S]*api\.stripe\.com/,
  },
  {
    doc: 'README.md',
    line: 'npx egress explain payment-gateway api.stripe.com --live',
    exit: 0,
    out: /ALLOWED[\s\S]*api\.stripe\.com/,
  },
  { doc: 'README.md', line: 'npx egress plan examples/manifests', exit: 0, out: /no changes|unchanged/i },
  {
    doc: 'README.md',
    line: 'npx egress sync examples/manifests gs://egress-manifests',
    exit: 0,
    out: /gs:\/\/egress-manifests\/manifests\/: 0 uploaded, 5 unchanged, 0 deleted/,
  },
  { doc: 'README.md', line: 'npx egress probe payment-gateway api.newpartner.com', exit: 0, out: /DENIED/ },
  {
    doc: 'README.md',
    line: 'npx egress denials payment-gateway',
    exit: 0,
    out: /NOT_LISTED[\s\S]*api\.newpartner\.com/,
  },
  {
    doc: 'docs/local.md',
    line: 'npx egress drift && npx egress explain payment-gateway api.stripe.com && npx egress plan examples/manifests',
    exit: 0,
  },
  { doc: 'docs/operations.md', line: 'egress replay --all --restore', exit: 0 },
  { doc: 'docs/operations.md', line: 'egress replay --project payment-gateway --project data-pipeline', exit: 0 },
  {
    doc: 'docs/operations.md',
    line: '`egress sync DIR gs://BUCKET`',
    run: 'egress sync examples/manifests gs://egress-manifests',
    exit: 0,
    out: /0 uploaded, 5 unchanged/,
  },
  { doc: 'docs/manifest.md', line: '`npx egress validate examples/invalid`', exit: 1, out: /0 valid, 1 invalid/ },
  { doc: 'README.md', line: '`npx egress validate examples/invalid`', exit: 1, out: /INVALID_ENVIRONMENT/ },
];

/** The `npx egress …` lines of the code blocks of a Markdown text, without their comments. */
function codeBlockCommands(text: string): string[] {
  const out: string[] = [];
  let inBlock = false;
  for (const raw of text.split('\n')) {
    if (/^\s*```/.test(raw)) inBlock = !inBlock;
    else if (inBlock && /^\s*npx egress /.test(raw)) out.push(raw.replace(/\s+#.*$/, '').trim());
  }
  return out;
}

/** argv of one `npx egress …` / `egress …` command (words; the docs quote nothing here). */
const argvOf = (cmd: string) =>
  cmd
    .replace(/^`|`$/g, '')
    .trim()
    .replace(/^(npx )?egress /, '')
    .split(/\s+/);

const docs = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((f) => `docs/${f}`)].filter((f) => f.endsWith('.md'));
const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');

describe('the list of documented commands', () => {
  it('covers every `npx egress` line in the code blocks of README.md and docs/*.md', () => {
    const listed = new Set(DOCUMENTED.map((d) => `${d.doc}: ${d.line}`));
    const shown = docs.flatMap((f) => codeBlockCommands(read(f)).map((l) => `${f}: ${l}`));
    expect(shown.filter((l) => l.startsWith('README.md')).length).toBeGreaterThan(5);
    expect(shown.filter((l) => !listed.has(l))).toEqual([]);
  });

  it('names lines the docs still show', () => {
    for (const d of DOCUMENTED)
      expect({ doc: d.doc, shows: read(d.doc).includes(d.line) }).toEqual({ doc: d.doc, shows: true });
  });
});

describe('against the local stack on the shipped examples', () => {
  let stack: LocalStack | undefined;
  const stateDir = tempDir('doc-commands');

  beforeAll(async () => {
    stack = await startLocalStack({ mode: 'in-process', suffix: `doc-commands-${process.pid}`, stateDir });
    const round = await syncAndWait(stack, join(ROOT, 'examples/manifests'), 60_000);
    // As `npm start` reports it: every shipped example applied, none rejected.
    expect(round.outcomes.map((o) => [o.project, converged(o), o.status?.data.outcome])).toEqual(
      round.outcomes.map((o) => [o.project, true, 'applied']),
    );
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** Runs a documented line in the repository root with the stack's cli.env, as a reader would. */
  async function runLine(line: string): Promise<CliRun & { ran: string[] }> {
    const saved = { ...process.env };
    const cwd = process.cwd();
    Object.assign(process.env, cliEnv(stack!));
    process.chdir(ROOT);
    const ran: string[] = [];
    let last: CliRun = { code: 0, out: '', err: '' };
    try {
      for (const cmd of line.split('&&')) {
        ran.push(cmd.trim());
        last = await runCli(...argvOf(cmd));
        if (last.code !== 0) break;
      }
      return { ...last, ran };
    } finally {
      process.chdir(cwd);
      process.env = saved;
    }
  }

  it.each(DOCUMENTED.map((d) => [`${d.doc}: ${d.run ?? d.line}`, d] as const))('%s', async (_name, d) => {
    const r = await runLine(d.run ?? d.line);
    // The whole run in the message when the exit code differs.
    expect({ ran: r.ran, code: r.code, output: r.code === d.exit ? '' : `${r.out}\n${r.err}` }).toEqual({
      ran: r.ran,
      code: d.exit,
      output: '',
    });
    if (d.out) expect(`${r.out}\n${r.err}`).toMatch(d.out);
    expect(r.err).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
  });
});
