/**
 * `egress doctor`: read the facts once (the network model, the DNS server policies, the manifests' projects, the
 * limits, the permissions), run the pure checks (core/doctor), and with `reportStatus` publish each FAIL as a status
 * event (outcome `precondition-failed`, the status codec of core/events). A read that fails becomes a WARN of its
 * check, never a guess.
 */
import { policyCapacity } from '../core/capacity/report';
import { type CapacityFact, type Check, type DoctorFacts, runChecks, type Unread } from '../core/doctor';
import { encodeEvent, makeStatus } from '../core/events/codec';
import type { ObservedRule } from '../core/firewall/types';
import type { NetworkModel, Tier } from '../core/network/model';
import type { CapacitySettings } from '../core/policy/capacity';
import { type PolicyRef, policyRefPath } from '../core/policy/placement';
import type { TargetMapping } from '../core/policy/types';
import type { DnsPolicyReader, PermissionTester } from '../ports/doctor';
import type { LimitsReader } from '../ports/limits';
import type { EventPublisher } from '../ports/publisher';
import { limitsFor } from './capacity';

/**
 * What the applier needs on a policy (testIamPermissions): read it, and write rules (addRule/patchRule/removeRule/
 * patch); regional policies are guarded by the `compute.regionFirewallPolicies.*` names (docs/deploy.md).
 */
export function applierPermissions(ref: PolicyRef): string[] {
  const kind = ref.region ? 'regionFirewallPolicies' : 'firewallPolicies';
  return [`compute.${kind}.get`, `compute.${kind}.update`];
}

export interface DoctorDeps {
  hostProject: string;
  /** The policies of the placement (global first). */
  expected: PolicyRef[];
  target: TargetMapping;
  settings: CapacitySettings;
  readModel(): Promise<NetworkModel>;
  /** Google's own attribute count of a policy (`FirewallPolicy.ruleTupleCount`), as `egress capacity` reads it. */
  ruleTupleCount?(ref: PolicyRef): Promise<number | undefined>;
  /** The projects with a manifest. */
  projects(): Promise<string[]>;
  dns?: DnsPolicyReader;
  limits?: LimitsReader;
  permissions?: PermissionTester;
  /** For `reportStatus`. */
  publisher?: EventPublisher;
  statusTopic?: string;
  /** The CloudEvents source of published events. */
  eventSource?: string;
}

export interface DoctorResult {
  checks: Check[];
  /** Status events published (one per FAIL, with reportStatus). */
  published: number;
}

async function orUnread<T>(what: string, read: (() => Promise<T>) | undefined): Promise<T | Unread> {
  if (!read) return { unread: `${what}: no reader configured` };
  try {
    return await read();
  } catch (e) {
    return { unread: `${what}: ${(e as Error).message.split('\n')[0]}` };
  }
}

function tierOf(model: NetworkModel, ref: PolicyRef): Tier | undefined {
  return ref.region
    ? model.regional.find((t) => t.name === ref.name && t.region === ref.region)
    : model.global?.name === ref.name
      ? model.global
      : undefined;
}

/** Each policy read: its usage against the limits in effect (quotas API, else the policy file). */
async function capacityFacts(deps: DoctorDeps, model: NetworkModel): Promise<{ facts: CapacityFact[]; note?: string }> {
  const facts: CapacityFact[] = [];
  const notes = new Set<string>();
  for (const ref of deps.expected) {
    const tier = tierOf(model, ref);
    if (!tier) continue;
    const { limits, settings, note } = await limitsFor(deps.limits, deps.settings, ref);
    if (note) notes.add(note);
    const tuples = await deps.ruleTupleCount?.(ref);
    const usage = policyCapacity(policyRefPath(deps.hostProject, ref), tier.rules as ObservedRule[], settings, tuples);
    facts.push({ usage, sources: limits.sources });
  }
  return { facts, ...(notes.size ? { note: [...notes].join('; ') } : {}) };
}

/** Reads the facts once. */
export async function readDoctorFacts(deps: DoctorDeps): Promise<DoctorFacts> {
  const model = await deps.readModel();
  const tester = deps.permissions;
  const [dnsPolicies, projects, permissions, capacity] = await Promise.all([
    orUnread('Cloud DNS policies', deps.dns ? () => deps.dns!.list(deps.hostProject) : undefined),
    orUnread('manifests', () => deps.projects()),
    orUnread(
      'testIamPermissions',
      tester
        ? () =>
            Promise.all(
              deps.expected.map(async (ref) => ({
                policy: policyRefPath(deps.hostProject, ref),
                required: applierPermissions(ref),
                granted: await tester.test(deps.hostProject, ref, applierPermissions(ref)),
              })),
            )
        : undefined,
    ),
    capacityFacts(deps, model),
  ]);
  return {
    model,
    expected: deps.expected,
    target: deps.target,
    dnsPolicies,
    projects,
    capacity: capacity.facts,
    ...(capacity.note ? { capacityNote: capacity.note } : {}),
    permissions,
  };
}

/** Runs doctor; with `reportStatus`, publishes one status event per FAIL. */
export async function runDoctor(deps: DoctorDeps, opts: { reportStatus?: boolean } = {}): Promise<DoctorResult> {
  const checks = runChecks(await readDoctorFacts(deps));
  let published = 0;
  if (opts.reportStatus) {
    if (!deps.publisher || !deps.statusTopic)
      throw new Error('doctor --report-status needs a publisher and the status topic (EGRESS_STATUS_TOPIC)');
    for (const c of checks.filter((x) => x.status === 'FAIL')) {
      const ev = makeStatus(
        {
          outcome: 'precondition-failed',
          project: deps.hostProject,
          reason: c.id,
          error: `${c.message}; fix: ${c.fix}`,
        },
        deps.eventSource ?? `//egress/doctor/${deps.hostProject}`,
      );
      await deps.publisher.publish(deps.statusTopic, encodeEvent(ev));
      published++;
    }
  }
  return { checks, published };
}
