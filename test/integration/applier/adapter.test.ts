/** The Compute adapter's error classification and rule mapping (no server needed). */
import { fromApiRule, isTransientStatus, toApiRule, toFirewallError } from '../../../shared/adapters/compute';
import { compileProject } from '../../../shared/core/firewall';
import { DEFAULT_POLICY } from '../../../shared/core/policy';
import { FirewallApiError } from '../../../shared/ports/firewall';

const restError = (status: number, reason: string) =>
  Object.assign(new Error(JSON.stringify({ error: { code: status, message: 'm', errors: [{ reason }] } })), {
    code: status,
    status,
  });

describe('toFirewallError', () => {
  it.each([
    [503, 'backendError', true],
    [500, 'internalError', true],
    [429, 'rateLimitExceeded', true],
    [403, 'rateLimitExceeded', true],
    [403, 'quotaExceeded', false],
    [400, 'invalid', false],
    [400, 'resourceNotReady', true],
    [409, 'alreadyExists', false],
    [404, 'notFound', false],
  ])('classifies a REST %i %s (transient: %s)', (status, reason, transient) => {
    const e = toFirewallError(restError(status, reason), 'addRule x');
    expect(e).toBeInstanceOf(FirewallApiError);
    expect([e.status, e.reason, e.transient]).toEqual([status, reason, transient]);
    expect(e.message).toBe('addRule x: m');
  });

  /** What @google-cloud/compute 7 (google-gax 6) throws for a Compute error body: GoogleError.parseHttpError. */
  const gaxError = (status: number, message: string, reason: string) => {
    const { GoogleError } = require('google-gax') as typeof import('google-gax');
    const body = { error: { code: status, message, errors: [{ message, domain: 'global', reason }] } };
    return Object.assign(GoogleError.parseHttpError(body), { httpStatusCode: status });
  };

  it.each([
    [503, 'The service is currently unavailable.', 'backendError', true],
    [403, 'Rate Limit Exceeded', 'rateLimitExceeded', true],
    [403, "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute'", 'x', true],
    [403, "Required 'compute.firewallPolicies.update' permission", 'forbidden', false],
    [409, 'A rule with priority 1000 already exists', 'alreadyExists', false],
    [400, "Invalid value for field 'resource.priority'", 'invalid', false],
  ])('classifies a google-gax 6 error %i "%s" by HTTP status and message', (status, message, reason, transient) => {
    const e = toFirewallError(gaxError(status, message, reason), 'addRule x');
    expect([e.status, e.transient, e.message]).toEqual([status, transient, `addRule x: ${message}`]);
    if (transient && status === 403) expect(e.reason).toBe('rateLimitExceeded');
  });

  it('treats timeouts and dropped connections as transient, gRPC codes by their HTTP meaning', () => {
    expect(toFirewallError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'get').transient).toBe(
      true,
    );
    expect(toFirewallError(new Error('Total timeout of API exceeded'), 'get').transient).toBe(true);
    expect(toFirewallError(Object.assign(new Error('x'), { code: 14 }), 'get')).toMatchObject({
      status: 503,
      transient: true,
    });
    expect(toFirewallError(Object.assign(new Error('x'), { code: 3 }), 'get')).toMatchObject({
      status: 400,
      transient: false,
    });
    expect(isTransientStatus(0, 'timeout')).toBe(true);
  });
});

describe('rule mapping', () => {
  it('round-trips a compiled rule through the API shape, [] and absent alike', () => {
    const [{ coverage, ...rule }] = compileProject(
      { name: 'p', environment: 'e' },
      [{ value: 'api.stripe.com', type: 'hostname' }],
      {
        policy: DEFAULT_POLICY,
        generation: '1',
        workloads: {
          mode: 'subnets',
          subnets: [
            { name: 'p-usc1', region: 'us-central1', network: 'n', primary: '10.1.0.0/24', secondary: [], ipv6: [] },
          ],
        },
      },
    ) as [ReturnType<typeof compileProject>[number]];
    // `coverage` is for plans and explain only: never sent, never read back.
    expect(coverage).toBe('subnet p-usc1: primary');
    expect(toApiRule({ ...rule, coverage }, 1)).not.toHaveProperty('coverage');
    const api = {
      ...toApiRule(rule!, 1000),
      targetSecureTags: [],
      kind: 'compute#firewallPolicyRule',
      ruleTupleCount: 3,
    };
    api.match = { ...api.match, destIpRanges: [] };
    expect(fromApiRule(api)).toEqual({ ...rule, priority: 1000 });
  });
});
