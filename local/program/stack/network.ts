/**
 * The stack's network (docs/local.md, "The network"): the described subnets (examples/network.yaml, or
 * `npm start -- --network FILE`) seeded into the fake Compute, and a pool subnet for every project the stack sees
 * without one. "Sees": each manifest written to the fake bucket, before its storage event reaches the validator (so
 * before the applier can act on it), and every manifest already in the bucket at start.
 */
import { parse as parseYaml } from 'yaml';
import { isValidProjectName } from '../../../shared/core/manifest/names';
import { REGION_PATTERN } from '../../../shared/core/manifest/schema';
import type { TargetMapping } from '../../../shared/core/policy/types';
import type { FakeSubnetwork } from '../../fakes/compute/directory';
import type { FirewallPolicyEngine } from '../../fakes/compute/engine';
import { networkUrl } from '../../fakes/compute/firewalls';
import {
  EXAMPLE_NETWORK_FILE,
  loadNetworkFile,
  type NetworkDescription,
  NetworkFileError,
  type SubnetSpec,
  seedSubnetworks,
} from '../../fakes/compute/subnets';
import { allocatePoolSubnet, DEFAULT_REGION, hasAssignedSubnet, subnetTemplateOf } from './subnetPool';

const REGION_RE = new RegExp(REGION_PATTERN);

/** The network of a running stack. */
export interface StackNetwork {
  /** The VPC network's name (`EGRESS_NETWORK`). */
  name: string;
  description: NetworkDescription;
  /** Gives `project` a pool subnet in `region` unless one is assigned to it already; returns the new subnet. */
  ensureSubnet(project: string, region?: string): SubnetSpec | undefined;
  /** The same for the project of a manifest's text (nothing for a text that names no valid project). */
  ensureForManifest(text: string): SubnetSpec | undefined;
}

/** The project and region a manifest names (metadata.name, spec.region), or undefined when it names no valid project. */
export function manifestProject(text: string): { project: string; region: string } | undefined {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch {
    return undefined;
  }
  const d = (doc ?? {}) as { metadata?: { name?: unknown }; spec?: { region?: unknown } };
  const name = d.metadata?.name;
  if (typeof name !== 'string' || !isValidProjectName(name)) return undefined;
  const region = d.spec?.region;
  return { project: name, region: typeof region === 'string' && REGION_RE.test(region) ? region : DEFAULT_REGION };
}

/**
 * Seeds the described network into the engine and returns the stack's network. Throws NetworkFileError for an
 * unusable file, or one whose network is not the platform policy's firewall.target.network.
 */
export function stackNetwork(
  engine: FirewallPolicyEngine,
  hostProject: string,
  target: TargetMapping,
  networkFile?: string,
): StackNetwork {
  const template = subnetTemplateOf(target);
  const description = loadNetworkFile(networkFile ?? EXAMPLE_NETWORK_FILE, networkFile ? template : undefined);
  const policyNet = target.mode === 'subnets' ? target.network?.split('/').at(-1) : undefined;
  if (policyNet && policyNet !== description.network)
    throw new NetworkFileError([
      `${description.file}: network ${description.network} is not the platform policy's firewall.target.network ${policyNet} (hint: set network: ${policyNet})`,
    ]);
  seedSubnetworks(engine, hostProject, description, !!networkFile);
  const all = (): FakeSubnetwork[] =>
    Object.values(engine.directory.aggregated(hostProject).items).flatMap((s) => s.subnetworks);
  const ensureSubnet = (project: string, region = DEFAULT_REGION) => {
    const existing = all();
    if (hasAssignedSubnet(target, project, existing)) return undefined;
    const spec = allocatePoolSubnet(project, region, existing, { template });
    const { project: _, ...subnet } = spec;
    engine.directory.putSubnetworks(hostProject, [
      { ...subnet, network: networkUrl(hostProject, description.network) },
    ]);
    engine.persist();
    return spec;
  };
  return {
    name: description.network,
    description,
    ensureSubnet,
    ensureForManifest(text) {
      const m = manifestProject(text);
      return m ? ensureSubnet(m.project, m.region) : undefined;
    },
  };
}
