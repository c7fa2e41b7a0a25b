/**
 * The fake's per-policy quotas (reported in the operation, as Google does) and its write serialization
 * (400 resourceNotReady while an operation on the policy runs). docs/fake-compute.md, "What the engine enforces".
 */
import type { protos } from '@google-cloud/compute';
import { type EngineOptions, FirewallPolicyEngine } from '../../../local/fakes/compute/engine';
import { ComputeApiError } from '../../../local/fakes/compute/errors';
import { virtualClock } from '../../../shared/ports/clock';

type IRule = protos.google.cloud.compute.v1.IFirewallPolicyRule;
const P = 'host';
const FP = 'fp';
const SA = (n: number) => `w${n}@p.iam.gserviceaccount.com`;

function setup(opts: EngineOptions = {}, defaultRules = false) {
  const e = new FirewallPolicyEngine({ clock: virtualClock(1_700_000_000_000), completion: 'immediate', ...opts });
  e.createPolicy(P, FP, { defaultRules });
  return e;
}

const rule = (priority: number, match: IRule['match'], over: Partial<IRule> = {}): IRule => ({
  priority,
  action: 'allow',
  direction: 'EGRESS',
  match,
  ...over,
});
const add = (e: FirewallPolicyEngine, r: IRule) =>
  e.addRule({ project: P, firewallPolicy: FP, firewallPolicyRuleResource: r });
const tuples = async (e: FirewallPolicyEngine) => (await e.get({ project: P, firewallPolicy: FP })).ruleTupleCount;

describe('ruleTupleCount, as Google counts rule attributes', () => {
  test('a new policy starts at 8: four default rules of one range and one protocol each', async () => {
    const e = setup({}, true);
    expect(await tuples(e)).toBe(8);
    expect(e.rules(P, FP).map((r) => r.ruleTupleCount)).toEqual([2, 2, 2, 2]);
  });

  test('the recorded API examples: 1 range + tcp + network context + 2 service accounts = 3; 2 ranges + tcp + context + 1 account = 4', async () => {
    const e = setup();
    await add(
      e,
      rule(
        1,
        { destIpRanges: ['10.100.0.1/32'], destNetworkContext: 'INTERNET', layer4Configs: [{ ipProtocol: 'tcp' }] },
        {
          targetServiceAccounts: [SA(1), SA(2)],
        },
      ),
    );
    await add(
      e,
      rule(
        2,
        {
          destIpRanges: ['10.100.0.1/32', '172.20.0.0/16'],
          destNetworkContext: 'NON_INTERNET',
          layer4Configs: [{ ipProtocol: 'tcp' }],
        },
        {
          targetServiceAccounts: [SA(2)],
        },
      ),
    );
    // Google's documented example: a source range, tcp and the port range 5000-6000 = 3.
    await add(
      e,
      rule(
        3,
        { srcIpRanges: ['10.100.0.1/32'], layer4Configs: [{ ipProtocol: 'tcp', ports: ['5000-6000'] }] },
        {
          direction: 'INGRESS',
        },
      ),
    );
    expect(e.rules(P, FP).map((r) => r.ruleTupleCount)).toEqual([3, 4, 3]);
    expect(await tuples(e)).toBe(10);
  });
});

describe('per-policy quotas are reported in the operation, not synchronously', () => {
  test('an addRule over the attribute quota is accepted; its operation ends DONE with QUOTA_EXCEEDED and no effect', async () => {
    const e = setup({ capacity: { attributesPerPolicy: 5 } });
    await add(e, rule(1, { destFqdns: ['a.com', 'b.com'], layer4Configs: [{ ipProtocol: 'all' }] })); // 3
    const op = await add(e, rule(2, { destFqdns: ['c.com', 'd.com'], layer4Configs: [{ ipProtocol: 'all' }] }));
    expect(op.status).toBe('DONE');
    expect(op.error?.errors).toEqual([
      {
        code: 'QUOTA_EXCEEDED',
        message: "Quota 'RULE_ATTRIBUTES_PER_GLOBAL_NETWORK_FIREWALL_POLICY' exceeded.  Limit: 5.0 globally.",
      },
    ]);
    expect(op.httpErrorStatusCode).toBe(403);
    expect(e.rules(P, FP).map((r) => r.priority)).toEqual([1]);
    expect(await tuples(e)).toBe(3);
  });

  test('a patch counts the new size in place of the old one (growing 3 to 5 fits a quota of 5)', async () => {
    const e = setup({ capacity: { attributesPerPolicy: 5 } });
    await add(e, rule(1, { destFqdns: ['a.com', 'b.com'], layer4Configs: [{ ipProtocol: 'all' }] }));
    const op = await e.patchRule({
      project: P,
      firewallPolicy: FP,
      priority: 1,
      firewallPolicyRuleResource: {
        match: { destFqdns: ['a.com', 'b.com', 'c.com', 'd.com'], layer4Configs: [{ ipProtocol: 'all' }] },
      },
    });
    expect(op.error).toBeFalsy();
    expect(await tuples(e)).toBe(5);
  });

  test('the FQDN quota: the FQDNs of every rule together', async () => {
    const e = setup({ capacity: { fqdnsPerPolicy: 3 } });
    await add(e, rule(1, { destFqdns: ['a.com', 'b.com'], layer4Configs: [{ ipProtocol: 'all' }] }));
    const op = await add(e, rule(2, { destFqdns: ['c.com', 'd.com'], layer4Configs: [{ ipProtocol: 'all' }] }));
    expect(op.error?.errors?.[0]?.code).toBe('QUOTA_EXCEEDED');
    expect(op.error?.errors?.[0]?.message).toContain("'FQDNS_PER_GLOBAL_NETWORK_FIREWALL_POLICY'");
    const ranges = await add(e, rule(3, { destIpRanges: ['10.0.0.0/8'], layer4Configs: [{ ipProtocol: 'all' }] }));
    expect(ranges.error).toBeFalsy();
  });

  test('the default quotas are the policy defaults (2,000 attributes), not the old invented 20,000', async () => {
    const e = setup();
    const big = (p: number) =>
      rule(p, {
        destIpRanges: Array.from({ length: 998 }, (_, i) => `10.${p}.${i >> 8}.${i & 255}/32`),
        layer4Configs: [{ ipProtocol: 'all' }],
      });
    expect((await add(e, big(1))).error).toBeFalsy(); // 999
    expect((await add(e, big(2))).error).toBeFalsy(); // 1998
    expect((await add(e, big(3))).error?.errors?.[0]?.code).toBe('QUOTA_EXCEEDED');
  });
});

describe('resourceNotReady: the policy serializes its mutations', () => {
  test('a write while an operation on the policy is RUNNING is a synchronous 400 resourceNotReady', async () => {
    const e = setup({ completion: { afterPolls: 1 } });
    const first = await add(e, rule(1, { destFqdns: ['a.com'], layer4Configs: [{ ipProtocol: 'all' }] }));
    expect(first.status).toBe('RUNNING');
    const err = await add(e, rule(2, { destFqdns: ['b.com'], layer4Configs: [{ ipProtocol: 'all' }] })).catch(
      (x: unknown) => x,
    );
    expect(err).toBeInstanceOf(ComputeApiError);
    expect((err as ComputeApiError).status).toBe(400);
    expect((err as ComputeApiError).reason).toBe('resourceNotReady');
    expect((err as ComputeApiError).message).toBe(
      "The resource 'projects/host/global/firewallPolicies/fp' is not ready",
    );
    await e.wait({ project: P, operation: first.name! });
    const second = await add(e, rule(2, { destFqdns: ['b.com'], layer4Configs: [{ ipProtocol: 'all' }] }));
    expect(second.status).toBe('RUNNING');
  });

  test('a retry with the same requestId while its own operation runs is answered with that operation', async () => {
    const e = setup({ completion: { afterPolls: 1 } });
    const requestId = '6f1c1b2e-0000-4000-8000-000000000001';
    const r = rule(1, { destFqdns: ['a.com'], layer4Configs: [{ ipProtocol: 'all' }] });
    const a = await e.addRule({ project: P, firewallPolicy: FP, requestId, firewallPolicyRuleResource: r });
    const b = await e.addRule({ project: P, firewallPolicy: FP, requestId, firewallPolicyRuleResource: r });
    expect(b.name).toBe(a.name);
  });
});
