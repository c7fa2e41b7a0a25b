/**
 * `egress explain`: "may project P reach destination D?", answered from the manifest (what the team asked for) and
 * the firewall (what is enforced), with the entry and rule that decide, whether the two disagree, and the exact YAML
 * line to add when D is not allowed. Pure: the caller reads the manifest and the policy snapshot; no DNS lookups (a
 * hostname is never resolved here, so "does this host fall inside that range" is reported as unknown, never guessed).
 *
 * In parts: destination.ts (the arguments), matching.ts (entries and rules), agreement.ts (manifest vs firewall),
 * fix.ts (the line to add), render.ts (summary and text, from the one result built here).
 */
import { agreementOf } from './agreement';
import { checkProjectKey, internalReason, parseDestination } from './destination';
import { buildFix } from './fix';
import { evaluateFirewall, matchEntries, singlePolicyTiers } from './matching';
import { summarize } from './render';
import { EXPLAIN_SCHEMA_VERSION, type ExplainInput, type ExplainResult, type ParsedDestination } from './types';

export { checkProjectKey, parseDestination } from './destination';
export { policyWildcardFor } from './matching';
export { renderExplainText, verdictOf } from './render';
export * from './types';

/**
 * Answers "may `input.project` reach `input.destination`?". Throws {@link ExplainArgumentError} (a
 * {@link DestinationError} for the destination) for an argument it cannot use.
 */
export function explain(input: ExplainInput): ExplainResult {
  checkProjectKey(input.project);
  const dest = parseDestination(input.destination);
  const notes: string[] = [];
  if (dest.stripped.length)
    notes.push(
      `firewall rules match hosts and addresses only: stripped ${dest.stripped.join(', ')} from "${dest.input}"`,
    );
  const internal = internalReason(dest);
  if (internal !== undefined) return internalResult(input, dest, internal, notes);

  const m = input.manifest;
  const usable = m?.valid ? m : null;
  const mm = usable
    ? matchEntries(dest, usable.entries, input.policy, usable.layout)
    : { matches: [], undetermined: [] };
  if (m && !m.valid)
    notes.push(
      `${m.path} is invalid (${(m.errors ?? []).join(', ') || 'see egress validate'}): the pipeline ignores it until fixed`,
    );
  // DNS notes only for hostnames: "151.101.0.0/20 is allowed if … resolves to it" tells a reader nothing.
  if (mm.undetermined.length && dest.kind === 'hostname')
    notes.push(
      `the manifest allows ${dest.value} if it resolves into ${mm.undetermined.join(', ')} (explain does not resolve DNS)`,
    );
  const manifestAllowed = mm.matches.length > 0;

  const consulted = !!input.firewall;
  notes.push(...(input.firewall?.placementNotes ?? []));
  const fw = input.firewall
    ? evaluateFirewall(
        input.firewall.rules,
        input.firewall.tiers ?? singlePolicyTiers(input.firewall.rules),
        input.project,
        dest,
        input.policy,
        input.hostProject,
        dest.value.includes(':') ? (input.firewall.sourceIp6 ?? input.firewall.sourceIp) : input.firewall.sourceIp,
      )
    : null;
  const decidedBy = fw?.decidedBy ?? null;
  if (fw && !fw.targetKnown)
    notes.push(
      'host project unknown: platform rules that target the project by service account were not considered (--host-project)',
    );
  // A DNS-dependent rule before the decider could decide instead: say so rather than pretend.
  const firstDns = fw?.dnsRules.find((d) => d.beforeDecision);
  if (dest.kind === 'hostname' && firstDns)
    notes.push(
      `rule ${fw?.undetermined[fw.dnsRules.indexOf(firstDns)]?.ruleName || firstDns.priority} (priority ${firstDns.priority}, ${firstDns.action}) may match first, depending on what ${dest.value} resolves to`,
    );
  const firewallAllowed = decidedBy ? decidedBy.action !== 'deny' : null;
  // "Not allowed" is about the range as a whole; the parts that are open are said, not hidden.
  const partial = fw?.partial ?? [];
  if (firewallAllowed === false && partial.length)
    notes.push(
      `parts of ${dest.value} are allowed: ${partial.map((p) => `${p.range} (rule ${p.ruleName || p.priority})`).join(', ')}`,
    );
  if (decidedBy?.tier?.kind === 'implied')
    notes.push(
      'no rule of the policy matched: the implied egress allow rule decides (the baseline deny-all egress rule was not found or does not cover this destination)',
    );
  else if (decidedBy?.place) notes.push(`decided by ${decidedBy.place}`);

  const agreement = agreementOf({
    project: input.project,
    manifest: m,
    consulted,
    owned: fw?.owned ?? [],
    policy: input.policy,
    ...(input.hostProject ? { hostProject: input.hostProject } : {}),
    ...(input.agreement !== undefined ? { given: input.agreement } : {}),
  });
  const effective = consulted ? firewallAllowed : manifestAllowed;
  const ownedAllows = !!fw?.matches.some((r) => r.owned && r.action === 'allow');
  const dnsRanges = dnsRangesOf(input, dest, effective, manifestAllowed, mm.undetermined, fw);
  let status: ExplainResult['status'];
  if (effective === null) status = 'unknown';
  else if (effective) status = !manifestAllowed && ownedAllows && decidedBy?.owned ? 'revoke-pending' : 'allowed';
  else status = manifestAllowed ? 'allowed-pending' : 'not-allowed';
  // An entry whose family the project has no source range of is never written (core/firewall/workloads.ts): not pending.
  const families = input.firewall?.sourceFamilies;
  if (status === 'allowed-pending' && dest.family && families && !families.includes(dest.family)) {
    status = 'cannot-apply';
    notes.push(
      `${input.project} has no IPv${dest.family} source range in the network, so the entry is never applied (no rule can cover an IPv${dest.family} connection of it): ask the network team for IPv${dest.family} ranges on its subnets`,
    );
  }
  const disagree =
    consulted && firewallAllowed !== null && manifestAllowed !== firewallAllowed && (ownedAllows || manifestAllowed);

  const { fix, cannotList } =
    effective === true || manifestAllowed
      ? { fix: null, cannotList: null }
      : buildFix({
          project: input.project,
          dest,
          policy: input.policy,
          manifest: m,
          ...(input.suggestedPath ? { suggestedPath: input.suggestedPath } : {}),
          ...(input.why ? { why: input.why } : {}),
        });
  if (!m && fix) notes.push(`no manifest found for ${input.project}: create ${fix.file} with the manifest below`);

  const result: Omit<ExplainResult, 'summary'> = {
    schemaVersion: EXPLAIN_SCHEMA_VERSION,
    project: input.project,
    destination: dest,
    allowed: effective,
    dependsOnDns: dnsRanges.length > 0,
    dnsRanges,
    status,
    manifest: manifestPart(input, manifestAllowed, mm),
    firewall: {
      consulted,
      ...(input.firewall ? { source: input.firewall.source } : {}),
      allowed: firewallAllowed,
      decidedBy,
      matches: fw?.matches ?? [],
      undetermined: fw?.undetermined ?? [],
    },
    agreement,
    disagree,
    fix,
    cannotList,
    notes,
  };
  return withSummary(result, summarize(result));
}

/** The ranges that would turn a hostname's answer around if it resolved into them (empty for addresses). */
function dnsRangesOf(
  input: ExplainInput,
  dest: ParsedDestination,
  effective: boolean | null,
  manifestAllowed: boolean,
  manifestUndetermined: string[],
  fw: ReturnType<typeof evaluateFirewall> | null,
): string[] {
  if (dest.kind !== 'hostname' || effective === null) return [];
  if (!fw) return manifestAllowed ? [] : [...new Set(manifestUndetermined)];
  // A wildcard's expansion (Private Google Access) is reached through the platform's DNS zone for that wildcard's
  // hosts only, which the matching already credits; it is not a "maybe" for any other host.
  const wildcardRanges = new Set(Object.values(input.policy.wildcards).flatMap((w) => w.ranges));
  const ranges = fw.dnsRules
    .filter((d) => d.beforeDecision && d.action !== 'goto_next')
    .filter((d) => (d.action !== 'deny') !== effective)
    .flatMap((d) => d.ranges)
    .filter((x) => !wildcardRanges.has(x));
  return [...new Set(ranges)];
}

function manifestPart(
  input: ExplainInput,
  allowed: boolean,
  mm: { matches: ExplainResult['manifest']['matches']; undetermined: string[] },
): ExplainResult['manifest'] {
  const m = input.manifest;
  return {
    path: m?.path ?? null,
    found: !!m,
    valid: !!m?.valid,
    ...(m?.generation ? { generation: m.generation } : {}),
    allowed,
    matches: mm.matches,
    undetermined: mm.undetermined,
  };
}

/** The result with its summary placed where the JSON contract has it (after `status`). */
function withSummary(r: Omit<ExplainResult, 'summary'>, summary: string): ExplainResult {
  const { manifest, firewall, agreement, disagree, fix, cannotList, notes, ...head } = r;
  return { ...head, summary, manifest, firewall, agreement, disagree, fix, cannotList, notes };
}

/** The answer for a destination egress rules do not govern (a special-use name, non-public space). */
function internalResult(input: ExplainInput, dest: ParsedDestination, reason: string, notes: string[]): ExplainResult {
  const summary =
    dest.kind === 'hostname'
      ? `${reason}: egress rules do not govern it`
      : `${dest.value} is not an external destination (${reason}): egress rules do not govern it; traffic inside the Shared VPC is allowed by default`;
  return withSummary(
    {
      schemaVersion: EXPLAIN_SCHEMA_VERSION,
      project: input.project,
      destination: dest,
      allowed: true,
      dependsOnDns: false,
      dnsRanges: [],
      status: 'internal',
      manifest: manifestPart(input, false, { matches: [], undetermined: [] }),
      firewall: { consulted: !!input.firewall, allowed: null, decidedBy: null, matches: [], undetermined: [] },
      agreement: { status: 'unknown', detail: 'not an external destination' },
      disagree: false,
      fix: null,
      cannotList: null,
      notes,
    },
    summary,
  );
}
