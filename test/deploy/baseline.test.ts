/**
 * The local stack's baseline (local/program/stack/baseline.ts) is terraform's (terraform/firewall.tf, `local.baseline_rules`
 * at the variable defaults): same keys, priorities, names, actions, ranges, protocols, ports and logging, and the
 * same description the rule resource writes. Read with @cdktf/hcl2json (test/deploy/hcl.ts).
 */
import { join } from 'node:path';
import { BASELINE, BASELINE_PRIORITY, baselineRules } from '../../local/program/stack/baseline';
import { firewallEngine } from '../../local/program/stack/firewall';
import { loadTerraform, PARSE_TIMEOUT_MS, resolve, resource, type TerraformDoc, variableDefault } from './hcl';

let tf: TerraformDoc;
beforeAll(async () => {
  tf = await loadTerraform(join(__dirname, '../../terraform'));
}, PARSE_TIMEOUT_MS);

interface TfRule {
  priority: string;
  action: string;
  ranges: string[] | string;
  protocol: string;
  ports: string[];
  logging: boolean;
  rule_name: string;
  note: string;
}

/** terraform's baseline at its defaults (enable_ipv6 = true merges both maps), ranges resolved. */
function terraformBaseline() {
  expect(variableDefault(tf, 'enable_ipv6')).toBe(true);
  const all = {
    ...(tf.locals.baseline_rules_v4 as Record<string, TfRule>),
    ...(tf.locals.baseline_rules_v6 as Record<string, TfRule>),
  };
  return Object.entries(all)
    .map(([key, r]) => ({
      key,
      priority: Number(resolve(tf, r.priority)),
      action: r.action,
      ranges: (Array.isArray(r.ranges) ? r.ranges.map((x) => resolve(tf, x)) : resolve(tf, r.ranges)) as string[],
      protocol: r.protocol,
      ports: r.ports,
      logging: r.logging,
      ruleName: r.rule_name,
      note: r.note,
    }))
    .sort((a, b) => a.priority - b.priority);
}

test('baseline_priority default is the local one', () => {
  expect(variableDefault(tf, 'baseline_priority')).toBe(BASELINE_PRIORITY);
});

test('every terraform baseline rule is in the local table, field for field, and nothing else', () => {
  const local = BASELINE.map(({ offset, ...b }) => ({ ...b, priority: BASELINE_PRIORITY + offset }));
  expect(local).toEqual(terraformBaseline());
});

test('the seeded rules are what the terraform rule resource writes', () => {
  const res = resource(tf, 'google_compute_network_firewall_policy_rule', 'baseline');
  expect(res.direction).toBe('EGRESS');
  expect(res.description).toBe(`infrastream-egress baseline (terraform): $\{each.value.note}`);
  const byName = new Map(terraformBaseline().map((r) => [r.ruleName, r]));
  for (const rule of baselineRules()) {
    const t = byName.get(rule.ruleName!)!;
    expect({
      name: rule.ruleName,
      priority: rule.priority,
      action: rule.action,
      logging: rule.enableLogging,
      description: rule.description,
      ranges: rule.match?.destIpRanges,
      l4: rule.match?.layer4Configs,
    }).toEqual({
      name: t.ruleName,
      priority: t.priority,
      action: t.action,
      logging: t.logging,
      description: `infrastream-egress baseline (terraform): ${t.note}`,
      ranges: t.ranges,
      l4: [{ ipProtocol: t.protocol, ...(t.ports.length ? { ports: t.ports } : {}) }],
    });
  }
});

test('the local stack seeds a new policy with exactly this baseline (plus Google’s predefined rules)', () => {
  const engine = firewallEngine({ hostProject: 'h', firewallPolicy: 'p' });
  const rules = engine.rules('h', 'p').filter((r) => r.priority! < 2147483644);
  expect(rules.map((r) => [r.priority, r.ruleName, r.action])).toEqual(
    terraformBaseline().map((t) => [t.priority, t.ruleName, t.action]),
  );
});

test('a state file with the old two-rule baseline gets terraform’s, owned rules kept', () => {
  const { mkdtempSync, rmSync } = require('node:fs') as typeof import('node:fs');
  const { tmpdir } = require('node:os') as typeof import('node:os');
  const { FirewallPolicyEngine } =
    require('../../local/fakes/compute/engine') as typeof import('../../local/fakes/compute/engine');
  const dir = mkdtempSync(join(tmpdir(), 'egress-baseline-'));
  try {
    const old = new FirewallPolicyEngine();
    old.createPolicy('h', 'p', {
      rules: [
        {
          priority: 1000,
          ruleName: 'egress-a-fqdn-1',
          direction: 'EGRESS',
          action: 'allow',
          match: { destFqdns: ['a.example.com'], layer4Configs: [{ ipProtocol: 'all' }] },
        },
        {
          priority: 2147483010,
          ruleName: 'zero-trust-deny-egress-v4',
          direction: 'EGRESS',
          action: 'deny',
          match: { destIpRanges: ['0.0.0.0/0'], layer4Configs: [{ ipProtocol: 'all' }] },
        },
      ],
    });
    old.save(join(dir, 'compute.json'));
    const names = firewallEngine({ stateDir: dir, hostProject: 'h', firewallPolicy: 'p' })
      .rules('h', 'p')
      .map((r) => r.ruleName);
    expect(names).toContain('egress-a-fqdn-1');
    expect(names).not.toContain('zero-trust-deny-egress-v4');
    for (const b of BASELINE) expect(names).toContain(b.ruleName);
    // Written back, so a `--state` reader sees the same.
    const again = FirewallPolicyEngine.load(join(dir, 'compute.json'))
      .rules('h', 'p')
      .map((r) => r.ruleName);
    expect(again).toEqual(names);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
