/**
 * Explain's agreement section: the one agreement (core/agreement, by content) in explain's words, so its `status` is
 * the value `egress status` reports as `agreement`. The use case hands the agreement it computed with the project's
 * sources and every policy of the placement (`given`); without one (the core called alone) it is computed here from
 * the owned rules explain matched, with the sources the target mode fills without a read. The marker's hashes are
 * shown for information only: nothing is decided by them.
 */
import { agreeProject, type ProjectAgreement } from '../agreement';
import { desiredHash } from '../events/codec';
import type { ObservedRule, OwnershipMarker } from '../firewall/types';
import type { PlatformPolicy } from '../policy/types';
import type { Agreement, ExplainManifest } from './types';

type Owned = { rule: ObservedRule; marker: OwnershipMarker }[];

/** The agreement computed from explain's own inputs (no read of the sources, one policy). */
function fromInputs(args: {
  project: string;
  manifest: ExplainManifest | null;
  owned: Owned;
  policy: PlatformPolicy;
  hostProject?: string;
}): ProjectAgreement {
  const m = args.manifest;
  const valid = !!m?.valid && !!m.project;
  return agreeProject({
    project: args.project,
    ...(m && valid
      ? { manifest: { project: m.project!, entries: m.entries, object: m.path, generation: m.generation } }
      : {}),
    ...(m && !valid ? { invalid: { object: m.path, ...(m.generation ? { generation: m.generation } : {}) } } : {}),
    owned: args.owned.map((o) => o.rule),
    policy: args.policy,
    ...(args.hostProject ? { hostProject: args.hostProject } : {}),
  });
}

/** The agreement of the project's owned rules (tombstones included) with its manifest; `unknown` without a firewall. */
export function agreementOf(args: {
  project: string;
  manifest: ExplainManifest | null;
  consulted: boolean;
  owned: Owned;
  policy: PlatformPolicy;
  hostProject?: string;
  /** The agreement the use case computed (null: neither manifest nor owned rules exist). */
  given?: ProjectAgreement | null;
}): Agreement {
  if (!args.consulted)
    return { status: 'unknown', detail: 'the firewall was not consulted (use --live or --state FILE)' };
  const a = args.given === undefined ? fromInputs(args) : args.given;
  if (!a) return { status: 'unknown', detail: `no manifest and no owned rules for ${args.project}` };
  const m = args.manifest;
  const live = args.owned.filter((o) => o.marker.state !== 'deleted');
  const hashes = [...new Set(live.map((o) => o.marker.hash))];
  const firewallGeneration = a.liveGeneration ?? a.revokedGeneration;
  return {
    status: a.status,
    detail: a.detail,
    ...(a.manifestGeneration ? { manifestGeneration: a.manifestGeneration } : {}),
    ...(m?.valid && m.project ? { manifestHash: desiredHash(m.project.name, m.entries) } : {}),
    ...(firewallGeneration ? { firewallGeneration } : {}),
    ...(hashes.length ? { firewallHash: hashes.join(',') } : {}),
    ...(a.warnings.length ? { warnings: a.warnings } : {}),
  };
}
