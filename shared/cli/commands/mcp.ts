/**
 * `egress mcp [--manifests DIR | --bucket gs://…] [--state FILE | --live] [--dns FILE] [--logging-endpoint URL]`:
 * serves the MCP tools (cli/mcp/server.ts) over stdio until the client closes the input. stdout carries the protocol
 * only; diagnostics go to stderr. Read-only: no tool writes anything. Exit codes: 0 closed, 1 error, 2 usage.
 */
import type { Command } from 'commander';
import { commandContext } from '../../runtime/context';
import { checkSourceFlags, type SourceFlags } from '../../runtime/sources';
import { asUsageError } from '../errors';
import { EXIT_OK } from '../exit';
import { addComputeEndpointOption, addStorageEndpointOption, tableOption } from '../options';
import { packageVersion } from '../version';

/** Registers `mcp` on the program. */
export function register(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('mcp')
    .description('Serve the diagnosis tools to an AI assistant over MCP (stdio); read-only')
    .addOption(tableOption('manifests'))
    .addOption(tableOption('manifestBucket'))
    .addOption(tableOption('stateFile'))
    .addOption(tableOption('live'))
    .addOption(tableOption('dnsTable'))
    .addOption(tableOption('loggingEndpoint'))
    .addOption(tableOption('network'))
    .addOption(tableOption('policyFile'))
    .addOption(tableOption('hostProject'))
    .addOption(tableOption('firewallPolicy'));
  addStorageEndpointOption(addComputeEndpointOption(cmd))
    .addHelpText(
      'after',
      '\nTools: get_project_egress, explain_egress, list_denied_connections, check_drift, draft_egress_change.\n' +
        'Example (an assistant starts it): egress mcp --manifests manifests --state .local/compute.json\n' +
        'Registration: README "Use with an AI assistant".',
    )
    .action(async (flags: SourceFlags) => {
      // The invocation's context: the environment read once; every tool reads through it.
      const ctx = commandContext(flags);
      try {
        checkSourceFlags(ctx.flags);
        // Required here: the SDK is loaded only by this command.
        const { StdioServerTransport } =
          require('@modelcontextprotocol/sdk/server/stdio.js') as typeof import('@modelcontextprotocol/sdk/server/stdio.js');
        const { createEgressMcpServer, serveMcp } = require('../mcp/server') as typeof import('../mcp/server');
        const server = createEgressMcpServer({ ctx, version: packageVersion() });
        const closed = new Promise<void>((resolve) => {
          server.server.onclose = resolve;
        });
        await serveMcp(server, new StdioServerTransport());
        process.stdin.once('end', () => void server.close());
        await closed;
        setExit(EXIT_OK);
      } catch (e) {
        throw asUsageError(e) ?? e;
      } finally {
        await ctx.close();
      }
    });
}
