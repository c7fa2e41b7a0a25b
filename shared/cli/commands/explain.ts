/**
 * `egress explain PROJECT DESTINATION [--manifests DIR | --bucket gs://…] [--state FILE | --live] [--format text|json]`
 * answers "may project P reach host or IP D?" from the manifest and the firewall, and prints the line to add when it
 * may not. Exit codes: 0 answered (whatever the answer), 1 error, 2 usage (bad project key or destination, missing
 * source).
 * The JSON shape is a documented contract for programs and assistants (docs/operations.md).
 */
import { existsSync, statSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { readProjectManifest } from '../../adapters/manifestDir';
import { checkProjectKey, ExplainArgumentError, type ExplainFirewall, renderExplainText } from '../../core/explain';
import {
  bucketStore,
  CliConfigError,
  liveFirewall,
  type OpsFlags,
  resolveBucket,
  resolvePolicy,
  stateFileRules,
} from '../../runtime/cliClients';
import { readConfig } from '../../runtime/config';
import { explainProject, type ManifestSourceSpec } from '../../usecases/explain';
import { EXIT_OK, UsageError } from '../exit';
import { addComputeEndpointOption, addStorageEndpointOption, storageEndpointOf } from '../options';

interface ExplainFlags extends OpsFlags {
  manifests?: string;
  state?: string;
  live?: boolean;
  why?: string;
  format: 'text' | 'json';
}

/** Registers `explain` on the program. */
export function register(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('explain')
    .description('May PROJECT reach DESTINATION? By which entry and rule; and if not, the exact line to add')
    .argument('<project>', 'the project key (metadata.name)')
    .argument('<destination>', 'hostname, IP address, range, URL or host:port (ports and paths are stripped)')
    .option('--manifests <dir>', 'read the manifest from this directory (default: ./manifests if it exists)')
    .option('--bucket <url>', 'read the manifest from the bucket gs://BUCKET/PREFIX (default EGRESS_MANIFEST_BUCKET)')
    .option(
      '--state <file>',
      'read the firewall from a fake-Compute state file (default EGRESS_STATE_FILE unless --live)',
    )
    .option('--live', 'read the live firewall policy (Application Default Credentials)')
    .option('--why <text>', 'the comment of the suggested line (why the project needs the destination)')
    .option('--policy <file>', 'platform policy file (default EGRESS_POLICY_FILE)')
    .option('--host-project <project>', 'Shared VPC host project (default EGRESS_HOST_PROJECT / policy file)')
    .option('--firewall-policy <name>', 'global network firewall policy (default EGRESS_FIREWALL_POLICY / policy file)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'));
  addStorageEndpointOption(addComputeEndpointOption(cmd))
    .addHelpText(
      'after',
      '\nExamples:\n  egress explain payment-gateway https://api.stripe.com/v1/charges --manifests manifests --state .local/compute.json\n' +
        '  egress explain payment-gateway 199.36.153.9 --bucket gs://egress-manifests/manifests/ --live --format json\n' +
        'Exit codes: 0 answered (allowed or not), 1 error, 2 usage error.',
    )
    .action(async (project: string, destination: string, flags: ExplainFlags) => {
      const cfg = readConfig();
      try {
        checkProjectKey(project);
        if (flags.manifests && flags.bucket) throw new CliConfigError('--manifests and --bucket exclude each other');
        if (flags.state && flags.live) throw new CliConfigError('--state and --live exclude each other');
        // npm start's cli.env names its state file: the default firewall unless --live is asked for.
        if (!flags.live && !flags.state && cfg.stateFile) flags.state = cfg.stateFile;
        const policy = resolvePolicy(flags, cfg);
        let source: ManifestSourceSpec;
        const dir =
          flags.manifests ??
          (!flags.bucket && !cfg.manifestBucket && existsSync('manifests') ? 'manifests' : undefined);
        if (dir) {
          if (!existsSync(dir) || !statSync(dir).isDirectory())
            throw new CliConfigError(`--manifests ${dir}: no such directory`);
          source = { kind: 'dir', dir, find: (project) => readProjectManifest(dir, project) };
        } else {
          const { bucket, prefix } = resolveBucket(flags, cfg);
          source = { kind: 'bucket', store: bucketStore(bucket, storageEndpointOf(flags)), bucket, prefix };
        }
        let close: (() => Promise<void>) | undefined;
        let firewall: (() => Promise<ExplainFirewall>) | undefined;
        let hostProject = flags.hostProject || cfg.hostProject || policy.firewall.hostProject || undefined;
        if (flags.state) {
          const s = stateFileRules(flags.state, flags, policy, cfg);
          firewall = async () => s;
        } else if (flags.live) {
          const fw = liveFirewall(flags, policy, cfg);
          hostProject = fw.hostProject;
          close = fw.close;
          firewall = async () => ({ source: fw.source, rules: (await fw.port.getPolicy()).rules });
        }
        try {
          const r = await explainProject({
            project,
            destination,
            policy,
            source,
            ...(firewall ? { firewall } : {}),
            ...(hostProject ? { hostProject } : {}),
            ...(flags.why ? { why: flags.why } : {}),
          });
          process.stdout.write(flags.format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : renderExplainText(r));
          setExit(EXIT_OK);
        } finally {
          await close?.();
        }
      } catch (e) {
        if (e instanceof CliConfigError) throw new UsageError(e.message);
        if (e instanceof ExplainArgumentError) throw new UsageError(`${e.message} (hint: ${e.hint})`);
        throw e;
      }
    });
}
