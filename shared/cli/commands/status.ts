/**
 * `egress status PROJECT [--format json]`: the live rules of one project, the generation they record, their agreement
 * with the project's manifest (folder or bucket) and the last status event (shared/usecases/status.ts).
 */
import { type Command, Option } from 'commander';
import { checkProjectKey } from '../../core/explain';
import { liveRules, pullerFor, resolvePolicy, stateFileRules } from '../../runtime/cliClients';
import { readConfig } from '../../runtime/config';
import { manifestSource, type SourceFlags, withCliDefaults } from '../../runtime/sources';
import { projectStatus, renderStatusText } from '../../usecases/status';
import { asUsageError } from '../errors';
import { EXIT_OK } from '../exit';
import { addComputeEndpointOption, addStorageEndpointOption } from '../options';

interface StatusFlags extends SourceFlags {
  statusSubscription?: string;
  format: 'text' | 'json';
}

/** Registers `status` on the program. */
export function register(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('status')
    .description("One project's live rules, the generation they record, agreement with its manifest, last status event")
    .argument('<project>', 'the project key (metadata.name)')
    .option(
      '--manifests <dir>',
      'read the manifest from this directory (default: ./manifests if it exists and no bucket is named)',
    )
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
    .action(async (project: string, given: StatusFlags) => {
      const cfg = readConfig();
      try {
        checkProjectKey(project);
        // The same source decision as explain and denials (runtime/sources.ts), with npm start's cli.env defaults.
        const flags = withCliDefaults(given, cfg);
        const policy = resolvePolicy(flags, cfg);
        const source = manifestSource(flags, cfg)!;
        const closers: (() => Promise<void>)[] = [];
        try {
          let firewall: { source: string; rules: import('../../core/firewall/types').ObservedRule[] };
          let hostProject: string | undefined;
          if (flags.state) {
            const s = stateFileRules(flags.state, flags, policy, cfg);
            firewall = s;
            hostProject = s.hostProject;
          } else {
            const fw = await liveRules(flags, policy, cfg);
            hostProject = fw.hostProject;
            firewall = { source: fw.source, rules: fw.rules };
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
        throw asUsageError(e) ?? e;
      }
    });
}
