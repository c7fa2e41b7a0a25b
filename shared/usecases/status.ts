/**
 * `egress status PROJECT`: one project as the pipeline left it. The live owned rules and the generation each records
 * (the ownership marker), the agreement of those rules with the project's manifest (the one agreement,
 * core/agreement: by content, with the project's sources as the target mode reads them and every policy of the
 * placement; explain and drift read the same), and the last status event about the project read from a status-topic
 * subscription without acknowledging anything (terraform's `egress-status-operators`, 7 days of retention; npm start
 * creates the same subscription on the emulator).
 */

import {
  type AgreementStatus,
  agreeFleet,
  type DriftFinding,
  noSuchProject,
  type ProjectAgreement,
} from '../core/agreement';
import { decodeStatus } from '../core/events/codec';
import type { StatusEvent } from '../core/events/types';
import type { ExplainManifest } from '../core/explain';
import { isTombstone, parseMarker } from '../core/firewall';
import type { ObservedRule } from '../core/firewall/types';
import type { PolicyRef } from '../core/policy/placement';
import type { PlatformPolicy } from '../core/policy/types';
import type { MessagePuller } from '../ports/puller';
import { findManifest, type ManifestSourceSpec } from './explain';
import { resolveWorkloads, type WorkloadDeps } from './workloads';

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
  /** The one agreement's status (core/agreement/types.ts), the value explain reports as `agreement.status`. */
  agreement: AgreementStatus;
  /** The agreement in words, with what to do. */
  detail: string;
  findings: DriftFinding[];
  /** Manifest entries that cannot apply (e.g. an IPv6 destination for a project without IPv6 sources). */
  warnings: string[];
  /** The newest status event about the project on the subscription, or null; absent when no subscription was read. */
  lastStatus?: { subscription: string; event: StatusEvent | null };
}

/** The firewall as read for one answer: every rule, and each policy's (the global one first) when known. */
export interface FirewallRead {
  source: string;
  rules: ObservedRule[];
  byPolicy?: { ref: PolicyRef; rules: ObservedRule[] }[];
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

/** What one project's agreement is read from: its manifest source, the firewall as read, its sources' reads. */
export interface AgreementSources {
  project: string;
  policy: PlatformPolicy;
  source: ManifestSourceSpec;
  firewall: FirewallRead;
  hostProject?: string;
  workloads?: WorkloadDeps;
}

/**
 * The project's agreement (core/agreement) over the sources read: its manifest, every policy of the placement, and
 * its sources (`workloads`: the target mode's reads; absent: not read, so `unknown` in the modes that need one).
 * `agreement` is null when neither a manifest nor an owned rule of the project exists.
 */
export async function readAgreement(
  args: AgreementSources,
): Promise<{ agreement: ProjectAgreement | null; manifest: ExplainManifest | null; suggestedPath: string }> {
  const { project, policy } = args;
  const { manifest, suggestedPath } = await findManifest(project, args.source, policy);
  const valid = !!manifest?.valid && !!manifest.project;
  const read =
    valid && manifest!.entries.length && args.workloads
      ? await resolveWorkloads(policy, [project], {
          ...args.workloads,
          ...(args.hostProject ? { hostProject: args.hostProject } : {}),
        })
      : undefined;
  const [agreement] = agreeFleet({
    manifests: valid
      ? [
          {
            project: manifest!.project!,
            entries: manifest!.entries,
            object: manifest!.path,
            ...(manifest!.generation ? { generation: manifest!.generation } : {}),
          },
        ]
      : [],
    invalid:
      manifest && !valid
        ? [{ project, object: manifest.path, ...(manifest.generation ? { generation: manifest.generation } : {}) }]
        : [],
    placed: args.firewall.byPolicy ?? [{ ref: { name: '' }, rules: args.firewall.rules }],
    policy,
    ...(args.hostProject ? { hostProject: args.hostProject } : {}),
    ...(read ? { workloads: read.workloads, sourcesErrors: read.errors } : {}),
    projects: [project],
  });
  return { agreement: agreement ?? null, manifest, suggestedPath };
}

/** One project's status; a project with neither manifest nor owned rule is NoSuchProjectError (did you mean …?). */
export async function projectStatus(
  args: AgreementSources & {
    /** Every project key the sources know (manifests and owners of rules), for the did-you-mean. */
    knownProjects?: () => Promise<string[]>;
    status?: { subscription: string; puller: MessagePuller };
  },
): Promise<ProjectStatus> {
  const { project } = args;
  const { agreement: a, manifest } = await readAgreement(args);
  if (!a) {
    const owners = args.firewall.rules.flatMap((r) => parseMarker(r.description)?.project ?? []);
    const known = [...(args.knownProjects ? await args.knownProjects() : []), ...owners];
    throw noSuchProject(
      project,
      known,
      args.source.kind === 'dir' ? args.source.dir : `gs://${args.source.bucket}/${args.source.prefix}`,
    );
  }
  const owned = args.firewall.rules.filter((r) => parseMarker(r.description)?.project === project);
  const rules: StatusRule[] = owned.map((r) => ({
    ruleName: r.ruleName,
    priority: r.priority,
    generation: parseMarker(r.description)?.generation ?? '',
    tombstone: isTombstone(r),
    destinations: [...(r.match.destFqdns ?? []), ...(r.match.destIpRanges ?? [])],
  }));
  return {
    project,
    firewall: args.firewall.source,
    rules,
    ...(a.appliedGeneration ? { appliedGeneration: a.appliedGeneration } : {}),
    manifest: manifest
      ? {
          path: manifest.path,
          valid: !!manifest.valid && !!manifest.project,
          ...(manifest.generation ? { generation: manifest.generation } : {}),
        }
      : null,
    agreement: a.status,
    detail: a.detail,
    findings: a.findings,
    warnings: a.warnings,
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
  const lines = [`${s.project}: ${s.agreement.toUpperCase()} (firewall: ${s.firewall})`, `  ${s.detail}`];
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
  for (const w of s.warnings) lines.push(`  warning: ${w}`);
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
