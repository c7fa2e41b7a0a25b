/**
 * The explain use case: find the project's manifest (a local directory or the bucket), validate it, read the policy
 * (live or a fake-Compute state file) if asked, and hand both to the pure core (core/explain/).
 */
import { join } from 'node:path';
import type { ProjectAgreement } from '../core/agreement';
import { defaultObjectName, keyListPrefix, manifestsOf } from '../core/bucket/layout';
import {
  checkProjectKey,
  type ExplainFirewall,
  type ExplainManifest,
  type ExplainResult,
  explain,
  renderExplainText,
} from '../core/explain';
import { singlePolicyTiers } from '../core/explain/matching';
import { validateManifest } from '../core/manifest/validate';
import {
  firstUsable,
  type NetSubnet,
  type NetworkModel,
  projectSubnets,
  type Tier,
  tiersInOrder,
} from '../core/network/model';
import { sourceIpFor } from '../core/network/source';
import { subnetsOutsideRegion } from '../core/placementDrift';
import { evaluationOrder, placeProject, policyRefKey } from '../core/policy/placement';
import type { PlatformPolicy } from '../core/policy/types';
import type { ManifestStore } from '../ports/storage';
import { type DenialsResult, renderDenialsText } from './denials';

/** Where the manifest comes from. */
export type ManifestSourceSpec =
  | {
      kind: 'dir';
      dir: string;
      /** The project's manifest in the folder (adapters/manifestDir `readProjectManifest`), or null. */
      find: (project: string) => { path: string; text: string } | null;
    }
  | { kind: 'bucket'; store: ManifestStore; bucket: string; prefix: string };

function toExplainManifest(path: string, text: string, policy: PlatformPolicy, generation?: string): ExplainManifest {
  const r = validateManifest(text, { path, policy });
  return {
    path,
    valid: r.valid,
    project: r.project,
    entries: r.egress,
    ...(r.layout ? { layout: r.layout } : {}),
    ...(generation ? { generation } : {}),
    errors: r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code),
  };
}

/**
 * Finds the project's manifest by the rules every command shares: in a folder, through `source.find`; in the bucket, the objects of the key directly under the prefix
 * (core/bucket/layout). `.yaml` before `.yml` before other letter cases. Null when there is none.
 */
export async function findManifest(
  project: string,
  source: ManifestSourceSpec,
  policy: PlatformPolicy,
): Promise<{ manifest: ExplainManifest | null; suggestedPath: string; text?: string }> {
  if (source.kind === 'dir') {
    const f = source.find(project);
    if (f) return { manifest: toExplainManifest(f.path, f.text, policy), suggestedPath: f.path, text: f.text };
    return { manifest: null, suggestedPath: join(source.dir, `${project}.yaml`) };
  }
  const listed = await source.store.list(keyListPrefix(source.prefix, project));
  for (const o of manifestsOf(listed, source.prefix, project)) {
    const got = await source.store.read(o.name);
    if (got)
      return {
        manifest: toExplainManifest(`gs://${source.bucket}/${o.name}`, got.text, policy, got.object.generation),
        suggestedPath: `gs://${source.bucket}/${o.name}`,
        text: got.text,
      };
  }
  return {
    manifest: null,
    suggestedPath: `manifests/${project}.yaml (synced to gs://${source.bucket}/${defaultObjectName(source.prefix, project)})`,
  };
}

/** Runs explain end to end. `firewall` is absent for a manifest-only answer. */
export async function explainProject(args: {
  project: string;
  destination: string;
  policy: PlatformPolicy;
  source: ManifestSourceSpec;
  firewall?: () => Promise<ExplainFirewall>;
  hostProject?: string;
  why?: string;
  /** The one agreement as status computes it (runtime/sources.ts); null: neither manifest nor owned rules. */
  agreement?: ProjectAgreement | null;
}): Promise<ExplainResult> {
  // Before any read: a path or an invalid key must not become a file or object name.
  checkProjectKey(args.project);
  const { manifest, suggestedPath } = await findManifest(args.project, args.source, args.policy);
  const read = args.firewall ? await args.firewall() : undefined;
  const meta = manifest?.project ?? undefined;
  const firewall = !read
    ? undefined
    : read.model
      ? withNetworkTiers(read, read.model, args.policy, args.project, meta)
      : read.tiers
        ? read
        : withPolicyTiers(read, args.policy, meta);
  return explain({
    project: args.project,
    destination: args.destination,
    policy: args.policy,
    manifest,
    suggestedPath,
    ...(firewall ? { firewall } : {}),
    ...(args.hostProject ? { hostProject: args.hostProject } : {}),
    ...(args.why ? { why: args.why } : {}),
    ...(args.agreement !== undefined ? { agreement: args.agreement } : {}),
  });
}

/**
 * A firewall read without the network model (the product's policies only): the global policy, then under regional
 * placement the project's regional policy (regional policies are evaluated after the global one), then the implied
 * rules, as tiers for the one evaluator.
 */
export function withPolicyTiers(
  read: ExplainFirewall,
  policy: PlatformPolicy,
  project: { name: string; region?: string | undefined } | undefined,
): ExplainFirewall {
  const order =
    read.byPolicy && policy.firewall.placement === 'regional' && project
      ? evaluationOrder(policy.firewall, read.byPolicy, project)
      : undefined;
  if (!order || !read.byPolicy) return { ...read, tiers: singlePolicyTiers(read.rules) };
  const tiers: Tier[] = order.policies.map((ref) => ({
    kind: ref.region ? 'regional' : 'global',
    name: ref.name,
    reference: ref.name,
    ...(ref.region ? { region: ref.region } : {}),
    rules: read.byPolicy!.find((p) => policyRefKey(p.ref) === policyRefKey(ref))?.rules ?? [],
  }));
  return {
    ...read,
    source: `${read.source}, evaluated ${order.policies.map(policyRefKey).join(' then ')}`,
    tiers: [...tiers, singlePolicyTiers([]).at(-1)!],
  };
}

/**
 * A firewall read with the network model: every tier in Google's order for the network's enforcement order
 * (hierarchical, VPC rules, global, the regional policy of the source's region, implied) and the project's probing
 * address. The region is the source subnet's, else (subnets unknown) the project's placement region.
 */
export function withNetworkTiers(
  read: ExplainFirewall,
  model: NetworkModel,
  policy: PlatformPolicy,
  project: string,
  meta: { name: string; region?: string | undefined } | undefined,
): ExplainFirewall {
  const subnetsMode = policy.firewall.target.mode === 'subnets';
  const own = projectSubnets(model, project);
  const first = subnetsMode ? own[0] : undefined;
  const range = first?.primary ?? first?.ipv6[0];
  // The one choice of a default source (core/network/source.ts, as probe makes it): of the destination's family.
  const v6 = first ? sourceIpFor(model, project, true, undefined, '', 6).ip : '';
  const placed = meta && model.global ? placeProject(policy.firewall, model.global.name, meta) : undefined;
  const region = first?.region ?? (placed && 'ref' in placed ? placed.ref.region : undefined);
  const order = model.enforcementOrder === 'BEFORE_CLASSIC_FIREWALL' ? 'policies before VPC rules' : 'VPC rules first';
  return {
    ...read,
    source: `${read.source}; network ${model.network} (${model.enforcementOrder}: ${order})`,
    tiers: tiersInOrder(model, region),
    ...(range ? { sourceIp: firstUsable(range) } : {}),
    ...(v6.includes(':') ? { sourceIp6: v6 } : {}),
    ...(subnetsMode && model.subnets.length ? { sourceFamilies: familiesOf(own) } : {}),
    ...placementNotesOf(policy, meta, own),
  };
}

/** Drift's warning for a project whose subnets lie outside its spec.region (core/placementDrift.ts), as a note. */
function placementNotesOf(
  policy: PlatformPolicy,
  meta: { name: string; region?: string | undefined } | undefined,
  own: readonly NetSubnet[],
): { placementNotes?: string[] } {
  if (!meta || policy.firewall.target.mode !== 'subnets') return {};
  const notes = subnetsOutsideRegion(policy.firewall, [{ project: meta, subnets: own }]);
  return notes.length ? { placementNotes: notes } : {};
}

/** The address families of the subnets' ranges. */
function familiesOf(subnets: readonly NetSubnet[]): (4 | 6)[] {
  const out = new Set<4 | 6>();
  for (const s of subnets) {
    if (s.primary || s.secondary.length) out.add(4);
    if (s.ipv6.length) out.add(6);
  }
  return [...out];
}

/** Explain's answer with `--evidence`: the matching denials (`egress denials --destination`), additive to the contract. */
export type ExplainAnswer = ExplainResult & { evidence?: DenialsResult };

/** The text form: explain's text, then the evidence section in `egress denials`' own words. */
export function renderExplainAnswer(r: ExplainAnswer): string {
  const text = renderExplainText(r);
  if (!r.evidence) return text;
  const denials = renderDenialsText(r.evidence)
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`);
  return `${text}\nevidence (firewall logs):\n${denials.join('\n')}\n`;
}
