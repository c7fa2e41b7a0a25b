/**
 * `egress status PROJECT [--format json]`: the live rules of one project, the generation they record, their agreement
 * with the project's manifest (folder or bucket) and the last status event (shared/usecases/status.ts).
 */
import { existsSync, statSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { readProjectManifest } from '../../adapters/manifestDir';
import { checkProjectKey, ExplainArgumentError } from '../../core/explain';
import {
  bucketStore,
  CliConfigError,
  liveFirewall,
  type OpsFlags,
  pullerFor,
  resolveBucket,
  resolvePolicy,
  stateFileRules,
} from '../../runtime/cliClients';
import { readConfig } from '../../runtime/config';
import type { ManifestSourceSpec } from '../../usecases/explain';
import { projectStatus, renderStatusText } from '../../usecases/status';
import { EXIT_OK, UsageError } from '../exit';
import { addComputeEndpointOption, addStorageEndpointOption, storageEndpointOf } from '../options';

interface StatusFlags extends OpsFlags {
  manifests?: string;
  state?: string;
  live?: boolean;
  statusSubscription?: string;
  format: 'text' | 'json';
}

/** Registers `status` on the program. */
export function register(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('status')
    .description("One project's live rules, the generation they record, agreement with its manifest, last status event")
    .argument('<project>', 'the project key (metadata.name)')
    .option('--manifests <dir>', 'read the manifest from this directory (default: the bucket)')
    .option('--bucket <url>', 'read the manifest from the bucket gs://BUCKET/PREFIX (default EGRESS_MANIFEST_BUCKET)')
    .option(
      '--state <file>',
      'read the firewall from a fake-Compute state file (default EGRESS_STATE_FILE unless --live)',
    )
    .option('--live', 'read the live firewall policy')
    .option(
      '--status-subscription <name>',
      'status-topic subscription to read (never acknowledged) for the last event, e.g. egress-status-operators (default EGRESS_STATUS_SUBSCRIPTION)',
    )
    .option('--policy <file>', 'platform policy file (default EGRESS_POLICY_FILE)')
    .option('--host-project <project>', 'Shared VPC host project (default EGRESS_HOST_PROJECT / policy file)')
    .option('--firewall-policy <name>', 'global network firewall policy (default EGRESS_FIREWALL_POLICY / policy file)')
    .option('--pubsub-project <project>', 'project of the subscription (default EGRESS_PUBSUB_PROJECT)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'));
  addStorageEndpointOption(addComputeEndpointOption(cmd))
    .addHelpText(
      'after',
      '\nAgreement: in-sync, drifted, no-manifest, invalid-manifest, absent.\nExit codes: 0 answered, 1 error, 2 usage.',
    )
    .action(async (project: string, flags: StatusFlags) => {
      const cfg = readConfig();
      try {
        checkProjectKey(project);
        if (flags.manifests && flags.bucket) throw new CliConfigError('--manifests and --bucket exclude each other');
        if (flags.state && flags.live) throw new CliConfigError('--state and --live exclude each other');
        if (!flags.live && !flags.state) flags.state = cfg.stateFile || undefined;
        const policy = resolvePolicy(flags, cfg);
        let source: ManifestSourceSpec;
        if (flags.manifests) {
          const dir = flags.manifests;
          if (!existsSync(dir) || !statSync(dir).isDirectory())
            throw new CliConfigError(`--manifests ${dir}: no such directory`);
          source = { kind: 'dir', dir, find: (key) => readProjectManifest(dir, key) };
        } else {
          const { bucket, prefix } = resolveBucket(flags, cfg);
          source = { kind: 'bucket', store: bucketStore(bucket, storageEndpointOf(flags)), bucket, prefix };
        }
        const closers: (() => Promise<void>)[] = [];
        try {
          let firewall: { source: string; rules: import('../../core/firewall/types').ObservedRule[] };
          let hostProject: string | undefined;
          if (flags.state) {
            const s = stateFileRules(flags.state, flags, policy, cfg);
            firewall = s;
            hostProject = s.hostProject;
          } else {
            const fw = liveFirewall(flags, policy, cfg);
            closers.push(fw.close);
            hostProject = fw.hostProject;
            firewall = { source: fw.source, rules: (await fw.port.getPolicy()).rules };
          }
          const subscription = flags.statusSubscription || cfg.statusSubscription;
          const puller = subscription ? pullerFor(subscription, flags, cfg) : undefined;
          if (puller) closers.push(() => puller.close());
          const r = await projectStatus({
            project,
            policy,
            source,
            firewall,
            ...(hostProject ? { hostProject } : {}),
            ...(puller && subscription ? { status: { subscription, puller } } : {}),
          });
          process.stdout.write(flags.format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : renderStatusText(r));
          setExit(EXIT_OK);
        } finally {
          await Promise.all(closers.map((c) => c()));
        }
      } catch (e) {
        if (e instanceof CliConfigError) throw new UsageError(e.message);
        if (e instanceof ExplainArgumentError) throw new UsageError(`${e.message} (hint: ${e.hint})`);
        throw e;
      }
    });
}
