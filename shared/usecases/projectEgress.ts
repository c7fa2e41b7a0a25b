/**
 * A project's egress as it stands (the MCP tool `get_project_egress`): the manifest's entries (found by the rules
 * every command shares, usecases/explain `findManifest`) and the live rules the product owns for the project (by the
 * ownership marker), read from the same firewall source as `egress explain`.
 */
import { checkProjectKey, type ExplainFirewall } from '../core/explain';
import { parseMarker } from '../core/firewall';
import type { EgressEntry } from '../core/manifest/types';
import type { PlatformPolicy } from '../core/policy/types';
import { findManifest, type ManifestSourceSpec } from './explain';

/** One owned rule, in the terms of the manifest (its destinations). */
export interface OwnedRuleView {
  priority: number;
  ruleName: string;
  action: 'allow' | 'deny';
  disabled: boolean;
  generation: string;
  /** FQDNs and ranges the rule allows. */
  destinations: string[];
  ports: string[];
}

/** The answer (`schemaVersion` 1). */
export interface ProjectEgressResult {
  schemaVersion: 1;
  project: string;
  manifest: {
    path: string;
    found: boolean;
    valid: boolean;
    generation?: string;
    entries: EgressEntry[];
    errors: string[];
  };
  firewall: { consulted: boolean; source?: string; rules: OwnedRuleView[] };
}

/** Reads the manifest and, when a firewall source is given, the project's owned rules. */
export async function projectEgress(args: {
  project: string;
  policy: PlatformPolicy;
  source: ManifestSourceSpec;
  firewall?: () => Promise<ExplainFirewall>;
}): Promise<ProjectEgressResult> {
  checkProjectKey(args.project);
  const { manifest: m, suggestedPath } = await findManifest(args.project, args.source, args.policy);
  const fw = args.firewall ? await args.firewall() : undefined;
  const rules: OwnedRuleView[] = [];
  for (const r of fw?.rules ?? []) {
    const marker = parseMarker(r.description);
    if (marker?.project !== args.project) continue;
    rules.push({
      priority: r.priority,
      ruleName: r.ruleName,
      action: r.action,
      disabled: !!r.disabled,
      generation: marker.generation,
      destinations: [...(r.match.destFqdns ?? []), ...(r.match.destIpRanges ?? [])],
      ports: r.match.layer4Configs.flatMap((l) => (l.ports?.length ? l.ports : [l.ipProtocol]).map(String)),
    });
  }
  return {
    schemaVersion: 1,
    project: args.project,
    manifest: {
      path: m?.path ?? suggestedPath,
      found: !!m,
      valid: !!m?.valid,
      ...(m?.generation ? { generation: m.generation } : {}),
      entries: m?.entries ?? [],
      errors: m?.errors ?? [],
    },
    firewall: {
      consulted: !!fw,
      ...(fw ? { source: fw.source } : {}),
      rules: rules.sort((a, b) => a.priority - b.priority),
    },
  };
}
