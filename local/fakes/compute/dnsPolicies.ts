/**
 * Cloud DNS server policies of the fake (`dns/v1/projects/P/policies`: list, get, create, patch, update, delete), kept
 * in the state file as `dnsPolicies` (optional) so `--state` readers see them. The wire form follows the recorded real
 * traffic of k8s-config-connector's DNSPolicy fixture (`pkg/test/resourcefixture/testdata/basic/dns/v1beta1/dnspolicy/
 * _http.log`): `kind: dns#policy`, `networks[].kind: dns#policyNetwork`, a PUT answering `{"policy": …}`, a 404
 * `policy "projects/P/policies/N" not found`. Sources in docs/fake-quotas.md ("Cloud DNS server policies").
 */
import { ComputeApiError, invalidField, requiredField } from './errors';
import { RESOURCE_NAME } from './firewalls';

/** A server policy as the REST API returns it (the fields the product reads, and the echo of the rest). */
export interface DnsPolicy {
  kind?: string;
  id?: string;
  name: string;
  description?: string;
  enableLogging?: boolean;
  enableInboundForwarding?: boolean;
  networks?: { kind?: string; networkUrl?: string }[];
  alternativeNameServerConfig?: {
    kind?: string;
    targetNameServers?: { kind?: string; ipv4Address?: string; ipv6Address?: string; forwardingPath?: string }[];
  };
}

/** The persisted form (state file field `dnsPolicies`, optional). */
export interface DnsPolicyState {
  dnsPolicies?: ({ project: string } & DnsPolicy)[];
}

const notFound = (project: string, name: string) =>
  new ComputeApiError(404, 'notFound', `policy "projects/${project}/policies/${name}" not found`);

/** The wire view: kinds filled in, `false`/empty fields left out as Google leaves them out. */
function view(p: DnsPolicy): DnsPolicy {
  const alt = p.alternativeNameServerConfig?.targetNameServers ?? [];
  return {
    ...(p.alternativeNameServerConfig
      ? {
          alternativeNameServerConfig: {
            kind: 'dns#policyAlternativeNameServerConfig',
            targetNameServers: alt.map((t) => ({ ...t, kind: 'dns#policyTargetNameServer' })),
          },
        }
      : {}),
    ...(p.description ? { description: p.description } : {}),
    ...(p.enableInboundForwarding ? { enableInboundForwarding: true } : {}),
    ...(p.enableLogging ? { enableLogging: true } : {}),
    id: p.id!,
    kind: 'dns#policy',
    name: p.name,
    ...(p.networks?.length
      ? { networks: p.networks.map((n) => ({ kind: 'dns#policyNetwork', networkUrl: n.networkUrl })) }
      : {}),
  };
}

/** The fake's DNS server policies. */
export class DnsPolicyStore {
  private readonly items = new Map<string, { project: string } & DnsPolicy>();
  private next = 1;

  private key = (project: string, name: string) => `${project}/${name}`;

  private find(project: string, name: string) {
    const p = this.items.get(this.key(project, name));
    if (!p) throw notFound(project, name);
    return p;
  }

  private checked(body: DnsPolicy | undefined): DnsPolicy {
    if (!body) throw requiredField('policy');
    if (!body.name) throw requiredField('policy.name');
    if (!RESOURCE_NAME.test(body.name)) throw invalidField('policy.name', body.name, 'Invalid value.');
    for (const n of body.networks ?? [])
      if (!/\/projects\/[^/]+\/global\/networks\/[^/]+$/.test(n.networkUrl ?? ''))
        throw invalidField('policy.networks.networkUrl', n.networkUrl, 'Invalid value.');
    return body;
  }

  /** `policies.list`: `{kind: dns#policiesListResponse, policies}`. */
  list(project: string) {
    const policies = [...this.items.values()].filter((p) => p.project === project).map(view);
    return { kind: 'dns#policiesListResponse', policies };
  }

  get(project: string, name: string): DnsPolicy {
    return view(this.find(project, name));
  }

  /** A server policy `name` with query logging on `networkUrl`, when `project` has none yet; true if created. */
  ensureLogging(project: string, networkUrl: string, name: string): boolean {
    if (this.list(project).policies.length) return false;
    this.create(project, { name, enableLogging: true, networks: [{ networkUrl }] });
    return true;
  }

  /** `policies.create`: 409 when the name is taken. */
  create(project: string, body: DnsPolicy | undefined): DnsPolicy {
    const p = this.checked(body);
    if (this.items.has(this.key(project, p.name)))
      throw new ComputeApiError(409, 'alreadyExists', `The resource 'entity.policy' named '${p.name}' already exists`);
    const { kind: _k, id: _i, ...rest } = p;
    const rec = { ...rest, project, id: String(this.next++) };
    this.items.set(this.key(project, p.name), rec);
    return view(rec);
  }

  /** `policies.update` (PUT, whole resource) or `policies.patch` (PATCH, given fields): `{"policy": …}`. */
  update(project: string, name: string, body: DnsPolicy | undefined, merge: boolean): { policy: DnsPolicy } {
    const old = this.find(project, name);
    const { kind: _k, id: _i, name: _n, ...fields } = body ?? ({} as DnsPolicy);
    const rec = merge ? { ...old, ...fields } : { project, name, id: old.id!, ...fields };
    this.items.set(this.key(project, name), rec);
    return { policy: view(rec) };
  }

  delete(project: string, name: string): Record<string, never> {
    this.find(project, name);
    this.items.delete(this.key(project, name));
    return {};
  }

  toState(): DnsPolicyState {
    return this.items.size ? { dnsPolicies: [...this.items.values()] } : {};
  }

  load(state: DnsPolicyState): void {
    this.items.clear();
    for (const p of state.dnsPolicies ?? []) {
      this.items.set(this.key(p.project, p.name), { ...p });
      this.next = Math.max(this.next, Number(p.id) + 1 || this.next);
    }
  }
}
