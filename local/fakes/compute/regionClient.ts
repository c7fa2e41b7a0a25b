/**
 * In-process stand-ins for `RegionNetworkFirewallPoliciesClient` and `RegionOperationsClient` of @google-cloud/compute
 * over the same engine as the global pair (client.ts): the requests carry `region`
 * (`{project, region, firewallPolicy, firewallPolicyRuleResource, priority, requestId}`, the real client's
 * `I…RegionNetworkFirewallPolicyRequest` types, build/protos/protos.d.ts), go through the real protobuf request types,
 * and answer with the same wire shapes. Promise forms only (the adapter uses no callbacks).
 */
import { protos } from '@google-cloud/compute';
import type { CallOptions, LROperation } from 'google-gax';
import { type Cb, FakeComputeClient, lro, type MessageType, type Result, TO_OBJECT, through } from './client';

const v1 = protos.google.cloud.compute.v1;
type IOperation = protos.google.cloud.compute.v1.IOperation;
type IPolicy = protos.google.cloud.compute.v1.IFirewallPolicy;
type IRule = protos.google.cloud.compute.v1.IFirewallPolicyRule;
type R = typeof protos.google.cloud.compute.v1;
type Req<K extends keyof R> = R[K] extends { prototype: infer P } ? Partial<P> : never;
type Lro = Promise<Result<LROperation<IOperation, null>, IOperation>>;
type Done<T> = Promise<Result<T, never>>;

const asOp = (op: IOperation) => through(v1.Operation as unknown as MessageType<IOperation>, op, TO_OBJECT);

/** A `RegionNetworkFirewallPoliciesClient` look-alike (get, getRule, addRule, patchRule, removeRule, patch; `region`). */
export class FakeRegionNetworkFirewallPoliciesClient extends FakeComputeClient {
  get(request: Req<'GetRegionNetworkFirewallPolicyRequest'>, _o?: CallOptions | Cb<IPolicy>): Done<IPolicy> {
    return this.call(
      v1.GetRegionNetworkFirewallPolicyRequest,
      request,
      async (req) =>
        through(v1.FirewallPolicy as unknown as MessageType<IPolicy>, await this.engine.get(req), TO_OBJECT),
      undefined,
      undefined,
    )!;
  }

  getRule(request: Req<'GetRuleRegionNetworkFirewallPolicyRequest'>, _o?: CallOptions): Done<IRule> {
    return this.call(
      v1.GetRuleRegionNetworkFirewallPolicyRequest,
      request,
      async (req) =>
        through(v1.FirewallPolicyRule as unknown as MessageType<IRule>, await this.engine.getRule(req), TO_OBJECT),
      undefined,
      undefined,
    )!;
  }

  addRule(request: Req<'AddRuleRegionNetworkFirewallPolicyRequest'>, _o?: CallOptions): Lro {
    const run = async (req: typeof request) => lro(await this.engine.addRule(req));
    return this.call(v1.AddRuleRegionNetworkFirewallPolicyRequest, request, run, undefined, undefined)!;
  }

  patchRule(request: Req<'PatchRuleRegionNetworkFirewallPolicyRequest'>, _o?: CallOptions): Lro {
    const run = async (req: typeof request) => lro(await this.engine.patchRule(req));
    return this.call(v1.PatchRuleRegionNetworkFirewallPolicyRequest, request, run, undefined, undefined)!;
  }

  removeRule(request: Req<'RemoveRuleRegionNetworkFirewallPolicyRequest'>, _o?: CallOptions): Lro {
    const run = async (req: typeof request) => lro(await this.engine.removeRule(req));
    return this.call(v1.RemoveRuleRegionNetworkFirewallPolicyRequest, request, run, undefined, undefined)!;
  }

  /** `patch` (the batch update of a regional policy). */
  patch(request: Req<'PatchRegionNetworkFirewallPolicyRequest'>, _o?: CallOptions): Lro {
    const run = async (req: typeof request) => lro(await this.engine.patch(req));
    return this.call(v1.PatchRegionNetworkFirewallPolicyRequest, request, run, undefined, undefined)!;
  }
}

/** A `RegionOperationsClient` look-alike (wait, get with `region`). */
export class FakeRegionOperationsClient extends FakeComputeClient {
  wait(request: Req<'WaitRegionOperationRequest'>, _o?: CallOptions): Done<IOperation> {
    const run = async (req: typeof request) => asOp(await this.engine.wait(req));
    return this.call(v1.WaitRegionOperationRequest, request, run, undefined, undefined)!;
  }

  get(request: Req<'GetRegionOperationRequest'>, _o?: CallOptions): Done<IOperation> {
    const run = async (req: typeof request) => asOp(await this.engine.getOperation(req));
    return this.call(v1.GetRegionOperationRequest, request, run, undefined, undefined)!;
  }
}
