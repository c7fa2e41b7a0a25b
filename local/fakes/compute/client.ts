/**
 * In-process stand-ins for `NetworkFirewallPoliciesClient` and `GlobalOperationsClient` of @google-cloud/compute@7,
 * over the `FirewallPolicyEngine`. Same method names, request and response shapes as the real REST client:
 * - requests go through the real protobuf types (`fromObject`), so unknown fields and empty lists are dropped exactly
 *   as the real client's encoder drops them;
 * - responses go through `toObject` with google-gax's options, so they carry the same defaults (`[]` for every
 *   repeated field, `_field` oneof markers) as what the real client returns;
 * - writes resolve to `[{latestResponse, done: false, name: <operation id>, metadata: null, result: {}}, …]` (a plain
 *   object: no `promise()`), as the real client's writes do;
 * - failures throw what the real client throws in REST mode (verified against 7.8.0 / google-gax 6.17.0): a
 *   GoogleError whose `code` is the gRPC code, `httpStatusCode` the HTTP status and `message` the body's message.
 */
import { protos } from '@google-cloud/compute';
import type { CallOptions, LROperation } from 'google-gax';
import type { FirewallPolicyEngine, OperationRequest } from './engine';
import { ComputeApiError } from './errors';

const v1 = protos.google.cloud.compute.v1;
type IOperation = protos.google.cloud.compute.v1.IOperation;
type IPolicy = protos.google.cloud.compute.v1.IFirewallPolicy;
type IRule = protos.google.cloud.compute.v1.IFirewallPolicyRule;

/** google-gax's `defaultToObjectOptions` (what the REST decoder uses). */
export const TO_OBJECT = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true } as const;
/** What survives the wire: no defaults, no oneof markers (the engine sees what the real server would parse). */
const TO_WIRE = { longs: Number, enums: String, defaults: false, oneofs: false } as const;

export interface MessageType<I> {
  fromObject(o: { [k: string]: unknown }): unknown;
  toObject(m: never, o: object): { [k: string]: unknown };
  // biome-ignore lint/suspicious/noExplicitAny: phantom parameter to carry the interface type
  prototype: any;
  readonly __i?: I;
}

export function through<I>(type: MessageType<I>, value: I, options: object): I {
  return type.toObject(type.fromObject(value as { [k: string]: unknown }) as never, options) as I;
}

/**
 * The error the real client throws for an HTTP error response in REST mode: google-gax 6 parses the JSON body with
 * `GoogleError.parseHttpError` (code = gRPC code, message = `error.message`) and adds `httpStatusCode`.
 */
export function fakeRestError(err: ComputeApiError): Error {
  const { GoogleError } = require('google-gax') as typeof import('google-gax');
  return Object.assign(GoogleError.parseHttpError(err.restBody()), { httpStatusCode: err.status });
}

export type Cb<T> = (err: Error | null, value?: T | null) => void;
// biome-ignore lint/complexity/noBannedTypes: the real client's result tuple types its third element as `{}`
export type Result<T, R> = [T, R | undefined, {} | undefined];

async function translate<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof ComputeApiError) throw fakeRestError(err);
    throw err;
  }
}

function settle<T, R>(p: Promise<Result<T, R>>, cb: unknown): Promise<Result<T, R>> | undefined {
  if (typeof cb !== 'function') return p;
  p.then(
    ([v]) => (cb as Cb<T>)(null, v),
    (e: Error) => (cb as Cb<T>)(e),
  );
  return undefined;
}

export function lro(op: IOperation): LROperation<IOperation, null> {
  const latestResponse = through(v1.Operation as unknown as MessageType<IOperation>, op, TO_OBJECT);
  // The real client builds exactly this plain object (network_firewall_policies_client.js); `name` is the id.
  return { latestResponse, done: false, name: latestResponse.id, metadata: null, result: {} } as unknown as LROperation<
    IOperation,
    null
  >;
}

/** What both fake clients share: the closed state and one call path (wire types in, result or callback out). */
export abstract class FakeComputeClient {
  private closed = false;
  constructor(readonly engine: FirewallPolicyEngine) {}

  /** Like the real client: later calls reject with the string 'The client has already been closed.'. */
  async close(): Promise<void> {
    this.closed = true;
  }

  /** One call: the request as the wire carries it, `handle`'s answer as `[value]`, or through the callback if given. */
  protected call<Req, T>(
    type: MessageType<Req>,
    request: Req | undefined,
    handle: (req: Req) => Promise<T>,
    a: unknown,
    b: unknown,
  ): Promise<Result<T, never>> | undefined {
    const p = this.run(async (): Promise<Result<T, never>> => {
      const req = through(type, request ?? ({} as Req), TO_WIRE);
      return [await handle(req), undefined, undefined];
    });
    return settle(p, typeof a === 'function' ? a : b);
  }

  private run<T>(fn: () => Promise<T>): Promise<T> {
    // biome-ignore lint/suspicious/noExplicitAny: the real client rejects with a plain string here
    if (this.closed) return Promise.reject('The client has already been closed.' as any);
    return translate(fn());
  }
}

/** A `NetworkFirewallPoliciesClient` look-alike over an engine (get, getRule, addRule, patchRule, removeRule, patch). */
export class FakeNetworkFirewallPoliciesClient extends FakeComputeClient {
  /** `get`: the policy with its rules. */
  get(
    request?: protos.google.cloud.compute.v1.IGetNetworkFirewallPolicyRequest,
    options?: CallOptions,
  ): Promise<Result<IPolicy, protos.google.cloud.compute.v1.IGetNetworkFirewallPolicyRequest>>;
  get(
    request: protos.google.cloud.compute.v1.IGetNetworkFirewallPolicyRequest,
    options: CallOptions,
    callback: Cb<IPolicy>,
  ): void;
  get(request: protos.google.cloud.compute.v1.IGetNetworkFirewallPolicyRequest, callback: Cb<IPolicy>): void;
  get(
    request?: protos.google.cloud.compute.v1.IGetNetworkFirewallPolicyRequest,
    a?: unknown,
    b?: unknown,
  ): Promise<Result<IPolicy, protos.google.cloud.compute.v1.IGetNetworkFirewallPolicyRequest>> | undefined {
    return this.call(
      v1.GetNetworkFirewallPolicyRequest,
      request,
      async (req) =>
        through(v1.FirewallPolicy as unknown as MessageType<IPolicy>, await this.engine.get(req), TO_OBJECT),
      a,
      b,
    );
  }

  /** `getRule`: one rule by priority. */
  getRule(
    request?: protos.google.cloud.compute.v1.IGetRuleNetworkFirewallPolicyRequest,
    options?: CallOptions,
  ): Promise<Result<IRule, protos.google.cloud.compute.v1.IGetRuleNetworkFirewallPolicyRequest>>;
  getRule(
    request: protos.google.cloud.compute.v1.IGetRuleNetworkFirewallPolicyRequest,
    options: CallOptions,
    callback: Cb<IRule>,
  ): void;
  getRule(request: protos.google.cloud.compute.v1.IGetRuleNetworkFirewallPolicyRequest, callback: Cb<IRule>): void;
  getRule(
    request?: protos.google.cloud.compute.v1.IGetRuleNetworkFirewallPolicyRequest,
    a?: unknown,
    b?: unknown,
  ): Promise<Result<IRule, protos.google.cloud.compute.v1.IGetRuleNetworkFirewallPolicyRequest>> | undefined {
    return this.call(
      v1.GetRuleNetworkFirewallPolicyRequest,
      request,
      async (req) =>
        through(v1.FirewallPolicyRule as unknown as MessageType<IRule>, await this.engine.getRule(req), TO_OBJECT),
      a,
      b,
    );
  }

  /** `addRule`: resolves to `[operationObject]` (not DONE yet unless the engine completes immediately). */
  addRule(
    request?: protos.google.cloud.compute.v1.IAddRuleNetworkFirewallPolicyRequest,
    options?: CallOptions,
  ): Promise<Result<LROperation<IOperation, null>, IOperation>>;
  addRule(
    request: protos.google.cloud.compute.v1.IAddRuleNetworkFirewallPolicyRequest,
    options: CallOptions,
    callback: Cb<IOperation>,
  ): void;
  addRule(request: protos.google.cloud.compute.v1.IAddRuleNetworkFirewallPolicyRequest, callback: Cb<IOperation>): void;
  addRule(
    request?: protos.google.cloud.compute.v1.IAddRuleNetworkFirewallPolicyRequest,
    a?: unknown,
    b?: unknown,
  ): Promise<Result<LROperation<IOperation, null>, IOperation>> | undefined {
    return this.call(
      v1.AddRuleNetworkFirewallPolicyRequest,
      request,
      async (req) => lro(await this.engine.addRule(req)),
      a,
      b,
    );
  }

  /** `patchRule`: resolves to `[operationObject]`. */
  patchRule(
    request?: protos.google.cloud.compute.v1.IPatchRuleNetworkFirewallPolicyRequest,
    options?: CallOptions,
  ): Promise<Result<LROperation<IOperation, null>, IOperation>>;
  patchRule(
    request: protos.google.cloud.compute.v1.IPatchRuleNetworkFirewallPolicyRequest,
    options: CallOptions,
    callback: Cb<IOperation>,
  ): void;
  patchRule(
    request: protos.google.cloud.compute.v1.IPatchRuleNetworkFirewallPolicyRequest,
    callback: Cb<IOperation>,
  ): void;
  patchRule(
    request?: protos.google.cloud.compute.v1.IPatchRuleNetworkFirewallPolicyRequest,
    a?: unknown,
    b?: unknown,
  ): Promise<Result<LROperation<IOperation, null>, IOperation>> | undefined {
    return this.call(
      v1.PatchRuleNetworkFirewallPolicyRequest,
      request,
      async (req) => lro(await this.engine.patchRule(req)),
      a,
      b,
    );
  }

  /** `removeRule`: resolves to `[operationObject]`. */
  removeRule(
    request?: protos.google.cloud.compute.v1.IRemoveRuleNetworkFirewallPolicyRequest,
    options?: CallOptions,
  ): Promise<Result<LROperation<IOperation, null>, IOperation>>;
  removeRule(
    request: protos.google.cloud.compute.v1.IRemoveRuleNetworkFirewallPolicyRequest,
    options: CallOptions,
    callback: Cb<IOperation>,
  ): void;
  removeRule(
    request: protos.google.cloud.compute.v1.IRemoveRuleNetworkFirewallPolicyRequest,
    callback: Cb<IOperation>,
  ): void;
  removeRule(
    request?: protos.google.cloud.compute.v1.IRemoveRuleNetworkFirewallPolicyRequest,
    a?: unknown,
    b?: unknown,
  ): Promise<Result<LROperation<IOperation, null>, IOperation>> | undefined {
    return this.call(
      v1.RemoveRuleNetworkFirewallPolicyRequest,
      request,
      async (req) => lro(await this.engine.removeRule(req)),
      a,
      b,
    );
  }

  /** `patch` (the batch update: the complete `rules` list with the policy's `fingerprint`): `[operationObject]`. */
  patch(
    request: protos.google.cloud.compute.v1.IPatchNetworkFirewallPolicyRequest,
    _options?: CallOptions,
  ): Promise<Result<LROperation<IOperation, null>, IOperation>> {
    const run = async (req: typeof request) => lro(await this.engine.patch(req));
    return this.call(v1.PatchNetworkFirewallPolicyRequest, request, run, undefined, undefined)!;
  }
}

/** A `GlobalOperationsClient` look-alike (get, wait) over the same engine. */
export class FakeGlobalOperationsClient extends FakeComputeClient {
  /** `wait`: the operation when DONE (or when the engine's max wait passes). */
  wait(request?: OperationRequest, options?: CallOptions): Promise<Result<IOperation, OperationRequest>>;
  wait(request: OperationRequest, options: CallOptions, callback: Cb<IOperation>): void;
  wait(request: OperationRequest, callback: Cb<IOperation>): void;
  wait(
    request?: OperationRequest,
    a?: unknown,
    b?: unknown,
  ): Promise<Result<IOperation, OperationRequest>> | undefined {
    return this.call(
      v1.WaitGlobalOperationRequest,
      request,
      async (req) =>
        through(v1.Operation as unknown as MessageType<IOperation>, await this.engine.wait(req), TO_OBJECT),
      a,
      b,
    );
  }

  /** `get`: the operation's current state (a poll). */
  get(request?: OperationRequest, options?: CallOptions): Promise<Result<IOperation, OperationRequest>>;
  get(request: OperationRequest, options: CallOptions, callback: Cb<IOperation>): void;
  get(request: OperationRequest, callback: Cb<IOperation>): void;
  get(request?: OperationRequest, a?: unknown, b?: unknown): Promise<Result<IOperation, OperationRequest>> | undefined {
    return this.call(
      v1.GetGlobalOperationRequest,
      request,
      async (req) =>
        through(v1.Operation as unknown as MessageType<IOperation>, await this.engine.getOperation(req), TO_OBJECT),
      a,
      b,
    );
  }
}
