/**
 * Regional placement in terraform (terraform/regional.tf, firewall.tf's hand-off) and in the local stack
 * (local/program/stack/baseline.ts, firewall.ts): the variables mirror the platform policy's defaults; under
 * placement = "regional" each listed region gets a policy, its association and the full baseline (deny-all included),
 * while the global policy's deny-all becomes goto_next (regional policies are evaluated after the global one); the
 * regional IAM is exactly the regional permissions. Read with @cdktf/hcl2json (no providers here).
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected values are Terraform interpolations
import { join } from 'node:path';
import { BASELINE, BASELINE_PRIORITY, HANDOFF } from '../../local/program/stack/baseline';
import { firewallEngine } from '../../local/program/stack/firewall';
import { DEFAULT_POLICY } from '../../shared/core/policy/defaults';
import { loadTerraform, PARSE_TIMEOUT_MS, resolve, resource, type TerraformDoc, variableDefault } from './hcl';

let tf: TerraformDoc;
beforeAll(async () => {
  tf = await loadTerraform(join(__dirname, '../../terraform'));
}, PARSE_TIMEOUT_MS);

test('the placement variables default to the platform policy defaults (global)', () => {
  expect(variableDefault(tf, 'placement')).toBe(DEFAULT_POLICY.firewall.placement);
  expect(variableDefault(tf, 'regions')).toEqual([]);
  expect(variableDefault(tf, 'regional_policy_name')).toBe(DEFAULT_POLICY.firewall.regionalPolicyName);
});

test("the global policy's baseline hands egress on under regional placement: terraform's hand-off is the local one", () => {
  expect(tf.locals.global_baseline_rules).toBe(
    '${var.placement == "regional" ? merge(local.baseline_rules, local.handoff_rules) : local.baseline_rules}',
  );
  expect(resource(tf, 'google_compute_network_firewall_policy_rule', 'baseline').for_each).toBe(
    '${local.global_baseline_rules}',
  );
  const tfHandoff = {
    ...(tf.locals.handoff_rules_v4 as Record<string, Record<string, unknown>>),
    ...(tf.locals.handoff_rules_v6 as Record<string, Record<string, unknown>>),
  };
  expect(
    Object.entries(tfHandoff).map(([key, r]) => ({
      key,
      priority: Number(resolve(tf, r.priority)),
      action: r.action,
      ranges: r.ranges,
      protocol: r.protocol,
      ports: r.ports,
      logging: r.logging,
      ruleName: r.rule_name,
      note: r.note,
    })),
  ).toEqual(HANDOFF.map(({ offset, ...h }) => ({ ...h, priority: BASELINE_PRIORITY + offset })));
  // The hand-off replaces exactly the deny-all rules, at their priorities.
  for (const h of HANDOFF)
    expect(BASELINE.find((b) => b.key === h.key)).toMatchObject({ action: 'deny', offset: h.offset });
});

test('each listed region: a regional policy, its association with the Shared VPC, the full baseline', () => {
  expect(String(tf.locals.regional_policy_names)).toContain(
    'replace(replace(var.regional_policy_name, "{policy}", var.firewall_policy_name), "{region}", r)',
  );
  const policy = resource(tf, 'google_compute_region_network_firewall_policy', 'egress');
  expect(policy).toMatchObject({
    for_each: '${local.regional_policy_names}',
    region: '${each.key}',
    name: '${each.value}',
  });
  const assoc = resource(tf, 'google_compute_region_network_firewall_policy_association', 'shared_vpc');
  expect(assoc).toMatchObject({
    region: '${each.key}',
    firewall_policy: '${google_compute_region_network_firewall_policy.egress[each.key].id}',
    attachment_target: '${local.network_id}',
  });
  const rule = resource(tf, 'google_compute_region_network_firewall_policy_rule', 'baseline');
  const global = resource(tf, 'google_compute_network_firewall_policy_rule', 'baseline');
  expect(rule).toMatchObject({
    for_each: '${local.regional_baseline_rules}',
    region: '${each.value.region}',
    direction: 'EGRESS',
    description: global.description,
    action: global.action,
    priority: global.priority,
  });
  // every baseline rule (deny-all included) in every region
  expect(String(tf.locals.regional_baseline_rules)).toContain('keys(local.baseline_rules)');
});

test('the regional IAM: the applier writes regional policies and waits on region operations; readers only get', () => {
  const writer = resource(tf, 'google_project_iam_custom_role', 'regional_firewall_writer');
  expect(writer.count).toBe('${local.regional ? 1 : 0}');
  expect([...(writer.permissions as string[])].sort()).toEqual([
    'compute.regionFirewallPolicies.get',
    'compute.regionFirewallPolicies.update',
    'compute.regionOperations.get',
  ]);
  expect(resource(tf, 'google_project_iam_custom_role', 'regional_firewall_reader').permissions).toEqual([
    'compute.regionFirewallPolicies.get',
  ]);
  expect(resource(tf, 'google_project_iam_member', 'applier_writes_regional_firewall').member).toBe(
    '${google_service_account.applier.member}',
  );
});

test('the local stack seeds regional placement as terraform: global hand-off, deny-all in each region', () => {
  const engine = firewallEngine({
    hostProject: 'h',
    firewallPolicy: 'p',
    placement: {
      placement: 'regional',
      regions: ['us-central1', 'europe-west4'],
      regionalPolicyName: '{policy}-{region}',
    },
  });
  const band = (rules: ReturnType<typeof engine.rules>) =>
    rules.filter((r) => r.priority! < 2147483644).map((r) => [r.priority, r.ruleName, r.action]);
  const global = band(engine.rules('h', 'p'));
  expect(global.filter(([, , a]) => a === 'deny')).toEqual([]);
  expect(global.slice(-2)).toEqual(HANDOFF.map((h) => [BASELINE_PRIORITY + h.offset, h.ruleName, 'goto_next']));
  for (const region of ['us-central1', 'europe-west4'])
    expect(band(engine.rules('h', `p-${region}`, region))).toEqual(
      BASELINE.map((b) => [BASELINE_PRIORITY + b.offset, b.ruleName, b.action]),
    );
});
