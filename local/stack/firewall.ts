/** The fake firewall of the local stack: the policy terraform would create, persisted in the state dir if given. */
import { existsSync, mkdirSync } from 'node:fs';
import { FirewallPolicyEngine, type FirewallPolicyRule } from '../fakes/compute/engine';
import { stateFileIn } from '../fakes/compute/state';
import { seedExampleSubnetworks } from '../fakes/compute/subnets';

/** The zero-trust baseline terraform puts at the bottom of the policy (deny all egress, logged); never touched. */
export function baselineRules(basePriority = 2147483000): FirewallPolicyRule[] {
  return [
    { range: '0.0.0.0/0', offset: 10 },
    { range: '::/0', offset: 11 },
  ].map(({ range, offset }) => ({
    priority: basePriority + offset,
    ruleName: `zero-trust-deny-egress-${offset === 10 ? 'v4' : 'v6'}`,
    description: 'Zero-trust default: egress not allowed by a higher-priority rule is denied and logged.',
    direction: 'EGRESS',
    action: 'deny',
    enableLogging: true,
    match: { destIpRanges: [range], layer4Configs: [{ ipProtocol: 'all' }] },
  }));
}

/** The engine of the stack: loaded from `<stateDir>/compute.json` when it exists, the policy seeded when absent. */
export function firewallEngine(opts: {
  stateDir?: string;
  hostProject: string;
  firewallPolicy: string;
}): FirewallPolicyEngine {
  const seed = (e: FirewallPolicyEngine) => {
    try {
      e.rules(opts.hostProject, opts.firewallPolicy);
    } catch {
      e.createPolicy(opts.hostProject, opts.firewallPolicy, { rules: baselineRules() });
    }
    seedExampleSubnetworks(e, opts.hostProject); // B1: the example Shared VPC subnets (target mode subnets)
    return e;
  };
  if (!opts.stateDir) return seed(new FirewallPolicyEngine());
  mkdirSync(opts.stateDir, { recursive: true });
  const stateFile = stateFileIn(opts.stateDir);
  return seed(
    existsSync(stateFile)
      ? FirewallPolicyEngine.load(stateFile, { stateFile })
      : new FirewallPolicyEngine({ stateFile }),
  );
}
