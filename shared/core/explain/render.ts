/**
 * Rendering: the one-line summary (part of the JSON) and the terminal text, both from one {@link ExplainResult}.
 * The text's verdict is derived from `allowed` alone, so the text and the JSON cannot disagree.
 */
import type { ExplainResult } from './types';

/** The verdict word of the text output: from `allowed`, qualified by the status (never contradicting it). */
export function verdictOf(r: ExplainResult): string {
  if (r.allowed === null) return 'UNKNOWN';
  const word = r.allowed ? 'ALLOWED' : 'NOT ALLOWED';
  // A verdict that holds by name only must not read as final: the condition goes into the headline.
  if (r.dependsOnDns)
    return `${word} by name; ${r.allowed ? 'denied' : 'allowed'} only if ${r.destination.value} resolves into ${r.dnsRanges.join(', ')}`;
  if (r.status === 'revoke-pending') return `${word} (revoke pending)`;
  if (r.status === 'allowed-pending') return `${word} (${listedNotEnforced(r).short})`;
  if (r.status === 'cannot-apply') return `${word} (listed, cannot apply)`;
  if (r.status === 'internal') return `${word} (not an external destination)`;
  if (r.cannotList) return `${word} (cannot be listed)`;
  return word;
}

/**
 * Why a listed destination is not allowed, in the words of the project's agreement (core/agreement: the one answer
 * `status` and `drift` give too): an apply on its way (`pending`), the owned rules changed outside the pipeline or a
 * failed apply (`drifted`), or the project's rules in place and another rule deciding first (`in-sync`).
 */
function listedNotEnforced(r: Omit<ExplainResult, 'summary'>): { short: string; why: string } {
  switch (r.agreement.status) {
    case 'drifted':
      return {
        short: 'listed; rules drifted',
        why: 'the firewall does not allow it: its rules differ from the manifest',
      };
    case 'in-sync':
      return {
        short: 'listed; another rule decides',
        why: "the project's rules are in place and another rule decides first",
      };
    default:
      return { short: 'apply pending', why: 'the firewall does not allow it yet' };
  }
}

/** The summary sentence of a result (every status but `internal`, whose reason is the destination's). */
export function summarize(r: Omit<ExplainResult, 'summary'>): string {
  const what = r.destination.value;
  const first = r.manifest.matches[0];
  const byEntry = first ? `entry ${first.entry}${first.line ? ` (line ${first.line})` : ''}` : '';
  const d = r.firewall.decidedBy;
  const byRule = d ? `rule ${d.ruleName || '(unnamed)'} (priority ${d.priority}, ${d.action})` : '';
  const dnsCond = `${what} resolves into ${r.dnsRanges.join(', ')} (explain does not resolve DNS)`;
  const add = `add ${r.fix?.line.trim() ?? 'an entry'} to ${r.fix?.file ?? 'the manifest'}`;
  switch (r.status) {
    case 'allowed': {
      let s = `${r.project} may reach ${what}${byEntry ? `: manifest ${byEntry}` : ''}${byRule ? `${byEntry ? ',' : ':'} firewall ${byRule}` : ''}`;
      if (!r.manifest.allowed && d && !d.owned) s += ' (a platform rule, not the project manifest)';
      if (r.dependsOnDns) s += `; by name only: denied if ${dnsCond}`;
      return s;
    }
    case 'allowed-pending':
      return `${r.project} lists ${what} (${byEntry}) but ${listedNotEnforced(r).why}${byRule ? ` (${byRule} decides)` : ''}: ${r.agreement.detail}`;
    case 'cannot-apply':
      return `${r.project} lists ${what} (${byEntry}) but it cannot apply: the project has no IPv${r.destination.family} source range${byRule ? ` (${byRule} decides)` : ''}`;
    case 'revoke-pending':
      return `${r.project} may still reach ${what} through ${byRule}, but the manifest no longer allows it: ${r.agreement.detail}`;
    case 'not-allowed': {
      const rule = byRule ? ` (${byRule})` : '';
      if (r.cannotList)
        return `${r.project} may not reach ${what}${rule}, and no manifest entry can allow it: ${r.cannotList.reason}${r.cannotList.hint ? ` (${r.cannotList.hint})` : ''}`;
      if (r.agreement.status === 'revoked')
        return `${r.project} is ${r.agreement.detail}: it may not reach ${what}${rule}; to allow it, ${add} and upload it`;
      if (r.dependsOnDns)
        return `${r.project} may not reach ${what} by name${rule}; it may only if ${dnsCond}; to allow it by name, ${add}`;
      return `${r.project} may not reach ${what}${rule}; ${add}`;
    }
    default:
      return `cannot tell whether ${r.project} may reach ${what}: it depends on DNS resolution (see notes)`;
  }
}

function manifestLines(r: ExplainResult): string[] {
  if (!r.manifest.found) return ['manifest     none found'];
  const state = !r.manifest.valid ? 'INVALID' : r.manifest.allowed ? 'allows it' : 'does not allow it';
  const out = [
    `manifest     ${r.manifest.path}${r.manifest.generation ? ` (generation ${r.manifest.generation})` : ''}: ${state}`,
  ];
  for (const x of r.manifest.matches) {
    const how =
      x.how === 'exact-hostname'
        ? 'exact hostname'
        : x.how === 'wildcard'
          ? `wildcard, enforced as ${(x.expandsTo ?? []).join(', ')}`
          : x.how === 'wildcard-expansion'
            ? `inside ${x.range} of the ${x.entry} expansion`
            : `inside ${x.range}`;
    out.push(
      `  - ${x.entry}${x.line ? ` (line ${x.line})` : ''}: ${how}${x.description ? `  # ${x.description}` : ''}`,
    );
  }
  return out;
}

function firewallLines(r: ExplainResult): string[] {
  const f = r.firewall;
  if (!f.consulted) return ['firewall     not consulted (add --live or --state FILE)'];
  const out = [
    `firewall     ${f.source}: ${f.allowed === null ? 'no rule decides' : f.allowed ? 'allows it' : 'denies it'}`,
  ];
  for (const x of f.matches) {
    const how =
      x.how === 'fqdn'
        ? `destFqdns ${x.matched}`
        : x.how === 'wildcard-expansion'
          ? `destIpRanges ${x.matched} (wildcard expansion)`
          : x.how === 'any-destination'
            ? `any destination${x.matched ? ` (${x.matched})` : ''}`
            : `destIpRanges ${x.matched}`;
    const star = x === f.decidedBy ? '*' : '-';
    out.push(
      `  ${star} priority ${x.priority} ${x.ruleName || '(unnamed)'} ${x.action}: ${how}${x.owned ? ` [owned, generation ${x.generation}]` : ''}`,
      `      covers ${x.covers}`,
    );
  }
  out.push(`agreement    ${r.agreement.status}: ${r.agreement.detail}`);
  return out;
}

/** Renders a result for a terminal: the verdict and summary first, then the evidence, then the fix. */
export function renderExplainText(r: ExplainResult): string {
  const d = r.destination;
  const out = [
    `${verdictOf(r)}: ${r.summary}`,
    '',
    `destination  ${d.value} (${d.kind})${d.value !== d.input ? ` from "${d.input}"` : ''}`,
  ];
  if (r.status === 'internal') return `${out.join('\n')}\n`;
  out.push(...manifestLines(r), ...firewallLines(r));
  if (r.fix) {
    out.push('', `fix: add to ${r.fix.file}${r.fix.afterLine ? ` after line ${r.fix.afterLine}` : ''}:`);
    out.push(r.fix.block ?? r.fix.line);
    if (r.fix.note) out.push(`note: ${r.fix.note}`);
  }
  if (r.cannotList)
    out.push(
      '',
      `cannot be listed: ${r.cannotList.entry}: ${r.cannotList.reason}${r.cannotList.hint ? ` (${r.cannotList.hint})` : ''}`,
    );
  if (r.notes.length) out.push('', ...r.notes.map((n) => `note: ${n}`));
  return `${out.join('\n')}\n`;
}
