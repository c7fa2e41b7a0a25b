/** The platform policy: limits and mappings the platform team sets once, read alike by the CLI and the functions. */
import type { CapacitySettings } from './capacity';

/** How a project maps to the firewall targets that cover all of its workloads. `{project}` is the project key. */
export type TargetMapping =
  /** e.g. `egress-{project}@{hostProject}.iam.gserviceaccount.com` (`{hostProject}` is filled from firewall.hostProject). */
  | { mode: 'serviceAccount'; template: string }
  /** e.g. `tagValues/{project}` resolved by the platform, or a literal template such as `{tagValuePrefix}/{project}`. */
  | { mode: 'secureTag'; template: string };

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
