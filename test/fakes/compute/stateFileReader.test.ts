/**
 * The fake writes the state file; the product reads it through one read-only adapter (shared/adapters/firewallState.ts).
 * These two must agree on the format: the fake's `EngineState` fits the reader's `StateFileJson` (checked by the type
 * below at typecheck time) and what the engine persists is what the reader returns.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FirewallPolicyEngine } from '../../../local/fakes/compute/engine';
import type { EngineState } from '../../../local/fakes/compute/state';
import {
  readOnlyPort,
  readStateFile,
  StateFileError,
  type StateFileJson,
  statePolicies,
} from '../../../shared/adapters/firewallState';
import { tempDir } from '../../support/tempDir';

// A compile-time check: a state the fake writes is a state the reader reads.
const fits = (s: EngineState): StateFileJson => s;

describe('the state file: written by the fake, read by the adapter', () => {
  const dir = tempDir('state-reader');

  test('a rule the engine persisted is read back with its priority, FQDNs and the policy it is in', async () => {
    const file = join(dir, 'compute.json');
    const e = new FirewallPolicyEngine({ completion: 'immediate', stateFile: file });
    e.createPolicy('host', 'fp', { defaultRules: false });
    e.createPolicy('host', 'fp-r', { defaultRules: false, region: 'europe-west1' });
    await e.addRule({
      project: 'host',
      firewallPolicy: 'fp',
      firewallPolicyRuleResource: {
        priority: 1000,
        action: 'allow',
        direction: 'EGRESS',
        match: { destFqdns: ['api.stripe.com'], layer4Configs: [{ ipProtocol: 'tcp', ports: ['443'] }] },
      },
    });
    const state = readStateFile(file);
    expect(fits(state as EngineState)).toBe(state);
    const policies = statePolicies(state);
    expect(policies.map((p) => [p.hostProject, p.policy, p.region ?? null])).toEqual([
      ['host', 'fp', null],
      ['host', 'fp-r', 'europe-west1'],
    ]);
    expect(policies[0]!.rules.map((r) => [r.priority, r.match.destFqdns])).toEqual([[1000, ['api.stripe.com']]]);
  });

  test('a foreign file is refused naming it; the read-only port refuses every write', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{"version": 7}');
    expect(() => readStateFile(file)).toThrow(StateFileError);
    expect(() => readStateFile(file)).toThrow(`${file} is not a fake-Compute state file`);
    const port = readOnlyPort({ rules: [] }, `state file ${file}`);
    await expect(port.getPolicy()).resolves.toEqual({ rules: [] });
    await expect(port.patchPolicy()).rejects.toThrow('is read here only; nothing is written');
  });
});
