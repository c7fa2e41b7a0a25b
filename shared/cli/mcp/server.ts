/**
 * `egress mcp`: the MCP server (official SDK, @modelcontextprotocol/sdk) that gives an AI assistant the diagnosis
 * commands as tools. Read-only: no tool writes a manifest, publishes an event or touches the firewall
 * (`draft_egress_change` returns a diff and a pull-request text). Each tool calls the same composition and use case as
 * its command (runtime/sources.ts), answers with structured content (its outputSchema) plus the CLI's text and the
 * JSON as text blocks, and reports a failure as a tool error (`isError`) in the CLI's words (cli/errors.ts).
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult, JSONRPCMessage, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { renderDriftText } from '../../core/drift';
import { driftFor } from '../../runtime/agreementSources';
import type { CommandContext } from '../../runtime/context';
import { denialsFor, draftFor, explainFor, parseSince, projectEgressFor } from '../../runtime/sources';
import { renderDenialsText } from '../../usecases/denials';
import { renderExplainAnswer } from '../../usecases/explain';
import { errorText } from '../errors';
import * as S from './schemas';

/**
 * What the server reads: the command context of `egress mcp` (its source flags, the same as explain's and denials',
 * the environment read once, the policy, the clients); every tool reads through it. The caller closes it.
 */
export interface EgressMcpOptions {
  ctx: CommandContext;
  version: string;
}

/** Every tool reads only; none changes anything, so calling one again has no further effect. */
const READ_ONLY: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true };

function answer(value: object, text: string): CallToolResult {
  return {
    content: [
      { type: 'text', text },
      { type: 'text', text: JSON.stringify(value, null, 2) },
    ],
    structuredContent: value as Record<string, unknown>,
  };
}

async function guarded(fn: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await fn();
  } catch (e) {
    return { isError: true, content: [{ type: 'text', text: errorText(e) }] };
  }
}

/** Builds the server with its five tools (connect it to a transport: stdio for `egress mcp`, in-memory in tests). */
export function createEgressMcpServer(opts: EgressMcpOptions): McpServer {
  const { ctx } = opts;
  const server = new McpServer(
    { name: 'infrastream-egress', version: opts.version },
    {
      instructions:
        'Egress allow-lists of Shared VPC projects. For "my application times out calling X": explain_egress, then ' +
        'list_denied_connections (the classification says whether a manifest line helps), then draft_egress_change. ' +
        'Nothing here writes: a drafted change goes through a pull request.',
    },
  );

  server.registerTool(
    'get_project_egress',
    {
      title: 'Project egress',
      description:
        "The project's manifest entries (allowedEgress) and the live firewall rules the product owns for it.",
      inputSchema: { project: S.project },
      outputSchema: S.projectEgressOut,
      annotations: { ...READ_ONLY, openWorldHint: false },
    },
    ({ project }) =>
      guarded(async () => {
        const r = await projectEgressFor(project, ctx);
        const entries = r.manifest.entries.map((e) => `  - ${e.value}${e.description ? `  # ${e.description}` : ''}`);
        const rules = r.firewall.rules.map(
          (x) => `  ${x.priority} ${x.ruleName} ${x.action} ${x.destinations.join(', ')}`,
        );
        const text = [
          `${r.project}: ${r.manifest.found ? `${r.manifest.path} (${r.manifest.valid ? 'valid' : 'invalid'})` : `no manifest (${r.manifest.path})`}`,
          ...entries,
          r.firewall.consulted
            ? `owned rules (${r.firewall.source}):`
            : 'firewall not consulted (start with --state or --live)',
          ...rules,
        ].join('\n');
        return answer(r, `${text}\n`);
      }),
  );

  server.registerTool(
    'explain_egress',
    {
      title: 'Explain egress',
      description:
        'May the project reach the destination (hostname, address, URL)? By which entry and rule; if not, the exact ' +
        'manifest line to add. With evidence: the matching denied connections from the firewall logs.',
      inputSchema: { project: S.project, destination: S.destination, evidence: S.evidence, since: S.since.optional() },
      outputSchema: S.explainOut,
      annotations: { ...READ_ONLY, openWorldHint: false },
    },
    ({ project, destination, evidence, since }) =>
      guarded(async () => {
        const r = await explainFor(
          project,
          destination,
          evidence ? { evidenceSinceMs: parseSince(since ?? '1h') } : {},
          ctx,
        );
        return answer(r, renderExplainAnswer(r));
      }),
  );

  server.registerTool(
    'list_denied_connections',
    {
      title: 'Denied connections',
      description:
        "The project's denied connections from the Cloud NGFW firewall logs, grouped by destination, named by the DNS " +
        'query logs and classified by the network model: NOT_LISTED (with the line to add), LISTED_DNS_MISMATCH (why), ' +
        'LISTED_NOT_APPLIED, SOURCE_NOT_COVERED (the workload is outside the project), DENIED_BEFORE_POLICY / ' +
        'ALLOWED_BEFORE_POLICY (a hierarchical or VPC rule decided first), DENIED_ELSEWHERE, INTERNAL. `available` says ' +
        'what evidence there was (log reads refused, deny rules that do not log, DNS query logging, Cloud Run Direct ' +
        'VPC egress): no group means nothing was logged, not that nothing was denied.',
      inputSchema: { project: S.project, since: S.since, destination: S.destination.optional() },
      outputSchema: S.denialsOut,
      annotations: { ...READ_ONLY, openWorldHint: true },
    },
    ({ project, since, destination }) =>
      guarded(async () => {
        const r = await denialsFor(
          project,
          { sinceMs: parseSince(since), ...(destination ? { destination } : {}) },
          ctx,
        );
        return answer(r, renderDenialsText(r));
      }),
  );

  server.registerTool(
    'check_drift',
    {
      title: 'Check drift',
      description:
        'Compare the owned firewall rules with the manifests by content (all projects, or one): the same answer as ' +
        '`egress drift --format json` over the same sources. An unknown project is an error. Reports only: never repairs.',
      inputSchema: { project: S.project.optional() },
      outputSchema: S.driftOut,
      annotations: { ...READ_ONLY, openWorldHint: false },
    },
    ({ project }) =>
      guarded(async () => {
        const run = await driftFor(ctx, project);
        return answer(run, renderDriftText(run.report));
      }),
  );

  server.registerTool(
    'draft_egress_change',
    {
      title: 'Draft an egress change',
      description:
        'The manifest diff and a pull-request text that would let the project reach the destination, validated by ' +
        "the pipeline's validator. Writes nothing and applies nothing; refuses what the validator refuses.",
      inputSchema: { project: S.project, destination: S.destination, reason: S.reason },
      outputSchema: S.draftOut,
      annotations: { ...READ_ONLY, openWorldHint: false },
    },
    ({ project, destination, reason }) =>
      guarded(async () => {
        const r = await draftFor({ project, destination, reason }, ctx);
        const text =
          r.status === 'drafted'
            ? `${r.pullRequest!.title}\n\n${r.diff}`
            : `${r.project} already lists ${r.destination}: nothing to change\n${r.notes.join('\n')}\n`;
        return answer(r, text);
      }),
  );
  return server;
}

/**
 * JSON-RPC 2.0 (section 5.1) answers a message it cannot read with an error whose id is null: -32700 Parse error
 * when the line is not JSON, -32600 Invalid Request when the JSON is not a JSON-RPC message. The SDK's stdio transport
 * only reports such a line to `onerror` and drops it; this answers it, and the server keeps serving.
 */
function unreadableMessageError(err: Error): JSONRPCMessage | undefined {
  const error =
    err instanceof SyntaxError
      ? { code: -32700, message: 'Parse error: the line is not JSON' }
      : err.name === 'ZodError'
        ? { code: -32600, message: 'Invalid Request: the JSON is not a JSON-RPC 2.0 message' }
        : undefined;
  // id null is what the specification requires here; the SDK's message type has no null id.
  return error ? ({ jsonrpc: '2.0', id: null, error } as unknown as JSONRPCMessage) : undefined;
}

/** Connects the server to `transport` (stdio for `egress mcp`) and answers unreadable lines as JSON-RPC errors. */
export async function serveMcp(server: McpServer, transport: Transport): Promise<void> {
  await server.connect(transport);
  const sdkOnError = transport.onerror;
  transport.onerror = (err) => {
    const reply = unreadableMessageError(err);
    if (reply) void transport.send(reply).catch(() => undefined);
    sdkOnError?.(err);
  };
}
