/**
 * `egress mcp` over stdio answers a line it cannot read as JSON-RPC 2.0 requires (section 5.1: error with id null,
 * -32700 Parse error for a line that is not JSON, -32600 Invalid Request for JSON that is not a message) and keeps
 * serving: the next request is answered. The SDK's transport alone dropped such a line without a word.
 */
import { PassThrough } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createEgressMcpServer, serveMcp } from '../../../shared/cli/mcp/server';
import { commandContext } from '../../../shared/runtime/context';
import { diagnoseFixture } from '../../support/diagnoseFixture';
import { eventually } from '../../support/eventually';

const { dir, state } = diagnoseFixture();

test('a line that is not JSON gets -32700 with id null; invalid JSON-RPC gets -32600; the server keeps serving', async () => {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (b: Buffer) => {
    out += b.toString();
  });
  const server = createEgressMcpServer({
    ctx: commandContext({ manifests: dir, state }, {}),
    version: '0.0.0-test',
  });
  await serveMcp(server, new StdioServerTransport(stdin, stdout));
  const replies = () =>
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id: unknown; error?: { code: number; message: string }; result?: unknown });

  stdin.write('this is not json\n');
  stdin.write('{"hello": "world"}\n');
  stdin.write(
    `${JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    })}\n`,
  );
  await eventually('three replies', () => replies().length >= 3);
  const [parse, invalid, init] = replies();
  expect(parse).toEqual({
    jsonrpc: '2.0',
    id: null,
    error: { code: -32700, message: expect.stringMatching(/^Parse error/) },
  });
  expect(invalid).toEqual({
    jsonrpc: '2.0',
    id: null,
    error: { code: -32600, message: expect.stringMatching(/^Invalid Request/) },
  });
  expect(init).toMatchObject({ id: 1, result: { serverInfo: { name: 'infrastream-egress' } } });
  await server.close();
});
