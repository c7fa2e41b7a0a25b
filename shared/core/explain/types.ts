/**
 * The explain contract: its input, and the JSON shape of {@link ExplainResult} (docs/operations.md, `schemaVersion`
 * 1) for programs and AI assistants: fields may be added, never renamed or removed. The text output is rendered from
 * the same result (render.ts), so the two cannot disagree.
 */
import type { ObservedRule } from '../firewall/types';
import type { EgressEntry, EgressLayout, ProjectMeta } from '../manifest/types';
import type { NetworkModel, Tier } from '../network/model';
import type { PolicyRef } from '../policy/placement';
import type { PlatformPolicy } from '../policy/types';

/** Explain's JSON contract version. */
export const EXPLAIN_SCHEMA_VERSION = 1;

/** An argument explain cannot use (a usage error): the message names it, the hint says what to give instead. */
export class ExplainArgumentError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'ExplainArgumentError';
  }
}

/** The destination could not be read as a host, an address or a range. */
export class DestinationError extends ExplainArgumentError {
  constructor(message: string, hint: string) {
    super(message, hint);
    this.name = 'DestinationError';
  }
}

/** What the user typed, reduced to what a firewall matches. */
export interface ParsedDestination {
  input: string;
  kind: 'hostname' | 'ip' | 'range';
  /** Lowercase punycode hostname, canonical address, or canonical network/prefix. */
  value: string;
  /** 4 or 6 for addresses and ranges. */
  family?: 4 | 6;
  /** What was removed to get `value` (`scheme "https://"`, `port 8443`, `path "/v1"`…): firewalls match hosts only. */
  stripped: string[];
}

/** The manifest side of the input: a validated manifest (valid or not) or null when the project has none. */
export interface ExplainManifest {
  /** File or object the manifest was read from (the file the fix goes into). */
  path: string;
  valid: boolean;
  project: ProjectMeta | null;
  entries: EgressEntry[];
  /** Where allowedEgress and each entry are (validateManifest's `layout`): entry lines and the fix's place. */
  layout?: EgressLayout;
  /** The bucket object's generation when read from a bucket (absent for a local directory). */
  generation?: string;
  /** Error codes of an invalid manifest (shown, since the pipeline ignores an invalid upload). */
  errors?: string[];
}

/** The firewall side of the input: every rule of the policy (owned or not), from the live policy or a state file. */
export interface ExplainFirewall {
  /** Human label of where the rules came from (`live policy P in H`, `state file x.json`). */
  source: string;
  rules: ObservedRule[];
  /** Regional placement: each policy's rules (the global one first), to build the evaluation order for a project. */
  byPolicy?: { ref: PolicyRef; rules: ObservedRule[] }[];
  /**
   * Every tier that can decide the project's packets in Google's order (core/network `tiersInOrder`: hierarchical,
   * VPC rules and the policies per the enforcement order, implied), from the network model. Absent: `rules` as one
   * policy, then the implied rules.
   */
  tiers?: Tier[];
  /** The project's probing address in the network model (its first subnet's first usable address), when known. */
  sourceIp?: string;
  /** The project's probing address for an IPv6 destination (an address of its IPv6 range), when it has one. */
  sourceIp6?: string;
  /** The address families of the project's sources (target mode `subnets`, subnets known): 4, 6 or both. */
  sourceFamilies?: (4 | 6)[];
  /** The network model the tiers are built from (the use case builds `tiers` and `sourceIp` from it). */
  model?: NetworkModel;
  /** What the network model says of the project's placement (subnets outside its spec.region, as drift says it). */
  placementNotes?: string[];
}

/** Input of `explain`. */
export interface ExplainInput {
  project: string;
  destination: string;
  policy: PlatformPolicy;
  /** null: no manifest for the project was found (the fix then names `suggestedPath`). */
  manifest: ExplainManifest | null;
  /** Absent: the firewall was not consulted (manifest-only answer). */
  firewall?: ExplainFirewall;
  /** Where a new manifest for the project would go, when there is none. */
  suggestedPath?: string;
  /** Fills `{hostProject}` of the target template (to recognise platform rules that target the project). */
  hostProject?: string;
  /** The comment of the suggested line. */
  why?: string;
  /**
   * The project's agreement as the use case computed it (core/agreement: its sources read, every policy of the
   * placement); null: neither manifest nor owned rules exist. Absent: computed from this input alone.
   */
  agreement?: import('../agreement/types').ProjectAgreement | null;
}

/** How a manifest entry covers the destination. */
export type EntryMatchHow = 'exact-hostname' | 'wildcard' | 'wildcard-expansion' | 'address-in-range';

/** A manifest entry that allows the destination. */
export interface EntryMatch {
  entry: string;
  type: EgressEntry['type'];
  how: EntryMatchHow;
  /** For wildcards: the ranges the platform expands it to (and the policy's note). */
  expandsTo?: string[];
  note?: string;
  /** The range of a cidr entry or expansion that contains the destination. */
  range?: string;
  description?: string;
  /** 1-based line of the entry in the manifest text, when known. */
  line?: number;
}

/** How a firewall rule matches the destination. */
export type RuleMatchHow = 'fqdn' | 'address-in-range' | 'wildcard-expansion' | 'any-destination';

/** A firewall rule that applies to the project's workloads and matches the destination. */
export interface RuleMatch {
  priority: number;
  ruleName: string;
  action: string;
  how: RuleMatchHow;
  /** The destFqdns value or destIpRanges range that matched. */
  matched?: string;
  /** True when the rule carries this product's marker for the project. */
  owned: boolean;
  /** The marker's generation and hash, for owned rules. */
  generation?: string;
  hash?: string;
  /** Which workloads the rule covers, in words (its sources, accounts or tags; docs/policy.md, "Target modes"). */
  covers: string;
  /**
   * Where the rule lives when it is not a rule of the network's global policy (a hierarchical policy, the VPC firewall
   * rules, a regional policy, the implied rules), and that place in words (docs/diagnose.md, "The network model").
   */
  tier?: { kind: 'hierarchical' | 'vpc-rules' | 'global' | 'regional' | 'implied'; name: string; region?: string };
  place?: string;
}

/** Whether the manifest and the firewall tell the same story for the project as a whole (core/agreement/types.ts). */
export type AgreementStatus = import('../agreement/types').AgreementStatus;

/** The agreement of the project's owned rules with its manifest. */
export interface Agreement {
  status: AgreementStatus;
  detail: string;
  manifestGeneration?: string;
  manifestHash?: string;
  firewallGeneration?: string;
  firewallHash?: string;
  /** Manifest entries that cannot apply (e.g. an IPv6 destination for a project without IPv6 sources). */
  warnings?: string[];
}

/** The fix when the destination is not allowed: the line to add and where. */
export interface ExplainFix {
  file: string;
  /** The exact YAML line, indented like its neighbours: `    - "api.example.com"  # why`. */
  line: string;
  /** Insert after this 1-based line (the last entry, or the `allowedEgress:` key); absent when a block must be added. */
  afterLine?: number;
  /** Lines to add when the manifest has no `allowedEgress` list; a whole manifest when no file exists yet. */
  block?: string;
  /** The entry value (normalized) the line adds. */
  entry: string;
  note?: string;
}

/** Why the destination cannot be fixed by a manifest entry: the validator's refusal of the entry it would need. */
export interface CannotList {
  entry: string;
  /** The validator's code (`CIDR_ALL_ADDRESSES`, `CIDR_TOO_BROAD`, `NON_PUBLIC_ADDRESS`…). */
  code: string;
  reason: string;
  hint?: string;
}

/** The status of the answer for the destination. */
export type ExplainStatus =
  | 'allowed'
  | 'not-allowed'
  | 'allowed-pending'
  /** Listed, but the project has no source range of the destination's family (an IPv6 entry without IPv6 subnets). */
  | 'cannot-apply'
  | 'revoke-pending'
  | 'unknown'
  | 'internal';

/** The answer; see docs/operations.md for the contract. */
export interface ExplainResult {
  schemaVersion: typeof EXPLAIN_SCHEMA_VERSION;
  project: string;
  destination: ParsedDestination;
  /**
   * The effective answer: the firewall's when it was consulted and decided, otherwise the manifest's; null when
   * undeterminable (e.g. a hostname against range rules only: it depends on DNS).
   */
  allowed: boolean | null;
  /**
   * True when `allowed` holds for the hostname by name only: range rules (or, with the firewall not consulted, range
   * entries) that would answer otherwise match if the host resolves into {@link ExplainResult.dnsRanges}. explain
   * never resolves DNS, so it reports the condition instead of guessing. Always false for addresses and ranges.
   */
  dependsOnDns: boolean;
  /** The ranges that would turn the answer around if the hostname resolves into one of them (empty when none). */
  dnsRanges: string[];
  status: ExplainStatus;
  summary: string;
  manifest: {
    path: string | null;
    found: boolean;
    valid: boolean;
    generation?: string;
    allowed: boolean;
    matches: EntryMatch[];
    /** Entries whose match depends on DNS (hostnames for an address, ranges for a hostname). */
    undetermined: string[];
  };
  firewall: {
    consulted: boolean;
    source?: string;
    /** null when not consulted or no rule decides. */
    allowed: boolean | null;
    /** The first matching rule in priority order (Cloud NGFW evaluates lowest priority number first). */
    decidedBy: RuleMatch | null;
    matches: RuleMatch[];
    /** Rules whose match depends on DNS (range rules for a hostname, FQDN rules for an address). */
    undetermined: { priority: number; ruleName: string; action: string }[];
  };
  agreement: Agreement;
  /** True when the manifest's answer and the firewall's answer differ for this destination. */
  disagree: boolean;
  fix: ExplainFix | null;
  /** Set when the destination is not allowed and no entry may allow it (e.g. `0.0.0.0/0`); null otherwise. */
  cannotList: CannotList | null;
  notes: string[];
}
