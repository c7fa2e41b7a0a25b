/** The platform policy: limits and mappings the platform team sets once, read alike by the CLI and the functions. */
import type { CapacitySettings } from './capacity';

/** Where a project's rules live: the one global policy, or the regional policy of its region. */
export type Placement = 'global' | 'regional';

/**
 * How a project maps to the workloads its rules cover (docs/policy.md, "Target modes"). `{project}` is the project key.
 * - `subnets` (default): the rules match the project's source ranges (`srcIpRanges`): every primary, secondary (GKE
 *   Pods/Services) and IPv6 range of the Shared VPC subnets assigned to the project by the `subnets` naming template,
 *   read from the host project at each event. Covers VMs under any service account, GKE, Dataflow, Cloud Run Direct VPC.
 * - `serviceAccounts`: the rules target instances running as one of the listed accounts (several per project).
 * - `secureTags`: the rules target instances bound to one of the namespaced tag values (`{org}/{key}/{project}`),
 *   resolved to numeric `tagValues/N` through Resource Manager.
 */
export type TargetMapping =
  | {
      mode: 'subnets';
      /** Subnet names assigned to a project: a glob (`{project}-*`) or a regular expression (`/^{project}-.+$/`). */
      subnets: string;
      /** Only subnetworks of this Shared VPC network (name or self-link); unset: every network of the host project. */
      network?: string;
    }
  /** e.g. `workload@{project}.iam.gserviceaccount.com`, `egress-{project}@{hostProject}.iam.gserviceaccount.com`. */
  | { mode: 'serviceAccounts'; templates: string[] }
  /** e.g. `{org}/egress-project/{project}`: `{org}` is `org` (the numeric organization id parenting the tag key). */
  | { mode: 'secureTags'; templates: string[]; org?: string };

/** The modes, in the order docs/policy.md lists them. */
export type TargetMode = TargetMapping['mode'];

/** A wildcard the platform knows how to enforce, expanded to address ranges. */
export interface WildcardExpansion {
  ranges: string[];
  /** Why these ranges (shown in diagnostics and `explain`). */
  note?: string;
}

export interface PlatformPolicy {
  manifest: {
    /** Files larger than this are refused before parsing. */
    maxFileBytes: number;
    /** At most this many allowedEgress entries per manifest. */
    maxEntries: number;
    /** Broadest IPv4 prefix allowed (16 means /16 or narrower). */
    minPrefixV4: number;
    /** Broadest IPv6 prefix allowed. */
    minPrefixV6: number;
  };
  /** Wildcards that may be used, keyed by the wildcard (`*.googleapis.com`). */
  wildcards: Record<string, WildcardExpansion>;
  firewall: {
    /** The Shared VPC host project (optional: may come from flags/env instead). */
    hostProject?: string;
    /** The global network firewall policy name (optional: may come from flags/env instead). */
    policy?: string;
    /** The priority band owned by this product; the baseline deny-all sits below it (higher number). */
    priorityMin: number;
    priorityMax: number;
    target: TargetMapping;
    /** Cloud NGFW limits per rule. */
    maxFqdnsPerRule: number;
    maxRangesPerRule: number;
    /** Log matched connections (Cloud NGFW rule logging). */
    enableLogging: boolean;
    /**
     * Which network firewall policy holds a project's rules (placement.ts, docs/policy.md "Placement"): `global` (the
     * one global policy, default) or `regional` (the regional policy of the manifest's `spec.region`, then required).
     */
    placement: Placement;
    /** Regional placement: the regions that have a regional policy (terraform creates and associates them). */
    regions: string[];
    /** Regional placement: the regional policy's name; `{policy}` is the global policy's name, `{region}` the region. */
    regionalPolicyName: string;
  };
  /** Blast-radius guards: how many revocations a run or the applier may make before a human confirms (docs/policy.md). */
  safety: {
    /** `drift --repair`, `replay` and `sync --delete` refuse a run that would revoke more projects than this. */
    maxRevocationsPerRun: number;
    /** The applier holds a revocation when this many were already applied within `windowSeconds`. */
    revocationsPerWindow: number;
    /** The window of `revocationsPerWindow`, in seconds. */
    windowSeconds: number;
  };
  /** Per-policy quotas and attribute counting (capacity.ts, docs/capacity.md). */
  capacity: CapacitySettings;
}
