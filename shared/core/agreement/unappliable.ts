/**
 * Manifest entries that cannot apply: under target mode `subnets` a rule matches the project's source ranges of the
 * destination's address family (firewall/workloads.ts), so an IPv6 destination of a project without IPv6 ranges (or
 * an IPv4 one of an IPv6-only project) gets no rule. That is not an apply on its way: validate/plan and status say it
 * as a warning, and the agreement does not count it as a difference (the compiler never desires that rule). Pure.
 */
import { parseRange } from '../firewall/ranges';
import { subnetSources, type Workloads } from '../firewall/workloads';
import type { EgressEntry } from '../manifest/types';
import type { PlatformPolicy } from '../policy/types';

/** One warning per entry none of whose destinations can be sent to by the project's sources. */
export function unappliable(
  manifest: { project: { name: string }; entries: readonly EgressEntry[] },
  workloads: Workloads,
  policy: PlatformPolicy,
): string[] {
  if (workloads.mode !== 'subnets') return [];
  const src = subnetSources(workloads.subnets);
  if (!src.v4.length && !src.v6.length) return []; // no sources at all: the project is `no-sources`
  const has = (f: 4 | 6) => (f === 4 ? src.v4.length > 0 : src.v6.length > 0);
  const names = workloads.subnets.map((s) => s.name).join(', ');
  const out: string[] = [];
  for (const e of manifest.entries) {
    let families: (4 | 6)[];
    try {
      if (e.type === 'cidr') families = [parseRange(e.value).family];
      else if (e.type === 'wildcard')
        families = (policy.wildcards[e.value]?.ranges ?? []).map((r) => parseRange(r).family);
      else continue; // a hostname gets a rule of each family the project has
    } catch {
      continue; // not a range: the compiler reports it
    }
    if (!families.length || families.some(has)) continue;
    const f = families[0] === 6 ? 'IPv6' : 'IPv4';
    out.push(
      `"${e.value}" cannot apply: ${manifest.project.name} has no ${f} source range (subnets ${names}), so none of its ` +
        `workloads can send ${f}; give one of its subnets an ${f} range, or remove the entry`,
    );
  }
  return out;
}
