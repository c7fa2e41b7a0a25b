/**
 * Whether the project's owned rules tell the same story as its manifest: in sync, pending, drifted, revoked…
 * Generations are ordered as the applier orders them (events/codec.compareGenerations).
 */
import { compareGenerations, desiredHash } from '../events/codec';
import { compileProject } from '../firewall/compiler';
import { isEmptyPlan, planProject } from '../firewall/plan';
import type { DesiredRule, ObservedRule, OwnershipMarker } from '../firewall/types';
import type { PlatformPolicy } from '../policy/types';
import type { Agreement, ExplainManifest } from './types';

type Owned = { rule: ObservedRule; marker: OwnershipMarker }[];

/**
 * The agreement when the project's only owned rule is its tombstone (firewall/tombstone.ts); undefined when there is
 * no tombstone, live rules remain next to it (judged as usual), or the manifest is invalid.
 */
function revokedAgreement(m: ExplainManifest | null, owned: Owned): Agreement | undefined {
  const revokedAt = owned
    .filter((o) => o.marker.state === 'deleted')
    .map((o) => o.marker.generation)
    .sort(compareGenerations)
    .at(-1);
  if (!revokedAt || owned.some((o) => o.marker.state !== 'deleted')) return undefined;
  const at = { firewallGeneration: revokedAt };
  const detail = `revoked (manifest deleted at generation ${revokedAt})`;
  if (!m) return { status: 'revoked', detail, ...at };
  if (!m.valid || !m.project) return undefined;
  const mf = { ...(m.generation ? { manifestGeneration: m.generation } : {}) };
  if (m.entries.length === 0)
    return {
      status: 'in-sync',
      detail: `the manifest allows nothing; its tombstone records generation ${revokedAt}`,
      ...mf,
      ...at,
    };
  if (m.generation && compareGenerations(m.generation, revokedAt) <= 0)
    return {
      status: 'revoked',
      detail: `${detail}; the manifest read (generation ${m.generation}) is not newer, so the pipeline ignores it: upload it again`,
      ...mf,
      ...at,
    };
  return {
    status: 'pending',
    detail: `${detail}; this manifest is not applied yet: the apply is pending or failed (check the status topic)`,
    ...mf,
    ...at,
  };
}

/** True when the owned rules differ from what the pipeline would write for the manifest at that generation. */
function rulesDiffer(
  m: ExplainManifest & { project: NonNullable<ExplainManifest['project']> },
  owned: Owned,
  policy: PlatformPolicy,
  generation: string,
  hostProject?: string,
): boolean {
  let desired: DesiredRule[];
  try {
    desired = compileProject(m.project, m.entries, { policy, generation, ...(hostProject ? { hostProject } : {}) });
  } catch {
    return false;
  }
  return !isEmptyPlan(
    planProject(
      owned.map((o) => o.rule),
      desired,
      { project: m.project.name },
    ),
  );
}

/** The agreement of the project's owned rules (tombstones included) with its manifest; `unknown` without a firewall. */
export function agreementOf(args: {
  project: string;
  manifest: ExplainManifest | null;
  consulted: boolean;
  owned: Owned;
  policy: PlatformPolicy;
  hostProject?: string;
}): Agreement {
  const m = args.manifest;
  if (!args.consulted)
    return { status: 'unknown', detail: 'the firewall was not consulted (use --live or --state FILE)' };
  // A tombstone records a revocation; the agreement of live rules is judged without it.
  const revoked = revokedAgreement(m, args.owned);
  if (revoked) return revoked;
  const owned = args.owned.filter((o) => o.marker.state !== 'deleted');
  const fwGen = owned
    .map((o) => o.marker.generation)
    .sort(compareGenerations)
    .at(-1);
  const fwHashes = [...new Set(owned.map((o) => o.marker.hash))];
  const fw = {
    ...(fwGen ? { firewallGeneration: fwGen } : {}),
    ...(fwHashes.length ? { firewallHash: fwHashes.join(',') } : {}),
  };
  if (!m) {
    if (owned.length)
      return {
        status: 'revoke-pending',
        detail: `no manifest for ${args.project}, but ${owned.length} owned rule(s) remain: the revoke is pending or failed (see \`egress drift\`)`,
        ...fw,
      };
    return { status: 'unknown', detail: `no manifest and no owned rules for ${args.project}` };
  }
  if (!m.valid || !m.project)
    return {
      status: 'unknown',
      detail: `the manifest ${m.path} is invalid, so the pipeline ignores it; the firewall keeps the last valid generation`,
      ...fw,
    };
  const mHash = desiredHash(m.project.name, m.entries);
  const mf = { ...(m.generation ? { manifestGeneration: m.generation } : {}), manifestHash: mHash };
  if (owned.length === 0) {
    if (m.entries.length === 0)
      return { status: 'in-sync', detail: 'the manifest allows nothing and no rules exist', ...mf };
    return {
      status: 'pending',
      detail:
        'the manifest lists entries but no owned rules exist: the apply is pending or failed (check the status topic, `egress drift`)',
      ...mf,
    };
  }
  if (fwHashes.length === 1 && fwHashes[0] === mHash) {
    const generation = fwGen ?? m.generation ?? '0';
    if (rulesDiffer({ ...m, project: m.project }, owned, args.policy, generation, args.hostProject))
      return {
        status: 'drift',
        detail:
          'the rules carry the manifest hash but differ from what the pipeline writes: edited outside the pipeline (`egress drift --repair`)',
        ...mf,
        ...fw,
      };
    return { status: 'in-sync', detail: 'the owned rules match the manifest', ...mf, ...fw };
  }
  if (m.generation && fwGen) {
    const c = compareGenerations(fwGen, m.generation);
    if (c < 0)
      return {
        status: 'pending',
        detail: `the rules reflect generation ${fwGen}, the manifest is generation ${m.generation}: the apply is pending or failed (check the status topic)`,
        ...mf,
        ...fw,
      };
    if (c > 0)
      return {
        status: 'firewall-newer',
        detail: `the rules reflect generation ${fwGen}, newer than the manifest read (${m.generation})`,
        ...mf,
        ...fw,
      };
    return {
      status: 'drift',
      detail: `the rules claim generation ${fwGen} but a different desired state: changed outside the pipeline (\`egress drift --repair\`)`,
      ...mf,
      ...fw,
    };
  }
  return {
    status: 'differs',
    detail: `the rules (generation ${fwGen ?? '?'}) reflect different entries than ${m.path}: the change is not merged or not applied yet`,
    ...mf,
    ...fw,
  };
}
