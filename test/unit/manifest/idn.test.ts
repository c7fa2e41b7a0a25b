import { normalizeEgressValue } from '../../../shared/core/manifest';
import { codePoint, mixedScripts } from '../../../shared/core/manifest/idn';
import { DEFAULT_POLICY } from '../../../shared/core/policy';
import { check, manifest, withCode } from './helpers';

// IDNA through tr46 (UTS #46) and the UTS #39 highly restrictive level: the same verdicts on every Node version
// (CI runs these on the runtime Node too). No case depends on characters newer than Unicode 9.

const norm = (v: string) => normalizeEgressValue(v, DEFAULT_POLICY);
const verdict = (v: string) => {
  const r = norm(v);
  return r.ok ? r.entry.value : r.code;
};

describe('UTS #46 (tr46), not Node URL', () => {
  it.each([
    ['bücher.de', 'xn--bcher-kva.de'],
    ['BÜCHER.de', 'xn--bcher-kva.de'],
    ['xn--bcher-kva.de', 'xn--bcher-kva.de'],
    ['пример.рф', 'xn--e1afmkfd.xn--p1ai'],
    ['xn--e1afmkfd.xn--p1ai', 'xn--e1afmkfd.xn--p1ai'],
    ['例え.jp', 'xn--r8jz45g.jp'],
    ['faß.de', 'xn--fa-hia.de'],
    ['ＡＰＩ.example.com', 'api.example.com'],
    ['münchen.de.', 'xn--mnchen-3ya.de'],
  ])('%s → %s', (input, value) => {
    expect(verdict(input)).toBe(value);
  });

  it.each(['xn--zz.com', 'xn--.com', 'xn--a.com', 'xn--bcher-kva9.de', 'a\u200d.com', 'ab\u202e.com'])(
    '%s is refused (INVALID_HOSTNAME)',
    (input) => {
      expect(verdict(input)).toBe('INVALID_HOSTNAME');
    },
  );

  it('names the invalid Punycode label', () => {
    const r = norm('xn--zz.com');
    expect(r.ok ? '' : r.message).toContain('`xn--zz`');
  });

  it('refuses xn--zz.com in a manifest', () => {
    expect(withCode(check(manifest(['"xn--zz.com"'])), 'INVALID_HOSTNAME')).toHaveLength(1);
  });
});

describe('mixed scripts (UTS #39 highly restrictive)', () => {
  it('refuses api.stripe.com with a Cyrillic а, showing the code point', () => {
    const r = check(manifest(['"аpi.stripe.com"']));
    const d = withCode(r, 'MIXED_SCRIPT_HOSTNAME');
    expect(d).toHaveLength(1);
    expect(d[0]!.message).toContain('U+0430 CYRILLIC SMALL LETTER A');
    expect(d[0]!.message).toContain('xn--pi-6kc.stripe.com');
    expect(d[0]!.hint).toBeTruthy();
    expect(r.valid).toBe(false);
  });

  it('refuses the punycode form of the same name (the applier re-checks wire entries)', () => {
    expect(verdict('xn--pi-6kc.stripe.com')).toBe('MIXED_SCRIPT_HOSTNAME');
  });

  it.each(['аpi.stripe.com', 'раураl.com', 'αpple.com', 'gοogle.com', 'аα.example', 'ѕtripe.com'])(
    '%s is refused',
    (input) => {
      expect(verdict(input)).toBe('MIXED_SCRIPT_HOSTNAME');
    },
  );

  it.each([
    'bücher.de',
    'пример.рф',
    'пример1-2.рф',
    'ελλάδα.gr',
    '例え.jp',
    'ひらがなカタカナ漢字.jp',
    '日本語abc.jp',
    '한국abc.kr',
    '中文abc.cn',
    'пример.com',
  ])('%s (one script per label, or an allowed CJK combination) is accepted', (input) => {
    expect(norm(input).ok).toBe(true);
  });

  it('checks each label on its own', () => {
    expect(mixedScripts('пример')).toBeUndefined();
    expect(mixedScripts('api')).toBeUndefined();
    expect(mixedScripts('аpi')).toBe('Cyrillic: U+0430 CYRILLIC SMALL LETTER A; Latin: `p`, `i`');
    expect(mixedScripts('한국日本')).toBeUndefined();
    expect(mixedScripts('한국ひらがな')).toBeDefined();
  });

  it('names Cyrillic and Greek letters, and shows others by code point', () => {
    expect(codePoint('я')).toBe('U+044F CYRILLIC SMALL LETTER YA');
    expect(codePoint('џ')).toBe('U+045F CYRILLIC SMALL LETTER DZHE');
    expect(codePoint('ς')).toBe('U+03C2 GREEK SMALL LETTER FINAL SIGMA');
    expect(codePoint('ω')).toBe('U+03C9 GREEK SMALL LETTER OMEGA');
    expect(codePoint('ü')).toBe('U+00FC');
  });
});
