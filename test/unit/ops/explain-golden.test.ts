/**
 * The explain JSON contract, pinned: test/golden/explain/<case>.json is the exact `--format json` output (nested
 * keys included) and <case>.txt the text output of the same result. Fields may be added in schemaVersion 1, never
 * renamed or removed: a diff here that removes or renames a key is a contract break (docs/operations.md).
 * After an intentional change: UPDATE_GOLDEN=1 npx jest test/unit/ops/explain-golden, then review the diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ExplainInput, explain, renderExplainText } from '../../../shared/core/explain';
import { DENY_ALL, DENY_ALL_V6, entries, input, manifestOf, rulesFor, TEXT } from './explainFixtures';

const DIR = join(__dirname, '..', '..', 'golden', 'explain');
const withoutWildcard = manifestOf(TEXT.replace(/ {4}- "\*\.googleapis[^\n]*\n/, ''), undefined, '5');

const CASES: [string, Partial<ExplainInput>][] = [
  ['allowed', { destination: 'https://api.stripe.com/v1/charges' }],
  ['not-allowed', { destination: 'api.example.com:443', why: 'Example partner API' }],
  [
    'revoke-pending',
    {
      destination: 'hooks.slack.com',
      manifest: {
        ...input().manifest!,
        entries: entries.filter((e) => e.value !== 'hooks.slack.com'),
        generation: '7',
      },
    },
  ],
  [
    'cannot-list',
    { destination: '0.0.0.0/0', firewall: { source: 's', rules: [...rulesFor(entries, '5'), DENY_ALL, DENY_ALL_V6] } },
  ],
  ['no-manifest', { destination: 'api.example.com', manifest: null, suggestedPath: 'manifests/payment-gateway.yaml' }],
  [
    'wildcard-expansion',
    {
      destination: '199.36.153.9',
      manifest: withoutWildcard,
      firewall: { source: 's', rules: [...rulesFor(withoutWildcard.entries, '5'), DENY_ALL] },
    },
  ],
  ['internal', { destination: '10.1.2.3' }],
];

/** Every key path of a JSON value (`manifest.matches[].line`), to say which keys a diff removed. */
function keyPaths(v: unknown, at = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x) => keyPaths(x, `${at}[]`));
  if (v && typeof v === 'object')
    return Object.entries(v).flatMap(([k, x]) => [
      `${at}${at ? '.' : ''}${k}`,
      ...keyPaths(x, `${at}${at ? '.' : ''}${k}`),
    ]);
  return [];
}

describe.each(CASES)('explain golden %s', (name, over) => {
  const r = explain(input(over));
  const json = `${JSON.stringify(r, null, 2)}\n`;
  const text = renderExplainText(r);

  it('matches the JSON contract', () => {
    const file = join(DIR, `${name}.json`);
    if (process.env.UPDATE_GOLDEN) writeFileSync(file, json);
    expect(existsSync(file)).toBe(true);
    const golden = readFileSync(file, 'utf8');
    // Keys first, so a removed or renamed key is named in the failure.
    expect([...new Set(keyPaths(JSON.parse(json)))].sort()).toEqual([...new Set(keyPaths(JSON.parse(golden)))].sort());
    expect(json).toBe(golden);
  });

  it('matches the text of the same result', () => {
    const file = join(DIR, `${name}.txt`);
    if (process.env.UPDATE_GOLDEN) writeFileSync(file, text);
    expect(text).toBe(readFileSync(file, 'utf8'));
  });
});
