/**
 * LimitsReader over Google's Cloud Quotas API with the official client (@google-cloud/cloudquotas, REST transport so
 * the same client talks to the fake at an endpoint URL): `quotaInfos.list` of `compute.googleapis.com` in the host
 * project, the per-policy quotas found by their `metric` (core/capacity/limits.ts LIMIT_METRICS), the value of the
 * `dimensionsInfos` entry that applies (`applicableLocations` with the region, else the one without a region
 * dimension). https://cloud.google.com/docs/quotas/reference/rest/v1/projects.locations.services.quotaInfos/list
 * The client is required lazily: the functions' cold start never loads it.
 */
import { LIMIT_METRICS } from '../core/capacity/limits';
import type { LimitsReader, PolicyScope, ReportedLimits } from '../ports/limits';
import { type ComputeClientOptions, restClientOptions } from './compute';

/** A QuotaInfo as both transports give it (int64 `value` may come as a string, a number or a Long). */
export interface QuotaInfoLike {
  metric?: string | null;
  dimensionsInfos?:
    | {
        dimensions?: Record<string, string> | null;
        details?: { value?: unknown } | null;
        applicableLocations?: string[] | null;
      }[]
    | null;
}

/** The calls the reader makes (the real client and test stubs both fit). */
export interface QuotasApi {
  listQuotaInfos(parent: string): Promise<QuotaInfoLike[]>;
}

const numberOf = (v: unknown): number | undefined => {
  const n = Number(typeof v === 'object' && v !== null ? String(v) : v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
};

/** The value of `info` for the scope: the region's own entry, else the one that applies everywhere. */
export function quotaValue(info: QuotaInfoLike, region?: string): number | undefined {
  const dims = info.dimensionsInfos ?? [];
  const own = region
    ? dims.find((d) => d.dimensions?.region === region || d.applicableLocations?.includes(region))
    : undefined;
  const general = dims.find((d) => !d.dimensions?.region);
  return numberOf((own ?? general)?.details?.value);
}

/** Reads the per-policy limits of `hostProject` (one list call per read; `metric` picks the quota). */
export function cloudQuotasLimits(hostProject: string, api: QuotasApi): LimitsReader {
  return {
    async read(scope: PolicyScope, region?: string): Promise<ReportedLimits> {
      const infos = await api.listQuotaInfos(
        `projects/${hostProject}/locations/global/services/compute.googleapis.com`,
      );
      const out: ReportedLimits = {};
      for (const k of ['attributesPerPolicy', 'fqdnsPerPolicy'] as const) {
        const info = infos.find((i) => i.metric === LIMIT_METRICS[scope][k]);
        const v = info ? quotaValue(info, region) : undefined;
        if (v !== undefined) out[k] = v;
      }
      return out;
    },
  };
}

/** The official client (REST transport) as a QuotasApi; an endpoint URL points it at the fake with a dummy API key. */
export function cloudQuotasClient(opts: ComputeClientOptions = {}): { api: QuotasApi; close(): Promise<void> } {
  const { CloudQuotasClient } = require('@google-cloud/cloudquotas') as typeof import('@google-cloud/cloudquotas');
  const client = new CloudQuotasClient(restClientOptions(opts) as ConstructorParameters<typeof CloudQuotasClient>[0]);
  const call = { autoPaginate: false, ...(opts.deadlineMs ? { timeout: opts.deadlineMs } : {}) };
  return {
    api: {
      async listQuotaInfos(parent) {
        const out: QuotaInfoLike[] = [];
        for await (const i of client.listQuotaInfosAsync({ parent, pageSize: 500 }, call)) out.push(i as QuotaInfoLike);
        return out;
      },
    },
    close: () => client.close(),
  };
}
