/**
 * `egress denials PROJECT [--since 1h] [--destination D] [--format text|json]`: the project's denied connections from
 * Cloud NGFW firewall logs, grouped by destination, named through the DNS query logs and classified (NOT_LISTED with
 * the line to add, LISTED_DNS_MISMATCH with why, DENIED_ELSEWHERE naming the rule, INTERNAL). Exit codes: 0 answered
 * (whatever was found), 1 error, 2 usage. The JSON shape is documented in docs/diagnose.md.
 */
import { existsSync, statSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { readProjectManifest } from '../../adapters/manifestDir';
import { DEFAULT_INTERNAL_RANGES } from '../../core/diagnose/denials';
import { parseMarker } from '../../core/firewall';
import { CliConfigError, type OpsFlags, resolvePolicy, stateFileRules } from '../../runtime/cliClients';
import { readConfig } from '../../runtime/config';
import { DEFAULT_NETWORK, logsFor, resolveDnsTable } from '../../runtime/diagnose';
import { listDenials, renderDenialsText } from '../../usecases/denials';
import { findManifest } from '../../usecases/explain';
import { EXIT_OK, UsageError } from '../exit';

interface DenialsFlags extends OpsFlags {
  since: string;
  destination?: string;
  manifests?: string;
  state?: string;
  dns?: string;
  loggingEndpoint?: string;
  network: string;
  format: 'text' | 'json';
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30m`, `1h`, `2d` → milliseconds. */
export function parseSince(raw: string): number {
  const m = /^\s*(\d+)\s*([smhd])\s*$/.exec(raw);
  if (!m || Number(m[1]) <= 0) throw new CliConfigError(`--since ${raw} is not a duration (hint: --since 1h, 30m, 2d)`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** Registers `denials` on the program. */
export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('denials')
    .description("PROJECT's denied connections from the firewall logs, grouped, named by DNS and classified")
    .argument('<project>', 'the project key (metadata.name)')
    .option('--since <duration>', 'how far back (s, m, h, d)', '1h')
    .option('--destination <host-or-ip>', 'only this destination')
    .option('--manifests <dir>', 'read the manifest from this directory (default: ./manifests if it exists)')
    .option(
      '--state <file>',
      'the fake-Compute state file: names the rules and finds the local DNS table (default EGRESS_STATE_FILE)',
    )
    .option(
      '--dns <file>',
      "the local DNS table: the firewall resolver's view (default EGRESS_DNS_TABLE, else dns.json beside --state)",
    )
    .option('--logging-endpoint <url>', 'the fake Cloud Logging (default EGRESS_LOGGING_ENDPOINT, else Google)')
    .option('--network <name>', 'the Shared VPC network name in log references', DEFAULT_NETWORK)
    .option('--policy <file>', 'platform policy file (default EGRESS_POLICY_FILE)')
    .option('--host-project <project>', 'Shared VPC host project, where the logs are (default EGRESS_HOST_PROJECT)')
    .option('--firewall-policy <name>', 'global network firewall policy (default EGRESS_FIREWALL_POLICY / policy file)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      '\nExample:\n  egress denials payment-gateway --since 1h --manifests examples/manifests --state .local/compute.json --format json\n' +
        'Exit codes: 0 answered, 1 error, 2 usage error.',
    )
    .action(async (project: string, flags: DenialsFlags) => {
      const cfg = readConfig();
      try {
        const sinceMs = parseSince(flags.since);
        // npm start's cli.env: its state file and DNS table are the local defaults.
        flags.state ??= cfg.stateFile || undefined;
        flags.dns ??= cfg.dnsTable || undefined;
        const policy = resolvePolicy(flags, cfg);
        const fw = flags.state ? stateFileRules(flags.state, flags, policy, cfg) : undefined;
        const hostProject = fw?.hostProject || flags.hostProject || cfg.hostProject || policy.firewall.hostProject;
        const policyName = fw?.policy || flags.firewallPolicy || cfg.firewallPolicy || policy.firewall.policy;
        if (!hostProject || !policyName)
          throw new CliConfigError(
            'denials needs the host project and the firewall policy: --state FILE, or --host-project and --firewall-policy (EGRESS_HOST_PROJECT, EGRESS_FIREWALL_POLICY)',
          );
        const dir = flags.manifests ?? (existsSync('manifests') ? 'manifests' : undefined);
        if (dir && (!existsSync(dir) || !statSync(dir).isDirectory()))
          throw new CliConfigError(`--manifests ${dir}: no such directory`);
        const found = dir
          ? await findManifest(project, { kind: 'dir', dir, find: (key) => readProjectManifest(dir, key) }, policy)
          : undefined;
        const dns = fw || flags.dns ? resolveDnsTable(flags.dns, flags.state) : undefined;
        const owned = fw?.rules.filter((r) => parseMarker(r.description)?.project === project);
        const logs = logsFor(hostProject, flags.loggingEndpoint, cfg);
        try {
          const r = await listDenials({
            project,
            hostProject,
            since: new Date(Date.now() - sinceMs),
            ...(flags.destination ? { destination: flags.destination } : {}),
            logs,
            ctx: {
              product: {
                reference: `network:${flags.network}/firewallPolicy:${policyName}`,
                priorityMax: policy.firewall.priorityMax,
                ...(fw ? { rules: fw.rules } : {}),
              },
              manifest: {
                file: found?.manifest?.path ?? found?.suggestedPath ?? `manifests/${project}.yaml`,
                entries: found?.manifest?.entries ?? [],
              },
              ...(dns ? { firewallDns: dns.table } : {}),
              internalRanges: DEFAULT_INTERNAL_RANGES,
              policy,
              ...(owned ? { appliedFqdns: owned.flatMap((o) => o.match.destFqdns ?? []) } : {}),
            },
          });
          process.stdout.write(flags.format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : renderDenialsText(r));
          setExit(EXIT_OK);
        } finally {
          await logs.close();
        }
      } catch (e) {
        if (e instanceof CliConfigError) throw new UsageError(e.message);
        throw e;
      }
    });
}
