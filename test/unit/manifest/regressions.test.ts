import { checkProjectSet } from '../../../shared/core/manifest';
import { normalizeEgressValue } from '../../../shared/core/manifest/egress';
import { DEFAULT_POLICY } from '../../../shared/core/policy';
import { check, manifest, withCode } from './helpers';

// Acceptance findings on inputs the first tests did not cover; each failed before its fix.

describe('descriptions in a multi-line flow sequence', () => {
  it('takes the comment after an item and its comma as the description', () => {
    const text = manifest([]).replace(
      '  allowedEgress: []',
      '  allowedEgress: [\n    "api.stripe.com",   # Stripe\n    "8.8.8.8" , # DNS\n    "*.googleapis.com"  # Google\n  ]',
    );
    const r = check(text);
    expect(r.diagnostics).toEqual([]);
    expect(r.egress).toEqual([
      { value: 'api.stripe.com', type: 'hostname', description: 'Stripe' },
      { value: '8.8.8.8/32', type: 'cidr', description: 'DNS' },
      { value: '*.googleapis.com', type: 'wildcard', description: 'Google' },
    ]);
  });

  it('does not give a comment at the end of a one-line flow sequence to its first item', () => {
    const text = manifest([]).replace(
      '  allowedEgress: []',
      '  allowedEgress: ["a.example.com", "b.example.com"] # both',
    );
    expect(check(text).egress).toEqual([
      { value: 'a.example.com', type: 'hostname' },
      { value: 'b.example.com', type: 'hostname' },
    ]);
  });
});

describe('duplicate keys', () => {
  it('names the whole repeated key and where it is', () => {
    const text = `${manifest()}spec:\n  region: us-east1\n`;
    const d = withCode(check(text), 'DUPLICATE_KEY');
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ line: 10, column: 1, path: 'spec' });
    expect(d[0]!.message).toContain('`spec`');
    const nested = manifest().replace('  region: us-central1\n', '  region: us-central1\n  "region": us-east1\n');
    expect(withCode(check(nested), 'DUPLICATE_KEY')[0]).toMatchObject({ line: 8, column: 3, path: 'spec.region' });
    expect(withCode(check(nested), 'DUPLICATE_KEY')[0]!.message).toContain('`region`');
  });
});

describe('checkProjectSet', () => {
  it('keeps diagnostics in source order after adding DUPLICATE_PROJECT', () => {
    const body = manifest(['"api.stripe.com"', '"API.stripe.com"']);
    const out = checkProjectSet([check(body, 'a/payment-gateway.yaml'), check(body, 'b/payment-gateway.yml')]);
    expect(out[0]!.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['DUPLICATE_PROJECT', 4],
      ['DUPLICATE_ENTRY', 10],
    ]);
  });
});

describe('IPv4-mapped IPv6 hints', () => {
  it('suggests the IPv4 address only when that address is itself allowed', () => {
    const pub = normalizeEgressValue('::ffff:8.8.8.8', DEFAULT_POLICY);
    expect(pub).toMatchObject({ ok: false, code: 'NON_PUBLIC_ADDRESS', hint: 'use `8.8.8.8`' });
    const priv = normalizeEgressValue('::ffff:10.0.0.1', DEFAULT_POLICY);
    expect(priv).toMatchObject({ ok: false, code: 'NON_PUBLIC_ADDRESS' });
    expect(priv.ok ? '' : (priv.hint ?? '')).not.toContain('10.0.0.1');
    const meta = normalizeEgressValue('::ffff:169.254.169.254', DEFAULT_POLICY);
    expect(meta.ok ? '' : (meta.hint ?? '')).not.toContain('169.254.169.254');
  });
});

describe('URL-like entries', () => {
  it.each([
    ['api.x.com?q=1', 'ENTRY_PATH', 'use `api.x.com`'],
    ['api.x.com#frag', 'ENTRY_PATH', 'use `api.x.com`'],
    ['//api.x.com', 'ENTRY_URL', 'use `api.x.com`'],
    ['api.x.com:https', 'ENTRY_PORT', 'use `api.x.com`'],
    ['api.x.com.:443', 'ENTRY_PORT', 'use `api.x.com`'],
  ])('%s is %s with the bare host as hint', (input, code, hint) => {
    expect(normalizeEgressValue(input, DEFAULT_POLICY)).toMatchObject({ ok: false, code, hint });
  });
});

describe('non-standard IPv4 spellings', () => {
  it('suggests the inet_aton reading only where it is plausibly what was meant', () => {
    const hint = (s: string) => {
      const r = normalizeEgressValue(s, DEFAULT_POLICY);
      return r.ok ? 'accepted' : `${r.code} ${r.hint ?? ''}`.trim();
    };
    expect(hint('443')).toBe('INVALID_IP');
    expect(hint('8.8.8')).toBe('INVALID_IP');
    expect(hint('134744072')).toBe('INVALID_IP did you mean `8.8.8.8`?');
    expect(hint('0x08080808')).toBe('INVALID_IP did you mean `8.8.8.8`?');
  });
});

describe('non-string entries', () => {
  it('hints at quoting the number as written, not as YAML read it', () => {
    const r = check(manifest(['1.10', '0x1F', '443']));
    expect(withCode(r, 'ENTRY_NOT_STRING').map((d) => d.hint)).toEqual([
      'quote it: "1.10"',
      'quote it: "0x1F"',
      'quote it: "443"',
    ]);
  });
});

describe('null entries', () => {
  it('get no quoting hint (the general hint of the code instead)', () => {
    const r = check(manifest(['null', '~', '"api.stripe.com"']).replace('    - ~\n', '    - ~\n    -\n'));
    const general = 'write a hostname, wildcard or IP range as a quoted string';
    expect(withCode(r, 'ENTRY_NOT_STRING').map((d) => d.hint)).toEqual([general, general, general]);
  });
});

// Found by `npm run fuzz` (docs/reliability.md): raw control characters reached messages and rule descriptions.
describe('raw control characters never leave the validator', () => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not appear
  const RAW = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

  it('quotes a control character of a value as an escape in the message', () => {
    const r = check(manifest(['"a\\0b.example.com"', '"x\u001b[31m.com"', '"evil\u202e.com"']));
    const messages = r.diagnostics.map((d) => `${d.message} ${d.hint ?? ''}`);
    expect(messages).toHaveLength(3);
    for (const m of messages) expect(m).not.toMatch(RAW);
    expect(messages.join('\n')).toContain('a\\u0000b.example.com');
    expect(messages.join('\n')).toContain('\\u202e');
  });

  it('escapes them in a comment that becomes a rule description', () => {
    const r = check(manifest(['"api.stripe.com" # pay \u202emoc.live\u202c ok\u0085']));
    expect(r.valid).toBe(true);
    expect(r.egress[0]!.description).toBe('pay \\u202emoc.live\\u202c ok\\u0085');
  });
});
