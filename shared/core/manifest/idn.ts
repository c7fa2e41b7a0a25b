/**
 * Internationalized hostnames, the same on every Node version: UTS #46 (IDNA compatibility processing) through the
 * pinned `tr46` library, then the UTS #39 "highly restrictive" restriction level per label, so a label mixing
 * scripts (`аpi` with a Cyrillic `а`) is refused while whole-script names (`bücher.de`, `пример.рф`) stay valid.
 * Script data comes from the JavaScript engine's Unicode property escapes (`\p{Script_Extensions=…}`).
 */
import { type Tr46Options, toASCII, toUnicode } from 'tr46';
import { type Fail, fail } from './result';

/** UTS #46 §4 flags as WHATWG URL uses them (non-transitional, bidi and joiner rules); labels are checked after. */
const OPTS: Tr46Options = {
  checkBidi: true,
  checkJoiners: true,
  checkHyphens: false,
  useSTD3ASCIIRules: false,
  transitionalProcessing: false,
  verifyDNSLength: false,
};

/** Outcome of {@link idnToAscii}: the A-label (punycode) name, or why the name is refused. */
export type IdnResult = { ok: true; value: string } | Fail;

/** Converts a lowercase name that has non-ASCII characters or `xn--` labels to its A-label form, or refuses it. */
export function idnToAscii(host: string, input: string): IdnResult {
  const ascii = toASCII(host, OPTS);
  if (ascii === null) {
    const bad = host.split('.').find((l) => l.startsWith('xn--') && toUnicode(l, OPTS).error);
    return fail(
      'INVALID_HOSTNAME',
      bad
        ? `\`${input}\` has the label \`${bad}\`, which is not valid Punycode for an IDNA label (UTS #46)`
        : `\`${input}\` is not a valid internationalized domain name (UTS #46 processing refuses it)`,
      'copy the name as its owner publishes it (its Unicode form, or the exact `xn--` form)',
    );
  }
  const unicode = toUnicode(ascii, OPTS).domain;
  for (const label of unicode.split('.')) {
    const mixed = mixedScripts(label);
    if (mixed)
      return fail(
        'MIXED_SCRIPT_HOSTNAME',
        `\`${input}\` mixes scripts in the label \`${label}\` (${mixed}); it reads like another name but is \`${ascii}\`. A label must be in one script (UTS #39 "highly restrictive"; Latin may only join Han with Hiragana/Katakana, Bopomofo or Hangul)`,
        'retype the hostname in one script: the characters listed are look-alikes of other letters',
      );
  }
  return { ok: true, value: ascii };
}

/** ISO 15924 codes of the scripts, from the runtime's property escapes (codes it does not know are skipped). */
const SCRIPT_CODES =
  'Adlm Aghb Ahom Arab Armi Armn Avst Bali Bamu Bass Batk Beng Berf Bhks Bopo Brah Brai Bugi Buhd Cakm Cans Cari Cham Cher Chrs Copt Cpmn Cprt Cyrl Deva Diak Dogr Dsrt Dupl Egyp Elba Elym Ethi Gara Geor Glag Gong Gonm Goth Gran Grek Gujr Gukh Guru Hang Hani Hano Hatr Hebr Hira Hluw Hmng Hmnp Hung Ital Java Kali Kana Kawi Khar Khmr Khoj Kits Knda Krai Kthi Lana Laoo Latn Lepc Limb Lina Linb Lisu Lyci Lydi Mahj Maka Mand Mani Marc Medf Mend Merc Mero Miao Mlym Modi Mong Mroo Mtei Mult Mymr Nagm Nand Narb Nbat Newa Nkoo Nshu Ogam Olck Onao Orkh Orya Osge Osma Ougr Palm Pauc Perm Phag Phli Phlp Phnx Plrd Prti Rjng Rohg Runr Samr Sarb Saur Sgnw Shaw Shrd Sidd Sidt Sind Sinh Sogd Sogo Sora Soyo Sund Sunu Sylo Syrc Tagb Takr Tale Talu Taml Tang Tavt Tayo Telu Tfng Tglg Thaa Thai Tibt Tirh Tnsa Todr Tols Toto Tutg Ugar Vaii Vith Wara Wcho Xpeo Xsux Yezi Yiii Zanb'.split(
    ' ',
  );

/** English names of the scripts most often met in hostnames (others are shown by their ISO 15924 code). */
const SCRIPT_NAMES: Record<string, string> = {
  Arab: 'Arabic',
  Armn: 'Armenian',
  Beng: 'Bengali',
  Bopo: 'Bopomofo',
  Cher: 'Cherokee',
  Cyrl: 'Cyrillic',
  Deva: 'Devanagari',
  Ethi: 'Ethiopic',
  Geor: 'Georgian',
  Grek: 'Greek',
  Gujr: 'Gujarati',
  Guru: 'Gurmukhi',
  Hang: 'Hangul',
  Hani: 'Han',
  Hebr: 'Hebrew',
  Hira: 'Hiragana',
  Kana: 'Katakana',
  Khmr: 'Khmer',
  Knda: 'Kannada',
  Laoo: 'Lao',
  Latn: 'Latin',
  Mlym: 'Malayalam',
  Mymr: 'Myanmar',
  Sinh: 'Sinhala',
  Taml: 'Tamil',
  Telu: 'Telugu',
  Thaa: 'Thaana',
  Thai: 'Thai',
  Tibt: 'Tibetan',
};

/** The combinations UTS #39 §5.2 allows at the highly restrictive level besides a single script. */
const COMBOS = [
  ['Latn', 'Hani', 'Hira', 'Kana'],
  ['Latn', 'Hani', 'Bopo'],
  ['Latn', 'Hani', 'Hang'],
];

/** Characters of every script (digits, `-`, combining marks inherit their base): they never make a label mixed. */
const ANY_SCRIPT_RE = /^[\p{Script_Extensions=Zyyy}\p{Script_Extensions=Zinh}]$/u;
const UNKNOWN_RE = /^\p{Script=Zzzz}$/u;

let scriptTests: { code: string; re: RegExp }[] | undefined;
const scriptCache = new Map<number, string[]>();

/** The Script_Extensions of one character (cached; IDN entries are rare and short). */
function scriptsOf(ch: string): string[] {
  const cp = ch.codePointAt(0)!;
  const hit = scriptCache.get(cp);
  if (hit) return hit;
  scriptTests ??= SCRIPT_CODES.flatMap((code) => {
    try {
      return [{ code, re: new RegExp(`^\\p{Script_Extensions=${code}}$`, 'u') }];
    } catch {
      return [];
    }
  });
  const out = scriptTests.filter((t) => t.re.test(ch)).map((t) => t.code);
  if (scriptCache.size < 4096) scriptCache.set(cp, out);
  return out;
}

/** Describes the scripts of a label that is not "highly restrictive" (UTS #39 §5.2), or undefined when it is. */
export function mixedScripts(label: string): string | undefined {
  const chars = [...label].filter((c) => !ANY_SCRIPT_RE.test(c));
  // An ASCII label is Latin (or script-neutral) and needs no check.
  if (chars.every((c) => c.charCodeAt(0) < 0x80)) return undefined;
  const unknown = chars.find((c) => UNKNOWN_RE.test(c));
  if (unknown) return `${codePoint(unknown)} has no script in this runtime's Unicode data`;
  const sets = chars.map(scriptsOf);
  let common = sets[0] ?? [];
  for (const s of sets) common = common.filter((x) => s.includes(x));
  if (common.length) return undefined;
  if (COMBOS.some((combo) => sets.every((s) => s.some((x) => combo.includes(x))))) return undefined;
  // Group the characters by their (first) script, in order of appearance.
  const groups = new Map<string, string[]>();
  chars.forEach((c, i) => {
    const name = SCRIPT_NAMES[sets[i]![0]!] ?? sets[i]![0]!;
    const list = groups.get(name) ?? [];
    const shown = c.charCodeAt(0) < 0x80 ? `\`${c}\`` : codePoint(c);
    if (!list.includes(shown)) list.push(shown);
    groups.set(name, list);
  });
  return [...groups].map(([name, list]) => `${name}: ${list.join(', ')}`).join('; ');
}

const CYRILLIC_SMALL = (
  'A,BE,VE,GHE,DE,IE,ZHE,ZE,I,SHORT I,KA,EL,EM,EN,O,PE,ER,ES,TE,U,EF,HA,TSE,CHE,SHA,SHCHA,HARD SIGN,YERU,SOFT SIGN,E,YU,YA,' +
  'IE WITH GRAVE,IO,DJE,GJE,UKRAINIAN IE,DZE,BYELORUSSIAN-UKRAINIAN I,YI,JE,LJE,NJE,TSHE,KJE,I WITH GRAVE,SHORT U,DZHE'
).split(',');
const GREEK_SMALL =
  'ALPHA,BETA,GAMMA,DELTA,EPSILON,ZETA,ETA,THETA,IOTA,KAPPA,LAMDA,MU,NU,XI,OMICRON,PI,RHO,FINAL SIGMA,SIGMA,TAU,UPSILON,PHI,CHI,PSI,OMEGA'.split(
    ',',
  );

/** `U+0430 CYRILLIC SMALL LETTER A` for the letters homograph attacks use most, else `U+XXXX` and its script. */
export function codePoint(ch: string): string {
  const cp = ch.codePointAt(0)!;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  let name: string | undefined;
  if (cp >= 0x430 && cp <= 0x45f) name = `CYRILLIC SMALL LETTER ${CYRILLIC_SMALL[cp - 0x430]}`;
  else if (cp >= 0x3b1 && cp <= 0x3c9) name = `GREEK SMALL LETTER ${GREEK_SMALL[cp - 0x3b1]}`;
  return name ? `${hex} ${name}` : hex;
}
