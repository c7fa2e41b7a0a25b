/**
 * The comparison of one project's owned rules with its desired rules, in words: why a marked rule is not one we would
 * write (`foreign-marker`), what differs in a rule (`changed`), why an owned rule is `extra`. Pure.
 */

import { projectWorkloadFields } from '../firewall/compiler';
import { parseMarker } from '../firewall/marker';
import { ruleName as nameOf, type RuleKind, tombstoneRuleName } from '../firewall/naming';
import { isTombstone } from '../firewall/tombstone';
import type { DesiredRule, ObservedRule } from '../firewall/types';
import type { Workloads } from '../firewall/workloads';
import { workloadKind } from '../firewall/writePlan';
import type { PlatformPolicy } from '../policy/types';
import type { AgreementManifest } from './types';

const KIND_RE = /-(fqdn6|fqdn|v4|v6)-([1-9]\d*)$/;

/** Why a marked rule is one we would never have written; null when it could be ours. */
export function foreignReason(
  rule: ObservedRule,
  project: string,
  policy: PlatformPolicy,
  hostProject: string | undefined,
  workloads?: Workloads,
): string | null {
  const { priorityMin, priorityMax } = policy.firewall;
  if (rule.priority < priorityMin || rule.priority > priorityMax)
    return `priority ${rule.priority} outside the band ${priorityMin}-${priorityMax}`;
  // A tombstone is a disabled deny without targets by design; a change of its content is `changed`, not foreign.
  if (isTombstone(rule))
    return rule.ruleName === tombstoneRuleName(project)
      ? null
      : `name ${rule.ruleName || '(none)'} is not the tombstone name of project ${project}`;
  if (rule.direction !== 'EGRESS' || rule.action !== 'allow')
    return `${rule.direction} ${rule.action} rule (this product writes EGRESS allow rules only)`;
  const m = KIND_RE.exec(rule.ruleName ?? '');
  if (!m || nameOf(project, m[1] as RuleKind, Number(m[2])) !== rule.ruleName)
    return `name ${rule.ruleName || '(none)'} is not a rule name of project ${project}`;
  // Targets of the mode's kind must be the project's own; source ranges are content (`changed` when out of date),
  // and a rule of another mode's kind is the replacement a mode switch plans, not foreign.
  try {
    const fields = projectWorkloadFields(project, {
      policy,
      generation: '0',
      ...(hostProject ? { hostProject } : {}),
      ...(workloads ? { workloads } : {}),
    });
    const want = fields[0]?.fields;
    const kind = workloadKind(rule);
    if (want && (kind === 'accounts' || kind === 'tags') && policy.firewall.target.mode !== 'subnets') {
      const got = JSON.stringify([rule.targetServiceAccounts ?? [], (rule.targetSecureTags ?? []).map((t) => t.name)]);
      const exp = JSON.stringify([want.targetServiceAccounts ?? [], (want.targetSecureTags ?? []).map((t) => t.name)]);
      if (got !== exp && kind === (want.targetServiceAccounts ? 'accounts' : 'tags'))
        return `targets ${got} are not the project's own ${exp}`;
    }
  } catch {
    // Workloads not resolvable here (no host project, no subnets read): skip this check rather than guess.
  }
  return null;
}

function listDiff(
  label: string,
  before: readonly string[] | undefined,
  after: readonly string[] | undefined,
): string[] {
  const a = new Set(before ?? []);
  const b = new Set(after ?? []);
  const added = [...b].filter((x) => !a.has(x)).sort();
  const removed = [...a].filter((x) => !b.has(x)).sort();
  const out: string[] = [];
  if (added.length) out.push(`${label} +${added.join(' +')}`);
  if (removed.length) out.push(`${label} -${removed.join(' -')}`);
  return out;
}

/** What differs between an observed rule and the desired one, in words (the firewall's side is "after": `+x` is extra). */
export function describeChange(observed: ObservedRule, desired: DesiredRule): string {
  const want = new Set(desired.match.srcIpRanges ?? []);
  const have = new Set(observed.match.srcIpRanges ?? []);
  const lacks = [...want].filter((x) => !have.has(x)).sort();
  const stale = [...have].filter((x) => !want.has(x)).sort();
  const src = [
    ...(lacks.length ? [`missing ${lacks.join(', ')}`] : []),
    ...(stale.length ? [`no longer the project's ${stale.join(', ')}`] : []),
  ];
  const parts = [
    // Target mode subnets: the sources follow the project's subnets; a difference means they are out of date.
    ...(src.length
      ? [`sources out of date (${src.join('; ')})${desired.coverage ? `; now ${desired.coverage}` : ''}`]
      : []),
    ...listDiff('destFqdns', desired.match.destFqdns, observed.match.destFqdns),
    ...listDiff('destIpRanges', desired.match.destIpRanges, observed.match.destIpRanges),
    ...listDiff('targetServiceAccounts', desired.targetServiceAccounts, observed.targetServiceAccounts),
    ...listDiff(
      'targetSecureTags',
      desired.targetSecureTags?.map((t) => t.name),
      observed.targetSecureTags?.map((t) => t.name),
    ),
  ];
  if (!!observed.disabled !== !!desired.disabled) parts.push(`disabled ${!!observed.disabled}`);
  if (!!observed.enableLogging !== !!desired.enableLogging) parts.push(`enableLogging ${!!observed.enableLogging}`);
  if (observed.action !== desired.action) parts.push(`action ${observed.action}`);
  const l4 = (r: DesiredRule) => JSON.stringify(r.match.layer4Configs ?? []);
  if (l4(observed) !== l4(desired)) parts.push(`layer4Configs ${l4(observed)}`);
  const human = (d: string) => d.split(' | ').slice(1).join(' | ');
  if (parts.length === 0 && human(observed.description) !== human(desired.description)) parts.push('description');
  return parts.length ? parts.join(', ') : 'content differs';
}

/** Why an owned rule is `extra`, in words. */
export function extraDetail(
  r: ObservedRule,
  project: string,
  manifest: AgreementManifest | undefined,
  shadowed: string | undefined,
): string {
  if (!manifest) return `project ${project} has no manifest`;
  if (!isTombstone(r)) return 'not in what the manifest compiles to';
  const at = parseMarker(r.description)?.generation ?? '?';
  if (shadowed)
    return (
      `tombstone: ${project} was revoked at generation ${at}, and the live manifest (generation ${manifest.generation ?? '?'}) ` +
      'is not newer, so the applier skips a plain replay; if that revocation was wrong, `egress replay --restore --project ' +
      `${project}\` restores the rules (docs/operations.md, "Undo a mass revocation")`
    );
  return `tombstone of the revocation at generation ${at}: the manifest exists again (generation ${manifest.generation ?? '?'}); a replay creates the rules and removes it`;
}
