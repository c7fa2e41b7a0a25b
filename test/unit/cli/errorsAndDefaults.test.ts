/**
 * The merged shared/cli/errors.ts (one wording for the CLI and the MCP tools) and npm start's cli.env defaults
 * applied once in runtime/sources.ts.
 */
import { CREDENTIALS_HINT, describeFailure, errorText } from '../../../shared/cli/errors';
import { UsageError } from '../../../shared/cli/exit';
import { CliConfigError } from '../../../shared/runtime/cliClients';
import { readConfig } from '../../../shared/runtime/config';
import { withCliDefaults } from '../../../shared/runtime/sources';

describe('errorText', () => {
  test('a usage error is its message', () => {
    expect(errorText(new UsageError('--since 5x is not a duration'))).toBe('error: --since 5x is not a duration');
    expect(errorText(new CliConfigError('--manifests x: no such directory'))).toBe(
      'error: --manifests x: no such directory',
    );
  });

  test('a failure is the one line describeFailure prints: the first line, or the credentials fix', () => {
    expect(errorText(new Error('boom\n    at stack frame'))).toBe('error: boom');
    const noAdc = new Error('Could not load the default credentials. Browse to https://cloud.google.com/...');
    expect(errorText(noAdc)).toBe(`error: ${describeFailure(noAdc)}`);
    expect(errorText(noAdc)).toContain(CREDENTIALS_HINT);
  });
});

describe('withCliDefaults', () => {
  const cfg = readConfig({ EGRESS_STATE_FILE: '/s/compute.json', EGRESS_DNS_TABLE: '/s/dns.json' });

  test('EGRESS_STATE_FILE and EGRESS_DNS_TABLE fill the missing flags', () => {
    expect(withCliDefaults({}, cfg)).toEqual({ state: '/s/compute.json', dns: '/s/dns.json' });
  });

  test('flags win, and --live takes no default state file', () => {
    expect(withCliDefaults({ state: 'mine.json', dns: 'd.json' }, cfg)).toEqual({ state: 'mine.json', dns: 'd.json' });
    expect(withCliDefaults({ live: true }, cfg)).toEqual({ live: true, dns: '/s/dns.json' });
  });

  test('without the variables nothing is added', () => {
    expect(withCliDefaults({ manifests: 'm' }, readConfig({}))).toEqual({ manifests: 'm' });
  });
});
