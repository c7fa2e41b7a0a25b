/**
 * A restart of the local stack on the same state dir writes NOTHING for unchanged projects. The cause on main: the
 * fake bucket lived in memory, so every start re-uploaded every manifest, each upload was a new generation, and the
 * applier re-stamped one rule per project with it. The bucket now persists beside the firewall (gcs-state.json), so
 * an unchanged file is not uploaded again: no event, no write (the fake Compute's write counter says 0).
 * Also: the stack seeds dns.json and starts the fake Cloud Logging with its state in logging.json.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syncAndWait } from '../../local/program/converge';
import { converged } from '../../local/program/render';
import { type LocalStack, startLocalStack } from '../../local/program/stack';
import { DEFAULT_DNS_TABLE } from '../../shared/core/diagnose/dns';

jest.setTimeout(90_000);

const EXAMPLES = join(__dirname, '../../examples/manifests');
let stateDir: string;
let stack: LocalStack | undefined;

beforeAll(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'egress-restart-'));
});
afterAll(async () => {
  await stack?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

const start = () => startLocalStack({ mode: 'in-process', suffix: `restart-${process.pid}`, stateDir });

test('the second start on the same state uploads nothing and writes no rule', async () => {
  stack = await start();
  const first = await syncAndWait(stack, EXAMPLES, 30_000);
  expect(first.outcomes.length).toBeGreaterThan(0);
  expect(first.outcomes.every(converged)).toBe(true);
  expect(stack.engine.counters().writes).toBeGreaterThan(0);
  const rulesBefore = stack.allRules();
  await stack.stop();

  stack = await start();
  stack.engine.resetCounters();
  const second = await syncAndWait(stack, EXAMPLES, 30_000);
  expect(second.report.summary).toMatchObject({ uploaded: 0, deleted: 0, unchanged: first.report.items.length });
  expect(second.outcomes).toEqual([]);
  expect(stack.engine.counters().writes).toBe(0);
  expect(stack.allRules()).toEqual(rulesBefore);
});

test('the state dir holds the seeded DNS table and the fake Cloud Logging’s entries', async () => {
  expect(stack?.files).toEqual({
    state: join(stateDir, 'compute.json'),
    dns: join(stateDir, 'dns.json'),
    logging: join(stateDir, 'logging.json'),
  });
  expect(JSON.parse(readFileSync(join(stateDir, 'dns.json'), 'utf8'))).toEqual({
    version: 1,
    names: DEFAULT_DNS_TABLE,
  });
  const res = await fetch(`${stack!.logging.url}/v2/entries:write`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      entries: [{ logName: 'projects/h/logs/test', resource: { type: 'global' }, jsonPayload: { a: 1 } }],
    }),
  });
  expect(res.status).toBe(200);
  expect(existsSync(join(stateDir, 'logging.json'))).toBe(true);
  expect(stack!.env.EGRESS_LOGGING_ENDPOINT).toBe(stack!.logging.url);
});
