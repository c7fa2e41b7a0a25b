/**
 * The local stack's subnet pool (docs/local.md, "The network"): any project the stack sees without a subnet gets one,
 * so the user's own projects apply as the examples do. Each pool subnet is dual-stack: a /24 of 10.160.0.0/11 and an
 * internal IPv6 /64 of fd20:a:b:8000::/49 (inside Google's ULA fd20::/20), slot i of both. The slot is chosen from
 * the project's name (CRC32C), then the next free one when it overlaps a range of the network (wrapping around); a
 * full pool is an error. The name fills the naming template (`{project}-*` → `{project}-{region}`), so the product's
 * subnet reader gives the subnet to that project.
 */
import * as ipaddr from 'ipaddr.js';
import { toSubnetRanges } from '../../../shared/adapters/subnets';
import { crc32cValue } from '../../../shared/core/checksums';
import { assignedSubnets } from '../../../shared/core/firewall/workloads';
import { subnetNameMatcher } from '../../../shared/core/policy/target';
import type { TargetMapping } from '../../../shared/core/policy/types';
import type { FakeSubnetwork } from '../../fakes/compute/directory';
import { rangesOverlap, type SubnetSpec, subnetRanges } from '../../fakes/compute/subnets';

/** A pool: an IPv4 block cut in /`v4Prefix` slots, and an IPv6 block whose /64s pair with them. */
export interface SubnetPool {
  v4: string;
  v4Prefix: number;
  v6: string;
}

/** The documented pool: 8192 /24s in 10.160.0.0/11, each with a /64 of fd20:a:b:8000::/49. */
export const DEFAULT_SUBNET_POOL: SubnetPool = { v4: '10.160.0.0/11', v4Prefix: 24, v6: 'fd20:a:b:8000::/49' };

/** The region of a manifest without `spec.region`. */
export const DEFAULT_REGION = 'us-central1';

/** The naming template when the target mode does not name subnets. */
const DEFAULT_TEMPLATE = '{project}-*';

/** Every slot of the pool overlaps a range of the network (or the template cannot be filled). */
export class SubnetPoolError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(`${message} (hint: ${hint})`);
    this.name = 'SubnetPoolError';
  }
}

const bigOf = (ip: ipaddr.IPv4 | ipaddr.IPv6) => ip.toByteArray().reduce((n, b) => (n << 8n) | BigInt(b), 0n);
function ipOf(n: bigint, bytes: number): string {
  const out: number[] = [];
  for (let i = 0; i < bytes; i++) out.unshift(Number((n >> BigInt(8 * i)) & 255n));
  return ipaddr.fromByteArray(out).toString();
}

/** Slot `i` of the pool: its IPv4 range and its IPv6 /64. */
export function poolSlot(pool: SubnetPool, i: number): { v4: string; v6: string } {
  const [v4] = ipaddr.parseCIDR(pool.v4);
  const [v6] = ipaddr.parseCIDR(pool.v6);
  return {
    v4: `${ipOf(bigOf(v4) + (BigInt(i) << BigInt(32 - pool.v4Prefix)), 4)}/${pool.v4Prefix}`,
    v6: `${ipOf(bigOf(v6) + (BigInt(i) << 64n), 16)}/64`,
  };
}

/** How many slots the pool has (the IPv6 block must hold as many /64s). */
export function poolSize(pool: SubnetPool): number {
  const v4 = 2 ** (pool.v4Prefix - ipaddr.parseCIDR(pool.v4)[1]);
  const v6 = 2 ** Math.min(30, 64 - ipaddr.parseCIDR(pool.v6)[1]);
  return Math.min(v4, v6);
}

/**
 * The name a pool subnet of `project` in `region` gets: the subnet template filled (`*` → the region, `?` → `x`),
 * else `{project}-{region}` or `{project}`, the first the template gives to the project and Compute accepts.
 */
export function poolSubnetName(template: string, project: string, region: string): string {
  const match = subnetNameMatcher(template, project);
  const filled = template
    .replaceAll('{project}', project)
    .replace('*', region)
    .replaceAll('*', '')
    .replaceAll('?', 'x');
  const name = [filled, `${project}-${region}`, project].find(
    (n) => n.length <= 63 && /^[a-z](?:[-a-z0-9]*[a-z0-9])?$/.test(n) && match(n),
  );
  if (!name)
    throw new SubnetPoolError(
      `the naming template \`${template}\` gives no name the local stack can make to a subnet of ${project}`,
      `describe ${project}'s subnet in a network file (npm start -- --network FILE, see examples/network.yaml)`,
    );
  return name;
}

/**
 * A pool subnet for `project` in `region` that overlaps none of `existing`: slot CRC32C(project) mod size first, then
 * the next ones. Deterministic for the same network. Throws SubnetPoolError when every slot is taken.
 */
export function allocatePoolSubnet(
  project: string,
  region: string,
  existing: readonly Pick<
    FakeSubnetwork,
    'ipCidrRange' | 'secondaryIpRanges' | 'internalIpv6Prefix' | 'externalIpv6Prefix' | 'ipv6CidrRange'
  >[],
  opts: { template?: string; pool?: SubnetPool } = {},
): SubnetSpec {
  const pool = opts.pool ?? DEFAULT_SUBNET_POOL;
  const name = poolSubnetName(opts.template ?? DEFAULT_TEMPLATE, project, region);
  const taken = existing.flatMap(subnetRanges);
  const size = poolSize(pool);
  const start = crc32cValue(new TextEncoder().encode(project)) % size;
  for (let k = 0; k < size; k++) {
    const slot = poolSlot(pool, (start + k) % size);
    if (taken.some((t) => rangesOverlap(t, slot.v4) || rangesOverlap(t, slot.v6))) continue;
    return {
      name,
      region,
      project,
      description: `local stack pool subnet of ${project} (docs/local.md)`,
      ipCidrRange: slot.v4,
      stackType: 'IPV4_IPV6',
      ipv6AccessType: 'INTERNAL',
      internalIpv6Prefix: slot.v6,
    };
  }
  throw new SubnetPoolError(
    `the local subnet pool ${pool.v4} + ${pool.v6} is full: no free slot for ${project}`,
    'describe the subnets in a network file (npm start -- --network FILE), or start with --fresh',
  );
}

/** The subnet template of the policy's target (the default one for modes that do not name subnets). */
export function subnetTemplateOf(target: TargetMapping): string {
  return target.mode === 'subnets' ? target.subnets : DEFAULT_TEMPLATE;
}

/**
 * True when the product's subnet reader already gives `project` a subnet of `all` (the template, and the network
 * when the target names one), the same rule the applier uses (core/firewall/workloads.ts assignedSubnets).
 */
export function hasAssignedSubnet(target: TargetMapping, project: string, all: readonly FakeSubnetwork[]): boolean {
  const mapping = target.mode === 'subnets' ? target : { mode: 'subnets' as const, subnets: DEFAULT_TEMPLATE };
  return assignedSubnets(mapping, project, all.map(toSubnetRanges)).length > 0;
}
