/**
 * The bench sections at their smoke sizes (`npm run bench -- --smoke`, run by CI after `npm test`): each completes
 * and reports the figures it exists for. On main the plan section failed (target mode subnets needs subnets).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchCapacity } from '../../../bench/capacity';
import { benchPlan } from '../../../bench/plan';
import { benchValidate } from '../../../bench/validate';

jest.setTimeout(60_000);

test('plan: the synthetic projects compile under target mode subnets; a redelivery writes nothing', async () => {
  const lines = await benchPlan(100);
  expect(lines[0]).toMatch(/^plan: 100 projects × 12 entries = \d+ rules/);
  expect(lines).toContainEqual(expect.stringMatching(/nothing changed: .*0 writes planned/));
  expect(lines).toContainEqual(expect.stringMatching(/^apply: no-op event: 1 read, 0 writes/));
  expect(lines).toContainEqual(expect.stringMatching(/^apply: one-entry change .*1 write \(1 rule updated/));
});

test('capacity and validate run at smoke size', async () => {
  expect((await benchCapacity(200))[0]).toMatch(/^capacity: fleet of 200 projects/);
  expect((await benchValidate(20))[0]).toMatch(/^validate: \d+ manifests\/s/);
});

test('CI runs a smoke of every bench section after npm test', () => {
  const ci = readFileSync(join(__dirname, '../../../.ci/run'), 'utf8').split('\n');
  const test = ci.indexOf('npm test');
  expect(test).toBeGreaterThan(-1);
  expect(ci.indexOf('npm run bench -- --smoke')).toBeGreaterThan(test);
});
