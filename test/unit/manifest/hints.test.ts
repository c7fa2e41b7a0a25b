import type { Diagnostic } from '../../../shared/core/diagnostics';
import { checkProjectSet, tooLargeResult, validateManifest } from '../../../shared/core/manifest';
import { CODE_HINTS, DIAGNOSTIC_CODES } from '../../../shared/core/manifest/codes';
import { DEFAULT_POLICY, parsePolicy } from '../../../shared/core/policy';
import type { PlatformPolicy } from '../../../shared/core/policy/types';
import { check, manifest } from './helpers';

// Every diagnostic code, produced by a real input, must carry a hint (issue 11 item 7: hints for every code).

const entry = (e: string) => check(manifest([e])).diagnostics;
const policy = (text: string) => parsePolicy(text, 'p.yaml').diagnostics;
const small = (m: Partial<PlatformPolicy['manifest']>): PlatformPolicy => ({
  ...DEFAULT_POLICY,
  manifest: { ...DEFAULT_POLICY.manifest, ...m },
});
const regional: PlatformPolicy = {
  ...DEFAULT_POLICY,
  firewall: { ...DEFAULT_POLICY.firewall, placement: 'regional', regions: ['europe-west1'] },
};
const laughs = (() => {
  const rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++)
    rows.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(',')}]`,
    );
  return `${rows.join('\n')}\n`;
})();
const throwing = new Proxy(DEFAULT_POLICY, {
  get(t, k) {
    if (k === 'manifest') throw new Error('boom');
    return Reflect.get(t, k);
  },
});

const PRODUCERS: Record<string, () => Diagnostic[]> = {
  FILE_TOO_LARGE: () => tooLargeResult('x.yaml', 5_000_000, DEFAULT_POLICY).diagnostics,
  TOO_MANY_LINES: () => check(`${manifest()}${'#\n'.repeat(5_000)}`).diagnostics,
  TOO_DEEP: () => check(`${manifest()}x: ${'{'.repeat(100)}\n`).diagnostics,
  NOT_TEXT: () => check(manifest(['"b\ufffdcher.de"'])).diagnostics,
  EMPTY_DOCUMENT: () => check('').diagnostics,
  MULTIPLE_DOCUMENTS: () => check(`${manifest()}---\n${manifest()}`).diagnostics,
  YAML_SYNTAX: () => check(`${manifest()}extra: "unterminated\n`).diagnostics,
  YAML_WARNING: () => check(manifest().replace('kind: Project', 'kind: !custom Project')).diagnostics,
  DUPLICATE_KEY: () => check(`${manifest()}spec:\n  region: us-east1\n`).diagnostics,
  ALIAS_LIMIT: () => check(laughs).diagnostics,
  UNKNOWN_FIELD: () => check(`${manifest()}zzz: 1\n`).diagnostics,
  MISPLACED_FIELD: () =>
    check(manifest().replace('  environment: production', '  environment: production\n  region: us-east1')).diagnostics,
  MISSING_FIELD: () => check(manifest().replace('kind: Project\n', '')).diagnostics,
  EMPTY_VALUE: () => check(manifest().replace('environment: production', 'environment:')).diagnostics,
  WRONG_TYPE: () => check(manifest().replace('  region: us-central1', '  region: [a]')).diagnostics,
  INVALID_VALUE: () => check(manifest().replace('kind: Project', 'kind: Projekt')).diagnostics,
  VALUE_OUT_OF_RANGE: () => policy('manifest:\n  minPrefixV4: 40\n'),
  INVALID_PROJECT_NAME: () => check(manifest(undefined, '9lives'), '9lives.yaml').diagnostics,
  NAME_PATH_MISMATCH: () => check(manifest(), 'other.yaml').diagnostics,
  DUPLICATE_PROJECT: () =>
    checkProjectSet([check(manifest(), 'a/payment-gateway.yaml'), check(manifest())])[0]!.diagnostics,
  INVALID_ENVIRONMENT: () => check(manifest().replace('environment: production', 'environment: "-"')).diagnostics,
  INVALID_REGION: () => check(manifest().replace('us-central1', 'central')).diagnostics,
  UNKNOWN_REGION: () => check(manifest().replace('us-central1', 'mars-north1')).diagnostics,
  REGION_REQUIRED: () => check(manifest().replace(/^ *region: us-central1\n/m, ''), undefined, regional).diagnostics,
  REGION_NOT_PLACED: () => check(manifest(), undefined, regional).diagnostics,
  TOO_MANY_ENTRIES: () =>
    check(manifest(['a.example.com', 'b.example.com']), undefined, small({ maxEntries: 1 })).diagnostics,
  ENTRY_NOT_STRING: () => entry('null'),
  ENTRY_EMPTY: () => entry('""'),
  INVALID_ENTRY: () => entry('"a.example.com b.example.com"'),
  ENTRY_URL: () => entry('"https://api.x.com/v1"'),
  ENTRY_PORT: () => entry('"api.x.com:8443"'),
  ENTRY_PATH: () => entry('"api.x.com/v1"'),
  ENTRY_CREDENTIALS: () => entry('"user:pw@api.x.com"'),
  INVALID_HOSTNAME: () => entry('"a_b.example.com"'),
  MIXED_SCRIPT_HOSTNAME: () => entry('"аpi.stripe.com"'),
  NON_PUBLIC_HOSTNAME: () => entry('"printer.local"'),
  UNQUOTED_WILDCARD: () => entry('*.googleapis.com'),
  INVALID_WILDCARD: () => entry('"api.*.com"'),
  WILDCARD_PUBLIC_SUFFIX: () => entry('"*.com"'),
  WILDCARD_SHARED_SUFFIX: () => entry('"*.github.io"'),
  WILDCARD_NOT_SUPPORTED: () => entry('"*.example.org"'),
  INVALID_IP: () => entry('"1.2.3.999"'),
  INVALID_CIDR: () => entry('"8.8.8/24"'),
  CIDR_HOST_BITS: () => entry('"8.8.8.8/24"'),
  CIDR_ALL_ADDRESSES: () => entry('"0.0.0.0/0"'),
  CIDR_TOO_BROAD: () => entry('"8.0.0.0/8"'),
  NON_PUBLIC_ADDRESS: () => entry('"10.0.0.1"'),
  DUPLICATE_ENTRY: () => check(manifest(['"a.example.com"', '"A.example.com"'])).diagnostics,
  POLICY_INVALID_WILDCARD: () => policy('wildcards:\n  "api.*.com": {ranges: ["8.8.8.0/24"]}\n'),
  POLICY_INVALID_RANGE: () => policy('wildcards:\n  "*.example.org": {ranges: ["nonsense"]}\n'),
  POLICY_TARGET_TEMPLATE: () => policy('firewall:\n  target: {mode: serviceAccount, template: "x"}\n'),
  POLICY_PLACEMENT: () => policy('firewall:\n  placement: regional\n'),
  POLICY_PRIORITY_ORDER: () => policy('firewall:\n  priorityMin: 2000\n  priorityMax: 1000\n'),
  INTERNAL_ERROR: () => validateManifest(manifest(), { path: 'payment-gateway.yaml', policy: throwing }).diagnostics,
};

describe('diagnostic hints', () => {
  it('every code has a general hint, and the producers below cover every code', () => {
    expect(Object.keys(CODE_HINTS).sort()).toEqual(Object.keys(DIAGNOSTIC_CODES).sort());
    expect(Object.keys(PRODUCERS).sort()).toEqual(Object.keys(DIAGNOSTIC_CODES).sort());
  });

  it.each(Object.keys(DIAGNOSTIC_CODES))('%s diagnostics carry a hint', (code) => {
    const found = PRODUCERS[code]!().filter((d) => d.code === code);
    expect(found.length).toBeGreaterThan(0);
    for (const d of found) expect([code, typeof d.hint === 'string' && d.hint.length > 5]).toEqual([code, true]);
  });
});
