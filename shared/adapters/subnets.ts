/**
 * SubnetSource over @google-cloud/compute's `SubnetworksClient.aggregatedList` (one paged read of every region of the
 * host project: `GET /compute/v1/projects/{project}/aggregated/subnetworks`), or the fake (directory.ts) through the
 * same REST paths. Reads `ipCidrRange`, `secondaryIpRanges[].ipCidrRange` and the IPv6 ranges (`internalIpv6Prefix`,
 * `externalIpv6Prefix`, `ipv6CidrRange`) of the Compute v1 `Subnetwork`
 * (https://cloud.google.com/compute/docs/reference/rest/v1/subnetworks). Needs `compute.subnetworks.list` on the
 * host project (terraform/iam.tf).
 */
import type { protos } from '@google-cloud/compute';
import type { SubnetRanges } from '../core/firewall/workloads';
import type { SubnetSource } from '../ports/workloads';
import { WorkloadReadError } from '../ports/workloads';
import { gaxCallOptions } from './clientErrors';
import { type ComputeClientOptions, restClientOptions, toFirewallError } from './compute';

type ISubnetwork = protos.google.cloud.compute.v1.ISubnetwork;

/** The method of `SubnetworksClient` the adapter uses (the real client and the fake both fit). */
export interface SubnetworksApi {
  aggregatedListAsync(
    req: { project: string; returnPartialSuccess?: boolean },
    options?: { autoPaginate?: boolean },
  ): AsyncIterable<[string, { subnetworks?: ISubnetwork[] | null }]>;
}

const last = (s: string | null | undefined) => (s ?? '').replace(/\/+$/, '').split('/').at(-1) ?? '';

/** One API subnetwork → its ranges (IPv6 prefixes deduplicated). */
export function toSubnetRanges(s: ISubnetwork): SubnetRanges {
  const ipv6 = [
    ...new Set([s.internalIpv6Prefix, s.externalIpv6Prefix, s.ipv6CidrRange].filter((x): x is string => !!x)),
  ];
  return {
    name: s.name ?? '',
    region: last(s.region),
    network: s.network ?? '',
    ...(s.ipCidrRange ? { primary: s.ipCidrRange } : {}),
    secondary: (s.secondaryIpRanges ?? [])
      .filter((r) => r.ipCidrRange)
      .map((r) => ({ name: r.rangeName ?? '', range: r.ipCidrRange! })),
    ipv6,
  };
}

/** The host project's subnetworks, read at each call (the applier reads them at each event). */
export function computeSubnetSource(project: string, api: SubnetworksApi): SubnetSource {
  return {
    async listSubnets() {
      const out: SubnetRanges[] = [];
      try {
        for await (const [, scoped] of api.aggregatedListAsync(
          { project, returnPartialSuccess: false },
          // the async iterator pages by itself; gax warns (AutopaginateTrueWarning on stderr) unless this is false
          { autoPaginate: false },
        ))
          for (const s of scoped.subnetworks ?? []) out.push(toSubnetRanges(s));
      } catch (err) {
        const e = toFirewallError(err, `listing the subnetworks of ${project}`);
        throw new WorkloadReadError(e.detail, e.transient);
      }
      return out;
    },
  };
}

/** The real client (REST transport), pointed at the fake server by an endpoint URL. */
export function subnetworksClient(opts: ComputeClientOptions = {}): { api: SubnetworksApi; close(): Promise<void> } {
  // Only this client's module: the package index loads every Compute client (see compute.ts).
  const { SubnetworksClient } = require('@google-cloud/compute/build/src/v1/subnetworks_client') as Pick<
    typeof import('@google-cloud/compute'),
    'SubnetworksClient'
  >;
  const client = new SubnetworksClient(restClientOptions(opts) as ConstructorParameters<typeof SubnetworksClient>[0]);
  const call = gaxCallOptions(opts.endpoint, opts.deadlineMs); // as computeClients
  const api: SubnetworksApi = {
    aggregatedListAsync: (req, o) =>
      (client as unknown as SubnetworksApi).aggregatedListAsync(req, { ...call, ...o } as typeof o),
  };
  return { api, close: () => client.close() };
}
