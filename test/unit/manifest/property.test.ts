import fc from 'fast-check';
import { normalizeEgressValue, normalizeHostname, validateManifest } from '../../../shared/core/manifest';
import { DEFAULT_POLICY, parsePolicy } from '../../../shared/core/policy';
import { manifest } from './helpers';

const opts = { path: 'manifests/payment-gateway.yaml', policy: DEFAULT_POLICY };

function wellFormed(r: ReturnType<typeof validateManifest>): void {
  expect(typeof r.valid).toBe('boolean');
  expect(Array.isArray(r.diagnostics)).toBe(true);
  expect(r.valid).toBe(!r.diagnostics.some((d) => d.severity === 'error'));
  for (const d of r.diagnostics) {
    expect(d.code).toMatch(/^[A-Z][A-Z0-9_]*$/);
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.column).toBeGreaterThanOrEqual(1);
    expect(typeof d.path).toBe('string');
  }
  expect(r.diagnostics.some((d) => d.code === 'INTERNAL_ERROR')).toBe(false);
}

/** Small edits a person (or a bad paste) makes to a valid manifest. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom('\n', '  ', '\t', ':', '- ', '&a ', '*a', '{', ']', '#', '"', '---\n', '? ', '!!int '),
    ),
  }),
  fc.record({ kind: fc.constant('dedent' as const), line: fc.nat() }),
);

function mutate(text: string, ms: fc.Arbitrary<unknown>[] | unknown[]): string {
  let t = text;
  for (const m of ms as { kind: string; at?: number; len?: number; text?: string; line?: number }[]) {
    if (m.kind === 'delete') {
      const at = (m.at ?? 0) % (t.length + 1);
      t = t.slice(0, at) + t.slice(at + (m.len ?? 1));
    } else if (m.kind === 'insert') {
      const at = (m.at ?? 0) % (t.length + 1);
      t = t.slice(0, at) + (m.text ?? '') + t.slice(at);
    } else {
      const lines = t.split('\n');
      const i = (m.line ?? 0) % lines.length;
      lines[i] = lines[i]!.trimStart();
      t = lines.join('\n');
    }
  }
  return t;
}

describe('properties', () => {
  it('arbitrary text never throws and always gives a well-formed result', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })), (text) => {
        wellFormed(validateManifest(text, opts));
      }),
      { numRuns: 500 },
    );
  });

  it('mutated valid manifests never throw and always give a well-formed result', () => {
    const base = manifest([
      '"api.stripe.com" # Payment processor API',
      '*.googleapis.com',
      '8.8.8.8',
      '2600:2d00:2:2000::/64',
      'hooks.slack.com',
    ]);
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 5 }), (ms) => {
        wellFormed(validateManifest(mutate(base, ms), opts));
      }),
      { numRuns: 1000 },
    );
  });

  it('arbitrary entry values never throw; accepted values are canonical (normalizing again is a no-op)', () => {
    const entry = fc.oneof(
      fc.string(),
      fc.domain(),
      fc.ipV4().map((ip) => ip),
      fc.ipV6(),
      fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 40 })).map(([ip, p]) => `${ip}/${p}`),
      fc.domain().map((d) => `*.${d}`),
      fc.webUrl(),
      fc.anything(),
    );
    fc.assert(
      fc.property(entry, (v) => {
        const r = normalizeEgressValue(v, DEFAULT_POLICY);
        if (!r.ok) {
          expect(r.code).toMatch(/^[A-Z_]+$/);
          return;
        }
        expect(normalizeEgressValue(r.entry.value, DEFAULT_POLICY)).toEqual(r);
      }),
      { numRuns: 2000 },
    );
  });

  it('the hostname fast path agrees with the full hostname rule', () => {
    fc.assert(
      fc.property(fc.oneof(fc.domain(), fc.string(), fc.stringMatching(/^[a-z0-9.-]{1,80}$/)), (s) => {
        const r = normalizeEgressValue(s, DEFAULT_POLICY);
        // normalizeEgressValue trims the raw entry before classifying it; the hostname rule sees the trimmed value.
        const h = normalizeHostname(s.trim());
        if (r.ok && r.entry.type === 'hostname') expect(h).toEqual({ ok: true, value: r.entry.value });
        if (h.ok && !s.includes('*') && !/^[0-9.]+$/.test(s))
          expect(r).toMatchObject({ ok: true, entry: { type: 'hostname' } });
      }),
      { numRuns: 2000 },
    );
  });

  it('arbitrary policy text never throws', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const r = parsePolicy(text, 'p.yaml');
        expect(r.policy.manifest.maxEntries).toBeGreaterThan(0);
        expect(r.diagnostics.some((d) => d.code === 'INTERNAL_ERROR')).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
