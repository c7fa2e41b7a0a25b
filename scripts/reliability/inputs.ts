/**
 * Fuzz inputs for manifest validation: arbitrary bytes, arbitrary text, the example manifests mutated (byte flips,
 * deletions, duplications, unicode, deep nesting, huge scalars, aliases, re-encodings) and generated manifests whose
 * entries come from a pool of awkward destinations. Each input is a function of one Rng, so it can be regenerated.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Rng } from './rng';

/** One input: the bytes as a file would hold them and the object path it is validated under. */
export interface FuzzInput {
  kind: string;
  path: string;
  bytes: Buffer;
}

/** A seed manifest: its text and the path under which it is (or would be) valid. */
export interface Seed {
  path: string;
  text: string;
}

/** The example manifests (examples/manifests/*.yaml), found from this file's folder in src or dist. */
export function exampleSeeds(): Seed[] {
  let dir = __dirname;
  while (!existsSync(join(dir, 'examples', 'manifests'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('fuzz: cannot find examples/manifests above this script');
    dir = up;
  }
  const folder = join(dir, 'examples', 'manifests');
  return readdirSync(folder)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => ({ path: `manifests/${f}`, text: readFileSync(join(folder, f), 'utf8') }));
}

/** Characters that break naive text handling: controls, bidi, zero-width, confusables, surrogates, line breaks. */
const AWKWARD = [
  '\u0000',
  '\u0001',
  '\u0007',
  '\b',
  '\t',
  '\r',
  '\n',
  '\u000b',
  '\f',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u009b',
  '\u00a0',
  '\u00ad',
  '\u0301',
  '\u200b',
  '\u200d',
  '\u2028',
  '\u2029',
  '\u202e',
  '\u2066',
  '\ufeff',
  '\ufffd',
  '\ud800',
  '\udfff',
  '\u{1f600}',
  'а',
  'е',
  'ο',
  'ı',
  'ß',
  'İ',
  '．',
  '。',
  'ｅ',
  'ﬁ',
  '𝐚',
];

/** YAML syntax that changes the structure. */
const YAML_BITS = [
  ':',
  ': ',
  '- ',
  '-',
  '? ',
  '&a ',
  '*a',
  '<<: *a',
  '!!binary ',
  '!!int ',
  '!foo ',
  '%YAML 1.1\n',
  '---\n',
  '...\n',
  '{',
  '}',
  '[',
  ']',
  ',',
  '#',
  '"',
  "'",
  '|',
  '>',
  '\\',
  '@',
  '`',
  '~',
  'null',
  'true',
  '0x1F',
  '.inf',
  '1e999',
  '  ',
  '\n  ',
];

/** Destinations people write, valid and not. */
const ENTRIES = [
  'api.stripe.com',
  'API.Stripe.COM.',
  'аpi.stripe.com',
  'пример.рф',
  'bücher.de',
  'xn--bcher-kva.de',
  'xn--zz',
  '*.googleapis.com',
  '*.com',
  '*.github.io',
  '*',
  '**.x.com',
  'a..b.com',
  `${'a'.repeat(64)}.com`,
  `${'abc.'.repeat(70)}com`,
  '8.8.8.8',
  '8.8.8.0/8',
  '8.8.8.0/24',
  '010.1.1.1',
  '10.0.0.0/7',
  '0.0.0.0/0',
  '0.0.0.0/1',
  '::/0',
  '2606:4700:4700::1111',
  '2600:2d00:2:2000::/64',
  '::ffff:8.8.8.8',
  'fe80::1%eth0',
  '1.1.1.1/33',
  '192.0.2.1',
  '100.64.0.1',
  '4294967295',
  '0x08080808',
  'https://api.x.com/v1',
  'user:pw@api.x.com',
  'api.x.com:443',
  'localhost',
  'x.internal',
  '',
  ' ',
  'a b',
  '\u0000.com',
];

/** Builds one fuzz input from `rng`. */
export function fuzzInput(rng: Rng, seeds: readonly Seed[]): FuzzInput {
  const kind = rng.weighted({ bytes: 10, text: 10, mutated: 60, generated: 20 });
  const seed = rng.pick(seeds);
  if (kind === 'bytes') {
    const n = rng.chance(0.05) ? rng.int(0, 200_000) : rng.int(0, 600);
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = rng.int(0, 255);
    return { kind, path: seed.path, bytes: b };
  }
  if (kind === 'text') {
    const n = rng.int(0, 400);
    let t = '';
    for (let i = 0; i < n; i++) t += randomChar(rng);
    return { kind, path: randomPath(rng, seed.path), bytes: Buffer.from(t, 'utf8') };
  }
  const base = kind === 'generated' ? generatedManifest(rng, seed) : seed;
  const rounds = kind === 'generated' ? rng.int(0, 2) : rng.int(1, 4);
  const applied: string[] = [];
  let bytes: Buffer = Buffer.from(base.text, 'utf8');
  for (let i = 0; i < rounds; i++) {
    const m = rng.pick(MUTATIONS);
    applied.push(m.name);
    bytes = m.run(rng, bytes);
  }
  const path = rng.chance(0.05) ? randomPath(rng, base.path) : base.path;
  return { kind: [kind, ...applied].join(':'), path, bytes };
}

function randomChar(rng: Rng): string {
  const r = rng.next();
  if (r < 0.4) return String.fromCharCode(rng.int(0x20, 0x7e));
  if (r < 0.6) return rng.pick(AWKWARD);
  if (r < 0.8) return rng.pick(YAML_BITS);
  return String.fromCodePoint(rng.int(0, 0x10ffff));
}

function randomPath(rng: Rng, fallback: string): string {
  return rng.pick([
    fallback,
    fallback.replace('.yaml', '.yml'),
    'manifests/Upper-Case.yaml',
    'manifests/.yaml',
    'manifests/team/x.yaml',
    `manifests/${rng.pick(AWKWARD)}.yaml`,
    '',
    'x',
  ]);
}

/** A manifest of the seed's metadata whose allowedEgress lists 0..40 entries from the pool, quoted or not. */
function generatedManifest(rng: Rng, seed: Seed): Seed {
  const name = /([^/]+)\.ya?ml$/.exec(seed.path)?.[1] ?? 'p';
  const n = rng.int(0, 40);
  const lines = [
    'apiVersion: lowops.manifests.v1',
    'kind: Project',
    'metadata:',
    `  name: ${name}`,
    `  environment: ${rng.pick(['production', 'staging', 'dev', 'Prod', '""'])}`,
    'spec:',
  ];
  if (rng.chance(0.5)) lines.push(`  region: ${rng.pick(['us-central1', 'europe-west4', 'mars-north1', 'x'])}`);
  lines.push(n === 0 && rng.chance(0.5) ? '  allowedEgress: []' : '  allowedEgress:');
  for (let i = 0; i < n; i++) {
    const v = rng.chance(0.1) ? randomEntry(rng) : rng.pick(ENTRIES);
    const q = rng.chance(0.8) ? JSON.stringify(v) : v;
    lines.push(`    - ${q}${rng.chance(0.3) ? ` # ${rng.pick(['note', rng.pick(AWKWARD), 'x'.repeat(200)])}` : ''}`);
  }
  return { path: seed.path, text: `${lines.join('\n')}\n` };
}

function randomEntry(rng: Rng): string {
  let s = '';
  const n = rng.int(1, 30);
  for (let i = 0; i < n; i++) s += rng.chance(0.7) ? rng.pick([...'abcxyz019.-*:/[]@%']) : randomChar(rng);
  return s;
}

interface Mutation {
  name: string;
  run(rng: Rng, b: Buffer): Buffer;
}

const at = (rng: Rng, b: Buffer) => rng.int(0, b.length);
const splice = (b: Buffer, i: number, del: number, ins: Buffer | string) =>
  Buffer.concat([b.subarray(0, i), typeof ins === 'string' ? Buffer.from(ins, 'utf8') : ins, b.subarray(i + del)]);
const lines = (b: Buffer) => b.toString('utf8').split('\n');
const joinLines = (ls: string[]) => Buffer.from(ls.join('\n'), 'utf8');

/** The mutation operators: each is named in the input's `kind` so a crash says how its input was made. */
const MUTATIONS: Mutation[] = [
  {
    name: 'flip',
    run: (rng, b) => {
      const out = Buffer.from(b);
      for (let k = rng.int(1, 4); k > 0 && out.length; k--) {
        const i = rng.int(0, out.length - 1);
        out[i] = out[i]! ^ (1 << rng.int(0, 7));
      }
      return out;
    },
  },
  { name: 'delete', run: (rng, b) => splice(b, at(rng, b), rng.int(1, 40), '') },
  { name: 'truncate', run: (rng, b) => b.subarray(0, at(rng, b)) },
  {
    name: 'duplicate',
    run: (rng, b) => {
      const i = at(rng, b);
      const piece = b.subarray(i, i + rng.int(1, 120));
      return splice(b, at(rng, b), 0, Buffer.concat(Array.from({ length: rng.int(1, 3) }, () => piece)));
    },
  },
  {
    name: 'duplicate-line',
    run: (rng, b) => {
      const ls = lines(b);
      const i = rng.int(0, ls.length - 1);
      ls.splice(rng.int(0, ls.length), 0, ...Array.from({ length: rng.int(1, 3) }, () => ls[i]!));
      return joinLines(ls);
    },
  },
  {
    name: 'swap-lines',
    run: (rng, b) => {
      const ls = lines(b);
      const i = rng.int(0, ls.length - 1);
      const j = rng.int(0, ls.length - 1);
      [ls[i], ls[j]] = [ls[j]!, ls[i]!];
      return joinLines(ls);
    },
  },
  {
    name: 'indent',
    run: (rng, b) => {
      const ls = lines(b);
      const i = rng.int(0, ls.length - 1);
      const l = ls[i]!;
      ls[i] = rng.pick([l.trimStart(), `  ${l}`, ` ${l}`, `\t${l.trimStart()}`, l.replace(/^ {2}/, '\t')]);
      return joinLines(ls);
    },
  },
  { name: 'unicode', run: (rng, b) => splice(b, at(rng, b), rng.int(0, 1), rng.pick(AWKWARD)) },
  { name: 'yaml', run: (rng, b) => splice(b, at(rng, b), rng.int(0, 2), rng.pick(YAML_BITS)) },
  {
    name: 'entry',
    run: (rng, b) => {
      const ls = lines(b);
      const i = ls.findIndex((l) => /^\s*- /.test(l));
      const line = `    - ${rng.chance(0.5) ? JSON.stringify(rng.pick(ENTRIES)) : rng.pick(ENTRIES)}`;
      if (i < 0 || rng.chance(0.3)) ls.push(line);
      else ls[i] = line;
      return joinLines(ls);
    },
  },
  {
    name: 'nesting',
    run: (rng, b) => {
      const depth = rng.int(50, 20_000);
      const open = rng.pick(['[', '{', '- ', '{a: ', '[[']);
      const text =
        open === '- '
          ? Array.from({ length: Math.min(depth, 3000) }, (_, k) => `${' '.repeat(k * 2)}- `).join('\n')
          : open.repeat(depth) + (rng.chance(0.5) ? ']'.repeat(depth) : '');
      return splice(b, at(rng, b), 0, text);
    },
  },
  {
    name: 'huge-scalar',
    run: (rng, b) => {
      const n = rng.chance(0.2) ? rng.int(500_000, 1_100_000) : rng.int(1_000, 70_000);
      const unit = rng.pick(['a', 'a.', '9', ' ', 'é', '\\x', '- a\n']);
      const value = unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
      const ls = lines(b);
      const i = rng.int(0, ls.length - 1);
      ls[i] = rng.chance(0.5) ? `${ls[i]} ${value}` : `    - "${value}"`;
      return joinLines(ls);
    },
  },
  {
    name: 'aliases',
    run: (rng, b) => {
      const width = rng.int(2, 12);
      const levels = rng.int(2, 12);
      const bomb = ['x0: &x0 [lol]'];
      for (let k = 1; k < levels; k++)
        bomb.push(`x${k}: &x${k} [${Array.from({ length: width }, () => `*x${k - 1}`).join(', ')}]`);
      const variants = [
        `${bomb.join('\n')}\n`,
        'spec:\n  allowedEgress: &e\n    - "api.x.com"\n  other: *e\n',
        '    - &h "api.x.com"\n    - *h\n    - *nope\n',
        '    - *.googleapis.com\n',
        '&a a: *a\n',
      ];
      return splice(b, rng.chance(0.5) ? b.length : at(rng, b), 0, rng.pick(variants));
    },
  },
  {
    name: 'encoding',
    run: (rng, b) => {
      const t = b.toString('utf8');
      switch (rng.int(0, 4)) {
        case 0:
          return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')]);
        case 1:
          return Buffer.from(t, 'latin1');
        case 2:
          return Buffer.from(t.replace(/\n/g, '\r\n'), 'utf8');
        case 3:
          return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b]);
        default:
          return Buffer.from(t.replace(/\n/g, '\r'), 'utf8');
      }
    },
  },
];
