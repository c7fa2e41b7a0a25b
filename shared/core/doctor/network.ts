/**
 * The checks of the network's firewall tiers, all answered by the one evaluator (core/network/evaluate.ts) over the
 * one model: the enforcement order, the rules that let egress out before the product's policies, the policies being
 * in effect on the network, and the baseline deny. Pure. Sources: docs/doctor.md.
 */
import { evaluateTiers, type Packet, type Source, tierOrder } from '../network/evaluate';
import type { NetRule, NetworkModel, Tier } from '../network/model';
import { tiersInOrder } from '../network/model';
import type { PolicyRef } from '../policy/placement';
import { type Check, check } from './types';

const isPolicy = (t: Tier) => t.kind === 'global' || t.kind === 'regional';
const ORDER_FIX = (network: string) =>
  `gcloud compute networks update ${network} --network-firewall-policy-enforcement-order=BEFORE_CLASSIC_FIREWALL ` +
  '(or terraform with manage_network = true, docs/deploy.md)';

/** The network's enforcement order: BEFORE_CLASSIC_FIREWALL passes; Google's default AFTER_CLASSIC_FIREWALL warns. */
export function enforcementOrderCheck(model: NetworkModel): Check {
  if (model.enforcementOrder === 'BEFORE_CLASSIC_FIREWALL')
    return check(
      'enforcement-order',
      'PASS',
      `network ${model.network}: BEFORE_CLASSIC_FIREWALL (the policies decide before the VPC firewall rules)`,
    );
  return check(
    'enforcement-order',
    'WARN',
    `network ${model.network}: AFTER_CLASSIC_FIREWALL (Google's default): its VPC firewall rules decide before the ` +
      'policy, so any VPC egress allow added later opens the perimeter',
    ORDER_FIX(model.network),
  );
}

/** What a rule lets through, in words: `tcp:443 to 0.0.0.0/0 (instances tagged web)`. */
export function ruleReach(rule: NetRule): string {
  const l4 = (rule.match.layer4Configs ?? []).map(
    (c) => `${c.ipProtocol}${c.ports?.length ? `:${c.ports.join(',')}` : ''}`,
  );
  const dest = [...(rule.match.destIpRanges ?? []), ...(rule.match.destFqdns ?? [])];
  const targets = [
    ...(rule.targetTags ?? []).map((t) => `instances tagged ${t}`),
    ...(rule.targetServiceAccounts ?? []).map((s) => `service account ${s}`),
    ...(rule.targetSecureTags ?? []).map((t) => `tag ${t.name}`),
  ];
  return (
    `${l4.length ? l4.join(' ') : 'all'} to ${dest.length ? dest.join(', ') : 'any destination'}` +
    ` (${targets.length ? targets.join(', ') : 'every instance of the network'})`
  );
}

function packetOf(rule: NetRule): Packet | undefined {
  const c = (rule.match.layer4Configs ?? []).find((x) =>
    ['tcp', 'udp', '6', '17'].includes(x.ipProtocol.toLowerCase()),
  );
  const port = Number((c?.ports?.[0] ?? '').split('-')[0]);
  if (!c || !Number.isInteger(port) || port <= 0) return undefined;
  return { protocol: ['udp', '17'].includes(c.ipProtocol.toLowerCase()) ? 'udp' : 'tcp', port };
}

/** The allow rules of the tiers before the policies that the evaluator finds deciding some egress (not shadowed). */
export function allowsBeforePolicy(model: NetworkModel): { tier: Tier; rule: NetRule }[] {
  const tiers = tiersInOrder(model);
  const at = tiers.findIndex(isPolicy);
  const before = tiers.slice(0, at < 0 ? tiers.length - 1 : at);
  const found: { tier: Tier; rule: NetRule }[] = [];
  for (const tier of before)
    for (const rule of tierOrder(tier)) {
      if (rule.direction !== 'EGRESS' || rule.disabled || rule.action.toLowerCase() !== 'allow') continue;
      const src: Source = {
        project: '(a workload the rule targets)',
        ...(rule.targetTags ? { networkTags: rule.targetTags } : {}),
        ...(rule.targetServiceAccounts ? { serviceAccounts: rule.targetServiceAccounts } : {}),
        ...(rule.targetSecureTags ? { secureTags: rule.targetSecureTags.map((t) => t.name) } : {}),
      };
      const ranges = rule.match.destIpRanges?.length
        ? rule.match.destIpRanges
        : rule.match.destFqdns?.length
          ? []
          : ['0.0.0.0/0', '::/0'];
      const packet = packetOf(rule);
      const decides =
        ranges.length === 0 ||
        ranges.some((value) => {
          const v = evaluateTiers(tiers, src, { kind: 'range', value }, packet ? { packet } : {});
          return v.decidedBy.rule === rule;
        });
      if (decides) found.push({ tier, rule });
    }
  return found;
}

/** VPC firewall rules and hierarchical policy rules that let egress out before the product's policies. */
export function egressBeforePolicyCheck(model: NetworkModel): Check {
  const found = allowsBeforePolicy(model);
  if (found.length === 0)
    return check(
      'egress-before-policy',
      'PASS',
      `no VPC firewall rule or hierarchical policy rule allows egress before the policy (${model.enforcementOrder})`,
    );
  const named = found.map(({ tier, rule }) =>
    tier.kind === 'vpc-rules'
      ? `VPC firewall rule ${rule.ruleName} (priority ${rule.priority}) allows ${ruleReach(rule)}`
      : `rule ${rule.ruleName || rule.priority} (priority ${rule.priority}) of hierarchical policy ${tier.name} allows ${ruleReach(rule)}`,
  );
  const vpc = found.some((f) => f.tier.kind === 'vpc-rules');
  return check(
    'egress-before-policy',
    'FAIL',
    `egress is allowed before the policy decides: ${named.join('; ')}`,
    [
      ...(vpc ? [`${ORDER_FIX(model.network)}, or delete or narrow the VPC rule`] : []),
      ...(found.some((f) => f.tier.kind === 'hierarchical')
        ? ['have the organization change the hierarchical rule to goto_next for egress']
        : []),
    ].join('; '),
  );
}

/** Each policy of the placement is read and in effect on the network (`associated`: the names the network lists). */
export function policyAssociationCheck(model: NetworkModel, expected: readonly PolicyRef[]): Check {
  const present = (ref: PolicyRef) =>
    ref.region
      ? model.regional.some((t) => t.name === ref.name && t.region === ref.region)
      : model.global?.name === ref.name;
  const associated = (ref: PolicyRef) =>
    ref.region || !model.associatedPolicies ? true : model.associatedPolicies.includes(ref.name);
  const missing = expected.filter((r) => !present(r));
  const loose = expected.filter((r) => present(r) && !associated(r));
  const name = (r: PolicyRef) => (r.region ? `${r.name} (${r.region})` : r.name);
  if (missing.length || loose.length)
    return check(
      'policy-association',
      'FAIL',
      [
        ...(missing.length ? [`policy not found: ${missing.map(name).join(', ')}`] : []),
        ...(loose.length ? [`not associated with network ${model.network}: ${loose.map(name).join(', ')}`] : []),
      ].join('; '),
      'terraform apply (terraform/firewall.tf creates the policy and its association with the Shared VPC)',
    );
  return check(
    'policy-association',
    'PASS',
    `${expected.map(name).join(', ')} in effect on network ${model.network}` +
      (model.associatedPolicies ? '' : ' (association assumed: the read does not list associations)'),
  );
}

/** RFC 5737 / RFC 3849 documentation addresses: no manifest may allow them, so only the baseline decides them. */
const PROBES = ['192.0.2.1', '2001:db8::1'];

/** The baseline: egress no project allows is denied by the product's policies (each region's under regional placement). */
export function baselineCheck(model: NetworkModel, expected: readonly PolicyRef[]): Check {
  const regions = [...new Set(expected.flatMap((r) => (r.region ? [r.region] : [])))];
  const problems: string[] = [];
  for (const region of regions.length ? regions : [undefined]) {
    const tiers = tiersInOrder(model, region).filter((t) => isPolicy(t) || t.kind === 'implied');
    // Rules labelled for a project do not apply to this source: only the unlabelled baseline decides.
    const src: Source = { project: '(no project)', ownerOf: () => '' };
    for (const ip of PROBES) {
      const v = evaluateTiers(tiers, src, { kind: 'ip', value: ip });
      if (v.disposition !== 'DENIED' || !isPolicy(v.decidedBy.tier))
        problems.push(
          `${region ? `${region}: ` : ''}egress to ${ip} is not denied by the policy (falls to ${v.decidedBy.rule.ruleName})`,
        );
    }
  }
  if (problems.length)
    return check(
      'baseline',
      'FAIL',
      `the baseline deny is missing: ${problems.join('; ')}`,
      'terraform apply (terraform/firewall.tf, the baseline rules at baseline_priority)',
    );
  return check('baseline', 'PASS', 'the baseline denies IPv4 and IPv6 egress no project allows');
}
