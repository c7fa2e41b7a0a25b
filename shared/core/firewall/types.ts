/**
 * The firewall model of the core: a Cloud NGFW global network firewall policy rule, in the field names of the
 * Compute API (`FirewallPolicyRule`), restricted to what this product writes. No SDK import: adapters map to it.
 */

/** A layer-4 match; this product writes `{ipProtocol: 'all'}` (manifests carry no ports). */
export interface Layer4Config {
  ipProtocol: string;
  ports?: string[];
}

/** A rule as the product wants it to exist. Priority is assigned by the applier when the rule is created. */
export interface DesiredRule {
  /** Deterministic, unique within the product's rules (derived from the project key and chunk). */
  ruleName: string;
  /** Carries the ownership marker (see compiler) and, where it fits, the entries' descriptions. */
  description: string;
  direction: 'EGRESS';
  /** Always `allow`, except the disabled `deny` tombstone that records a project's deletion (tombstone.ts). */
  action: 'allow' | 'deny';
  enableLogging: boolean;
  disabled?: boolean;
  match: {
    /** The project's source ranges (target mode `subnets`); one address family per rule. */
    srcIpRanges?: string[];
    destFqdns?: string[];
    destIpRanges?: string[];
    layer4Configs: Layer4Config[];
  };
  targetServiceAccounts?: string[];
  targetSecureTags?: { name: string }[];
  /**
   * Which workloads the rule covers, in words (`subnet payment-gateway-usc1: primary + pods + services`). Set by the
   * compiler for plans and explain; never sent to the API, never part of the rule's content.
   */
  coverage?: string;
}

/** A rule as it exists in the policy: priority is its identity. Foreign rules may have any shape. */
export interface ObservedRule extends DesiredRule {
  priority: number;
}

/** The ownership marker parsed from a rule description. */
export interface OwnershipMarker {
  managedBy: string;
  project: string;
  /** The manifest object generation (GCS generation, decimal string) the rule was written from. */
  generation: string;
  /** Hash of the project's whole desired state. */
  hash: string;
  /** `deleted` on the tombstone a `delete` event leaves (tombstone.ts); absent on every ordinary rule. */
  state?: 'deleted';
  /** On a tombstone: when the revocation was applied (unix seconds), for the applier's rate guard. */
  at?: number;
}

/** What must change for one project (or many). Pure data; printable. */
export interface Plan {
  create: DesiredRule[];
  update: { old: ObservedRule; new: DesiredRule }[];
  delete: ObservedRule[];
  /** How many owned rules already match (set by planProject; for summaries). */
  unchanged?: number;
}

/** Counts for logs and status events. */
export interface PlanSummary {
  create: number;
  update: number;
  delete: number;
  unchanged: number;
}
