/**
 * The reads of `egress doctor` beside the network (ports/doctor.ts):
 * - Cloud DNS server policies, `GET dns/v1/projects/P/policies` (REST; no official Node client of Cloud DNS is a
 *   dependency): through google-auth-library's ADC client against Google, plain HTTP against the fake at an endpoint;
 *   https://cloud.google.com/dns/docs/reference/rest/v1/policies/list
 * - `testIamPermissions` on the network firewall policies with the official Compute clients (REST transport);
 *   https://cloud.google.com/compute/docs/reference/rest/v1/networkFirewallPolicies/testIamPermissions
 * Clients are required lazily (never on the functions' cold start).
 */
import type { DnsServerPolicy } from '../core/doctor/types';
import type { DnsPolicyReader, PermissionTester } from '../ports/doctor';
import { type ComputeClientOptions, restClientOptions } from './compute';
import { readStateFile } from './firewallState';

type Page = { policies?: DnsServerPolicy[]; nextPageToken?: string };

/** The DNS policy reader: `endpoint` (the fake) over plain HTTP, else Google with Application Default Credentials. */
export function dnsPolicyReader(opts: ComputeClientOptions = {}): DnsPolicyReader {
  const base = opts.endpoint ? opts.endpoint.replace(/\/+$/, '') : 'https://dns.googleapis.com';
  let get: (url: string) => Promise<Page>;
  if (opts.endpoint) {
    get = async (url) => {
      const r = await fetch(url, { signal: AbortSignal.timeout(opts.deadlineMs ?? 30_000) });
      if (!r.ok) throw new Error(`GET ${url}: ${r.status} ${(await r.text()).slice(0, 200)}`);
      return (await r.json()) as Page;
    };
  } else {
    const { GoogleAuth } = require('google-auth-library') as typeof import('google-auth-library');
    const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
    get = async (url) => (await auth.request<Page>({ url, timeout: opts.deadlineMs ?? 30_000 })).data;
  }
  return {
    async list(project) {
      const out: DnsServerPolicy[] = [];
      let token: string | undefined;
      do {
        const page = await get(
          `${base}/dns/v1/projects/${encodeURIComponent(project)}/policies${token ? `?pageToken=${encodeURIComponent(token)}` : ''}`,
        );
        out.push(...(page.policies ?? []));
        token = page.nextPageToken || undefined;
      } while (token);
      return out;
    },
  };
}

/** The permission tester over the global and regional network firewall policy clients. */
export function permissionTester(opts: ComputeClientOptions = {}): PermissionTester & { close(): Promise<void> } {
  type Compute = typeof import('@google-cloud/compute');
  const { NetworkFirewallPoliciesClient } =
    require('@google-cloud/compute/build/src/v1/network_firewall_policies_client') as Pick<
      Compute,
      'NetworkFirewallPoliciesClient'
    >;
  const { RegionNetworkFirewallPoliciesClient } =
    require('@google-cloud/compute/build/src/v1/region_network_firewall_policies_client') as Pick<
      Compute,
      'RegionNetworkFirewallPoliciesClient'
    >;
  const o = restClientOptions(opts) as ConstructorParameters<typeof NetworkFirewallPoliciesClient>[0];
  const global = new NetworkFirewallPoliciesClient(o);
  const regional = new RegionNetworkFirewallPoliciesClient(o);
  const call = opts.deadlineMs ? { timeout: opts.deadlineMs } : {};
  return {
    async test(project, ref, permissions) {
      const body = { testPermissionsRequestResource: { permissions: [...permissions] } };
      const [r] = ref.region
        ? await regional.testIamPermissions({ project, region: ref.region, resource: ref.name, ...body }, call)
        : await global.testIamPermissions({ project, resource: ref.name, ...body }, call);
      return (r.permissions ?? []).map(String);
    },
    close: async () => void (await Promise.all([global.close(), regional.close()])),
  };
}

/** The DNS server policies a fake-Compute state file keeps (`dnsPolicies`, docs/fake-quotas.md). */
export function stateFileDnsPolicies(file: string): DnsPolicyReader {
  return {
    async list(project) {
      // The file's format: the one reader of it (firewallState.ts), which the fake's writer is checked against.
      return (readStateFile(file).dnsPolicies ?? [])
        .filter((p) => p.project === project)
        .map(({ project: _p, ...rest }) => rest as DnsServerPolicy);
    },
  };
}
