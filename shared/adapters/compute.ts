/**
 * FirewallPolicyPort over @google-cloud/compute: `NetworkFirewallPoliciesClient` for the policy (get, and `patch`: the
 * batch update of its whole rule list, https://cloud.google.com/firewall/docs/batch-update-overview),
 * `GlobalOperationsClient` to wait for each write's operation. Also talks to the fake Compute REST server
 * (`EGRESS_COMPUTE_ENDPOINT=http://127.0.0.1:PORT`) and, in unit tests, to the fake client pair.
 *
 * Facts this adapter is built on (Compute v1 REST, client 7.x / google-gax 6): a write resolves to `[op]` where `op`
 * is a plain object whose `latestResponse` is the Operation (`op.promise()` does not exist);
 * `GlobalOperationsClient.wait` returns when the operation is DONE or after a deadline (~2 min), so we loop; a DONE
 * operation may carry `error`. Errors in REST mode are GoogleErrors: `httpStatusCode` = the HTTP status, `code` = the
 * gRPC code mapped from it, `message` = the body's `error.message`; the legacy `errors[].reason` is dropped and only
 * an `ErrorInfo` detail sets `reason`. Compute's rate-limit body has no ErrorInfo (docs/applier.md cites it), so a
 * 403 is a rate limit by its message. Client 6.x (code = HTTP status, message = the JSON body) is still understood.
 */
import type { protos } from '@google-cloud/compute';
import type { DesiredRule, ObservedRule } from '../core/firewall/types';
import { type Clock, systemClock } from '../ports/clock';
import {
  FirewallApiError,
  type FirewallPolicyPort,
  NOT_READY_REASONS,
  OperationFailedError,
  type PolicySnapshot,
  RATE_LIMIT_REASONS,
} from '../ports/firewall';
import { credentialsFirst, gaxCallOptions, NETWORK_CODES, refusedLocalEndpoint } from './clientErrors';

type IRule = protos.google.cloud.compute.v1.IFirewallPolicyRule;
type IPolicy = protos.google.cloud.compute.v1.IFirewallPolicy;
type IOperation = protos.google.cloud.compute.v1.IOperation;
type v1 = typeof protos.google.cloud.compute.v1;
type Req<K extends keyof v1> = v1[K] extends { prototype: infer P } ? Partial<P> : never;

/** The methods of `NetworkFirewallPoliciesClient` the adapter uses (the real client and the fake both fit). */
export interface PoliciesApi {
  get(req: Req<'GetNetworkFirewallPolicyRequest'>): Promise<[IPolicy, ...unknown[]]>;
  /** The batch update: the complete `rules` list with the policy's `fingerprint` in `firewallPolicyResource`. */
  patch(req: Req<'PatchNetworkFirewallPolicyRequest'>): Promise<[{ latestResponse?: unknown }, ...unknown[]]>;
}

/** The method of `GlobalOperationsClient` the adapter uses. */
export interface OperationsApi {
  wait(req: { project: string; operation: string }): Promise<[IOperation, ...unknown[]]>;
}

/** Where the policy is and how long to wait for an operation. */
export interface ComputeFirewallOptions {
  project: string;
  policy: string;
  policies: PoliciesApi;
  operations: OperationsApi;
  clock?: Clock;
  /** Give up waiting for one operation after this long (default 5 min): a transient timeout, retried. */
  operationTimeoutMs?: number;
}

/** ErrorInfo reasons (google-gax 6 `reason`) and the legacy reasons they stand for. */
const ERROR_INFO_REASONS: Record<string, string> = {
  RATE_LIMIT_EXCEEDED: 'rateLimitExceeded',
};
/** Compute's wording of a rate-limit 403 ("Rate Limit Exceeded", "Quota exceeded for quota metric …"). */
const RATE_MESSAGE = /rate limit exceeded|quota exceeded for quota metric/i;
/**
 * Compute's wording of a 400 resourceNotReady ("The resource '…/firewallPolicies/…' is not ready"): google-gax 6
 * keeps only ErrorInfo reasons, not the REST body's legacy `errors[].reason`, so the message names it.
 */
const NOT_READY_MESSAGE = /^The resource '[^']+' is not ready/i;

/**
 * True for failures worth a retry: 429, 403 rate limits, 5xx, timeouts and dropped connections (status 0), and a busy
 * policy (400 `resourceNotReady`: a write racing a running operation, or an operation that failed with
 * `RESOURCE_NOT_READY`; docs/fake-compute.md). Google's own Terraform provider retries it:
 * GoogleCloudPlatform/magic-modules#13881.
 */
export function isTransientStatus(status: number, reason: string): boolean {
  return (
    status === 0 ||
    status === 429 ||
    status >= 500 ||
    (status === 403 && RATE_LIMIT_REASONS.has(reason)) ||
    NOT_READY_REASONS.has(reason)
  );
}

/** gRPC codes seen when the client is used over gRPC instead of REST. */
const GRPC_TO_HTTP: Record<number, number> = { 3: 400, 4: 0, 5: 404, 6: 409, 7: 403, 8: 429, 9: 412, 13: 500, 14: 503 };

/** Maps whatever the client threw to a classified FirewallApiError (already classified errors pass through). */
export function toFirewallError(err: unknown, what: string): FirewallApiError {
  if (err instanceof FirewallApiError) return err;
  // A local endpoint that refuses connections is a stopped stack: permanent, the message names it (clientErrors.ts).
  const refused = refusedLocalEndpoint(err);
  if (refused) return new FirewallApiError(`${what}: connect ECONNREFUSED ${refused}`, 0, 'connectionRefused', false);
  const e = (err ?? {}) as {
    code?: unknown;
    status?: unknown;
    httpStatusCode?: unknown;
    reason?: unknown;
    message?: unknown;
    response?: { status?: number };
  };
  const message = typeof err === 'string' ? err : typeof e.message === 'string' ? e.message : String(err);
  let status = 0;
  let reason = '';
  let detail = message;
  try {
    const body = JSON.parse(message) as { error?: { code?: number; message?: string; errors?: { reason?: string }[] } };
    if (body.error) {
      status = body.error.code ?? 0;
      reason = body.error.errors?.[0]?.reason ?? '';
      detail = body.error.message ?? message;
    }
  } catch {
    // not a JSON error body: fall back to the numeric fields
  }
  if (!status && typeof e.httpStatusCode === 'number' && e.httpStatusCode >= 100) {
    // google-gax 6 GoogleError: `code` is the gRPC code, the HTTP status is here.
    status = e.httpStatusCode;
    if (typeof e.reason === 'string') reason = ERROR_INFO_REASONS[e.reason] ?? e.reason;
    if (!reason && status === 403 && RATE_MESSAGE.test(message)) reason = 'rateLimitExceeded';
    if (!reason && status === 400 && NOT_READY_MESSAGE.test(message)) reason = 'resourceNotReady';
  }
  if (!status) {
    const s = typeof e.status === 'number' ? e.status : e.response?.status;
    if (typeof s === 'number' && s >= 100) status = s;
    else if (typeof e.code === 'number') status = e.code >= 100 ? e.code : (GRPC_TO_HTTP[e.code] ?? 500);
  }
  if (!status && typeof e.code === 'string' && !NETWORK_CODES.has(e.code) && !/timeout|timed out/i.test(message))
    status = 500;
  if (!reason) reason = status === 0 ? 'timeout' : status === 429 ? 'rateLimitExceeded' : String(status);
  return new FirewallApiError(`${what}: ${detail}`, status, reason, isTransientStatus(status, reason));
}

const nonEmpty = <T>(xs: T[] | null | undefined): T[] | undefined => (xs && xs.length > 0 ? [...xs] : undefined);

/** An API rule → the core's ObservedRule (only the fields the product reads; foreign shapes pass through loosely). */
export function fromApiRule(r: IRule): ObservedRule {
  const out: ObservedRule = {
    priority: r.priority ?? 0,
    ruleName: r.ruleName ?? '',
    description: r.description ?? '',
    direction: (r.direction ?? 'EGRESS') as 'EGRESS',
    action: (r.action ?? '') as 'allow',
    enableLogging: !!r.enableLogging,
    match: {
      layer4Configs: (r.match?.layer4Configs ?? []).map((c) => ({
        ipProtocol: c.ipProtocol ?? '',
        ...(c.ports?.length ? { ports: [...c.ports] } : {}),
      })),
    },
  };
  if (r.disabled) out.disabled = true;
  const sources = nonEmpty(r.match?.srcIpRanges);
  const fqdns = nonEmpty(r.match?.destFqdns);
  const ranges = nonEmpty(r.match?.destIpRanges);
  if (sources) out.match.srcIpRanges = sources;
  if (fqdns) out.match.destFqdns = fqdns;
  if (ranges) out.match.destIpRanges = ranges;
  const sas = nonEmpty(r.targetServiceAccounts);
  const tags = nonEmpty(r.targetSecureTags);
  if (sas) out.targetServiceAccounts = sas;
  if (tags) out.targetSecureTags = tags.map((t) => ({ name: t.name ?? '' }));
  return out;
}

/** The core's rule → the API body (every field we own is sent, so a patch replaces them). */
export function toApiRule(rule: DesiredRule, priority?: number): IRule {
  return {
    ...(priority !== undefined ? { priority } : {}),
    ruleName: rule.ruleName,
    description: rule.description,
    direction: rule.direction,
    action: rule.action,
    enableLogging: rule.enableLogging,
    disabled: !!rule.disabled,
    match: {
      ...(rule.match.srcIpRanges ? { srcIpRanges: rule.match.srcIpRanges } : {}),
      ...(rule.match.destFqdns ? { destFqdns: rule.match.destFqdns } : {}),
      ...(rule.match.destIpRanges ? { destIpRanges: rule.match.destIpRanges } : {}),
      layer4Configs: rule.match.layer4Configs.map((c) => ({
        ipProtocol: c.ipProtocol,
        ...(c.ports ? { ports: c.ports } : {}),
      })),
    },
    ...(rule.targetServiceAccounts ? { targetServiceAccounts: rule.targetServiceAccounts } : {}),
    ...(rule.targetSecureTags ? { targetSecureTags: rule.targetSecureTags.map((t) => ({ name: t.name })) } : {}),
  };
}

/** The calls of one policy, bound to its client and location: global (here) or regional (regionalCompute.ts). */
export interface PolicyCalls {
  /** `firewall policy FP of P` (regional: `regional firewall policy FP (R) of P`), for error messages. */
  label: string;
  get(): Promise<[IPolicy, ...unknown[]]>;
  /** The batch update of the policy: `{rules, fingerprint}` as the `firewallPolicyResource` of a patch. */
  patch(resource: IPolicy, requestId: string): Promise<[{ latestResponse?: unknown }, ...unknown[]]>;
  /** Waits for the operation (global or region operations). */
  wait(operation: string): Promise<[IOperation, ...unknown[]]>;
}

/**
 * The FirewallPolicyPort over the calls of one policy: each write waited on to DONE, every failure classified with
 * `toFirewallError` (the same classification for global and regional policies).
 */
export function firewallPortOver(
  calls: PolicyCalls,
  opts: { clock?: Clock; operationTimeoutMs?: number } = {},
): FirewallPolicyPort {
  const clock = opts.clock ?? systemClock;
  const timeoutMs = opts.operationTimeoutMs ?? 5 * 60_000;

  async function waitDone(what: string, first: IOperation): Promise<void> {
    let op = first;
    const name = op.name ?? '';
    const deadline = clock.now() + timeoutMs;
    while (op.status !== 'DONE') {
      if (!name) throw new FirewallApiError(`${what}: the write returned no operation name`, 500, 'backendError', true);
      if (clock.now() >= deadline)
        throw new FirewallApiError(`${what}: operation ${name} not DONE after ${timeoutMs} ms`, 0, 'timeout', true);
      try {
        [op] = await calls.wait(name);
      } catch (err) {
        throw toFirewallError(err, `${what} (waiting for ${name})`);
      }
    }
    const first0 = op.error?.errors?.[0];
    if (first0) {
      const status = op.httpErrorStatusCode ?? 500;
      const reason = first0.code ?? 'operationFailed';
      const transient = isTransientStatus(status, reason);
      throw new OperationFailedError(
        `${what}: operation ${name} failed: ${reason}: ${first0.message ?? op.httpErrorMessage ?? ''}`,
        status,
        reason,
        transient,
        name,
      );
    }
  }

  async function write(what: string, call: () => Promise<[{ latestResponse?: unknown }, ...unknown[]]>): Promise<void> {
    let op: IOperation;
    try {
      const [lro] = await call();
      op = (lro.latestResponse ?? {}) as IOperation;
    } catch (err) {
      throw toFirewallError(err, what);
    }
    await waitDone(what, op);
  }

  // The rules of the latest reads as the API returned them, by fingerprint: a rule the patch keeps unchanged is sent
  // back exactly as read (every field, also those the core does not model), so a rule we do not own stays
  // byte-for-byte what it was.
  const reads = new Map<string, Map<number, { seen: string; raw: IRule }>>();
  const remember = (fingerprint: string, raw: readonly IRule[], rules: readonly ObservedRule[]) => {
    reads.delete(fingerprint);
    reads.set(fingerprint, new Map(rules.map((r, i) => [r.priority, { seen: JSON.stringify(r), raw: raw[i]! }])));
    for (const key of reads.keys()) if (reads.size > 8) reads.delete(key);
  };
  const wire = (rule: ObservedRule, fingerprint: string | undefined): IRule => {
    const read = fingerprint ? reads.get(fingerprint)?.get(rule.priority) : undefined;
    return read && read.seen === JSON.stringify(rule) ? read.raw : toApiRule(rule, rule.priority);
  };

  return {
    async getPolicy(): Promise<PolicySnapshot> {
      try {
        const [p] = await calls.get();
        const raw = p.rules ?? [];
        const rules = raw.map(fromApiRule);
        if (p.fingerprint) remember(String(p.fingerprint), raw, rules);
        return {
          rules,
          ...(p.fingerprint ? { fingerprint: String(p.fingerprint) } : {}),
          ...(typeof p.ruleTupleCount === 'number' ? { ruleTupleCount: p.ruleTupleCount } : {}),
        };
      } catch (err) {
        throw toFirewallError(err, `reading ${calls.label}`);
      }
    },
    patchPolicy(rules, fingerprint, requestId) {
      const resource: IPolicy = {
        rules: rules.map((r) => wire(r, fingerprint)),
        ...(fingerprint ? { fingerprint } : {}),
      };
      return write(`patch of ${calls.label} (${rules.length} rules)`, () => calls.patch(resource, requestId));
    },
  };
}

/** The FirewallPolicyPort of one global network firewall policy. */
export function computeFirewall(opts: ComputeFirewallOptions): FirewallPolicyPort {
  const { project, policy: firewallPolicy, policies, operations } = opts;
  return firewallPortOver(
    {
      label: `firewall policy ${firewallPolicy} of ${project}`,
      get: () => policies.get({ project, firewallPolicy }),
      patch: (firewallPolicyResource, requestId) =>
        policies.patch({ project, firewallPolicy, requestId, firewallPolicyResource }),
      wait: (operation) => operations.wait({ project, operation }),
    },
    opts,
  );
}

/** Options of `computeClients`. */
export interface ComputeClientOptions {
  /** `http://127.0.0.1:PORT` for the fake REST server; empty for Google (Application Default Credentials). */
  endpoint?: string;
  /** A deadline per call, retries included (the CLI's EGRESS_CALL_TIMEOUT); default: the client's own. */
  deadlineMs?: number;
}

/** The options of every Compute client of the product: REST (`fallback`), and the fake server for an endpoint URL. */
export function restClientOptions(opts: ComputeClientOptions): Record<string, unknown> {
  if (!opts.endpoint) return { fallback: true };
  const u = new URL(opts.endpoint);
  return {
    apiEndpoint: u.hostname,
    port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
    protocol: u.protocol.replace(':', ''),
    apiKey: 'fake',
    fallback: true,
  };
}

/** Builds the real clients (REST transport); an endpoint URL points them at the fake server with a dummy API key. */
export function computeClients(opts: ComputeClientOptions = {}): {
  policies: PoliciesApi;
  operations: OperationsApi;
  close(): Promise<void>;
} {
  // Loaded here, not at module top, and only the two clients we use: the package index loads all ~100 Compute
  // clients (~1.2 s on this machine), these two modules ~0.25 s. Only the applier and the CLI pay it.
  type Compute = typeof import('@google-cloud/compute');
  const compute = {
    NetworkFirewallPoliciesClient: (
      require('@google-cloud/compute/build/src/v1/network_firewall_policies_client') as Pick<
        Compute,
        'NetworkFirewallPoliciesClient'
      >
    ).NetworkFirewallPoliciesClient,
    GlobalOperationsClient: (
      require('@google-cloud/compute/build/src/v1/global_operations_client') as Pick<Compute, 'GlobalOperationsClient'>
    ).GlobalOperationsClient,
  };
  const clientOpts = restClientOptions(opts) as ConstructorParameters<typeof compute.NetworkFirewallPoliciesClient>[0];
  const policies = new compute.NetworkFirewallPoliciesClient(clientOpts);
  const operations = new compute.GlobalOperationsClient(clientOpts);
  // Every call with the endpoint's options: no retry of a refused local endpoint, a deadline against Google.
  const call = gaxCallOptions(opts.endpoint, opts.deadlineMs);
  const authorized = credentialsFirst(policies, opts.endpoint);
  return {
    policies: {
      get: async (r) => {
        await authorized();
        return policies.get(r, call);
      },
      patch: (r) => policies.patch(r, call),
    } as PoliciesApi,
    operations: { wait: (r) => operations.wait(r, call) } as OperationsApi,
    async close() {
      await Promise.all([policies.close(), operations.close()]);
    },
  };
}
