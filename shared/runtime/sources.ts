/**
 * Where the manifest and the firewall come from, decided once for `egress explain`, `egress denials` and `egress mcp`
 * (the MCP tools call the same use cases through these, so a tool and its command cannot read different sources):
 * a manifest folder (`--manifests`, else ./manifests) or the bucket; a fake-Compute state file (`--state`) or the live
 * policy (`--live`). Also the composition of `listDenials` (flags, environment, state file, DNS table, Logging).
 */

import { existsSync, statSync } from 'node:fs';
import { readOnlyPort } from '../adapters/firewallState';
import { readManifestDir, readProjectManifest } from '../adapters/manifestDir';
import { memoryManifestStore } from '../adapters/memory';
import { baseName, prefixWarning } from '../core/bucket/layout';
import { DEFAULT_INTERNAL_RANGES } from '../core/diagnose/denials';
import { checkProjectKey, type ExplainFirewall } from '../core/explain';
import { parseMarker } from '../core/firewall';
import { policyRefKey } from '../core/policy/placement';
import type { PlatformPolicy } from '../core/policy/types';
import type { FirewallPolicies, FirewallPolicyPort } from '../ports/firewall';
import { type DenialsResult, listDenials } from '../usecases/denials';
import { type DraftResult, draftEgressChange } from '../usecases/draftChange';
import { type ExplainAnswer, explainProject, findManifest, type ManifestSourceSpec } from '../usecases/explain';
import { type ProjectEgressResult, projectEgress } from '../usecases/projectEgress';
import { readAgreement } from '../usecases/status';
import {
  CliConfigError,
  liveRules,
  type OpsFlags,
  resolveFirewallTarget,
  stateFilePolicies,
  stateFileRules,
  workloadDeps,
} from './cliClients';
import type { RuntimeConfig } from './config';
import type { CommandContext } from './context';
import { networkName, readNetworkModel, resolveDnsTable } from './diagnose';
import { setting } from './options';

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
export function withCliDefaults<F extends SourceFlags>(flags: F, cfg: RuntimeConfig): F {
  // The option table's precedence; `--live` leaves the state file to its flag (OPTION_TABLE.stateFile.unless).
  const state = setting('stateFile', flags, cfg);
  const dns = setting('dnsTable', flags, cfg);
  return { ...flags, ...(state ? { state } : {}), ...(dns ? { dns } : {}) };
}

function dirSource(dir: string): ManifestSourceSpec {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new CliConfigError(`--manifests ${dir}: no such directory`);
  return { kind: 'dir', dir, find: (project) => readProjectManifest(dir, project) };
}

/**
 * The manifest source: `--manifests DIR`, else ./manifests when it exists and no bucket is named, else the bucket
 * (`--bucket`, EGRESS_MANIFEST_BUCKET). With `optional`, no source at all is undefined instead of an error.
 */
export function manifestSource(ctx: CommandContext, optional = false): ManifestSourceSpec | undefined {
  const { flags, cfg } = ctx;
  checkSourceFlags(flags);
  const bucketNamed = !!ctx.setting('manifestBucket'); // --bucket, else EGRESS_MANIFEST_BUCKET
  const dir = flags.manifests ?? (!bucketNamed && existsSync('manifests') ? 'manifests' : undefined);
  if (dir) return dirSource(dir);
  if (optional && !bucketNamed) return undefined;
  const { bucket, prefix } = ctx.bucket();
  // Read elsewhere than the pipeline watches: say so (stderr; stdout is the answer, or MCP's protocol stream).
  const elsewhere = prefixWarning(prefix, cfg.manifestPrefix);
  if (elsewhere) process.stderr.write(`${elsewhere}\n`);
  return { kind: 'bucket', store: ctx.store(), bucket, prefix };
}

/**
 * The firewall explain reads: the state file, the live policy, or none (a manifest-only answer). Each `read` reads
 * the source as it is then (a long-running `egress mcp` answers from the current file or policy).
 */
export interface FirewallSource {
  read?: () => Promise<ExplainFirewall>;
  hostProject?: string;
  close(): Promise<void>;
}

/** `--state FILE` or `--live` (they exclude each other), else no firewall. */
export function firewallSource(flags: SourceFlags, policy: PlatformPolicy, cfg: RuntimeConfig): FirewallSource {
  checkSourceFlags(flags);
  const hostProject = setting('hostProject', flags, cfg, policy) || undefined;
  const named = { ...(hostProject ? { hostProject } : {}), close: async () => undefined };
  const file = flags.state;
  if (file) return { ...named, read: async () => stateFileRules(file, flags, policy, cfg) };
  if (!flags.live) return named;
  // Every policy of the placement (regional placement: the global one and each region's), read when asked.
  const target = resolveFirewallTarget(flags, policy, cfg);
  return {
    read: async () => {
      const live = await liveRules(flags, policy, cfg);
      return { source: live.source, rules: live.rules, byPolicy: live.byPolicy };
    },
    hostProject: target.hostProject,
    close: async () => undefined,
  };
}

/** A read-only FirewallPolicyPort over a state file's rules (drift from `--state`; every write refuses). */
export function stateFilePort(ctx: CommandContext) {
  const { flags, policy, cfg } = ctx;
  const s = stateFileRules(flags.state!, flags, policy, cfg);
  const port: FirewallPolicyPort = readOnlyPort(s, s.source);
  return { port, hostProject: s.hostProject };
}

/**
 * The policies of the placement in a state file, read-only (regional placement: the global one and each listed
 * region's that the file holds; drift reads them one by one to find misplaced rules).
 */
export function stateFilePolicySet(ctx: CommandContext) {
  const { flags, policy, cfg } = ctx;
  const { matching } = stateFilePolicies(flags.state!, flags, policy, cfg);
  const source = `state file ${flags.state}`;
  const ports = new Map(
    matching.map((p) => [
      policyRefKey(p.region ? { name: p.policy, region: p.region } : { name: p.policy }),
      readOnlyPort(p, source),
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
  const store = memoryManifestStore('local');
  for (const f of readManifestDir(dir)) await store.write(`manifests/${baseName(f.path)}`, f.content);
  return { store };
}

/**
 * Where every project-scoped answer starts: the project key checked before any read (a path or an invalid key must
 * not become a file or object name), then the context's flags (npm start's defaults applied), policy and manifest source.
 */
export function projectSources(project: string | undefined, ctx: CommandContext) {
  if (project !== undefined) checkProjectKey(project);
  const policy = ctx.policy;
  return { flags: ctx.flags, policy, source: manifestSource(ctx)! };
}

/** `egress explain` composed; with `evidenceSinceMs`, the matching denials are attached (`--evidence`). */
export async function explainFor(
  project: string,
  destination: string,
  opts: { why?: string; evidenceSinceMs?: number },
  ctx: CommandContext,
): Promise<ExplainAnswer> {
  const { flags, policy, source } = projectSources(project, ctx);
  const { cfg } = ctx;
  const fw = ctx.firewall();
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
    ...(read ? { firewall: async () => ({ ...read, ...(model ? { model } : {}) }), agreement: agreement ?? null } : {}),
    ...(fw.hostProject ? { hostProject: fw.hostProject } : {}),
    ...(opts.why ? { why: opts.why } : {}),
  });
  if (opts.evidenceSinceMs === undefined) return r;
  if (r.destination.kind === 'range')
    throw new CliConfigError(
      `--evidence needs a hostname or an address, not the range ${r.destination.value} (hint: explain one address of it)`,
    );
  const evidence = await denialsFor(project, { sinceMs: opts.evidenceSinceMs, destination: r.destination.value }, ctx);
  return { ...r, evidence };
}

/** `egress denials` composed: the flags' sources, the Logging client, the classification context. */
export async function denialsFor(
  project: string,
  query: { sinceMs: number; destination?: string },
  ctx: CommandContext,
): Promise<DenialsResult> {
  const { flags, cfg, policy } = ctx;
  const fw = flags.state ? stateFileRules(flags.state, flags, policy, cfg) : undefined;
  const hostProject = fw?.hostProject || ctx.setting('hostProject');
  const policyName = fw?.policy || ctx.setting('firewallPolicy');
  if (!hostProject || !policyName)
    throw new CliConfigError(
      'denials needs the host project and the firewall policy: --state FILE, or --host-project and --firewall-policy (EGRESS_HOST_PROJECT, EGRESS_FIREWALL_POLICY)',
    );
  const source = manifestSource(ctx, true);
  const found = source ? await findManifest(project, source, policy) : undefined;
  const dns = fw || flags.dns ? resolveDnsTable(flags.dns, flags.state) : undefined;
  const owned = fw?.rules.filter((r) => parseMarker(r.description)?.project === project);
  const model = await readNetworkModel(flags, policy, project, dns?.table, cfg);
  const logs = ctx.logs(hostProject); // built once per invocation, closed with the context
  return listDenials({
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
}

/** `get_project_egress` over the flags' sources (the manifest, and the owned rules when a firewall is named). */
export async function projectEgressFor(project: string, ctx: CommandContext): Promise<ProjectEgressResult> {
  const { policy, source } = projectSources(project, ctx);
  const fw = ctx.firewall();
  return projectEgress({ project, policy, source, ...(fw.read ? { firewall: fw.read } : {}) });
}

/** `draft_egress_change` over the flags' manifest source (the firewall is not needed: it writes nothing). */
export async function draftFor(
  args: { project: string; destination: string; reason: string },
  ctx: CommandContext,
): Promise<DraftResult> {
  const { policy, source } = projectSources(args.project, ctx);
  return draftEgressChange({ ...args, policy, source });
}
