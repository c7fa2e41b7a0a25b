/**
 * `npm run bench` part: validation throughput on a generated corpus of 2,000 realistic manifests (20 entries
 * each), compared with plain `yaml.parse` of the same corpus in the same run (target ratio ≤ 1.5).
 */
import { performance } from 'node:perf_hooks';
import { parse } from 'yaml';
import { validateManifest } from '../shared/core/manifest';
import { DEFAULT_POLICY } from '../shared/core/policy';

const VENDORS = [
  'stripe',
  'slack',
  'sendgrid',
  'twilio',
  'datadoghq',
  'sentry',
  'segment',
  'okta',
  'github',
  'pagerduty',
];
const PREFIXES = ['api', 'hooks', 'smtp', 'events', 'ingest', 'auth', 'uploads', 'webhooks', 'cdn', 'login'];
const TLDS = ['com', 'io', 'net', 'co.uk', 'de'];
const ENVS = ['production', 'staging', 'dev'];
const REGIONS = ['us-central1', 'europe-west4', 'asia-southeast1', 'us-east4'];

/** A deterministic pseudo-random generator, so every run measures the same corpus. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Generates `count` manifests of `entries` entries: mostly hostnames with comments, some ranges and a wildcard. */
export function corpus(count = 2000, entries = 20): { path: string; text: string }[] {
  const r = rng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out: { path: string; text: string }[] = [];
  for (let i = 0; i < count; i++) {
    const name = `project-${i}`;
    const lines: string[] = [];
    for (let j = 0; j < entries; j++) {
      const k = r();
      let v: string;
      if (k < 0.7) v = `"${pick(PREFIXES)}${j}.${pick(VENDORS)}.${pick(TLDS)}" # ${pick(VENDORS)} integration ${j}`;
      else if (k < 0.8) v = `"${34 + (j % 20)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.0/24" # partner range`;
      else if (k < 0.85) v = `"2600:1f${(j % 16).toString(16)}::/48"`;
      else if (k < 0.9) v = '"*.googleapis.com" # Google APIs';
      else v = `${pick(PREFIXES)}.${pick(VENDORS)}${j}.${pick(TLDS)}`;
      lines.push(`    - ${v}`);
    }
    const text = `# yaml-language-server: $schema=../schema/project.schema.json
apiVersion: lowops.manifests.v1
kind: Project
metadata:
  name: ${name}
  environment: ${pick(ENVS)}
  organizational-unit: unit-${i % 17}
  organization: fincorp
spec:
  description: "Generated project ${i} with external partner integrations"
  region: ${pick(REGIONS)}
  allowedEgress:
${lines.join('\n')}
`;
    out.push({ path: `manifests/${name}.yaml`, text });
  }
  return out;
}

/** Median of `rounds` timings of each function, the two interleaved so machine noise hits both alike. */
function timeBoth(a: () => void, b: () => void, rounds: number): [number, number] {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let t0 = performance.now();
    a();
    ta.push(performance.now() - t0);
    t0 = performance.now();
    b();
    tb.push(performance.now() - t0);
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  return [median(ta), median(tb)];
}

/** Runs the benchmark and returns the lines to print. */
export async function benchValidate(count = 2000): Promise<string[]> {
  const files = corpus(count);
  let invalid = 0;
  const validateAll = () => {
    invalid = 0;
    for (const f of files) if (!validateManifest(f.text, { path: f.path, policy: DEFAULT_POLICY }).valid) invalid++;
  };
  const parseAll = () => {
    for (const f of files) parse(f.text);
  };
  // Warm up both paths (JIT) before measuring.
  parseAll();
  validateAll();
  const [parseMs, validateMs] = timeBoth(parseAll, validateAll, 7);
  if (invalid) throw new Error(`bench corpus: ${invalid} manifests unexpectedly invalid`);
  const perSec = Math.round(files.length / (validateMs / 1000));
  const ratio = validateMs / parseMs;
  return [
    `validate: ${perSec} manifests/s, ${ratio.toFixed(2)}x yaml.parse (${files.length} manifests x 20 entries; validate ${validateMs.toFixed(0)} ms, yaml.parse ${parseMs.toFixed(0)} ms, median of 7)`,
  ];
}
