/**
 * The warm-ups the package step records the code cache from (shared/runtime/warmUp): the real compositions and use
 * cases on in-memory ports. Each throws unless its function did its job, and none may reach the network.
 */
import { warmUpApplier } from '../../../shared/runtime/warmUp/applier';
import { warmUpValidator } from '../../../shared/runtime/warmUp/validator';

const realFetch = globalThis.fetch;
let fetched: string[] = [];
beforeEach(() => {
  fetched = [];
  globalThis.fetch = (async (input: string | URL | Request) => {
    fetched.push(String(input));
    throw new Error('the warm-up must not call the network');
  }) as typeof fetch;
});
afterEach(() => {
  globalThis.fetch = realFetch;
});

test('the validator warm-up publishes the example change, without a request', async () => {
  await expect(warmUpValidator()).resolves.toBeUndefined();
  expect(fetched).toEqual([]);
});

test('the applier warm-up applies the example change to its in-memory policy, without a request', async () => {
  await expect(warmUpApplier()).resolves.toBeUndefined();
  expect(fetched).toEqual([]);
});
