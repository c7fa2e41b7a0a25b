/**
 * Where the manifest and the firewall come from, decided once for `egress explain`, `egress denials` and `egress mcp`
 * (the MCP tools call the same use cases through these, so a tool and its command cannot read different sources):
 * a manifest folder (`--manifests`, else ./manifests) or the bucket; a fake-Compute state file (`--state`) or the live
 * policy (`--live`). Also the composition of `listDenials` (flags, environment, state file, DNS table, Logging).
 */
import { existsSync, statSync } from 'node:fs';
import { baseName, prefixWarning } from '../core/bucket/layout';
import { DEFAULT_INTERNAL_RANGES } from '../core/diagnose/denials';
import { checkProjectKey, type ExplainFirewall } from '../core/explain';
import { parseMarker } from '../core/firewall';
import type { PlatformPolicy } from '../core/policy/types';
import type { FirewallPolicies, FirewallPolicyPort } from '../ports/firewall';
import { type DenialsResult, listDenials } from '../usecases/denials';
import { type DraftResult, draftEgressChange } from '../usecases/draftChange';
import { type ExplainAnswer, explainProject, findManifest, type ManifestSourceSpec } from '../usecases/explain';
import { type ProjectEgressResult, projectEgress } from '../usecases/projectEgress';
import { readAgreement } from '../usecases/status';
import {
  bucketStore,
  CliConfigError,
  liveRules,
  type OpsFlags,
  resolveBucket,
  resolveFirewallTarget,
  resolvePolicy,
  stateFilePolicies,
  stateFileRules,
  storageEndpointOf,
  workloadDeps,
} from './cliClients';
import { type RuntimeConfig, readConfig } from './config';
import { logsFor, networkName, readNetworkModel, resolveDnsTable } from './diagnose';

/** The source flags the diagnosis commands and the MCP server share. */
export interface SourceFlags extends OpsFlags {
  manifests?: string;
  state?: string;
  live?: boolean;
  dns?: string;
  loggingEndpoint?: string;
  network?: string;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30m`, `1h`, `2d` → milliseconds. */
export function parseSince(raw: string): number {
  const m = /^\s*(\d+)\s*([smhd])\s*$/.exec(raw);
  if (!m || Number(m[1]) <= 0) throw new CliConfigError(`--since ${raw} is not a duration (hint: --since 1h, 30m, 2d)`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** The flags that exclude each other (checked where they are read, and by `egress mcp` before it serves). */
export function checkSourceFlags(flags: SourceFlags): void {
  if (flags.manifests && flags.bucket) throw new CliConfigError('--manifests and --bucket exclude each other');
  if (flags.state && flags.live) throw new CliConfigError('--state and --live exclude each other');
}

/**
 * npm start's cli.env defaults, applied once for every reader of these sources (explain, denials, status, probe, mcp):
 * EGRESS_STATE_FILE is the firewall unless `--live` is asked for, EGRESS_DNS_TABLE the DNS table. Flags win.
 */
export function withCliDefaults<F extends SourceFlags>(flags: F, cfg: RuntimeConfig = readConfig()): F {
  const state = flags.state ?? (flags.live ? undefined : cfg.stateFile || undefined);
  const dns = flags.dns ?? (cfg.dnsTable || undefined);
  return { ...flags, ...(state ? { state } : {}), ...(dns ? { dns } : {}) };
}

function dirSource(dir: string): ManifestSourceSpec {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new CliConfigError(`--manifests ${dir}: no such directory`);
  const { readProjectManifest } = require('../adapters/manifestDir') as typeof import('../adapters/manifestDir');
  return { kind: 'dir', dir, find: (project) => readProjectManifest(dir, project) };
}

/**
 * The manifest source: `--manifests DIR`, else ./manifests when it exists and no bucket is named, else the bucket
 * (`--bucket`, EGRESS_MANIFEST_BUCKET). With `optional`, no source at all is undefined instead of an error.
 */
export function manifestSource(
  flags: SourceFlags,
  cfg: RuntimeConfig = readConfig(),
  optional = false,
): ManifestSourceSpec | undefined {
  checkSourceFlags(flags);
  const dir =
    flags.manifests ?? (!flags.bucket && !cfg.manifestBucket && existsSync('manifests') ? 'manifests' : undefined);
  if (dir) return dirSource(dir);
  if (optional && !flags.bucket && !cfg.manifestBucket) return undefined;
  const { bucket, prefix } = resolveBucket(flags, cfg);
  // Read elsewhere than the pipeline watches: say so (stderr; stdout is the answer, or MCP's protocol stream).
  const elsewhere = prefixWarning(prefix, cfg.manifestPrefix);
  if (elsewhere) process.stderr.write(`${elsewhere}\n`);
  return { kind: 'bucket', store: bucketStore(bucket, storageEndpointOf(flags)), bucket, prefix };
}

/** The firewall explain reads: the state file, the live policy, or none (a manifest-only answer). */
export interface FirewallSource {
  read?: () => Promise<ExplainFirewall>;
  hostProject?: string;
  policyName?: string;
  close(): Promise<void>;
}

/** `--state FILE` or `--live` (they exclude each other), else no firewall. */
export function firewallSource(
  flags: SourceFlags,
  policy: PlatformPolicy,
  cfg: RuntimeConfig = readConfig(),
): FirewallSource {
  checkSourceFlags(flags);
  const hostProject = flags.hostProject || cfg.hostProject || policy.firewall.hostProject || undefined;
  const named = { ...(hostProject ? { hostProject } : {}), close: async () => undefined };
  if (flags.state) {
    const s = stateFileRules(flags.state, flags, policy, cfg);
    return { ...named, read: async () => s, policyName: s.policy };
  }
  if (!flags.live) return named;
  // Every policy of the placement (regional placement: the global one and each region's), read when asked.
  const target = resolveFirewallTarget(flags, policy, cfg);
  return {
    read: async () => {
      const live = await liveRules(flags, policy, cfg);
      return { source: live.source, rules: live.rules, byPolicy: live.byPolicy };
    },
    hostProject: target.hostProject,
    policyName: flags.firewallPolicy || cfg.firewallPolicy || policy.firewall.policy,
    close: async () => undefined,
  };
}

/** A read-only FirewallPolicyPort over a state file's rules (drift from `--state`; every write refuses). */
export function stateFilePort(flags: SourceFlags, policy: PlatformPolicy, cfg: RuntimeConfig = readConfig()) {
  const s = stateFileRules(flags.state!, flags, policy, cfg);
  const refuse = async (): Promise<never> => {
    throw new Error(`${s.source} is read here only; nothing is written`);
  };
  const port: FirewallPolicyPort = {
    getPolicy: async () => ({ rules: s.rules }),
    patchPolicy: refuse,
  };
  return { port, hostProject: s.hostProject };
}

/**
 * The policies of the placement in a state file, read-only (regional placement: the global one and each listed
 * region's that the file holds; drift reads them one by one to find misplaced rules).
 */
export function stateFilePolicySet(flags: SourceFlags, policy: PlatformPolicy, cfg: RuntimeConfig = readConfig()) {
  const { matching } = stateFilePolicies(flags.state!, flags, policy, cfg);
  const { policyRefKey } = require('../core/policy/placement') as typeof import('../core/policy/placement');
  const refuse = async (): Promise<never> => {
    throw new Error(`state file ${flags.state} is read here only; nothing is written`);
  };
  const ports = new Map(
    matching.map((p) => [
      policyRefKey(p.region ? { name: p.policy, region: p.region } : { name: p.policy }),
      {
        getPolicy: async () => ({ rules: p.rules, ruleTupleCount: p.ruleTupleCount }),
        patchPolicy: refuse,
      } satisfies FirewallPolicyPort,
    ]),
  );
  const refs = matching
    .map((p) => (p.region ? { name: p.policy, region: p.region } : { name: p.policy }))
    .sort((a, b) => Number(!!a.region) - Number(!!b.region));
  const policies: FirewallPolicies = {
    list: () => refs,
    forPolicy: (ref) => {
      const port = ports.get(policyRefKey(ref));
      if (!port) throw new CliConfigError(`--state ${flags.state}: no policy ${policyRefKey(ref)}`);
      return port;
    },
  };
  return policies;
}

/** The manifests of a folder as a bucket (prefix `manifests/`): drift over `--manifests` reads them as sync would upload them. */
export async function folderAsStore(dir: string): Promise<{ store: import('../ports/storage').ManifestStore }> {
  const { readManifestDir } = require('../adapters/manifestDir') as typeof import('../adapters/manifestDir');
  const { memoryManifestStore } = require('../adapters/memory') as typeof import('../adapters/memory');
  const store = memoryManifestStore('local');
  for (const f of readManifestDir(dir)) await store.write(`manifests/${baseName(f.path)}`, f.content);
  return { store };
}

/**
 * Where every project-scoped answer starts: the CLI defaults applied, the project key checked before any read (a path
 * or an invalid key must not become a file or object name), the policy and the manifest source.
 */
export function projectSources(project: string | undefined, given: SourceFlags, cfg: RuntimeConfig) {
  const flags = withCliDefaults(given, cfg);
  if (project !== undefined) checkProjectKey(project);
  const policy = resolvePolicy(flags, cfg);
  return { flags, policy, source: manifestSource(flags, cfg)! };
}

/** `egress explain` composed; with `evidenceSinceMs`, the matching denials are attached (`--evidence`). */
export async function explainFor(
  project: string,
  destination: string,
  opts: { why?: string; evidenceSinceMs?: number },
  given: SourceFlags,
  cfg: RuntimeConfig = readConfig(),
): Promise<ExplainAnswer> {
  const { flags, policy, source } = projectSources(project, given, cfg);
  const fw = firewallSource(flags, policy, cfg);
  try {
    // The firewall read once; the agreement section is the one agreement, as `egress status` computes it.
    const read = fw.read ? await fw.read() : undefined;
    const agreement = read
      ? (
          await readAgreement({
            project,
            policy,
            source,
            firewall: read,
            workloads: workloadDeps(flags, policy, cfg, flags.state),
            ...(fw.hostProject ? { hostProject: fw.hostProject } : {}),
          })
        ).agreement
      : undefined;
    // The firewall as the network model sees it: every tier in Google's order (docs/diagnose.md, "The network model").
    const model = read ? await readNetworkModel(flags, policy, project, undefined, cfg) : undefined;
    const r = await explainProject({
      project,
      destination,
      policy,
      source,
      ...(read
        ? { firewall: async () => ({ ...read, ...(model ? { model } : {}) }), agreement: agreement ?? null }
        : {}),
      ...(fw.hostProject ? { hostProject: fw.hostProject } : {}),
      ...(opts.why ? { why: opts.why } : {}),
    });
    if (opts.evidenceSinceMs === undefined) return r;
    if (r.destination.kind === 'range')
      throw new CliConfigError(
        `--evidence needs a hostname or an address, not the range ${r.destination.value} (hint: explain one address of it)`,
      );
    const evidence = await denialsFor(
      project,
      { sinceMs: opts.evidenceSinceMs, destination: r.destination.value },
      flags,
      cfg,
    );
    return { ...r, evidence };
  } finally {
    await fw.close();
  }
}

/** `egress denials` composed: the flags' sources, the Logging client, the classification context. */
export async function denialsFor(
  project: string,
  query: { sinceMs: number; destination?: string },
  given: SourceFlags,
  cfg: RuntimeConfig = readConfig(),
): Promise<DenialsResult> {
  const flags = withCliDefaults(given, cfg);
  const policy = resolvePolicy(flags, cfg);
  const fw = flags.state ? stateFileRules(flags.state, flags, policy, cfg) : undefined;
  const hostProject = fw?.hostProject || flags.hostProject || cfg.hostProject || policy.firewall.hostProject;
  const policyName = fw?.policy || flags.firewallPolicy || cfg.firewallPolicy || policy.firewall.policy;
  if (!hostProject || !policyName)
    throw new CliConfigError(
      'denials needs the host project and the firewall policy: --state FILE, or --host-project and --firewall-policy (EGRESS_HOST_PROJECT, EGRESS_FIREWALL_POLICY)',
    );
  const source = manifestSource(flags, cfg, true);
  const found = source ? await findManifest(project, source, policy) : undefined;
  const dns = fw || flags.dns ? resolveDnsTable(flags.dns, flags.state) : undefined;
  const owned = fw?.rules.filter((r) => parseMarker(r.description)?.project === project);
  const model = await readNetworkModel(flags, policy, project, dns?.table, cfg);
  const logs = logsFor(hostProject, flags.loggingEndpoint, cfg);
  try {
    return await listDenials({
      project,
      hostProject,
      since: new Date(Date.now() - query.sinceMs),
      ...(query.destination ? { destination: query.destination } : {}),
      logs,
      ctx: {
        product: {
          reference: `network:${networkName(flags.network, policy, cfg)}/firewallPolicy:${policyName}`,
          priorityMax: policy.firewall.priorityMax,
          ...(fw ? { rules: fw.rules } : {}),
        },
        manifest: {
          file: found?.manifest?.path ?? found?.suggestedPath ?? `manifests/${project}.yaml`,
          entries: found?.manifest?.entries ?? [],
          ...(found?.manifest?.layout ? { layout: found.manifest.layout } : {}),
        },
        ...(model ? { model, subnetsMode: policy.firewall.target.mode === 'subnets' } : {}),
        ...(dns ? { firewallDns: dns.table } : {}),
        internalRanges: DEFAULT_INTERNAL_RANGES,
        policy,
        ...(owned ? { appliedFqdns: owned.flatMap((o) => o.match.destFqdns ?? []) } : {}),
      },
    });
  } finally {
    await logs.close();
  }
}

/** `get_project_egress` over the flags' sources (the manifest, and the owned rules when a firewall is named). */
export async function projectEgressFor(
  project: string,
  given: SourceFlags,
  cfg: RuntimeConfig = readConfig(),
): Promise<ProjectEgressResult> {
  const { flags, policy, source } = projectSources(project, given, cfg);
  const fw = firewallSource(flags, policy, cfg);
  try {
    return await projectEgress({ project, policy, source, ...(fw.read ? { firewall: fw.read } : {}) });
  } finally {
    await fw.close();
  }
}

/** `draft_egress_change` over the flags' manifest source (the firewall is not needed: it writes nothing). */
export async function draftFor(
  args: { project: string; destination: string; reason: string },
  given: SourceFlags,
  cfg: RuntimeConfig = readConfig(),
): Promise<DraftResult> {
  const { policy, source } = projectSources(args.project, given, cfg);
  return draftEgressChange({ ...args, policy, source });
}
