/**
 * What `egress doctor` reads beside the firewall, served by the fake Compute server (docs/fake-quotas.md):
 *   POST /compute/v1/projects/P/global/firewallPolicies/FP/testIamPermissions        (and …/regions/R/…)
 *   GET|POST /dns/v1/projects/P/policies   GET|PATCH|PUT|DELETE /dns/v1/projects/P/policies/NAME   (dnsPolicies.ts)
 *   GET /v1/projects/P/locations/global/services/compute.googleapis.com/quotaInfos[/ID]   (Cloud Quotas)
 * and the control POST /__fake/permissions {"denied": ["compute.firewallPolicies.update"]} (the caller lacks them).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LIMIT_METRICS, type PolicyScope } from '../../../shared/core/capacity/limits';
import type { DnsPolicy } from './dnsPolicies';
import type { FirewallPolicyEngine } from './engine';
import { ComputeApiError } from './errors';

const TEST_IAM =
  /^\/compute\/v1\/projects\/([^/]+)\/(?:global|regions\/([^/]+))\/firewallPolicies\/([^/]+)\/testIamPermissions$/;
const DNS = /^\/dns\/v1\/projects\/([^/]+)\/policies(?:\/([^/]+))?$/;
const QUOTAS = /^\/v1\/projects\/([^/]+)\/locations\/global\/services\/([^/]+)\/quotaInfos(?:\/([^/]+))?$/;

/** Permissions the fake says the caller lacks (POST /__fake/permissions); none by default. */
const denied = new WeakMap<FirewallPolicyEngine, Set<string>>();

/**
 * The quota IDs the fake serves (ASSUMED: Google's quota IDs for these metrics are not in a stored source; the adapter
 * finds the quota by `metric`, which is confirmed, so the IDs are only names here).
 */
export const FAKE_QUOTA_IDS: Record<PolicyScope, Record<'attributesPerPolicy' | 'fqdnsPerPolicy', string>> = {
  global: {
    attributesPerPolicy: 'RULE-ATTRIBUTES-PER-GLOBAL-NETWORK-FIREWALL-POLICY-per-project',
    fqdnsPerPolicy: 'FQDNS-PER-GLOBAL-NETWORK-FIREWALL-POLICY-per-project',
  },
  regional: {
    attributesPerPolicy: 'RULE-ATTRIBUTES-PER-REGIONAL-NETWORK-FIREWALL-POLICY-per-project-region',
    fqdnsPerPolicy: 'FQDNS-PER-REGIONAL-NETWORK-FIREWALL-POLICY-per-project-region',
  },
};

/** The QuotaInfos of the per-policy limits, valued with the engine's quotas (the ones its writes enforce). */
export function quotaInfos(engine: FirewallPolicyEngine, project: string, service: string) {
  if (service !== 'compute.googleapis.com') return [];
  const q = engine.quotas();
  return (['global', 'regional'] as const).flatMap((scope) =>
    (['attributesPerPolicy', 'fqdnsPerPolicy'] as const).map((k) => {
      const id = FAKE_QUOTA_IDS[scope][k];
      return {
        name: `projects/${project}/locations/global/services/${service}/quotaInfos/${id}`,
        quotaId: id,
        metric: LIMIT_METRICS[scope][k],
        service,
        isPrecise: true,
        containerType: 'PROJECT',
        ...(scope === 'regional' ? { dimensions: ['region'] } : {}),
        metricUnit: '1',
        quotaIncreaseEligibility: { isEligible: true },
        dimensionsInfos: [{ details: { value: String(q[k]) }, applicableLocations: ['global'] }],
      };
    }),
  );
}

function send(res: ServerResponse, body: unknown): true {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
  return true;
}

/** Serves the paths above; false when `path` is none of them. */
export async function routePlatform(
  engine: FirewallPolicyEngine,
  method: string,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
  readBody: (req: IncomingMessage) => Promise<unknown>,
): Promise<boolean> {
  const t = TEST_IAM.exec(path);
  if (t && method === 'POST') {
    const [, project, region, name] = t;
    await engine.get({ project, firewallPolicy: name, ...(region ? { region } : {}) }); // 404 for a missing policy
    const asked = ((await readBody(req)) as { permissions?: string[] } | undefined)?.permissions ?? [];
    const granted = asked.filter((p) => !denied.get(engine)?.has(p));
    return send(res, granted.length ? { permissions: granted } : {});
  }
  const d = DNS.exec(path);
  if (d) {
    const [, project, name] = d as unknown as [string, string, string | undefined];
    const body = async () => (await readBody(req)) as DnsPolicy | undefined;
    const write = <T>(v: T): true => {
      engine.persist();
      return send(res, v);
    };
    if (!name && method === 'GET') return send(res, engine.dns.list(project));
    if (!name && method === 'POST') return write(engine.dns.create(project, await body()));
    if (name && method === 'GET') return send(res, engine.dns.get(project, name));
    if (name && (method === 'PUT' || method === 'PATCH'))
      return write(engine.dns.update(project, name, await body(), method === 'PATCH'));
    if (name && method === 'DELETE') return write(engine.dns.delete(project, name));
  }
  const q = QUOTAS.exec(path);
  if (q && method === 'GET') {
    const [, project, service, id] = q as unknown as [string, string, string, string | undefined];
    const infos = quotaInfos(engine, project, service);
    if (!id) return send(res, { quotaInfos: infos });
    const one = infos.find((i) => i.quotaId === id);
    if (!one) throw new ComputeApiError(404, 'notFound', `QuotaInfo ${id} of ${service} not found.`);
    return send(res, one);
  }
  if (path === '/__fake/permissions' && method === 'POST') {
    const b = ((await readBody(req)) ?? {}) as { denied?: string[] };
    denied.set(engine, new Set(b.denied ?? []));
    return send(res, {});
  }
  return false;
}
