/**
 * The fault plumbing of `npm run chaos` that the fake Compute engine does not model itself: a virtual clock, client
 * timeouts (before or after the write took effect), the applier process crashing between writes, a call budget that
 * turns a runaway loop into a reported failure, and the foreign rules a person keeps in the policy.
 */

import type {
  FakeGlobalOperationsClient,
  FakeNetworkFirewallPoliciesClient,
  FirewallPolicyRule,
} from '../../local/fakes/compute';
import type { OperationsApi, PoliciesApi } from '../../shared/adapters/compute';
import type { Clock } from '../../shared/ports/clock';
import type { FirewallPolicyPort } from '../../shared/ports/firewall';

/** API calls (reads, writes, operation waits) one schedule may make; a healthy one makes a few hundred. */
export const CALL_BUDGET = 50_000;

/** A virtual clock: sleeps advance time at once, so backoffs and operation delays cost nothing. */
export function virtualClock(): Clock {
  let t = Date.UTC(2026, 11, 1);
  return {
    now: () => t,
    sleep: async (ms) => {
      t += Math.max(0, ms);
      await new Promise<void>((r) => setImmediate(r));
    },
  };
}

/** The applier process dies between two writes: no status, no acknowledgement; Pub/Sub redelivers. */
export class ProcessCrash extends Error {}

/** Client-side faults the engine does not model: a timeout seen by the caller (after the write took effect or not). */
export class Transport {
  timeouts: { count: number; afterEffect: boolean }[] = [];
  crashAfter: number | undefined;
  /** API calls left before the schedule is declared runaway (a loop would otherwise hang the run). */
  budget = CALL_BUDGET;
  spend(): void {
    if (--this.budget < 0) throw new Error(`chaos: more than ${CALL_BUDGET} API calls in one schedule`);
  }
  operations(inner: FakeGlobalOperationsClient): OperationsApi {
    return {
      wait: async (req) => {
        this.spend();
        return inner.wait(req);
      },
    } as OperationsApi;
  }
  wrap(inner: FakeNetworkFirewallPoliciesClient): PoliciesApi {
    const timed = async <T>(write: boolean, call: () => Promise<T>): Promise<T> => {
      this.spend();
      const t = this.timeouts[0];
      if (t && (write || !t.afterEffect)) {
        if (--t.count <= 0) this.timeouts.shift();
        if (t.afterEffect) await call();
        throw Object.assign(new Error('request to https://compute.googleapis.com/compute/v1/... timed out'), {
          code: 'ETIMEDOUT',
        });
      }
      return call();
    };
    return {
      get: (req) => timed(false, () => inner.get(req)),
      patch: (req) => timed(true, () => inner.patch(req)),
    } as PoliciesApi;
  }
  /** The port, with the process crash between writes. */
  port(inner: FirewallPolicyPort): FirewallPolicyPort {
    const beforeWrite = () => {
      if (this.crashAfter === undefined) return;
      if (this.crashAfter-- <= 0) {
        this.crashAfter = undefined;
        throw new ProcessCrash('applier process crashed between writes');
      }
    };
    return {
      getPolicy: () => inner.getPolicy(),
      patchPolicy: async (rules, fingerprint, id) => {
        beforeWrite();
        return inner.patchPolicy(rules, fingerprint, id);
      },
    };
  }
}

const FOREIGN_DESCRIPTIONS = [
  'corp proxy, owned by netops',
  'managed-by=terraform project=chaos-p0 generation=1 hash=ab',
  'managed-by=infrastream-egress project=chaos-p0 generation=99999999999999999 hash=ab state=archived',
  'Managed-By=infrastream-egress project=chaos-p1 generation=1 hash=ab',
  '',
];

export function foreignRule(priority: number, k: number): FirewallPolicyRule {
  return {
    priority,
    ruleName: ['netops-proxy', 'egress-chaos-p0-fqdn-1', 'egress-chaos-p1-tombstone', 'legacy'][k % 4]!,
    description: FOREIGN_DESCRIPTIONS[k % FOREIGN_DESCRIPTIONS.length]!,
    direction: 'EGRESS',
    action: k % 2 ? 'deny' : 'allow',
    match: { destIpRanges: [`198.51.100.${k % 250}/32`], layer4Configs: [{ ipProtocol: 'tcp', ports: ['443'] }] },
  };
}
