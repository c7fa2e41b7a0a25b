/** Explain test fixtures: the payment-gateway manifest, its compiled rules, the baseline deny and an input builder. */
import type { ExplainInput, ExplainManifest } from '../../../shared/core/explain';
import { compileProject } from '../../../shared/core/firewall/compiler';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import type { EgressEntry } from '../../../shared/core/manifest/types';
import { validateManifest } from '../../../shared/core/manifest/validate';
import { DEFAULT_POLICY } from '../../../shared/core/policy/defaults';
import type { PlatformPolicy } from '../../../shared/core/policy/types';

/** The payment-gateway manifest (entries on lines 9-12). */
export const TEXT = `apiVersion: lowops.manifests.v1
kind: Project
metadata:
  name: payment-gateway
  environment: production
spec:
  description: "Payment processing"
  allowedEgress:
    - "api.stripe.com"  # Payment processor API
    - "hooks.slack.com"  # Notification webhooks
    - "*.googleapis.com"  # Google Cloud APIs
    - "34.117.59.0/24"  # Partner range
`;
/** Its project metadata. */
export const project = { name: 'payment-gateway', environment: 'production' };
/** Its entries, normalized. */
export const entries: EgressEntry[] = [
  { value: 'api.stripe.com', type: 'hostname', description: 'Payment processor API' },
  { value: 'hooks.slack.com', type: 'hostname', description: 'Notification webhooks' },
  { value: '*.googleapis.com', type: 'wildcard', description: 'Google Cloud APIs' },
  { value: '34.117.59.0/24', type: 'cidr', description: 'Partner range' },
];
/** The platform policy of the tests: the defaults with service-account targets (no subnet read). */
export const policy: PlatformPolicy = {
  ...DEFAULT_POLICY,
  firewall: {
    ...DEFAULT_POLICY.firewall,
    target: { mode: 'serviceAccounts', templates: ['workload@{project}.iam.gserviceaccount.com'] },
  },
};
/** The baseline deny-all egress rule (IPv4). */
export const DENY_ALL: ObservedRule = {
  priority: 2100000000,
  ruleName: 'baseline-deny-all-egress',
  description: 'zero-trust baseline',
  direction: 'EGRESS',
  action: 'deny' as 'allow',
  enableLogging: true,
  match: { destIpRanges: ['0.0.0.0/0'], layer4Configs: [{ ipProtocol: 'all' }] },
};

/** The baseline deny-all egress rule for IPv6 (terraform creates both when IPv6 is on). */
export const DENY_ALL_V6: ObservedRule = {
  ...DENY_ALL,
  priority: 2100000001,
  ruleName: 'baseline-deny-all-egress-v6',
  match: { destIpRanges: ['::/0'], layer4Configs: [{ ipProtocol: 'all' }] },
};

/** The rules the pipeline writes for `es` at `generation`, from priority `start`. */
export function rulesFor(es: EgressEntry[], generation: string, name = project.name, start = 1000): ObservedRule[] {
  return compileProject({ ...project, name }, es, { policy, generation }).map((r, i) => ({
    ...r,
    priority: start + i,
  }));
}

/** A manifest as the use case hands it to explain: validated, with the validator's positions. */
export function manifestOf(
  text: string,
  path = 'manifests/payment-gateway.yaml',
  generation?: string,
): ExplainManifest {
  const r = validateManifest(text, { path, policy });
  return {
    path,
    valid: r.valid,
    project: r.project,
    entries: r.egress,
    ...(r.layout ? { layout: r.layout } : {}),
    ...(generation ? { generation } : {}),
  };
}

/** An explain input: the manifest at generation 5 and its rules applied, plus the deny-all; `over` replaces parts. */
export function input(over: Partial<ExplainInput> = {}): ExplainInput {
  return {
    project: 'payment-gateway',
    destination: 'api.stripe.com',
    policy,
    manifest: manifestOf(TEXT, 'manifests/payment-gateway.yaml', '5'),
    firewall: { source: 'state file s.json', rules: [...rulesFor(entries, '5'), DENY_ALL] },
    ...over,
  };
}
