/**
 * The fix when a destination is not allowed: the entry to list (the platform wildcard when one covers the host or
 * contains the address), checked by the validator's own rule, and the exact line with where it goes, placed from the
 * positions validateManifest reports (no second reading of the YAML). A project without a manifest gets a whole one.
 */
import { normalizeEgressValue } from '../manifest/egress';
import { API_VERSION, KIND } from '../manifest/types';
import type { PlatformPolicy } from '../policy/types';
import { policyWildcardFor, wildcardExpansionOf } from './matching';
import type { CannotList, ExplainFix, ExplainManifest, ParsedDestination } from './types';

function quoteYaml(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The entry that would allow the destination, with a note on why that one. */
function entryFor(dest: ParsedDestination, policy: PlatformPolicy): { entry: string; note?: string } {
  if (dest.kind === 'hostname') {
    const w = policyWildcardFor(dest.value, policy);
    if (!w) return { entry: dest.value };
    const exp = policy.wildcards[w]!;
    return {
      entry: w,
      note: `${dest.value} is covered by the platform wildcard ${w} (enforced as ${exp.ranges.join(', ')}${exp.note ? `: ${exp.note}` : ''})`,
    };
  }
  const inside = wildcardExpansionOf(dest.value, policy);
  if (inside) {
    const note = policy.wildcards[inside.wildcard]!.note;
    return {
      entry: inside.wildcard,
      note: `${dest.value} is inside ${inside.range}, the expansion of the platform wildcard ${inside.wildcard}${note ? ` (${note})` : ''}: list the wildcard, not the address`,
    };
  }
  if (dest.kind === 'ip')
    return {
      entry: dest.value,
      note: 'an address allows only that address; prefer the service hostname when it has one (provider addresses rotate)',
    };
  return { entry: dest.value };
}

/** A whole manifest for a project that has none (valid as written; the environment is the one line to check). */
function wholeManifest(project: string, item: string): string {
  return [
    `apiVersion: ${API_VERSION}`,
    `kind: ${KIND}`,
    'metadata:',
    `  name: ${project}`,
    '  environment: production  # the project environment (production, staging, dev...)',
    'spec:',
    '  allowedEgress:',
    `    ${item}`,
  ].join('\n');
}

/** The fix (or why there is none) for a destination the project may not reach. */
export function buildFix(args: {
  project: string;
  dest: ParsedDestination;
  policy: PlatformPolicy;
  manifest: ExplainManifest | null;
  suggestedPath?: string;
  why?: string;
}): { fix: ExplainFix | null; cannotList: CannotList | null } {
  const { entry: wanted, note } = entryFor(args.dest, args.policy);
  const check = normalizeEgressValue(wanted, args.policy);
  if (!check.ok)
    return {
      fix: null,
      cannotList: {
        entry: wanted,
        code: check.code,
        reason: check.message,
        ...(check.hint ? { hint: check.hint } : {}),
      },
    };
  // A single address is listed bare, as people write it (the validator reads it as /32 or /128).
  const entry = check.entry.type === 'cidr' && args.dest.kind === 'ip' ? args.dest.value : check.entry.value;
  const why = (args.why ?? 'why this project needs it').replace(/[\r\n]+/g, ' ').trim();
  const item = `- ${quoteYaml(entry)}  # ${why}`;
  const indent = (n: number) => `${' '.repeat(Math.max(0, n))}${item}`;
  const m = args.manifest;
  const file = m?.path ?? args.suggestedPath ?? `${args.project}.yaml`;
  const base = { file, entry, ...(note ? { note } : {}) };
  const done = (fix: ExplainFix) => ({ fix, cannotList: null });
  if (!m) return done({ ...base, line: indent(4), block: wholeManifest(args.project, item) });
  const layout = m.layout;
  if (!layout) return done({ ...base, line: indent(4), block: `spec:\n  allowedEgress:\n${indent(4)}` });
  const { spec, key, list } = layout;
  if (list && !list.flow) return done({ ...base, line: indent(list.column - 1), afterLine: list.lastLine });
  if (key) {
    const keyIndent = key.column - 1;
    if (!list) return done({ ...base, line: indent(keyIndent + 2), afterLine: key.line });
    return done({
      ...base,
      line: indent(keyIndent + 2),
      block: `${' '.repeat(keyIndent)}allowedEgress:\n${indent(keyIndent + 2)}`,
      note: [note, `replace the flow-style "allowedEgress: [...]" on line ${key.line} with a block list`]
        .filter(Boolean)
        .join('; '),
    });
  }
  if (spec) {
    const specIndent = spec.column - 1;
    return done({
      ...base,
      line: indent(specIndent + 4),
      afterLine: spec.line,
      block: `${' '.repeat(specIndent + 2)}allowedEgress:\n${indent(specIndent + 4)}`,
    });
  }
  return done({ ...base, line: indent(4), block: `spec:\n  allowedEgress:\n${indent(4)}` });
}
