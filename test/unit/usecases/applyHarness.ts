/** Test doubles for the apply-change unit tests: an in-memory firewall port with fault hooks, a recorder publisher. */
import { makeEgressChange } from '../../../shared/core/events/codec';
import type { ChangeReason, EgressChangeEvent, PubSubMessage } from '../../../shared/core/events/types';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import type { EgressEntry } from '../../../shared/core/manifest/types';
import { virtualClock } from '../../../shared/ports/clock';
import { type FirewallPolicyPort, type PolicySnapshot, singlePolicy } from '../../../shared/ports/firewall';
import type { LogSeverity } from '../../../shared/ports/logger';
import type { ApplyDeps } from '../../../shared/usecases/applyChange';
import { testPolicy } from '../firewall/testPolicy';

type Call = { method: 'get' | 'patch'; requestId?: string };

/**
 * A policy in memory; `before` may throw to inject a fault or mutate the state to simulate a concurrent writer.
 * Like Compute, it returns a fingerprint that changes on every applied write (`fingerprints = false`: none, to test the
 * fallback), and it remembers request ids: a repeated id is answered without a second effect, as Compute does.
 */
export class MemoryFirewall implements FirewallPolicyPort {
  rules = new Map<number, ObservedRule>();
  calls: Call[] = [];
  /** The rule list of every patch accepted, as sent. */
  sent: ObservedRule[][] = [];
  before: (call: Call) => void = () => undefined;
  fingerprints = true;
  /** Bumped by every applied write. */
  version = 1;
  readonly requestIds = new Set<string>();

  constructor(seed: ObservedRule[] = []) {
    for (const r of seed) this.rules.set(r.priority, structuredClone(r));
  }
  get reads(): number {
    return this.calls.filter((c) => c.method === 'get').length;
  }
  get writes(): number {
    return this.calls.filter((c) => c.method !== 'get').length;
  }
  list(): ObservedRule[] {
    return [...this.rules.values()].sort((a, b) => a.priority - b.priority);
  }
  async getPolicy(): Promise<PolicySnapshot> {
    const c: Call = { method: 'get' };
    this.calls.push(c);
    this.before(c);
    const rules = this.list().map((r) => structuredClone(r));
    return this.fingerprints ? { rules, fingerprint: `v${this.version}` } : { rules };
  }
  /** The batch update: the whole list replaced at once, refused with 412 when `fingerprint` is not the current one. */
  async patchPolicy(rules: readonly ObservedRule[], fingerprint: string | undefined, requestId: string): Promise<void> {
    const c: Call = { method: 'patch', requestId };
    this.calls.push(c);
    this.before(c);
    if (this.seen(requestId)) return;
    if (this.fingerprints && fingerprint !== `v${this.version}`) throw stale();
    this.sent.push(rules.map((r) => structuredClone(r)));
    this.rules = new Map(rules.map((r) => [r.priority, structuredClone(r)]));
    this.accepted(requestId);
  }
  /** True when `requestId` was accepted before: the write is then answered without a second effect. */
  private seen(requestId: string): boolean {
    return this.requestIds.has(requestId);
  }
  private accepted(requestId: string): void {
    this.requestIds.add(requestId);
    this.version++;
  }
}

import { FirewallApiError } from '../../../shared/ports/firewall';

export const stale = () =>
  new FirewallApiError(
    'Supplied fingerprint does not match current metadata fingerprint.',
    412,
    'conditionNotMet',
    false,
  );
export const unavailable = () => new FirewallApiError('backend unavailable', 503, 'backendError', true);

/** The virtual clock at 2026-01-01 (sleeps advance it and are recorded in `sleeps`). */
export const fakeClock = () => virtualClock(Date.UTC(2026, 0, 1));

export function harness(seed: ObservedRule[] = []) {
  const firewall = new MemoryFirewall(seed);
  const published: PubSubMessage[] = [];
  const logs: { severity: LogSeverity; message: string; fields: Record<string, unknown> }[] = [];
  const clock = fakeClock();
  const deps: ApplyDeps = {
    policies: singlePolicy(firewall),
    publisher: {
      publish: async (_topic, m) => {
        published.push(m);
        return String(published.length);
      },
    },
    statusTopic: 'egress-status',
    policy: testPolicy(),
    logger: { log: (severity, message, fields = {}) => logs.push({ severity, message, fields }) },
    clock,
    retry: { random: () => 0.5 },
  };
  const statuses = () => published.map((m) => JSON.parse(m.data.toString('utf8')));
  return { firewall, published, logs, clock, deps, statuses };
}

export const pg = { name: 'payment-gateway', environment: 'production' };

export function change(
  generation: string,
  entries: EgressEntry[],
  reason: ChangeReason = 'upsert',
  project = pg,
): EgressChangeEvent {
  return makeEgressChange({
    project,
    reason,
    entries,
    source: { bucket: 'manifests', object: `manifests/${project.name}.yaml`, generation },
    time: new Date(0),
  });
}
