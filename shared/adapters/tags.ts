/**
 * TagValueResolver over @google-cloud/resource-manager's `TagValuesClient.getNamespacedTagValue` (REST
 * `GET /v3/tagValues/namespaced?name={parent}/{key}/{value}`,
 * https://cloud.google.com/resource-manager/reference/rest/v3/tagValues/getNamespaced), cached per instance: a tag
 * value's numeric name never changes, so each is looked up once (a missing one is looked up again next time, so it
 * can be created meanwhile). Google answers PERMISSION_DENIED "if the value does not exist or the user does not have
 * permission to view it": both read as "no such value" (null). Needs `resourcemanager.tagValues.get` (Tag Viewer).
 */
import type { TagValueResolver } from '../ports/workloads';
import { WorkloadReadError } from '../ports/workloads';
import { gaxCallOptions } from './clientErrors';
import { type ComputeClientOptions, restClientOptions, toFirewallError } from './compute';

/** The method of `TagValuesClient` the adapter uses (the real client and the fake both fit). */
export interface TagValuesApi {
  getNamespacedTagValue(req: { name: string }): Promise<[{ name?: string | null }, ...unknown[]]>;
}

/** The resolver, with its per-instance cache. */
export function resourceManagerTags(api: TagValuesApi): TagValueResolver & { cached(): number } {
  const cache = new Map<string, string>();
  return {
    cached: () => cache.size,
    async lookup(namespaced) {
      const hit = cache.get(namespaced);
      if (hit) return hit;
      try {
        const [v] = await api.getNamespacedTagValue({ name: namespaced });
        if (!v.name) return null;
        cache.set(namespaced, v.name);
        return v.name;
      } catch (err) {
        const e = toFirewallError(err, `looking up tag value ${namespaced}`);
        if (e.status === 403 || e.status === 404) return null;
        throw new WorkloadReadError(e.detail, e.transient);
      }
    },
  };
}

/** The real client (REST transport), pointed at the fake server by an endpoint URL. */
export function tagValuesClient(opts: ComputeClientOptions = {}): { api: TagValuesApi; close(): Promise<void> } {
  const { TagValuesClient } = (
    require('@google-cloud/resource-manager') as typeof import('@google-cloud/resource-manager')
  ).v3;
  const client = new TagValuesClient(restClientOptions(opts) as ConstructorParameters<typeof TagValuesClient>[0]);
  const call = gaxCallOptions(opts.endpoint, opts.deadlineMs); // as computeClients
  const api: TagValuesApi = { getNamespacedTagValue: (req) => client.getNamespacedTagValue(req, call) };
  return { api, close: () => client.close() };
}
