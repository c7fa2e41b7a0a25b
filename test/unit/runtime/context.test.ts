/** The command context: the option table's precedence, the environment read once, clients built once and closed. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig } from '../../../shared/runtime/config';
import { commandContext } from '../../../shared/runtime/context';
import { flagProperty, OPTION_TABLE, setting } from '../../../shared/runtime/options';
import type { SourceFlags } from '../../../shared/runtime/sources';
import { tempDir } from '../../support/tempDir';

describe('commandContext', () => {
  const dir = tempDir('context');
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, 'firewall:\n  hostProject: from-policy\n  policy: fp-policy\n');

  test('a setting comes from the flag, then the environment, then the policy file', () => {
    const env = { EGRESS_POLICY_FILE: policyFile, EGRESS_FIREWALL_POLICY: 'fp-env' };
    const ctx = commandContext({ hostProject: 'from-flag' }, env);
    expect(ctx.setting('hostProject')).toBe('from-flag');
    expect(ctx.setting('firewallPolicy')).toBe('fp-env');
    expect(commandContext({}, env).setting('hostProject')).toBe('from-policy');
    expect(commandContext({}, {}).setting('hostProject')).toBe('');
  });

  test('the environment is the one given, read when the context is built (npm start defaults applied)', () => {
    const ctx = commandContext({} as SourceFlags, {
      EGRESS_STATE_FILE: '/x/compute.json',
      EGRESS_MANIFEST_BUCKET: 'bkt',
    });
    expect(ctx.flags.state).toBe('/x/compute.json');
    expect(
      commandContext({ live: true } as SourceFlags, { EGRESS_STATE_FILE: '/x/compute.json' }).flags.state,
    ).toBeUndefined();
    expect(ctx.bucket()).toEqual({ bucket: 'bkt', prefix: 'manifests/' });
  });

  test('the policy is loaded once, on first use; a bad file fails only then, naming it', () => {
    const bad = commandContext({ policy: join(dir, 'missing.yaml') }, {});
    expect(() => bad.policy).toThrow('missing.yaml');
    const ctx = commandContext({}, { EGRESS_POLICY_FILE: policyFile });
    expect(ctx.policy).toBe(ctx.policy);
    expect(ctx.policy.firewall.hostProject).toBe('from-policy');
  });

  test("the table's default is the last fallback; --live leaves the state file to its own flag", () => {
    expect(setting('writeQuota', {}, {})).toBe('1500');
    expect(setting('writeQuota', { writeQuota: '30' }, readConfig({ EGRESS_WRITE_QUOTA: '60' }))).toBe('30');
    expect(setting('callTimeout', {}, readConfig({ EGRESS_CALL_TIMEOUT: '' }))).toBe('60');
    expect(setting('callTimeout', {}, readConfig({ EGRESS_CALL_TIMEOUT: '5' }))).toBe('5');
    expect(setting('stateFile', {}, { stateFile: '/s/compute.json' })).toBe('/s/compute.json');
    expect(setting('stateFile', { live: true }, { stateFile: '/s/compute.json' })).toBe('');
    expect(setting('stateFile', { state: 'mine.json', live: true }, { stateFile: '/s/compute.json' })).toBe(
      'mine.json',
    );
  });

  test('every flag of the table maps to the property commander gives it', () => {
    expect(flagProperty(OPTION_TABLE.hostProject.flag)).toBe('hostProject');
    expect(flagProperty(OPTION_TABLE.policyFile.flag)).toBe('policy');
    expect(flagProperty(OPTION_TABLE.manifestBucket.flag)).toBe('bucket');
    expect(flagProperty(OPTION_TABLE.statusSubscription.flag)).toBe('statusSubscription');
  });

  test('one Logging reader per host project, closed with the context', async () => {
    const ctx = commandContext({ loggingEndpoint: 'http://127.0.0.1:9' }, {});
    const logs = ctx.logs('host-a');
    expect(ctx.logs('host-a')).toBe(logs);
    expect(ctx.logs('host-b')).not.toBe(logs);
    const close = jest.spyOn(logs, 'close');
    await ctx.close();
    expect(close).toHaveBeenCalledTimes(1);
  });

  test('close closes what was built, once', async () => {
    const ctx = commandContext({ pubsubProject: 'p' }, {});
    const p = ctx.publisher();
    expect(ctx.publisher()).toBe(p);
    const close = jest.spyOn(p as unknown as { close(): Promise<void> }, 'close').mockResolvedValue();
    await ctx.close();
    await ctx.close();
    expect(close).toHaveBeenCalledTimes(1);
  });
});
