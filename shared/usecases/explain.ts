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
import { validateManifest } from '../core/manifest/validate';
import { evaluationOrder, policyRefKey } from '../core/policy/placement';
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
  // Regional placement: the global policy's rules, then the project's regional policy's (evaluation order).
  const order =
    read?.byPolicy && args.policy.firewall.placement === 'regional' && manifest?.project
      ? evaluationOrder(args.policy.firewall, read.byPolicy, manifest.project)
      : undefined;
  const firewall =
    read && order
      ? {
          source: `${read.source}, evaluated ${order.policies.map(policyRefKey).join(' then ')}`,
          rules: order.rules,
          ordered: true,
        }
      : read;
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
