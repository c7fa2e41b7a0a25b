/**
 * `egress status PROJECT`: one project as the pipeline left it. The live owned rules and the generation each records
 * (the ownership marker), the agreement of those rules with the project's manifest (the same comparison as drift,
 * shared/core/drift.ts, for this one project), and the last status event about the project read from a status-topic
 * subscription without acknowledging anything (terraform's `egress-status-operators`, 7 days of retention; npm start
 * creates the same subscription on the emulator).
 */

import { type DriftFinding, detectDrift } from '../core/drift';
import { decodeStatus } from '../core/events/codec';
import type { StatusEvent } from '../core/events/types';
import { isTombstone, parseMarker } from '../core/firewall';
import type { ObservedRule } from '../core/firewall/types';
import type { PlatformPolicy } from '../core/policy/types';
import type { MessagePuller } from '../ports/puller';
import { findManifest, type ManifestSourceSpec } from './explain';

/** One live owned rule of the project. */
export interface StatusRule {
  ruleName: string;
  priority: number;
  /** The manifest generation the rule records (its marker). */
  generation: string;
  tombstone: boolean;
  destinations: string[];
}

/** What `egress status` answers (the JSON of `--format json`; the text is rendered from it). */
export interface ProjectStatus {
  project: string;
  firewall: string;
  rules: StatusRule[];
  /** Newest generation the owned rules record; absent without owned rules. */
  appliedGeneration?: string;
  manifest: { path: string; valid: boolean; generation?: string } | null;
  /**
   * `in-sync` (the rules are what the manifest compiles to), `drifted` (findings), `no-manifest` (rules without a
   * manifest: a revocation pending or missed), `invalid-manifest` (the pipeline keeps the last valid rules), `absent`
   * (neither manifest nor rules).
   */
  agreement: 'in-sync' | 'drifted' | 'no-manifest' | 'invalid-manifest' | 'absent';
  findings: DriftFinding[];
  /** The newest status event about the project on the subscription, or null; absent when no subscription was read. */
  lastStatus?: { subscription: string; event: StatusEvent | null };
}

/** The newest status event of `project` among the subscription's messages; every message is given back (nack). */
export async function lastStatusEvent(
  puller: MessagePuller,
  project: string,
  maxMessages = 1000,
): Promise<StatusEvent | null> {
  const leased: string[] = [];
  let newest: StatusEvent | null = null;
  try {
    while (leased.length < maxMessages) {
      const batch = await puller.pull(Math.min(100, maxMessages - leased.length));
      if (batch.length === 0) break;
      for (const m of batch) {
        leased.push(m.ackId);
        const d = decodeStatus(m.message);
        if (!d.ok || d.event.data.project !== project) continue;
        if (!newest || Date.parse(d.event.time) >= Date.parse(newest.time)) newest = d.event;
      }
    }
  } finally {
    // Read-only: the messages stay for the next reader (kept leased during the loop so each is seen once).
    await puller.nack?.(leased);
  }
  return newest;
}

/** Compares the project's live owned rules with its manifest. */
export async function projectStatus(args: {
  project: string;
  policy: PlatformPolicy;
  source: ManifestSourceSpec;
  firewall: { source: string; rules: ObservedRule[] };
  hostProject?: string;
  status?: { subscription: string; puller: MessagePuller };
}): Promise<ProjectStatus> {
  const { project, policy } = args;
  const owned = args.firewall.rules.filter((r) => parseMarker(r.description)?.project === project);
  const rules: StatusRule[] = owned.map((r) => ({
    ruleName: r.ruleName,
    priority: r.priority,
    generation: parseMarker(r.description)?.generation ?? '',
    tombstone: isTombstone(r),
    destinations: [...(r.match.destFqdns ?? []), ...(r.match.destIpRanges ?? [])],
  }));
  const generations = rules.map((r) => r.generation).filter(Boolean);
  const appliedGeneration = generations.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)).at(-1);
  const { manifest } = await findManifest(project, args.source, policy);
  const valid = !!manifest?.valid && !!manifest.project;
  const report = detectDrift({
    manifests: valid
      ? [
          {
            project: manifest!.project!,
            entries: manifest!.entries,
            object: manifest!.path,
            generation: manifest!.generation ?? appliedGeneration ?? '0',
          },
        ]
      : [],
    ...(manifest && !valid ? { uncheckedProjects: [project] } : {}),
    rules: args.firewall.rules.filter((r) => !parseMarker(r.description) || owned.includes(r)),
    policy,
    ...(args.hostProject ? { hostProject: args.hostProject } : {}),
  });
  const findings = report.drifted.find((d) => d.project === project)?.findings ?? [];
  const agreement: ProjectStatus['agreement'] = !manifest
    ? owned.some((r) => !isTombstone(r))
      ? 'no-manifest'
      : owned.length
        ? 'in-sync'
        : 'absent'
    : !valid
      ? 'invalid-manifest'
      : findings.length
        ? 'drifted'
        : 'in-sync';
  return {
    project,
    firewall: args.firewall.source,
    rules,
    ...(appliedGeneration ? { appliedGeneration } : {}),
    manifest: manifest
      ? { path: manifest.path, valid, ...(manifest.generation ? { generation: manifest.generation } : {}) }
      : null,
    agreement,
    findings,
    ...(args.status
      ? {
          lastStatus: {
            subscription: args.status.subscription,
            event: await lastStatusEvent(args.status.puller, project),
          },
        }
      : {}),
  };
}

/** The text form of a status (the same facts as the JSON). */
export function renderStatusText(s: ProjectStatus): string {
  const lines = [`${s.project}: ${s.agreement.toUpperCase()} (firewall: ${s.firewall})`];
  lines.push(
    s.manifest
      ? `  manifest ${s.manifest.path}${s.manifest.generation ? ` generation ${s.manifest.generation}` : ''}${s.manifest.valid ? '' : ' (INVALID: the pipeline keeps the last valid rules)'}`
      : '  manifest: none',
  );
  if (!s.rules.length) lines.push('  rules: none');
  for (const r of s.rules)
    lines.push(
      `  rule ${r.ruleName} priority ${r.priority} generation ${r.generation}: ${r.tombstone ? 'tombstone (allows nothing)' : r.destinations.join(', ')}`,
    );
  for (const f of s.findings) lines.push(`  ${f.kind} ${f.ruleName}: ${f.detail}`);
  if (s.lastStatus) {
    const e = s.lastStatus.event;
    lines.push(
      e
        ? `  last status ${e.data.outcome} at ${e.time}${e.data.source ? ` (generation ${e.data.source.generation})` : ''}${e.data.reason ? `: ${e.data.reason}` : ''} [${s.lastStatus.subscription}]`
        : `  last status: none on ${s.lastStatus.subscription}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
