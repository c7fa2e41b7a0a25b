/**
 * Regional network firewall policies over @google-cloud/compute: `RegionNetworkFirewallPoliciesClient` for the policy
 * (get, and the batch-update `patch` of its whole rule list), `RegionOperationsClient` to wait for each write (a regional policy's writes are region operations:
 * `google.cloud.operation_service = "RegionOperations"` in compute.proto, docs/cloud-ngfw-research.md §8). The requests
 * are the global ones plus `region` (`{project, region, firewallPolicy, firewallPolicyResource, requestId}`,
 * build/protos/protos.d.ts of 7.8.0). Waiting and error classification are the global adapter's
 * (`firewallPortOver` in compute.ts): one classification for both.
 *
 * `computePolicies` is the FirewallPolicies port of a placement (core/policy/placement.ts): the global policy's port
 * plus, under regional placement, one port per listed region, built on first use.
 */
import type { protos } from '@google-cloud/compute';
import { type PlacementSettings, type PolicyRef, placementPolicies, policyRefKey } from '../core/policy/placement';
import type { Clock } from '../ports/clock';
import type { FirewallPolicies, FirewallPolicyPort } from '../ports/firewall';
import { gaxCallOptions } from './clientErrors';
import { type ComputeClientOptions, firewallPortOver, restClientOptions } from './compute';

type IPolicy = protos.google.cloud.compute.v1.IFirewallPolicy;
type IOperation = protos.google.cloud.compute.v1.IOperation;
type v1 = typeof protos.google.cloud.compute.v1;
type Req<K extends keyof v1> = v1[K] extends { prototype: infer P } ? Partial<P> : never;
type Lro = Promise<[{ latestResponse?: unknown }, ...unknown[]]>;

/** The methods of `RegionNetworkFirewallPoliciesClient` the adapter uses (the real client and the fake both fit). */
export interface RegionPoliciesApi {
  get(req: Req<'GetRegionNetworkFirewallPolicyRequest'>): Promise<[IPolicy, ...unknown[]]>;
  /** The batch update (`{project, region, firewallPolicy, firewallPolicyResource: {rules, fingerprint}, requestId}`). */
  patch(req: Req<'PatchRegionNetworkFirewallPolicyRequest'>): Lro;
}

/** The method of `RegionOperationsClient` the adapter uses. */
export interface RegionOperationsApi {
  wait(req: { project: string; region: string; operation: string }): Promise<[IOperation, ...unknown[]]>;
}

/** The regional clients of one placement. */
export interface RegionalClients {
  policies: RegionPoliciesApi;
  operations: RegionOperationsApi;
}

/** The FirewallPolicyPort of one regional network firewall policy. */
export function regionalComputeFirewall(
  opts: RegionalClients & {
    project: string;
    region: string;
    policy: string;
    clock?: Clock;
    operationTimeoutMs?: number;
  },
): FirewallPolicyPort {
  const { project, region, policy: firewallPolicy, policies, operations } = opts;
  const at = { project, region, firewallPolicy };
  return firewallPortOver(
    {
      label: `regional firewall policy ${firewallPolicy} (${region}) of ${project}`,
      get: () => policies.get(at),
      patch: (firewallPolicyResource, requestId) => policies.patch({ ...at, requestId, firewallPolicyResource }),
      wait: (operation) => operations.wait({ project, region, operation }),
    },
    opts,
  );
}

/** Builds the real regional clients (REST transport; an endpoint URL points them at the fake server). */
export function regionalComputeClients(opts: ComputeClientOptions = {}): RegionalClients & { close(): Promise<void> } {
  // Loaded here, and only these two modules (see computeClients in compute.ts for why).
  type Compute = typeof import('@google-cloud/compute');
  const { RegionNetworkFirewallPoliciesClient } =
    require('@google-cloud/compute/build/src/v1/region_network_firewall_policies_client') as Pick<
      Compute,
      'RegionNetworkFirewallPoliciesClient'
    >;
  const { RegionOperationsClient } = require('@google-cloud/compute/build/src/v1/region_operations_client') as Pick<
    Compute,
    'RegionOperationsClient'
  >;
  const clientOpts = restClientOptions(opts) as ConstructorParameters<typeof RegionOperationsClient>[0];
  const policies = new RegionNetworkFirewallPoliciesClient(clientOpts);
  const operations = new RegionOperationsClient(clientOpts);
  const call = gaxCallOptions(opts.endpoint, opts.deadlineMs); // as computeClients
  return {
    policies: {
      get: (r) => policies.get(r, call),
      patch: (r) => policies.patch(r, call),
    } as RegionPoliciesApi,
    operations: { wait: (r) => operations.wait(r, call) } as RegionOperationsApi,
    async close() {
      await Promise.all([policies.close(), operations.close()]);
    },
  };
}

/**
 * The FirewallPolicies port of a placement: `global` is the global policy's port; regional policies' ports are built
 * on first use over `regional()` (the clients, created once). Under global placement `list()` is the global policy.
 */
export function computePolicies(opts: {
  hostProject: string;
  /** The global policy's name (EGRESS_FIREWALL_POLICY). */
  policy: string;
  placement: PlacementSettings;
  global: FirewallPolicyPort;
  regional: () => RegionalClients;
  clock?: Clock;
}): FirewallPolicies {
  const refs = placementPolicies(opts.placement, opts.policy);
  const ports = new Map<string, FirewallPolicyPort>([[policyRefKey(refs[0]!), opts.global]]);
  let clients: RegionalClients | undefined;
  return {
    list: () => refs,
    forPolicy(ref: PolicyRef): FirewallPolicyPort {
      const key = policyRefKey(ref);
      let port = ports.get(key);
      if (!port) {
        if (!ref.region) throw new Error(`no global firewall policy ${ref.name} in this placement`);
        clients ??= opts.regional();
        port = regionalComputeFirewall({
          ...clients,
          project: opts.hostProject,
          region: ref.region,
          policy: ref.name,
          ...(opts.clock ? { clock: opts.clock } : {}),
        });
        ports.set(key, port);
      }
      return port;
    },
  };
}
