/**
 * Which workloads a project's rules cover, decided once (docs/policy.md, "Target modes"). The target mode of the
 * policy says how; the inputs that need a read (the host project's subnets, the numeric ids of tag values) are read
 * by the use cases (usecases/workloads.ts) and passed in, so this stays pure.
 *
 * - `subnets`: the rules match the project's source ranges (`srcIpRanges`): primary, every secondary (GKE Pods and
 *   Services) and the IPv6 ranges of the subnets assigned to it. A rule holds one address family (the API refuses
 *   mixed IPv4/IPv6 ranges in one rule), so IPv4 destinations get the IPv4 sources and IPv6 destinations the IPv6
 *   sources; a project without IPv6 ranges gets no IPv6 rules (nothing of it can send IPv6). A project with no
 *   assigned subnet is refused: an EGRESS rule without sources matches every source of the network.
 * - `serviceAccounts`: `targetServiceAccounts`, one per template.
 * - `secureTags`: `targetSecureTags`, the numeric `tagValues/N` of each namespaced template.
 */

import { fillTemplate, subnetNameMatcher } from '../policy/target';
import type { TargetMapping } from '../policy/types';
import { parseRange } from './ranges';
import type { DesiredRule } from './types';

/** One subnetwork of the host project, as the SubnetSource port reads it. */
export interface SubnetRanges {
  name: string;
  region: string;
  /** The network's self-link or name. */
  network: string;
  /** `ipCidrRange` (IPv4). */
  primary?: string;
  /** `secondaryIpRanges[]` (GKE Pods and Services ranges, alias ranges). */
  secondary: { name: string; range: string }[];
  /** `internalIpv6Prefix` / `externalIpv6Prefix` / `ipv6CidrRange`, deduplicated. */
  ipv6: string[];
}

/** A project's workloads, resolved. */
export type Workloads =
  | { mode: 'subnets'; subnets: SubnetRanges[] }
  | { mode: 'serviceAccounts'; accounts: string[] }
  | { mode: 'secureTags'; tags: { name: string; namespaced: string }[] };

/** Why a project's workloads cannot be resolved; `reason` is the apply-failed reason. */
export class WorkloadError extends Error {
  constructor(
    message: string,
    readonly reason: 'no-subnets' | 'tag-value-missing' | 'target-template',
  ) {
    super(message);
    this.name = 'WorkloadError';
  }
}

const lastSegment = (s: string) => s.replace(/\/+$/, '').split('/').at(-1) ?? s;

/** The subnets of `all` assigned to `project` by the policy (name template, and network when set), sorted. */
export function assignedSubnets(
  target: Extract<TargetMapping, { mode: 'subnets' }>,
  project: string,
  all: readonly SubnetRanges[],
): SubnetRanges[] {
  const match = subnetNameMatcher(target.subnets, project);
  const net = target.network;
  return all
    .filter((s) => match(s.name))
    .filter((s) => !net || (net.includes('/') ? s.network === net : lastSegment(s.network) === net))
    .sort((a, b) => a.name.localeCompare(b.name) || a.region.localeCompare(b.region));
}

/** The namespaced tag values (`{parent}/{key}/{value}`) of the project; throws WorkloadError for a placeholder. */
export function namespacedTags(target: Extract<TargetMapping, { mode: 'secureTags' }>, project: string): string[] {
  return target.templates.map((t) => {
    const r = fillTemplate(t, { project, org: target.org });
    if ('missing' in r)
      throw new WorkloadError(
        `the tag template "${t}" has no value for ${r.missing} (set firewall.target.org)`,
        'target-template',
      );
    return r.value;
  });
}

/** The service accounts of the project; throws WorkloadError naming a placeholder without value. */
export function serviceAccounts(
  target: Extract<TargetMapping, { mode: 'serviceAccounts' }>,
  project: string,
  hostProject: string | undefined,
): string[] {
  return target.templates.map((t) => {
    const r = fillTemplate(t, { project, hostProject });
    if ('missing' in r)
      throw new WorkloadError(
        r.missing === '{hostProject}'
          ? `the target template "${t}" needs {hostProject}: set firewall.hostProject in the policy file, EGRESS_HOST_PROJECT, or --host-project`
          : `the target template "${t}" has an unknown placeholder ${r.missing} (known: {project}, {hostProject})`,
        'target-template',
      );
    return r.value;
  });
}

/** The source ranges of the subnets by family (each range once, in subnet order). */
export function subnetSources(subnets: readonly SubnetRanges[]): { v4: string[]; v6: string[] } {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const s of subnets)
    for (const r of [...(s.primary ? [s.primary] : []), ...s.secondary.map((x) => x.range), ...s.ipv6]) {
      const p = parseRange(r);
      const list = p.family === 4 ? v4 : v6;
      if (!list.includes(p.text)) list.push(p.text);
    }
  return { v4, v6 };
}

/** `subnets payment-gateway-usc1: primary + pods + services`: what the sources of one family are, in words. */
export function subnetCoverage(subnets: readonly SubnetRanges[], family: 4 | 6): string {
  const parts = subnets
    .map((s) => {
      const kinds =
        family === 4
          ? [...(s.primary ? ['primary'] : []), ...s.secondary.map((x) => x.name)]
          : s.ipv6.length
            ? ['ipv6']
            : [];
      return kinds.length ? `${s.name}: ${kinds.join(' + ')}` : '';
    })
    .filter(Boolean);
  return `subnet${parts.length === 1 ? '' : 's'} ${parts.join('; ')}`;
}

/** The workload fields of one rule (`family` of its destinations; FQDN rules carry the family of their sources). */
export type WorkloadFields = Pick<DesiredRule, 'targetServiceAccounts' | 'targetSecureTags' | 'coverage'> & {
  srcIpRanges?: string[];
};

/**
 * The workload fields per source family: `subnets` gives one entry per family that has ranges (none: WorkloadError),
 * the other modes one entry for both families (`family: 'any'`).
 */
export function workloadFields(w: Workloads, project: string): { family: 4 | 6 | 'any'; fields: WorkloadFields }[] {
  if (w.mode === 'serviceAccounts')
    return [
      {
        family: 'any',
        fields: { targetServiceAccounts: [...w.accounts], coverage: `instances running as ${w.accounts.join(', ')}` },
      },
    ];
  if (w.mode === 'secureTags')
    return [
      {
        family: 'any',
        fields: {
          targetSecureTags: w.tags.map((t) => ({ name: t.name })),
          coverage: `instances tagged ${w.tags.map((t) => `${t.namespaced} (${t.name})`).join(', ')}`,
        },
      },
    ];
  const src = subnetSources(w.subnets);
  if (src.v4.length + src.v6.length === 0)
    throw new WorkloadError(
      `project ${project} has no subnet assigned in the host project (target mode subnets): nothing is written, ` +
        'since an egress rule without sources would match every workload of the network',
      'no-subnets',
    );
  const out: { family: 4 | 6; fields: WorkloadFields }[] = [];
  if (src.v4.length) out.push({ family: 4, fields: { srcIpRanges: src.v4, coverage: subnetCoverage(w.subnets, 4) } });
  if (src.v6.length) out.push({ family: 6, fields: { srcIpRanges: src.v6, coverage: subnetCoverage(w.subnets, 6) } });
  return out;
}
