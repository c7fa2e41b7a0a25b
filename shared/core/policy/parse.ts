/** Reads one platform policy override file (YAML or JSON) and merges it over the documented defaults. Pure. */
import type { Node as YNode } from 'yaml';
import type { Diagnostic } from '../diagnostics';
import { normalizeRangeSyntax, normalizeWildcardSyntax } from '../manifest/egress';
import { childPath, type JsonSchema, walkSchema } from '../manifest/schemaWalk';
import { diag, type Pos, parseSingleDocument, posOf } from '../manifest/yamlSource';
import { type CapacitySettings, mergeCapacity } from './capacity';
import { DEFAULT_POLICY } from './defaults';
import { PolicyFileSchema } from './schema';
import { readTarget, type TargetInput } from './target';
import type { PlatformPolicy, WildcardExpansion } from './types';

/** `firewall.placement`, `regions`, `regionalPolicyName`: merged, then checked together (POLICY_PLACEMENT). */
function readPlacement(
  f: NonNullable<FileShape['firewall']>,
  policy: PlatformPolicy,
  at: (key: string) => { pos: Pos; path: string },
  has: (key: string) => boolean,
  diagnostics: Diagnostic[],
): void {
  if (f.placement === 'global' || f.placement === 'regional') policy.firewall.placement = f.placement;
  if (Array.isArray(f.regions)) policy.firewall.regions = f.regions.filter((r) => typeof r === 'string');
  if (typeof f.regionalPolicyName === 'string') policy.firewall.regionalPolicyName = f.regionalPolicyName;
  const fw = policy.firewall;
  const problem = (key: string, message: string, hint: string) => {
    const l = has(`firewall.${key}`) ? at(`firewall.${key}`) : at('firewall.placement');
    diagnostics.push(diag('error', 'POLICY_PLACEMENT', message, l.pos, l.path, hint));
  };
  fw.regions.forEach((r, i) => {
    if (fw.regions.indexOf(r) !== i)
      problem(`regions[${i}]`, `firewall.regions lists \`${r}\` twice`, 'list each region once');
  });
  if (fw.placement !== 'regional') return;
  if (fw.regions.length === 0)
    problem(
      'regions',
      'firewall.placement regional needs firewall.regions: the regions that have a regional firewall policy',
      "e.g. regions: [us-central1, europe-west1] (the same list as terraform's var.regions)",
    );
  if (!fw.regionalPolicyName.includes('{region}'))
    problem(
      'regionalPolicyName',
      `firewall.regionalPolicyName \`${fw.regionalPolicyName}\` does not contain {region}: every region would get the same name`,
      'e.g. "{policy}-{region}"',
    );
}

/** A deep copy of the defaults (callers may not mutate DEFAULT_POLICY). */
function copyDefaults(): PlatformPolicy {
  return JSON.parse(JSON.stringify(DEFAULT_POLICY)) as PlatformPolicy;
}

type FileShape = {
  manifest?: Partial<PlatformPolicy['manifest']>;
  wildcards?: Record<string, WildcardExpansion | null | undefined>;
  firewall?: Partial<Omit<PlatformPolicy['firewall'], 'target'>> & { target?: TargetInput };
  safety?: Partial<PlatformPolicy['safety']>;
  capacity?: Partial<CapacitySettings>;
};

/**
 * Parses `text` (the file at `path`, used in messages only) and returns the merged policy with positioned
 * diagnostics. When there are errors the returned policy is the defaults merged with the valid parts; callers
 * must refuse to run on errors. Never throws.
 */
export function parsePolicy(text: string, path: string): { policy: PlatformPolicy; diagnostics: Diagnostic[] } {
  const policy = copyDefaults();
  try {
    const src = parseSingleDocument(typeof text === 'string' ? text : '');
    const diagnostics = src.diagnostics;
    if (src.fatal || !src.doc) {
      // An empty policy file means "the defaults".
      const onlyEmpty = diagnostics.every((d) => d.code === 'EMPTY_DOCUMENT');
      return { policy, diagnostics: onlyEmpty ? [] : diagnostics };
    }
    const walked = walkSchema(src, PolicyFileSchema as JsonSchema, src.doc.contents as YNode | null, diagnostics);
    const file = (walked.value ?? {}) as FileShape;
    const at = (key: string): { pos: Pos; path: string } => {
      const l = walked.at.get(key);
      return { pos: l ? posOf(src, l.node, l.pos) : { line: 1, column: 1 }, path: l?.path ?? key };
    };
    const m = file.manifest ?? {};
    for (const k of ['maxFileBytes', 'maxEntries', 'minPrefixV4', 'minPrefixV6'] as const)
      if (typeof m[k] === 'number') policy.manifest[k] = m[k];
    for (const [key, exp] of Object.entries(file.wildcards ?? {})) {
      const kp = childPath('wildcards', key);
      const w = { pos: walked.at.get(kp)?.pos ?? at(kp).pos, path: kp };
      const syn = normalizeWildcardSyntax(key);
      if (!syn.ok) {
        diagnostics.push(diag('error', 'POLICY_INVALID_WILDCARD', syn.message, w.pos, w.path, syn.hint));
        continue;
      }
      if (syn.suffix === 'icann') {
        diagnostics.push(
          diag(
            'error',
            'POLICY_INVALID_WILDCARD',
            `\`${key}\` covers a whole public suffix; manifests can never use it`,
            w.pos,
            w.path,
          ),
        );
        continue;
      }
      if (exp === null) {
        delete policy.wildcards[syn.value];
        continue;
      }
      if (!exp || !Array.isArray(exp.ranges)) continue;
      const ranges: string[] = [];
      exp.ranges.forEach((r, i) => {
        if (typeof r !== 'string') return;
        const n = normalizeRangeSyntax(r);
        if ('error' in n) {
          const rp = at(`${kp}.ranges[${i}]`);
          diagnostics.push(diag('error', 'POLICY_INVALID_RANGE', n.error, rp.pos, rp.path, n.hint));
        } else if (n.value.endsWith('/0')) {
          // Manifests may never list /0; a wildcard expanding to it would be the same hole by another name.
          const rp = at(`${kp}.ranges[${i}]`);
          diagnostics.push(
            diag(
              'error',
              'POLICY_INVALID_RANGE',
              `\`${r}\` matches every address: a wildcard mapped to it would open the zero-trust perimeter`,
              rp.pos,
              rp.path,
              `list the provider's published ranges for \`${key}\``,
            ),
          );
        } else if (!ranges.includes(n.value)) ranges.push(n.value);
      });
      if (exp.ranges.length === 0)
        diagnostics.push(
          diag(
            'error',
            'POLICY_INVALID_RANGE',
            `wildcard \`${key}\` maps to no ranges`,
            w.pos,
            w.path,
            'use null to remove a wildcard',
          ),
        );
      const out: WildcardExpansion = { ranges };
      if (typeof exp.note === 'string') out.note = exp.note;
      policy.wildcards[syn.value] = out;
    }
    const f = file.firewall ?? {};
    for (const k of ['hostProject', 'policy'] as const) if (typeof f[k] === 'string') policy.firewall[k] = f[k];
    for (const k of ['priorityMin', 'priorityMax', 'maxFqdnsPerRule', 'maxRangesPerRule'] as const)
      if (typeof f[k] === 'number') policy.firewall[k] = f[k];
    if (typeof f.enableLogging === 'boolean') policy.firewall.enableLogging = f.enableLogging;
    readPlacement(f, policy, at, walked.at.has.bind(walked.at), diagnostics);
    mergeCapacity(policy.capacity, file.capacity);
    if (f.target && typeof f.target.mode === 'string') {
      const read = readTarget(f.target);
      for (const p of read.problems) {
        const l = at(`firewall.target.${p.key}`);
        diagnostics.push(
          diag('error', 'POLICY_TARGET_TEMPLATE', `firewall.target.${p.key}: ${p.message}`, l.pos, l.path, p.hint),
        );
      }
      if (read.target) policy.firewall.target = read.target;
    }
    const sf = file.safety ?? {};
    for (const k of ['maxRevocationsPerRun', 'revocationsPerWindow', 'windowSeconds'] as const)
      if (typeof sf[k] === 'number') policy.safety[k] = sf[k];
    if (policy.firewall.priorityMin >= policy.firewall.priorityMax) {
      const p = walked.at.has('firewall.priorityMax') ? at('firewall.priorityMax') : at('firewall.priorityMin');
      diagnostics.push(
        diag(
          'error',
          'POLICY_PRIORITY_ORDER',
          `firewall.priorityMin (${policy.firewall.priorityMin}) must be below firewall.priorityMax (${policy.firewall.priorityMax})`,
          p.pos,
          p.path,
        ),
      );
    }
    diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
    return { policy, diagnostics };
  } catch (e) {
    return {
      policy,
      diagnostics: [
        diag(
          'error',
          'INTERNAL_ERROR',
          `policy reader failure on ${path}: ${(e as Error)?.message}`,
          { line: 1, column: 1 },
          '',
        ),
      ],
    };
  }
}
