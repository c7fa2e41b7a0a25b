/**
 * `npm run bench -- capacity` (issue 10): how many projects fit in one global network firewall policy at the
 * documented (partly ASSUMED) default quotas, on a synthetic fleet whose destinations follow a Zipf popularity; with
 * regional placement over N regions (one regional policy per region, each with its own quotas and baseline); and with
 * shared rules for popular destinations. Counted with the product's own compiler and the one attribute count
 * (shared/core/capacity). docs/capacity.md explains the model and the figures.
 */

import { defaultPolicyRules } from '../local/fakes/compute/wire';
import { BASELINE, BASELINE_PRIORITY, baselineRules, globalBaseline } from '../local/program/stack/baseline';
import { policyUsage, ruleAttributes, ruleFqdns } from '../shared/core/capacity/count';
import { compileProject } from '../shared/core/firewall/compiler';
import type { EgressEntry } from '../shared/core/manifest/types';
import { DEFAULT_POLICY } from '../shared/core/policy';
import { type PlacementSettings, type PolicyRef, placeProject, policyRefKey } from '../shared/core/policy/placement';
import { benchWorkloads } from './subnets';

/** The fleet: projects, the destination catalogue and its Zipf exponent, hostnames per project (fixed seed). */
export const FLEET = { projects: 5000, catalogue: 20_000, zipf: 1.0, hostnames: [4, 14], seed: 42 } as const;
/** Attributes every policy spends before any project: 4 default rules × 2, plus terraform's baseline (docs/deploy.md). */
export const RESERVED = { defaults: 8, baseline: 17 };
/** The shared-rules estimate: the K most used destinations each get one rule for all their users. */
const SHARED_TOP = [25, 100, 300];

/** mulberry32: a small deterministic PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws catalogue ranks with P(rank r) ∝ 1 / r^s (inverse CDF over the cumulative weights). */
function zipf(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let r = 1; r <= n; r++) cdf[r - 1] = sum += 1 / r ** s;
  return () => {
    const x = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

/** The synthetic fleet's manifests: Zipf-popular SaaS hostnames, sometimes a /24 and the Google APIs wildcard. */
export function fleet(projects: number = FLEET.projects): { name: string; entries: EgressEntry[] }[] {
  const random = rng(FLEET.seed);
  const draw = zipf(FLEET.catalogue, FLEET.zipf, random);
  const [lo, hi] = FLEET.hostnames;
  return Array.from({ length: projects }, (_, i) => {
    const want = lo + Math.floor(random() * (hi - lo + 1));
    const hosts = new Set<number>();
    while (hosts.size < want) hosts.add(draw());
    const entries: EgressEntry[] = [...hosts].map((r) => ({ value: `api.saas${r}.example.com`, type: 'hostname' }));
    if (random() < 0.5) entries.push({ value: `34.${(i >> 8) & 255}.${i & 255}.0/24`, type: 'cidr' });
    if (random() < 0.7) entries.push({ value: '*.googleapis.com', type: 'wildcard' });
    return { name: `proj-${i}`, entries };
  });
}

/** How many of `costs` (in order) fit a policy's attribute and FQDN budget. */
function fitInPolicy(costs: readonly { attributes: number; fqdns: number }[], attrBudget: number, fqdnBudget: number) {
  let a = 0;
  let f = 0;
  let n = 0;
  for (const c of costs) {
    if (a + c.attributes > attrBudget || f + c.fqdns > fqdnBudget) break;
    a += c.attributes;
    f += c.fqdns;
    n++;
  }
  return {
    projects: n,
    binding: n === costs.length ? 'none' : a + (costs[n]?.attributes ?? 0) > attrBudget ? 'attributes' : 'FQDNs',
  };
}

/** The regions the regional figures use (the first N). */
const REGIONS = [
  'us-central1',
  'europe-west1',
  'asia-east1',
  'us-east4',
  'europe-west4',
  'asia-northeast1',
  'us-west1',
  'europe-west3',
  'asia-southeast1',
  'southamerica-east1',
];

/** What each policy spends before any project: Google's 4 default rules plus terraform's baseline for that policy. */
function reservedUsage(ref: PolicyRef, placement: PlacementSettings) {
  const table = ref.region ? BASELINE : globalBaseline(placement.placement);
  return policyUsage(
    [...defaultPolicyRules(), ...baselineRules(BASELINE_PRIORITY, table)] as never,
    DEFAULT_POLICY.capacity,
  );
}

/**
 * Places every project (placeProject: the one decision the applier uses) and fills each policy in fleet order until
 * its first project that does not fit (attributes or FQDNs at the policy's quotas); per policy: projects and binding.
 */
function placeAndCount(
  costs: readonly { attributes: number; fqdns: number }[],
  placement: PlacementSettings,
  regionOf: (i: number) => string | undefined,
) {
  const q = DEFAULT_POLICY.capacity;
  const per = new Map<string, { region?: string; a: number; f: number; projects: number; binding: string }>();
  costs.forEach((c, i) => {
    const at = placeProject(placement, 'egress', { name: `proj-${i}`, region: regionOf(i) });
    if (!('ref' in at)) throw new Error(`bench: proj-${i} cannot be placed: ${at.problem.message}`);
    const key = policyRefKey(at.ref);
    let p = per.get(key);
    if (!p) {
      const r = reservedUsage(at.ref, placement);
      p = {
        ...(at.ref.region ? { region: at.ref.region } : {}),
        a: r.attributes,
        f: r.fqdns,
        projects: 0,
        binding: 'none',
      };
      per.set(key, p);
    }
    if (p.binding !== 'none') return;
    if (p.a + c.attributes > q.attributesPerPolicy) p.binding = 'attributes';
    else if (p.f + c.fqdns > q.fqdnsPerPolicy) p.binding = 'FQDNs';
    else {
      p.a += c.attributes;
      p.f += c.fqdns;
      p.projects++;
    }
  });
  return per;
}

/** Runs the estimate; one line per figure. */
export async function benchCapacity(size: number = FLEET.projects): Promise<string[]> {
  const q = DEFAULT_POLICY.capacity;
  const policy = { ...DEFAULT_POLICY, firewall: { ...DEFAULT_POLICY.firewall, hostProject: 'host' } };
  const projects = fleet(size);
  const costs = projects.map((p, i) => {
    // Target mode subnets (the default): one IPv4 subnet per project, its primary range the rules' one source.
    const rules = compileProject({ name: p.name, environment: 'production' }, p.entries, {
      policy,
      generation: '1',
      workloads: benchWorkloads(p.name, i),
    });
    return {
      attributes: rules.reduce((n, r) => n + ruleAttributes(r, q), 0),
      fqdns: rules.reduce((n, r) => n + ruleFqdns(r), 0),
      hosts: p.entries.filter((e) => e.type === 'hostname').map((e) => e.value),
    };
  });
  const attrBudget = q.attributesPerPolicy - RESERVED.defaults - RESERVED.baseline;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const out: string[] = [];
  out.push(
    `capacity: fleet of ${size} projects, ${FLEET.hostnames[0]}-${FLEET.hostnames[1]} hostnames each from ${FLEET.catalogue} destinations (Zipf s=${FLEET.zipf}); ` +
      `mean ${mean(costs.map((c) => c.attributes)).toFixed(1)} attributes and ${mean(costs.map((c) => c.fqdns)).toFixed(1)} FQDNs per project`,
  );
  // Global placement, through the same placement code: every project in the one global policy.
  const globalPer = placeAndCount(costs, DEFAULT_POLICY.firewall, () => undefined).get('global/egress')!;
  const global = { projects: globalPer.projects, binding: globalPer.binding };
  out.push(
    `capacity: one global policy at the defaults (${q.attributesPerPolicy} attributes, ${q.fqdnsPerPolicy} FQDNs, ASSUMED; ` +
      `${RESERVED.defaults + RESERVED.baseline} reserved): ${global.projects} projects fit (bound by ${global.binding})`,
  );
  for (const n of [3, 5, 10]) {
    // Through the product's placement (core/policy/placement.ts): each manifest gets a spec.region (spread evenly over
    // the N listed regions), is placed in its region's policy, and counted there against that policy's quotas with
    // that policy's own baseline (terraform's, deny-all included: regional.tf).
    const regions = REGIONS.slice(0, n);
    const placement = { placement: 'regional' as const, regions, regionalPolicyName: '{policy}-{region}' };
    const per = placeAndCount(costs, placement, (i) => regions[i % n]);
    const fits = [...per.values()].filter((p) => p.region).map((p) => p.projects);
    out.push(
      `capacity: regional placement over ${n} regions: ${fits.reduce((a, b) => a + b, 0)} projects fit (${Math.min(...fits)}-${Math.max(...fits)} per region; ` +
        `placed by core/policy/placement.ts, the global policy holds ${per.get('global/egress')?.projects ?? 0})`,
    );
  }
  // Shared rules: each of the top-K destinations is one rule for all its users (1 FQDN, all, the users' target
  // service accounts), counted by the one count; each project keeps its own rules for the rest.
  const perShared = ruleAttributes(
    {
      match: { destFqdns: ['shared.example'], layer4Configs: [{ ipProtocol: 'all' }] },
      targetServiceAccounts: ['u@p.iam.gserviceaccount.com'],
    },
    q,
  );
  const users = new Map<string, number>();
  for (const c of costs) for (const h of c.hosts) users.set(h, (users.get(h) ?? 0) + 1);
  const ranked = [...users].sort((x, y) => y[1] - x[1]).map(([h]) => h);
  const allUses = costs.reduce((n, c) => n + c.hosts.length, 0);
  for (const k of SHARED_TOP) {
    const popular = new Set(ranked.slice(0, k));
    const tail = costs.map((c) => {
      const own = c.hosts.filter((h) => !popular.has(h)).length;
      const cut = c.hosts.length - own;
      // The project's FQDN rule shrinks by its shared hostnames (and disappears when none is left).
      return { attributes: c.attributes - cut - (own === 0 && cut > 0 ? 2 : 0), fqdns: c.fqdns - cut };
    });
    const shared = fitInPolicy(tail, attrBudget - perShared * k, q.fqdnsPerPolicy - k);
    const uses = costs.reduce((n, c) => n + c.hosts.filter((h) => popular.has(h)).length, 0);
    out.push(
      `capacity: shared rules for the top ${k} destinations (${perShared * k} attributes, ${k} FQDNs): ${shared.projects} projects ` +
        `fit one policy (bound by ${shared.binding}); ${((100 * uses) / allUses).toFixed(0)}% of hostname entries in shared rules`,
    );
  }
  return out;
}
