/** The classification of a stopped local stack and the per-call options of the gax clients (issue 19, item 6). */
import {
  gaxCallOptions,
  isLoopbackEndpoint,
  isTransientClientError,
  refusedLocalEndpoint,
} from '../../../shared/adapters/clientErrors';
import { describeFailure } from '../../../shared/cli/errors';
import { CliConfigError, callDeadlineMs } from '../../../shared/runtime/cliClients';
import { readConfig } from '../../../shared/runtime/config';

test('loopback endpoints in every form the environment carries them', () => {
  for (const e of ['http://127.0.0.1:4443', '127.0.0.1:8085', 'http://localhost:1', 'http://[::1]:9'])
    expect({ e, local: isLoopbackEndpoint(e) }).toEqual({ e, local: true });
  for (const e of [undefined, '', 'https://compute.googleapis.com', '10.0.0.7:8085', 'http://emulator:8085'])
    expect({ e, local: isLoopbackEndpoint(e) }).toEqual({ e, local: false });
});

test('a refused connection to this machine is found in messages and causes, and is permanent', () => {
  const native = Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4'), {
      code: 'ECONNREFUSED',
      address: '127.0.0.1',
      port: 4,
    }),
  });
  expect(refusedLocalEndpoint(native)).toBe('127.0.0.1:4');
  const gax = new Error(
    'request to http://127.0.0.1:3/compute/v1/projects/h/global/firewallPolicies/p failed, reason: connect ECONNREFUSED 127.0.0.1:3',
  );
  expect(refusedLocalEndpoint(gax)).toBe('127.0.0.1:3');
  expect(isTransientClientError(gax)).toBe(false);
  // Elsewhere a refused connection is a network failure like any other: transient.
  const remote = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:443'), { code: 'ECONNREFUSED' });
  expect(refusedLocalEndpoint(remote)).toBeUndefined();
  expect(isTransientClientError(remote)).toBe(true);
  expect(describeFailure(gax)).toBe(
    'nothing answers at 127.0.0.1:3 (connection refused): is `npm start` running? source the new cli.env ' +
      '(`set -a; . .local/cli.env; set +a`; its ports change at each start)',
  );
});

test('a failure line is one short line even when the client packed every retried error into it', () => {
  const huge = new Error(`Total timeout of API exceeded 600000 milliseconds retrying error ${'x'.repeat(9000)}`);
  const line = describeFailure(huge);
  expect(line.length).toBeLessThanOrEqual(300);
  expect(line).toMatch(/^Total timeout of API exceeded/);
});

test('gax call options: no retry against this machine, a deadline per call against Google (EGRESS_CALL_TIMEOUT)', () => {
  expect(gaxCallOptions('http://127.0.0.1:3', 60_000)).toEqual({ retry: null, timeout: 60_000 });
  expect(gaxCallOptions(undefined, 60_000)).toEqual({ timeout: 60_000 });
  expect(gaxCallOptions(undefined)).toEqual({});
  expect(callDeadlineMs(readConfig({}))).toBe(60_000);
  expect(callDeadlineMs(readConfig({ EGRESS_CALL_TIMEOUT: '5' }))).toBe(5000);
  expect(() => callDeadlineMs(readConfig({ EGRESS_CALL_TIMEOUT: 'soon' }))).toThrow(CliConfigError);
});
