import { normalizeEgressValue } from '../../../shared/core/manifest';
import { DEFAULT_POLICY } from '../../../shared/core/policy';
import { check, FIRST_ENTRY_LINE, manifest, withCode } from './helpers';

// Issue 11 item 6: validation findings reproduced on main; each test failed there.

const norm = (v: string) => normalizeEgressValue(v, DEFAULT_POLICY);
/** Every value a hint proposes (`use \`x\``, `did you mean \`x\`?`). */
const proposed = (hint: string | undefined) => [...(hint ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

describe('address hints never propose a refused value', () => {
  it('8.8.8.0/8: does not propose 8.0.0.0/8 (too broad), explains the minimum prefix', () => {
    const r = norm('8.8.8.0/8');
    expect(r).toMatchObject({ ok: false, code: 'CIDR_HOST_BITS' });
    if (r.ok) return;
    expect(r.hint).not.toContain('8.0.0.0/8');
    expect(r.message).toContain('/16');
    expect(proposed(r.hint)).toEqual(['8.8.8.0/24', '8.8.8.0']);
    for (const v of proposed(r.hint)) expect([v, norm(v).ok]).toEqual([v, true]);
  });

  it.each(['8.8.8.8/8', '2001:db8::/16', '100.64.0.0/9', '151.101.1.0/16', '010.1.1.1', '0x7f.0.0.1', '0x08080808'])(
    '%s: every value the hint proposes is accepted',
    (input) => {
      const r = norm(input);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      for (const v of proposed(r.hint).filter((x) => /^[0-9a-f:.]+(\/\d+)?$/.test(x)))
        expect([v, norm(v).ok]).toEqual([v, true]);
    },
  );

  it('010.1.1.1: leading zeros are ambiguous; refused without hinting the private 10.1.1.1', () => {
    const r = norm('010.1.1.1');
    expect(r).toMatchObject({ ok: false, code: 'INVALID_IP' });
    if (r.ok) return;
    expect(r.message).toMatch(/leading zeros.*ambiguous/);
    expect(r.hint).not.toContain('10.1.1.1');
  });
});

describe('broad ranges are too broad, not special-purpose', () => {
  it.each([
    ['10.0.0.0/7', 'CIDR_TOO_BROAD'],
    ['0.0.0.0/1', 'CIDR_TOO_BROAD'],
    ['::/1', 'CIDR_TOO_BROAD'],
    ['100.0.0.0/8', 'CIDR_TOO_BROAD'],
    ['10.0.0.0/8', 'NON_PUBLIC_ADDRESS'],
    ['0.0.0.0/8', 'NON_PUBLIC_ADDRESS'],
    ['fc00::/6', 'NON_PUBLIC_ADDRESS'],
    ['192.0.0.0/16', 'NON_PUBLIC_ADDRESS'],
  ])('%s is %s', (input, code) => {
    const r = norm(input);
    expect(r).toMatchObject({ ok: false, code });
    if (r.ok || code !== 'CIDR_TOO_BROAD') return;
    expect(r.message).not.toMatch(/RFC 1918|unspecified/);
  });

  it('names the special range a range contains', () => {
    const r = norm('192.0.0.0/16');
    expect(r.ok ? '' : r.message).toContain('contains reserved or documentation space (`192.0.0.0/24`)');
  });
});

describe('YAML mistakes', () => {
  it('one tab in the indentation gives one error with a hint, not four', () => {
    const text = manifest([]).replace('  allowedEgress: []', '  allowedEgress:\n\t- "api.stripe.com"');
    const r = check(text);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: 'YAML_SYNTAX', line: FIRST_ENTRY_LINE, column: 1 });
    expect(r.diagnostics[0]!.message).toContain('tab');
    expect(r.diagnostics[0]!.hint).toContain('spaces');
  });

  it('a tab after spaces is reported at its column', () => {
    const text = manifest([]).replace('  allowedEgress: []', '  allowedEgress:\n  \t- "api.stripe.com"');
    expect(check(text).diagnostics).toMatchObject([{ code: 'YAML_SYNTAX', line: FIRST_ENTRY_LINE, column: 3 }]);
  });

  it('other syntax errors keep their own hint', () => {
    const r = check(`${manifest()}extra: "\\q"\n`);
    expect(withCode(r, 'YAML_SYNTAX')[0]!.hint).toContain('backslash');
  });

  it('a bare `allowedEgress:` gets a hint ([] or list items)', () => {
    const r = check(manifest([]).replace('  allowedEgress: []', '  allowedEgress:'));
    const d = withCode(r, 'EMPTY_VALUE');
    expect(d).toHaveLength(1);
    expect(d[0]!.hint).toContain('`allowedEgress: []`');
    expect(d[0]!.hint).toContain('- "api.example.com"');
  });
});

describe('files that are not UTF-8 text', () => {
  const latin1 = Buffer.from(manifest(['"bücher.de"']), 'latin1').toString('utf8');

  it('a Latin-1 file is "not UTF-8 text" at the byte offset and line, not a YAML or IDN message', () => {
    const r = check(latin1);
    const offset = Buffer.from(manifest(['"bücher.de"']), 'latin1').indexOf(0xfc);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: 'NOT_TEXT', line: FIRST_ENTRY_LINE, column: 9 });
    expect(r.diagnostics[0]!.message).toContain(`byte offset ${offset} (line ${FIRST_ENTRY_LINE}, column 9)`);
    expect(r.diagnostics[0]!.message).toContain('not UTF-8');
  });

  it('a binary file (NUL bytes) is not text', () => {
    const r = check(`\u0000\u0001PNG\u0000${manifest()}`);
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([['NOT_TEXT', 1, 1]]);
    expect(r.diagnostics[0]!.message).toContain('byte offset 0');
  });

  it('a UTF-16 file is not UTF-8 text', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(manifest(), 'utf16le')]).toString('utf8');
    expect(check(utf16).diagnostics.map((d) => d.code)).toEqual(['NOT_TEXT']);
  });
});

describe('control characters are never echoed raw', () => {
  it.each([
    ['"api\\0.com"', '\\u0000'],
    ['"api\\e[31m.com"', '\\u001b'],
    ['"api\u202e.com"', '\\u202e'],
  ])('%s is shown escaped', (item, shown) => {
    const r = check(manifest([item]));
    expect(r.valid).toBe(false);
    for (const d of r.diagnostics) {
      expect(`${d.message} ${d.hint ?? ''}`).not.toMatch(/[\p{Cc}\p{Cf}]/u);
    }
    expect(r.diagnostics.map((d) => d.message).join(' ')).toContain(shown);
  });

  it('in other fields (a zero-width space in metadata.environment)', () => {
    const r = check(manifest().replace('environment: production', 'environment: "prod\u200buction"'));
    const d = withCode(r, 'INVALID_ENVIRONMENT');
    expect(d[0]!.message).toContain('prod\\u200buction');
    expect(d[0]!.message).not.toContain('\u200b');
  });

  it('in keys too', () => {
    const r = check(`${manifest()}"bad\\x07key": 1\n`);
    for (const d of r.diagnostics) expect(`${d.message} ${d.hint ?? ''}`).not.toMatch(/\p{Cc}/u);
  });
});

describe('DUPLICATE_ENTRY', () => {
  it('is positioned at the repeat and names the line of the first', () => {
    const r = check(manifest(['"api.stripe.com"', '"x.example.com"', '"API.stripe.com."']));
    const d = withCode(r, 'DUPLICATE_ENTRY');
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ line: FIRST_ENTRY_LINE + 2, path: 'spec.allowedEgress[2]' });
    expect(d[0]!.message).toContain(`same as spec.allowedEgress[0] on line ${FIRST_ENTRY_LINE} after`);
  });
});

describe('file names', () => {
  it('Upper-Case.yaml is told to rename the file, never to set an invalid metadata.name', () => {
    const r = check(manifest(undefined, 'upper-case'), 'manifests/Upper-Case.yaml');
    const d = withCode(r, 'NAME_PATH_MISMATCH');
    expect(d).toHaveLength(1);
    expect(d[0]!.hint).toContain('rename the file to `upper-case.yaml`');
    expect(d[0]!.hint).not.toContain('Upper-Case`');
  });

  it('a valid other file name still offers both fixes', () => {
    const d = withCode(check(manifest(), 'manifests/payments.yaml'), 'NAME_PATH_MISMATCH');
    expect(d[0]!.hint).toBe(
      'rename the file to `payment-gateway.yaml`, or set metadata.name to `payments` if that is the project',
    );
  });

  it('an invalid name in a file of the same name: fix both', () => {
    const d = withCode(check(manifest(undefined, 'Upper-Case'), 'Upper-Case.yaml'), 'INVALID_PROJECT_NAME');
    expect(d[0]!.hint).toBe('use `upper-case` and rename the file to `upper-case.yaml`');
  });
});
