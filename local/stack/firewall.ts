/** The fake firewall of the local stack: the policy terraform would create, persisted in the state dir if given. */
import { existsSync, mkdirSync } from 'node:fs';
import { FirewallPolicyEngine } from '../fakes/compute/engine';
import { type EngineState, readStateFile, stateFileIn } from '../fakes/compute/state';
import { seedExampleSubnetworks } from '../fakes/compute/subnets';
import { BASELINE, BASELINE_PRIORITY, baselineRules } from './baseline';

export { baselineRules } from './baseline';

const inBaseline = (priority: number | null | undefined) =>
  priority != null && priority >= BASELINE_PRIORITY && priority <= BASELINE_PRIORITY + 11;

/**
 * A state file from before the baseline was terraform's (2 deny rules named zero-trust-*) gets terraform's baseline in
 * their place, as a `terraform apply` would: only the baseline band is replaced, owned rules are kept as they are.
 */
function withTerraformBaseline(state: EngineState, hostProject: string, firewallPolicy: string): EngineState {
  const p = state.policies.find((x) => x.project === hostProject && x.name === firewallPolicy);
  if (!p) return state;
  const have = p.rules.filter((r) => inBaseline(r.priority)).map((r) => `${r.priority} ${r.ruleName}`);
  const want = BASELINE.map((b) => `${BASELINE_PRIORITY + b.offset} ${b.ruleName}`);
  if (have.join('\n') === want.join('\n')) return state;
  const fresh = new FirewallPolicyEngine();
  fresh.createPolicy(hostProject, firewallPolicy, { rules: baselineRules(), defaultRules: false });
  const rules = [...p.rules.filter((r) => !inBaseline(r.priority)), ...fresh.rules(hostProject, firewallPolicy)];
  p.rules = rules.sort((a, b) => a.priority! - b.priority!);
  return state;
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
  if (!existsSync(stateFile)) return seed(new FirewallPolicyEngine({ stateFile }));
  const before = JSON.stringify(readStateFile(stateFile));
  const state = withTerraformBaseline(JSON.parse(before), opts.hostProject, opts.firewallPolicy);
  const engine = seed(FirewallPolicyEngine.fromJSON(state, { stateFile }));
  // An upgraded baseline is written back at once, so `--state` readers (plan, explain, probe) see it too.
  if (JSON.stringify(state) !== before) engine.save(stateFile);
  return engine;
}
