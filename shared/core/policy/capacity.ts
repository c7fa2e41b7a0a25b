/**
 * The `capacity` section of the platform policy: the per-policy quotas of a Cloud NGFW global network firewall policy
 * and how rule attributes are counted (docs/capacity.md). Quotas can be raised on request, so they are settings.
 *
 * Sources (docs/capacity.md cites each): the quota metrics `compute.googleapis.com/rule_attributes_per_global_network_firewall_policy`
 * and `compute.googleapis.com/fqdns_per_global_network_firewall_policy` exist, but no stored copy of Google's quotas
 * page shows their default values: both defaults below are ASSUMED. Counting: each IP range, protocol and port range
 * is 1 attribute (Google's documented example); a rule's target service accounts cost nothing (real API recordings:
 * docs/capacity.md); FQDNs and secure tags cost 1 each (ASSUMED).
 */
import { Type } from '@sinclair/typebox';

/** Per-policy quotas and attribute weights. */
export interface CapacitySettings {
  /** Quota `rule_attributes_per_global_network_firewall_policy`. ASSUMED default 2,000. */
  attributesPerPolicy: number;
  /** Quota `fqdns_per_global_network_firewall_policy` (FQDNs of all rules, each occurrence). ASSUMED default 1,000. */
  fqdnsPerPolicy: number;
  /** Attributes per FQDN of a rule. ASSUMED 1. */
  fqdnAttributes: number;
  /** Attributes per secure tag (target or source) of a rule. ASSUMED 1. */
  secureTagAttributes: number;
  /** Attributes of a rule's target service accounts together, whatever their number (recorded: 0). */
  serviceAccountAttributes: number;
}

/** The documented (partly assumed) defaults. */
export const DEFAULT_CAPACITY: CapacitySettings = Object.freeze({
  attributesPerPolicy: 2000,
  fqdnsPerPolicy: 1000,
  fqdnAttributes: 1,
  secureTagAttributes: 1,
  serviceAccountAttributes: 0,
});

/** The keys of the section (all numbers). */
export const CAPACITY_KEYS = Object.keys(DEFAULT_CAPACITY) as (keyof CapacitySettings)[];

const limit = (description: string) => Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000, description }));
const weight = (description: string) => Type.Optional(Type.Integer({ minimum: 0, maximum: 100, description }));

/** The structure of the override file's `capacity` section. */
export const CapacityFileSchema = Type.Object(
  {
    attributesPerPolicy: limit('Rule attributes per global network firewall policy (your project quota).'),
    fqdnsPerPolicy: limit('FQDNs per global network firewall policy (your project quota).'),
    fqdnAttributes: weight('Rule attributes one FQDN costs (assumed 1).'),
    secureTagAttributes: weight('Rule attributes one secure tag costs (assumed 1).'),
    serviceAccountAttributes: weight("Rule attributes a rule's target service accounts cost together (recorded: 0)."),
  },
  { additionalProperties: false },
);

/** The file's section merged over `into` (numbers only; the schema walk has already reported bad values). */
export function mergeCapacity(into: CapacitySettings, section: Partial<CapacitySettings> | undefined): void {
  for (const k of CAPACITY_KEYS) if (typeof section?.[k] === 'number') into[k] = section[k];
}
