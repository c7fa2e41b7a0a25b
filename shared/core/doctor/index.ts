/**
 * `egress doctor`: every check over the facts read once, in the order docs/doctor.md lists them; the text and the
 * JSON of the answer; the exit rule (1 on any FAIL). Pure.
 */
import { baselineCheck, egressBeforePolicyCheck, enforcementOrderCheck, policyAssociationCheck } from './network';
import {
  capacityCheck,
  dnsAlternativeServersCheck,
  dnsLoggingCheck,
  permissionsCheck,
  projectSourcesCheck,
} from './platform';
import type { Check, DoctorFacts } from './types';

export * from './types';

/** Every check, in order. */
export function runChecks(f: DoctorFacts): Check[] {
  return [
    enforcementOrderCheck(f.model),
    egressBeforePolicyCheck(f.model),
    policyAssociationCheck(f.model, f.expected),
    baselineCheck(f.model, f.expected),
    dnsLoggingCheck(f.model, f.dnsPolicies),
    dnsAlternativeServersCheck(f.model, f.dnsPolicies),
    projectSourcesCheck(f.model, f.target, f.projects),
    capacityCheck(f.capacity, f.capacityNote),
    permissionsCheck(f.permissions),
  ];
}

/** True when a check failed (doctor then exits 1). */
export const anyFailed = (checks: readonly Check[]): boolean => checks.some((c) => c.status === 'FAIL');

/** One line per check, `STATUS id: message; fix: … (docs)`, then the totals. */
export function renderDoctorText(checks: readonly Check[]): string {
  const lines = checks.map((c) => `${c.status} ${c.id}: ${c.message}${c.fix ? `; fix: ${c.fix}` : ''} (${c.docs})`);
  const n = (s: Check['status']) => checks.filter((c) => c.status === s).length;
  lines.push(`${n('PASS')} passed, ${n('WARN')} warnings, ${n('FAIL')} failed`);
  return `${lines.join('\n')}\n`;
}

/** The JSON of `--format json`. */
export function doctorJson(checks: readonly Check[]): { checks: Check[] } {
  return { checks: checks.map((c) => ({ ...c })) };
}
