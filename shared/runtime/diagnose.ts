/**
 * Composition for `egress probe` and `egress denials`: the Logging client (flag, EGRESS_LOGGING_ENDPOINT, Google),
 * the local DNS table (a JSON file beside the fake-Compute state: `<state dir>/dns.json`, docs/diagnose.md), the
 * firewall policies in enforcement order and the probing workload of a project.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_DNS_TABLE, type DnsAnswer, type DnsTable } from '../core/diagnose/dns';
import type { Workload } from '../core/diagnose/logEntries';
import { parseMarker } from '../core/firewall/marker';
import { buildModel } from '../core/network/build';
import type { NetworkModel } from '../core/network/model';
import { placementPolicies, policyRefKey } from '../core/policy/placement';
import type { PlatformPolicy } from '../core/policy/types';
import type { LogsPort } from '../ports/logs';
import type { NetworkReader } from '../ports/network';
import { CliConfigError, livePolicies, type OpsFlags, stateFileRules } from './cliClients';
import type { RuntimeConfig } from './config';
import { lazy } from './lazy';
import { setting } from './options';

/** The Shared VPC network name used in log references when none is given (assumed default). */
export const DEFAULT_NETWORK = 'shared-vpc';

/** The Logging port: `--logging-endpoint`, else EGRESS_LOGGING_ENDPOINT, else Google (ADC). */
export function logsFor(projectId: string, flag: string | undefined, cfg: RuntimeConfig): LogsPort {
  const endpoint = setting('loggingEndpoint', { loggingEndpoint: flag }, cfg);
  if (endpoint && !/^https?:\/\/[^/]+\/?$/.test(endpoint))
    throw new CliConfigError(`logging endpoint ${endpoint} is not http(s)://HOST:PORT (hint: http://127.0.0.1:8085)`);
  const { cloudLogging } = lazy.logging();
  return cloudLogging({ projectId, ...(endpoint ? { endpoint } : {}) });
}

function answerOf(file: string, name: string, v: unknown, path: string): DnsAnswer {
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new CliConfigError(`${file}: ${path} must be an object like {"a": ["203.0.113.1"]} or {"nxdomain": true}`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!['a', 'aaaa', 'nxdomain', ...(path === name ? ['firewall'] : [])].includes(k))
      throw new CliConfigError(
        `${file}: ${path}.${k} is not a field (a, aaaa, nxdomain${path === name ? ', firewall' : ''})`,
      );
  for (const k of ['a', 'aaaa'] as const)
    if (o[k] !== undefined && !(Array.isArray(o[k]) && (o[k] as unknown[]).every((x) => typeof x === 'string')))
      throw new CliConfigError(`${file}: ${path}.${k} must be a list of addresses`);
  return o as DnsAnswer;
}

/** Reads a DNS table file `{"version": 1, "names": {"host": {"a": […], "aaaa": […], "nxdomain": true, "firewall": {…}}}}`. */
export function loadDnsTable(file: string): DnsTable {
  let data: { version?: unknown; names?: unknown };
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CliConfigError(`cannot read DNS table ${file}: ${(e as Error).message}`);
  }
  if (data?.version !== 1 || !data.names || typeof data.names !== 'object')
    throw new CliConfigError(`${file} is not a DNS table (expected {"version": 1, "names": {"host": {"a": […]}}})`);
  const out: DnsTable = {};
  for (const [name, v] of Object.entries(data.names as Record<string, unknown>)) {
    const rec = answerOf(file, name, v, name);
    const fw = (v as Record<string, unknown>).firewall;
    out[name] = { ...rec, ...(fw !== undefined ? { firewall: answerOf(file, name, fw, `${name}.firewall`) } : {}) };
  }
  return out;
}

/** `--dns FILE`, else `<dir of --state>/dns.json` when it exists, else the defaults for the example hosts. */
export function resolveDnsTable(
  flag: string | undefined,
  stateFile: string | undefined,
): { table: DnsTable; source: string } {
  if (flag) return { table: loadDnsTable(flag), source: flag };
  const beside = stateFile ? join(dirname(stateFile), 'dns.json') : undefined;
  if (beside && existsSync(beside)) return { table: loadDnsTable(beside), source: beside };
  return { table: DEFAULT_DNS_TABLE, source: 'built-in defaults (docs/diagnose.md)' };
}

/** The network's name: `--network`, else EGRESS_NETWORK, else the target mode's `network`, else `shared-vpc`. */
export function networkName(flag: string | undefined, policy: PlatformPolicy, cfg: RuntimeConfig): string {
  const t = policy.firewall.target;
  const fromTarget = t.mode === 'subnets' && t.network ? (t.network.split('/').at(-1) ?? '') : '';
  return setting('network', { network: flag }, cfg) || fromTarget || DEFAULT_NETWORK;
}

/**
 * Reads the network model once (docs/diagnose.md, "The network model"): from the state file (`flags.state`) or the
 * Compute API (`flags.live`); undefined when neither is given. `project`'s subnets are assigned, with those of every
 * project named by an ownership marker of the policies (so a subnet of another project is named as such).
 */
export async function readNetworkModel(
  flags: OpsFlags & { state?: string; live?: boolean; network?: string },
  policy: PlatformPolicy,
  project: string,
  dns: DnsTable | undefined,
  cfg: RuntimeConfig,
): Promise<NetworkModel | undefined> {
  const network = networkName(flags.network, policy, cfg);
  let reader: NetworkReader;
  let close = async (): Promise<void> => {};
  if (flags.state) {
    const chosen = stateFileRules(flags.state, flags, policy, cfg);
    const refs = new Set(placementPolicies(policy.firewall, chosen.policy).map(policyRefKey));
    const { stateFileNetwork } = lazy.networkState();
    reader = stateFileNetwork(flags.state, {
      hostProject: chosen.hostProject,
      network,
      choose: (p) => refs.has(policyRefKey(p.region ? { name: p.name, region: p.region } : { name: p.name })),
    });
  } else if (flags.live) {
    const live = livePolicies(flags, policy, cfg);
    const endpoint = setting('computeEndpoint', flags, cfg);
    const opts = endpoint ? { endpoint } : {};
    const { liveNetwork, networkClients } = lazy.networkLive();
    const { computeSubnetSource, subnetworksClient } = lazy.subnets();
    const clients = networkClients(opts);
    const subnets = subnetworksClient(opts);
    reader = liveNetwork({
      hostProject: live.hostProject,
      network,
      api: clients.api,
      policies: live.policies,
      subnets: computeSubnetSource(live.hostProject, subnets.api),
      // The network's DNS query logging (evidence, doctor): the same Cloud DNS read as `egress doctor`.
      dnsPolicies: lazy.doctorReads().dnsPolicyReader(opts),
    });
    close = async () => {
      await Promise.all([live.close(), clients.close(), subnets.close()]);
    };
  } else return undefined;
  try {
    const snap = await reader.read();
    const projects = new Set([project]);
    for (const p of snap.policies)
      for (const r of p.rules) {
        const owner = parseMarker(r.description)?.project;
        if (owner) projects.add(owner);
      }
    return buildModel(snap, { target: policy.firewall.target, projects: [...projects], ...(dns ? { dns } : {}) });
  } finally {
    await close();
  }
}

/** The identity a probe's workload has under the policy's target mode (its address comes from the network model). */
export function probeIdentity(project: string, policy: PlatformPolicy, hostProject: string): Omit<Workload, 'ip'> {
  const t = policy.firewall.target;
  // subnets mode: the probe is identified by its address alone; secureTags: the namespaced value (not its number).
  const filled = (t.mode === 'subnets' ? '' : (t.templates[0] ?? ''))
    .replaceAll('{project}', project)
    .replaceAll('{hostProject}', hostProject)
    .replaceAll('{org}', t.mode === 'secureTags' ? (t.org ?? '') : '');
  return {
    project,
    ...(t.mode === 'serviceAccounts'
      ? { serviceAccount: filled }
      : t.mode === 'secureTags'
        ? { secureTags: [filled] }
        : {}),
    vmName: `${project}-probe`,
    zone: 'us-central1-a',
    region: 'us-central1',
    subnetwork: `${project}-subnet`,
  };
}
