/**
 * Reading a project's workloads for the target mode of the policy (core/firewall/workloads.ts decides what they
 * mean): the host project's subnets at each call (`subnets`), the numeric tag values (`secureTags`, cached by the
 * adapter), nothing for `serviceAccounts`. A WorkloadError (no subnet, a tag value that does not exist) is permanent.
 */
import {
  assignedSubnets,
  namespacedTags,
  type SubnetRanges,
  serviceAccounts,
  WorkloadError,
  type Workloads,
} from '../core/firewall/workloads';
import type { PlatformPolicy } from '../core/policy/types';
import type { SubnetSource, TagValueResolver } from '../ports/workloads';

/** The reads a target mode may need (only the policy's mode's one is used). */
export interface WorkloadDeps {
  subnets?: SubnetSource;
  tags?: TagValueResolver;
  hostProject?: string;
}

/** Thrown when the policy's mode needs a read the caller did not wire (a configuration error, not an event's). */
export class WorkloadConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkloadConfigError';
  }
}

/** True when the policy's target mode needs a read (subnets, secure tags). */
export function needsWorkloadRead(policy: PlatformPolicy): boolean {
  return policy.firewall.target.mode !== 'serviceAccounts';
}

/**
 * The workloads of each project, reading the subnets once for all of them. Projects whose workloads cannot be
 * resolved are returned in `errors` (WorkloadError messages); read failures of the ports propagate.
 */
export async function resolveWorkloads(
  policy: PlatformPolicy,
  projects: readonly string[],
  deps: WorkloadDeps,
): Promise<{ workloads: Map<string, Workloads>; errors: Map<string, WorkloadError> }> {
  const t = policy.firewall.target;
  const workloads = new Map<string, Workloads>();
  const errors = new Map<string, WorkloadError>();
  let all: SubnetRanges[] | undefined;
  if (t.mode === 'subnets' && projects.length) {
    if (!deps.subnets)
      throw new WorkloadConfigError(
        'target mode subnets needs the host project (--host-project, EGRESS_HOST_PROJECT) to read its subnets',
      );
    all = await deps.subnets.listSubnets();
  }
  for (const project of projects) {
    try {
      if (t.mode === 'subnets')
        workloads.set(project, { mode: 'subnets', subnets: assignedSubnets(t, project, all ?? []) });
      else if (t.mode === 'serviceAccounts')
        workloads.set(project, {
          mode: 'serviceAccounts',
          accounts: serviceAccounts(t, project, deps.hostProject ?? policy.firewall.hostProject),
        });
      else {
        if (!deps.tags)
          throw new WorkloadConfigError('target mode secureTags needs Resource Manager (the tag value reader)');
        const tags: { name: string; namespaced: string }[] = [];
        for (const namespaced of namespacedTags(t, project)) {
          const name = await deps.tags.lookup(namespaced);
          if (!name)
            throw new WorkloadError(
              `tag value ${namespaced} does not exist (or the applier lacks resourcemanager.tagValues.get on it): ` +
                'create it under a tag key with purpose GCE_FIREWALL for the Shared VPC network; nothing was written',
              'tag-value-missing',
            );
          tags.push({ name, namespaced });
        }
        workloads.set(project, { mode: 'secureTags', tags });
      }
    } catch (err) {
      if (!(err instanceof WorkloadError)) throw err;
      errors.set(project, err);
    }
  }
  return { workloads, errors };
}

/** One project's workloads; throws its WorkloadError. */
export async function resolveProjectWorkloads(
  policy: PlatformPolicy,
  project: string,
  deps: WorkloadDeps,
): Promise<Workloads> {
  const r = await resolveWorkloads(policy, [project], deps);
  const err = r.errors.get(project);
  if (err) throw err;
  return r.workloads.get(project)!;
}
