/**
 * `egress mcp [--manifests DIR | --bucket gs://…] [--state FILE | --live] [--dns FILE] [--logging-endpoint URL]`:
 * serves the MCP tools (cli/mcp/server.ts) over stdio until the client closes the input. stdout carries the protocol
 * only; diagnostics go to stderr. Read-only: no tool writes anything. Exit codes: 0 closed, 1 error, 2 usage.
 */
import type { Command } from 'commander';
import { readConfig } from '../../runtime/config';
import { checkSourceFlags, type SourceFlags } from '../../runtime/sources';
import { asUsageError } from '../errors';
import { EXIT_OK } from '../exit';
import { addComputeEndpointOption, addStorageEndpointOption } from '../options';
import { packageVersion } from '../version';

/** Registers `mcp` on the program. */
export function register(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('mcp')
    .description('Serve the diagnosis tools to an AI assistant over MCP (stdio); read-only')
    .option('--manifests <dir>', 'read manifests from this directory (default: ./manifests if it exists)')
    .option('--bucket <url>', 'read manifests from the bucket gs://BUCKET/PREFIX (default EGRESS_MANIFEST_BUCKET)')
    .option(
      '--state <file>',
      'read the firewall from a fake-Compute state file (default EGRESS_STATE_FILE unless --live)',
    )
    .option('--live', 'read the live firewall policy (Application Default Credentials)')
    .option(
      '--dns <file>',
      "the local DNS table: the firewall resolver's view (default EGRESS_DNS_TABLE, else dns.json beside --state)",
    )
    .option('--logging-endpoint <url>', 'the fake Cloud Logging (default EGRESS_LOGGING_ENDPOINT, else Google)')
    .option(
      '--network <name>',
      'the Shared VPC network (default EGRESS_NETWORK, else the target mode network, else shared-vpc)',
    )
    .option('--policy <file>', 'platform policy file (default EGRESS_POLICY_FILE)')
    .option('--host-project <project>', 'Shared VPC host project (default EGRESS_HOST_PROJECT / policy file)')
    .option(
      '--firewall-policy <name>',
      'global network firewall policy (default EGRESS_FIREWALL_POLICY / policy file)',
    );
  addStorageEndpointOption(addComputeEndpointOption(cmd))
    .addHelpText(
      'after',
      '\nTools: get_project_egress, explain_egress, list_denied_connections, check_drift, draft_egress_change.\n' +
        'Example (an assistant starts it): egress mcp --manifests manifests --state .local/compute.json\n' +
        'Registration: README "Use with an AI assistant".',
    )
    .action(async (flags: SourceFlags) => {
      const cfg = readConfig();
      try {
        checkSourceFlags(flags);
        // Required here: the SDK is loaded only by this command.
        const { StdioServerTransport } =
          require('@modelcontextprotocol/sdk/server/stdio.js') as typeof import('@modelcontextprotocol/sdk/server/stdio.js');
        const { createEgressMcpServer, serveMcp } = require('../mcp/server') as typeof import('../mcp/server');
        const server = createEgressMcpServer({ flags, cfg, version: packageVersion() });
        const closed = new Promise<void>((resolve) => {
          server.server.onclose = resolve;
        });
        await serveMcp(server, new StdioServerTransport());
        process.stdin.once('end', () => void server.close());
        await closed;
        setExit(EXIT_OK);
      } catch (e) {
        throw asUsageError(e) ?? e;
      }
    });
}
