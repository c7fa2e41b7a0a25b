/**
 * The rule compiler: a project's normalized entries → the Cloud NGFW rules that enforce them. Pure and deterministic:
 * the same input always gives the same rules in the same order (FQDN rules, then IPv4, then IPv6 range rules).
 *
 * Layout per project (see docs/applier.md): hostnames go to `destFqdns` rules (Cloud NGFW re-resolves them), chunked
 * by `maxFqdnsPerRule`; CIDR entries and the policy's expansions of wildcards go to `destIpRanges` rules, IPv4 and
 * IPv6 apart (the API refuses mixed families), merged, deduplicated and chunked by `maxRangesPerRule`. Every rule is an
 * EGRESS allow for all protocols that covers the project's workloads as the policy's target mode says (workloads.ts):
 * in `subnets` mode each rule matches the project's source ranges of its family (FQDN rules: `fqdn-N` with the IPv4
 * sources, `fqdn6-N` with the IPv6 sources), in the other modes it targets the accounts or tag values.
 */
import { desiredHash } from '../events/codec';
import type { ChangeReason } from '../events/types';
import type { EgressEntry, ProjectMeta } from '../manifest/types';
import type { PlatformPolicy } from '../policy/types';
import { formatMarker, MANAGED_BY, MARKER_SEPARATOR } from './marker';
import { type RuleKind, ruleName } from './naming';
import { mergeParsed, type ParsedRange, parseRange, parseRangeList } from './ranges';
import { tombstoneRule } from './tombstone';
import type { DesiredRule } from './types';
import { serviceAccounts, type WorkloadError, type WorkloadFields, type Workloads, workloadFields } from './workloads';

/**
 * Longest description we write. The Compute reference states no limit for `FirewallPolicyRule.description`; 1024
 * characters is a conservative cap (the marker needs ~110), so an oversize comment can never make a write fail.
 */
export const MAX_DESCRIPTION = 1024;
/** Longest single entry description kept in a rule description (longer ones are cut with `…`). */
export const MAX_ENTRY_DESCRIPTION = 120;

/** Cloud NGFW's hard per-rule limits: a policy asking for bigger chunks is capped, since the API would refuse them. */
export const API_MAX_FQDNS_PER_RULE = 100;
/** See API_MAX_FQDNS_PER_RULE. */
export const API_MAX_RANGES_PER_RULE = 5000;

/** Options of `compileProject`. */
export interface CompileOptions {
  policy: PlatformPolicy;
  /** Manifest generation (decimal string) written into the ownership marker. */
  generation: string;
  /** Fills `{hostProject}` in the target template; falls back to `policy.firewall.hostProject`. */
  hostProject?: string;
  /**
   * The project's workloads as read for this compile (usecases/workloads.ts). Required in the `subnets` and
   * `secureTags` modes (they need a read); the `serviceAccounts` mode is filled from the templates when absent.
   */
  workloads?: Workloads;
}

/** The input cannot be compiled (bad policy template, unknown wildcard, no workloads): permanent, never retried. */
export class CompileError extends Error {
  constructor(
    message: string,
    /** The apply-failed reason (`compile-failed`, or a WorkloadError's: `no-subnets`, `tag-value-missing`…). */
    readonly reason: string = 'compile-failed',
  ) {
    super(message);
    this.name = 'CompileError';
  }

  static of(err: WorkloadError): CompileError {
    return new CompileError(err.message, err.reason);
  }
}

/**
 * The project's workloads: `opts.workloads`, or for the `serviceAccounts` mode the filled templates. Throws a
 * CompileError when a mode that needs a read has none, or a template cannot be filled.
 */
export function projectWorkloads(project: string, opts: CompileOptions): Workloads {
  const target = opts.policy.firewall.target;
  if (opts.workloads) {
    if (opts.workloads.mode !== target.mode)
      throw new CompileError(`workloads of mode ${opts.workloads.mode} given for target mode ${target.mode}`);
    return opts.workloads;
  }
  if (target.mode !== 'serviceAccounts')
    throw new CompileError(
      `target mode ${target.mode} needs the project's ${target.mode === 'subnets' ? 'subnets' : 'tag values'} read from ` +
        'Google Cloud (or a state file); none were given',
      'workloads-unread',
    );
  try {
    return {
      mode: 'serviceAccounts',
      accounts: serviceAccounts(target, project, opts.hostProject ?? opts.policy.firewall.hostProject),
    };
  } catch (err) {
    throw CompileError.of(err as WorkloadError);
  }
}

/** The workload fields of each source family of the project's rules (workloads.ts); CompileError when none. */
export function projectWorkloadFields(project: string, opts: CompileOptions) {
  const w = projectWorkloads(project, opts);
  try {
    return workloadFields(w, project);
  } catch (err) {
    throw CompileError.of(err as WorkloadError);
  }
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const n = Math.max(1, Math.floor(size));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

/** One line, no control characters, bounded length: descriptions come from YAML comments written by anyone. */
function cleanText(s: string): string {
  let one = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    one += c < 0x20 || c === 0x7f ? ' ' : ch;
  }
  one = one.replace(/\s+/g, ' ').trim();
  if (one.length <= MAX_ENTRY_DESCRIPTION) return one;
  // Cut by code points: slicing UTF-16 units could split an emoji into a lone surrogate the API cannot store as is.
  let cut = '';
  for (const ch of one) {
    if (cut.length + ch.length > MAX_ENTRY_DESCRIPTION - 1) break;
    cut += ch;
  }
  return `${cut}…`;
}

/** `marker | value: why; value: why; +N more`, as much as fits in MAX_DESCRIPTION. */
export function buildDescription(marker: string, described: readonly EgressEntry[]): string {
  const items = described.filter((e) => e.description?.trim()).map((e) => `${e.value}: ${cleanText(e.description!)}`);
  if (items.length === 0) return marker;
  let text = `${marker}${MARKER_SEPARATOR}`;
  let used = 0;
  for (const item of items) {
    const sep = used ? '; ' : '';
    const remaining = items.length - used - 1;
    // Keep room for the "; +N more" tail unless this is the last item.
    const reserve = remaining > 0 ? `; +${remaining} more`.length : 0;
    if (text.length + sep.length + item.length + reserve > MAX_DESCRIPTION) break;
    text += sep + item;
    used++;
  }
  if (used < items.length) text += `${used ? '; ' : ''}+${items.length - used} more`;
  return text;
}

/**
 * Compiles one project's entries into its desired rules. Throws CompileError for a wildcard the policy does not
 * expand or a target template that cannot be filled. An empty entry list gives no rules (the project is revoked).
 */
export function compileProject(
  project: ProjectMeta,
  entries: readonly EgressEntry[],
  opts: CompileOptions,
): DesiredRule[] {
  const { policy } = opts;
  const key = project.name;
  const marker = formatMarker({
    managedBy: MANAGED_BY,
    project: key,
    generation: opts.generation,
    hash: desiredHash(key, entries),
  });
  if (entries.length === 0) return [];
  const families = projectWorkloadFields(key, opts);
  const forFamily = (f: 4 | 6): WorkloadFields | undefined =>
    families.find((x) => x.family === f || x.family === 'any')?.fields;

  const hostEntries = new Map<string, EgressEntry>();
  // CIDR entries are parsed per project; a wildcard's expansion once per policy (parseRangeList).
  const rangeSources: { entry: EgressEntry; ranges: () => readonly ParsedRange[] }[] = [];
  for (const e of entries) {
    if (e.type === 'hostname') {
      const v = e.value.toLowerCase();
      if (!hostEntries.has(v)) hostEntries.set(v, { ...e, value: v });
    } else if (e.type === 'cidr') {
      rangeSources.push({ entry: e, ranges: () => [parseRange(e.value)] });
    } else {
      const exp = policy.wildcards[e.value];
      if (!exp)
        throw new CompileError(
          `wildcard ${e.value} of project ${key} is not expanded by the platform policy (policy.wildcards)`,
        );
      rangeSources.push({ entry: e, ranges: () => parseRangeList(exp.ranges) });
    }
  }

  const l4 = () => [{ ipProtocol: 'all' }];
  const rules: DesiredRule[] = [];
  /** One rule: the workload fields split into the match (sources) and the targets. */
  const rule = (
    kind: RuleKind,
    n: number,
    described: EgressEntry[],
    dest: { destFqdns: string[] } | { destIpRanges: string[] },
    w: WorkloadFields,
  ): DesiredRule => {
    const { srcIpRanges, coverage, ...targets } = w;
    return {
      ruleName: ruleName(key, kind, n),
      description: buildDescription(marker, described),
      direction: 'EGRESS',
      action: 'allow',
      enableLogging: policy.firewall.enableLogging,
      match: { ...(srcIpRanges ? { srcIpRanges } : {}), ...dest, layer4Configs: l4() },
      ...targets,
      ...(coverage ? { coverage } : {}),
    };
  };

  const hosts = [...hostEntries.keys()].sort();
  const hostChunks = chunk(hosts, Math.min(policy.firewall.maxFqdnsPerRule, API_MAX_FQDNS_PER_RULE));
  // FQDN rules once per source family (subnets mode), once otherwise: `fqdn-N`, then `fqdn6-N` for IPv6 sources.
  for (const { family, fields } of families)
    hostChunks.forEach((fqdns, i) => {
      const described = fqdns.map((h) => hostEntries.get(h)!);
      rules.push(rule(family === 6 ? 'fqdn6' : 'fqdn', i + 1, described, { destFqdns: fqdns }, fields));
    });

  let merged: { v4: string[]; v6: string[] };
  let parsed: { entry: EgressEntry; ranges: readonly ParsedRange[] }[];
  try {
    parsed = rangeSources.map((s) => ({ entry: s.entry, ranges: s.ranges() }));
    merged = mergeParsed(parsed.flatMap((s) => s.ranges));
  } catch (err) {
    throw new CompileError(`project ${key}: ${(err as Error).message}`);
  }
  for (const [kind, list] of [
    ['v4', merged.v4],
    ['v6', merged.v6],
  ] as const) {
    const fields = forFamily(kind === 'v4' ? 4 : 6);
    // No sources of this family (subnets mode, no IPv6 ranges): nothing of the project can send it, no rule.
    if (!fields) continue;
    const chunks = chunk(list, Math.min(policy.firewall.maxRangesPerRule, API_MAX_RANGES_PER_RULE));
    const sets = chunks.map((c) => new Set(c));
    // An entry is described on the chunk holding one of its ranges, or on chunk 1 when a broader range covered all.
    const describedBy: EgressEntry[][] = chunks.map(() => []);
    for (const s of parsed) {
      const canon = s.ranges.filter((r) => `v${r.family}` === kind);
      if (canon.length === 0) continue;
      const at = sets.findIndex((set) => canon.some((r) => set.has(r.text)));
      describedBy[Math.max(at, 0)]?.push(s.entry);
    }
    chunks.forEach((ranges, i) => {
      rules.push(rule(kind, i + 1, describedBy[i] ?? [], { destIpRanges: ranges }, fields));
    });
  }
  return rules;
}

/**
 * The desired rules of one change as the applier writes them: the compiled rules, or, for a revocation (a `delete`
 * event, or a manifest that lists no entries), the project's tombstone recording `opts.generation` (tombstone.ts),
 * so the stale-event guard still knows the newest generation applied. Drift and replay plan with this too.
 */
export function desiredRules(
  project: ProjectMeta,
  entries: readonly EgressEntry[],
  opts: CompileOptions & { reason?: ChangeReason; revokedAt?: number },
): DesiredRule[] {
  if (opts.reason === 'delete' || entries.length === 0)
    return [tombstoneRule(project.name, opts.generation, opts.revokedAt)];
  return compileProject(project, entries, opts);
}
