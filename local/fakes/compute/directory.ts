/**
 * What the fake serves besides firewall policies, for the target modes (docs/fake-compute.md, "Subnetworks and tag
 * values"): the host project's subnetworks (Compute v1 `Subnetwork`, the fields the product reads) and Resource
 * Manager tag values (`tagValues.getNamespaced`). Kept in the engine's state file. The REST routes are in server.ts
 * (for the real clients); the fake clients here fit the adapters' narrow interfaces.
 *
 * Google's behaviours modelled: `subnetworks.aggregatedList` answers `{items: {"regions/R": {subnetworks: […]}}}` with
 * a `warning` (`NO_RESULTS_ON_PAGE`) for scopes without subnets omitted; `subnetworks.list` answers `{items: […]}`;
 * `tagValues.getNamespaced` answers the TagValue, and PERMISSION_DENIED (403) when the value does not exist ("This
 * method will return PERMISSION_DENIED if the value does not exist or the user does not have permission to view
 * it", https://cloud.google.com/resource-manager/reference/rest/v3/tagValues/getNamespaced).
 */
import { ComputeApiError } from './errors';

/** A Compute v1 subnetwork (the fields the product reads, plus the identity fields). */
export interface FakeSubnetwork {
  name: string;
  region: string;
  network: string;
  ipCidrRange?: string;
  secondaryIpRanges?: { rangeName: string; ipCidrRange: string }[];
  ipv6CidrRange?: string;
  internalIpv6Prefix?: string;
  externalIpv6Prefix?: string;
  stackType?: string;
  selfLink?: string;
}

/** A tag value: `tagValues/N` and its namespaced name `{parent}/{key}/{value}`. */
export interface FakeTagValue {
  name: string;
  namespacedName: string;
  shortName?: string;
}

/** The persisted form (state file fields `subnetworks`, `tagValues`). */
export interface DirectoryState {
  subnetworks?: (FakeSubnetwork & { project: string })[];
  tagValues?: FakeTagValue[];
}

const regionOf = (r: string) => r.replace(/\/+$/, '').split('/').at(-1) ?? r;

/** The subnetworks and tag values of the fake. */
export class Directory {
  private readonly subnets = new Map<string, FakeSubnetwork & { project: string }>();
  private readonly tags = new Map<string, FakeTagValue>();
  private nextTag = 281474976710656;

  /** Adds or replaces subnetworks of `project` (by region and name); `replace` drops the project's others first. */
  putSubnetworks(project: string, list: readonly FakeSubnetwork[], replace = false): void {
    if (replace) for (const [k, s] of this.subnets) if (s.project === project) this.subnets.delete(k);
    for (const s of list) {
      const region = regionOf(s.region);
      const selfLink = `https://www.googleapis.com/compute/v1/projects/${project}/regions/${region}/subnetworks/${s.name}`;
      this.subnets.set(JSON.stringify([project, region, s.name]), { selfLink, ...s, region, project });
    }
  }

  /** Adds tag values (`tagValues/N` assigned when `name` is empty); returns them with their names. */
  putTagValues(list: readonly { namespacedName: string; name?: string }[]): FakeTagValue[] {
    return list.map((t) => {
      const v = { namespacedName: t.namespacedName, name: t.name || `tagValues/${this.nextTag++}` };
      this.tags.set(t.namespacedName, { ...v, shortName: t.namespacedName.split('/').at(-1)! });
      return v;
    });
  }

  /** `subnetworks.list` of one region. */
  list(project: string, region: string): { kind: string; items: FakeSubnetwork[] } {
    const items = [...this.subnets.values()].filter((s) => s.project === project && s.region === regionOf(region));
    return {
      kind: 'compute#subnetworkList',
      items: items.map(({ project: _, ...s }) => ({ ...s, region: regionUrl(project, s.region) })),
    };
  }

  /** `subnetworks.aggregatedList`: every region with subnets, keyed `regions/R`. */
  aggregated(project: string): { kind: string; items: Record<string, { subnetworks: FakeSubnetwork[] }> } {
    const items: Record<string, { subnetworks: FakeSubnetwork[] }> = {};
    for (const s of [...this.subnets.values()].filter((x) => x.project === project)) {
      const { project: _, ...rest } = s;
      const key = `regions/${s.region}`;
      items[key] ??= { subnetworks: [] };
      items[key].subnetworks.push({ ...rest, region: regionUrl(project, s.region) });
    }
    return { kind: 'compute#subnetworkAggregatedList', items };
  }

  /** `tagValues.getNamespaced`; 403 PERMISSION_DENIED when the value does not exist, as Google answers. */
  namespaced(name: string): FakeTagValue {
    const t = this.tags.get(name);
    if (!t)
      throw new ComputeApiError(403, 'forbidden', `Permission denied on resource '${name}' (or it may not exist).`);
    return t;
  }

  toState(): DirectoryState {
    return {
      subnetworks: [...this.subnets.values()].sort((a, b) => (a.selfLink! < b.selfLink! ? -1 : 1)),
      tagValues: [...this.tags.values()].sort((a, b) => (a.namespacedName < b.namespacedName ? -1 : 1)),
    };
  }

  load(state: DirectoryState): void {
    for (const s of state.subnetworks ?? []) this.putSubnetworks(s.project, [s]);
    for (const t of state.tagValues ?? []) {
      this.tags.set(t.namespacedName, t);
      const n = Number(t.name.split('/').at(-1));
      if (Number.isFinite(n) && n >= this.nextTag) this.nextTag = n + 1;
    }
  }
}

function regionUrl(project: string, region: string): string {
  return `https://www.googleapis.com/compute/v1/projects/${project}/regions/${region}`;
}

/** A fake `SubnetworksClient` (the method the adapter uses), over the directory. */
export function fakeSubnetworksClient(dir: Directory) {
  return {
    async *aggregatedListAsync(req: {
      project?: string | null;
    }): AsyncIterable<[string, { subnetworks?: FakeSubnetwork[] }]> {
      for (const e of Object.entries(dir.aggregated(req.project ?? '').items)) yield e;
    },
  };
}

/** A fake `TagValuesClient` (the method the adapter uses): gRPC-style errors (`code` 7 PERMISSION_DENIED). */
export function fakeTagValuesClient(dir: Directory) {
  return {
    async getNamespacedTagValue(req: { name?: string | null }): Promise<[FakeTagValue, ...unknown[]]> {
      try {
        return [dir.namespaced(req.name ?? '')];
      } catch (err) {
        throw Object.assign(new Error(`7 PERMISSION_DENIED: ${(err as Error).message}`), { code: 7 });
      }
    },
  };
}
