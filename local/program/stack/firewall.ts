/** The fake firewall of the local stack: the policy terraform would create, persisted in the state dir if given. */
import { existsSync, mkdirSync } from 'node:fs';
import { DEFAULT_POLICY } from '../../../shared/core/policy/defaults';
import { type PlacementSettings, placementPolicies } from '../../../shared/core/policy/placement';
import { FirewallPolicyEngine } from '../../fakes/compute/engine';
import { type EngineState, readStateFile, stateFileIn } from '../../fakes/compute/state';
import { BASELINE_PRIORITY, baselineRules, globalBaseline } from './baseline';

export { baselineRules } from './baseline';

const inBaseline = (priority: number | null | undefined) =>
  priority != null && priority >= BASELINE_PRIORITY && priority <= BASELINE_PRIORITY + 11;

/**
 * A state file from before the baseline was terraform's (2 deny rules named zero-trust-*) gets terraform's baseline in
 * their place, as a `terraform apply` would: only the baseline band is replaced, owned rules are kept as they are.
 */
function withTerraformBaseline(
  state: EngineState,
  hostProject: string,
  firewallPolicy: string,
  placement: PlacementSettings['placement'],
): EngineState {
  const p = state.policies.find((x) => x.project === hostProject && x.name === firewallPolicy && !x.region);
  if (!p) return state;
  const table = globalBaseline(placement);
  const have = p.rules.filter((r) => inBaseline(r.priority)).map((r) => `${r.priority} ${r.ruleName}`);
  const want = table.map((b) => `${BASELINE_PRIORITY + b.offset} ${b.ruleName}`);
  if (have.join('\n') === want.join('\n')) return state;
  const fresh = new FirewallPolicyEngine();
  fresh.createPolicy(hostProject, firewallPolicy, {
    rules: baselineRules(BASELINE_PRIORITY, table),
    defaultRules: false,
  });
  const rules = [...p.rules.filter((r) => !inBaseline(r.priority)), ...fresh.rules(hostProject, firewallPolicy)];
  p.rules = rules.sort((a, b) => a.priority! - b.priority!);
  return state;
}

/**
 * The engine of the stack: loaded from `<stateDir>/compute.json` when it exists, the policies seeded when absent
 * (its subnets are the network's: local/program/stack/network.ts).
 * Under regional placement (the platform policy's firewall.placement, `npm start -- --policy FILE`), as terraform:
 * the global policy ends in goto_next for egress, and each listed region's policy holds the deny-all baseline.
 */
export function firewallEngine(opts: {
  stateDir?: string;
  hostProject: string;
  firewallPolicy: string;
  placement?: PlacementSettings;
}): FirewallPolicyEngine {
  const placement = opts.placement ?? DEFAULT_POLICY.firewall;
  const seed = (e: FirewallPolicyEngine) => {
    for (const ref of placementPolicies(placement, opts.firewallPolicy)) {
      try {
        e.rules(opts.hostProject, ref.name, ref.region);
      } catch {
        const table = ref.region ? undefined : globalBaseline(placement.placement);
        e.createPolicy(opts.hostProject, ref.name, {
          rules: baselineRules(BASELINE_PRIORITY, table),
          ...(ref.region ? { region: ref.region } : {}),
        });
      }
    }
    return e;
  };
  // Google completes a write's operation on its own; so does this stack's fake, at once, so that a change made by
  // hand (curl, another tool that does not poll) lands like it would on Google (docs/fake-compute.md).
  const completion = 'immediate' as const;
  if (!opts.stateDir) return seed(new FirewallPolicyEngine({ completion }));
  mkdirSync(opts.stateDir, { recursive: true });
  const stateFile = stateFileIn(opts.stateDir);
  if (!existsSync(stateFile)) return seed(new FirewallPolicyEngine({ stateFile, completion }));
  const before = JSON.stringify(readStateFile(stateFile));
  const state = withTerraformBaseline(JSON.parse(before), opts.hostProject, opts.firewallPolicy, placement.placement);
  const engine = seed(FirewallPolicyEngine.fromJSON(state, { stateFile, completion }));
  // An upgraded baseline is written back at once, so `--state` readers (plan, explain, probe) see it too.
  if (JSON.stringify(state) !== before) engine.save(stateFile);
  return engine;
}
