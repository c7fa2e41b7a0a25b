/**
 * A fake Compute REST server over the `FirewallPolicyEngine`, for the REAL @google-cloud/compute client:
 *
 *   new NetworkFirewallPoliciesClient({ apiEndpoint: '127.0.0.1', port, protocol: 'http', apiKey: 'fake', fallback: true })
 *
 * It serves the paths the v6 client's REST transcoding produces (checked against 6.15.0):
 *   GET  /compute/v1/projects/P/global/firewallPolicies/FP
 *   GET  /compute/v1/projects/P/global/firewallPolicies/FP/getRule?priority=N
 *   POST /compute/v1/projects/P/global/firewallPolicies/FP/addRule?minPriority=&maxPriority=&requestId=   (body: rule)
 *   POST /compute/v1/projects/P/global/firewallPolicies/FP/patchRule?priority=N&requestId=                 (body: rule)
 *   POST /compute/v1/projects/P/global/firewallPolicies/FP/removeRule?priority=N&requestId=
 *   GET  /compute/v1/projects/P/global/operations/OP           POST …/operations/OP/wait   (OP: name or numeric id)
 *   the same under /compute/v1/projects/P/regions/R/firewallPolicies/FP… and …/regions/R/operations/OP (regional
 *   network firewall policies and region operations, for RegionNetworkFirewallPoliciesClient / RegionOperationsClient)
 *   PATCH /compute/v1/projects/P/global/firewallPolicies/FP?requestId=   (and …/regions/R/…: the batch update, batch.ts)
 *   GET|POST /compute/v1/projects/P/global/firewalls   GET|PATCH|DELETE …/global/firewalls/NAME   (firewalls.ts)
 *   GET  /compute/v1/projects/P/global/networks   GET|PATCH …/global/networks/NET   (networks.ts)
 *   GET  /compute/v1/projects/P/global/networks/NET/getEffectiveFirewalls   (effective.ts)
 *   GET  /compute/v1/projects/P/regions/R/firewallPolicies/getEffectiveFirewalls?network=NET   (effective.ts)
 *   GET  /compute/v1/projects/P/aggregated/subnetworks   GET /compute/v1/projects/P/regions/R/subnetworks
 *   GET  /v3/tagValues/namespaced?name=PARENT/KEY/VALUE   (Resource Manager, for @google-cloud/resource-manager)
 *   testIamPermissions, Cloud DNS server policies and Cloud Quotas quotaInfos (platformRoutes.ts, for egress doctor)
 * and a small control surface for the local pipeline and tests: GET /__fake/state, GET /__fake/counters,
 * POST /__fake/policies {project, name, region?, rules?, defaultRules?}, POST /__fake/faults {…}, POST /__fake/reset-counters,
 * POST /__fake/subnetworks {project, subnetworks, replace?}, POST /__fake/tagValues {tagValues: [{namespacedName}]},
 * POST /__fake/networks {project, name} (ensureNetwork).
 *
 * CLI: `node dist/local/fakes/compute/server.js --port 8089 --state .local/compute.json [--project P --policy FP]
 * [--network NET] [--completion immediate|polls:N|ms:N]` prints one JSON line `{"url":…,"port":…}` and serves until SIGINT/SIGTERM.
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeSubnetwork } from './directory';
import { effectiveFirewalls } from './effective';
import {
  type Completion,
  type EngineOptions,
  type FailureFault,
  type FirewallPolicy,
  FirewallPolicyEngine,
  type FirewallPolicyRule,
  type OperationFault,
} from './engine';
import { ComputeApiError, invalidField } from './errors';
import { routePlatform } from './platformRoutes';

/** A running fake server. */
export interface FakeComputeServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  engine: FirewallPolicyEngine;
  close(): Promise<void>;
}

/** The body of POST /__fake/faults; every field optional. */
export interface FaultRequest {
  failNext?: FailureFault;
  failOperations?: OperationFault;
  latencyMs?: number;
  crashAfterWrites?: number;
  writeQuota?: { perMinute: number; status?: 403 | 429 };
  completion?: Completion;
  ruleAttributeQuota?: number;
  /** Per-policy FQDN quota. */
  fqdnQuota?: number;
  /** Clears every fault first. */
  clear?: boolean;
}

// `global/…` (NetworkFirewallPolicies, GlobalOperations) or `regions/R/…` (RegionNetworkFirewallPolicies,
// RegionOperations): the same engine, the region in the request.
const POLICY =
  /^\/compute\/v1\/projects\/([^/]+)\/(?:global|regions\/([^/]+))\/firewallPolicies\/([^/]+)(?:\/(getRule|addRule|patchRule|removeRule))?$/;
const OPERATION = /^\/compute\/v1\/projects\/([^/]+)\/(?:global|regions\/([^/]+))\/operations\/([^/]+?)(\/wait)?$/;
const FIREWALLS = /^\/compute\/v1\/projects\/([^/]+)\/global\/firewalls(?:\/([^/]+))?$/;
const NETWORKS = /^\/compute\/v1\/projects\/([^/]+)\/global\/networks(?:\/([^/]+)(\/getEffectiveFirewalls)?)?$/;
const REGION_EFFECTIVE =
  /^\/compute\/v1\/projects\/([^/]+)\/regions\/([^/]+)\/firewallPolicies\/getEffectiveFirewalls$/;
const SUBNETS = /^\/compute\/v1\/projects\/([^/]+)\/(?:aggregated|regions\/([^/]+))\/subnetworks$/;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ComputeApiError(400, 'parseError', 'Invalid JSON payload received.');
  }
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw invalidField(name, v, 'Expected an integer.');
  return Number(v);
}

function strParam(q: URLSearchParams, name: string): string | undefined {
  const v = q.get(name);
  return v === null || v === '' ? undefined : v;
}

async function route(engine: FirewallPolicyEngine, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const path = decodeURIComponent(url.pathname);
  const q = url.searchParams;
  const method = req.method ?? 'GET';

  if (await routePlatform(engine, method, path, req, res, readBody)) return; // doctor's reads (platformRoutes.ts)
  if (path.startsWith('/__fake/')) return control(engine, method, path, req, res);
  if (await routeVpc(engine, method, path, q, req, res)) return;

  const p = POLICY.exec(path);
  if (p) {
    const [, project, region, firewallPolicy, verb] = p;
    const at = { project, firewallPolicy, ...(region ? { region } : {}) };
    if (!verb && method === 'GET') return send(res, 200, await engine.get(at));
    if (!verb && method === 'PATCH') {
      const body = (await readBody(req)) as FirewallPolicy | undefined;
      return send(
        res,
        200,
        await engine.patch({ ...at, firewallPolicyResource: body, requestId: strParam(q, 'requestId') }),
      );
    }
    if (verb === 'getRule' && method === 'GET') {
      return send(res, 200, await engine.getRule({ ...at, priority: intParam(q, 'priority') }));
    }
    if (verb && verb !== 'getRule' && method === 'POST') {
      const body = (await readBody(req)) as FirewallPolicyRule | undefined;
      const requestId = strParam(q, 'requestId');
      if (verb === 'addRule') {
        const op = await engine.addRule({
          ...at,
          firewallPolicyRuleResource: body,
          minPriority: intParam(q, 'minPriority'),
          maxPriority: intParam(q, 'maxPriority'),
          requestId,
        });
        return send(res, 200, op);
      }
      if (verb === 'patchRule') {
        const op = await engine.patchRule({
          ...at,
          firewallPolicyRuleResource: body ?? {},
          priority: intParam(q, 'priority'),
          requestId,
        });
        return send(res, 200, op);
      }
      return send(res, 200, await engine.removeRule({ ...at, priority: intParam(q, 'priority'), requestId }));
    }
  }
  const sn = SUBNETS.exec(path);
  if (sn && method === 'GET') {
    const [, project, region] = sn;
    return send(res, 200, region ? engine.directory.list(project!, region) : engine.directory.aggregated(project!));
  }
  if (path === '/v3/tagValues/namespaced' && method === 'GET')
    return send(res, 200, engine.directory.namespaced(q.get('name') ?? ''));
  const o = OPERATION.exec(path);
  if (o) {
    const [, project, region, operation, wait] = o;
    const req = { project, operation, ...(region ? { region } : {}) };
    if (wait && method === 'POST') return send(res, 200, await engine.wait(req));
    if (!wait && method === 'GET') return send(res, 200, await engine.getOperation(req));
  }
  throw new ComputeApiError(404, 'notFound', `The fake Compute server does not serve ${method} ${path}.`);
}

/** VPC firewall rules, networks and the effective-firewalls reads; false when `path` is none of theirs. */
async function routeVpc(
  engine: FirewallPolicyEngine,
  method: string,
  path: string,
  q: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const answer = async (value: unknown | Promise<unknown>) => {
    send(res, 200, await value);
    return true;
  };
  const e = REGION_EFFECTIVE.exec(path);
  if (e && method === 'GET') return answer(effectiveFirewalls(engine, e[1]!, q.get('network'), e[2]));
  const f = FIREWALLS.exec(path);
  if (f) {
    const [, project, name] = f as unknown as [string, string, string | undefined];
    if (!name && method === 'GET') return answer(engine.firewalls.list(project));
    if (!name && method === 'POST') return answer(engine.firewalls.insert(project, (await readBody(req)) as never));
    if (name && method === 'GET') return answer(engine.firewalls.get(project, name));
    if (name && method === 'PATCH')
      return answer(engine.firewalls.patch(project, name, (await readBody(req)) as never));
    if (name && method === 'DELETE') return answer(engine.firewalls.delete(project, name));
  }
  const n = NETWORKS.exec(path);
  if (n && method === 'GET') {
    const [, project, name, effective] = n as unknown as [string, string, string | undefined, string | undefined];
    if (!name) return answer(engine.networks.list(project));
    return answer(effective ? effectiveFirewalls(engine, project, name) : engine.networks.get(project, name));
  }
  if (n?.[2] && !n[3] && method === 'PATCH')
    return answer(engine.networks.patch(n[1]!, n[2], (await readBody(req)) as never));
  return false;
}

async function control(
  engine: FirewallPolicyEngine,
  method: string,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (method === 'GET' && path === '/__fake/state') return send(res, 200, engine.toJSON());
  if (method === 'GET' && path === '/__fake/counters') return send(res, 200, engine.counters());
  if (method === 'POST' && path === '/__fake/reset-counters') {
    engine.resetCounters();
    return send(res, 200, {});
  }
  if (method === 'POST' && path === '/__fake/policies') {
    const b = (await readBody(req)) as {
      project: string;
      name: string;
      region?: string;
      rules?: FirewallPolicyRule[];
      defaultRules?: boolean;
    };
    try {
      engine.createPolicy(b.project, b.name, {
        rules: b.rules,
        defaultRules: b.defaultRules,
        ...(b.region ? { region: b.region } : {}),
      });
    } catch (err) {
      throw new ComputeApiError(409, 'alreadyExists', (err as Error).message);
    }
    return send(res, 200, {});
  }
  if (method === 'POST' && path === '/__fake/networks') {
    const b = (await readBody(req)) as { project: string; name: string };
    engine.ensureNetwork(b.project, b.name);
    return send(res, 200, engine.networks.get(b.project, b.name));
  }
  if (method === 'POST' && path === '/__fake/subnetworks') {
    const b = (await readBody(req)) as { project: string; subnetworks: FakeSubnetwork[]; replace?: boolean };
    engine.directory.putSubnetworks(b.project, b.subnetworks ?? [], !!b.replace);
    engine.persist();
    return send(res, 200, {});
  }
  if (method === 'POST' && path === '/__fake/tagValues') {
    const b = (await readBody(req)) as { tagValues: { namespacedName: string; name?: string }[] };
    const tagValues = engine.directory.putTagValues(b.tagValues ?? []);
    engine.persist();
    return send(res, 200, { tagValues });
  }
  if (method === 'POST' && path === '/__fake/faults') {
    const f = ((await readBody(req)) ?? {}) as FaultRequest;
    if (f.clear) engine.clearFaults();
    if (f.failNext) engine.failNext(f.failNext);
    if (f.failOperations) engine.failOperations(f.failOperations);
    if (f.latencyMs !== undefined) engine.setLatency(f.latencyMs);
    if (f.crashAfterWrites !== undefined) engine.crashAfterWrites(f.crashAfterWrites);
    if (f.writeQuota) engine.setWriteQuota(f.writeQuota.perMinute, f.writeQuota.status);
    if (f.completion) engine.setCompletion(f.completion);
    if (f.ruleAttributeQuota !== undefined) engine.setCapacity({ attributesPerPolicy: f.ruleAttributeQuota });
    if (f.fqdnQuota !== undefined) engine.setCapacity({ fqdnsPerPolicy: f.fqdnQuota });
    return send(res, 200, {});
  }
  throw new ComputeApiError(404, 'notFound', `Unknown control path ${method} ${path}.`);
}

/** Starts the server on 127.0.0.1 (`port` 0 or omitted: a free port). */
export async function startFakeComputeServer(
  opts: { engine?: FirewallPolicyEngine; port?: number } = {},
): Promise<FakeComputeServer> {
  const engine = opts.engine ?? new FirewallPolicyEngine();
  const server = createServer((req, res) => {
    route(engine, req, res).catch((err: unknown) => {
      if (err instanceof ComputeApiError) return send(res, err.status, err.restBody());
      const e = new ComputeApiError(500, 'internalError', `Fake Compute bug: ${(err as Error)?.stack ?? String(err)}`);
      send(res, 500, e.restBody());
    });
  });
  // The real client keeps connections alive; don't let idle sockets hold close() up.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    engine,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Parses `immediate`, `polls:N` or `ms:N`. */
export function parseCompletion(text: string): Completion {
  if (text === 'immediate') return 'immediate';
  const m = /^(polls|ms):(\d+)$/.exec(text);
  if (!m) throw new Error(`--completion: expected immediate, polls:N or ms:N, got '${text}'`);
  return m[1] === 'polls' ? { afterPolls: Number(m[2]) } : { afterMs: Number(m[2]) };
}

/** The CLI entry (see the file comment). */
export async function main(argv: string[]): Promise<FakeComputeServer> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--'))
      throw new Error(`unexpected argument '${a}' (options: --port --state --project --policy --network --completion)`);
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`option ${a} needs a value`);
    args.set(a.slice(2), v);
    i++;
  }
  const port = Number(args.get('port') ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port: not a port number: ${args.get('port')}`);
  const stateFile = args.get('state');
  const options: EngineOptions = {
    ...(stateFile ? { stateFile } : {}),
    ...(args.has('completion') ? { completion: parseCompletion(args.get('completion')!) } : {}),
  };
  const engine =
    stateFile && existsSync(stateFile)
      ? FirewallPolicyEngine.load(stateFile, options)
      : new FirewallPolicyEngine(options);
  const project = args.get('project');
  const policy = args.get('policy');
  if (project && policy && !engine.toJSON().policies.some((p) => p.project === project && p.name === policy)) {
    engine.createPolicy(project, policy);
  }
  if (project && args.has('network')) engine.ensureNetwork(project, args.get('network')!);
  return startFakeComputeServer({ engine, port });
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (s) => {
      process.stdout.write(`${JSON.stringify({ url: s.url, port: s.port })}\n`);
      const stop = (): void => {
        s.close().finally(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    },
    (err: Error) => {
      process.stderr.write(`fake compute server: ${err.message}\n`);
      process.exit(1);
    },
  );
}
