/**
 * The per-policy limits every headroom check uses (usecases/capacity.ts `capacitiesFor`, over `limitsFor`): one read
 * per policy, the regional ones for their region, and a failed read falling back to the policy file with a note that
 * says why, even when the error carries no message.
 */
import { DEFAULT_POLICY } from '../../../shared/core/policy';
import type { LimitsReader } from '../../../shared/ports/limits';
import { capacitiesFor } from '../../../shared/usecases/capacity';

const file = DEFAULT_POLICY.capacity;
const refs = [{ name: 'fw' }, { name: 'fw-us-east4', region: 'us-east4' }, { name: 'fw' }];

test('each policy is read once, for its own scope and region', async () => {
  const asked: string[] = [];
  const reader: LimitsReader = {
    read: async (scope, region) => {
      asked.push(`${scope}:${region ?? '-'}`);
      return scope === 'regional' ? { fqdnsPerPolicy: 50 } : { attributesPerPolicy: 9000 };
    },
  };
  const r = await capacitiesFor(reader, file, refs);
  expect(asked).toEqual(['global:-', 'regional:us-east4']);
  expect(r.capacities.get('global/fw')).toEqual({ ...file, attributesPerPolicy: 9000 });
  expect(r.capacities.get('regions/us-east4/fw-us-east4')).toEqual({ ...file, fqdnsPerPolicy: 50 });
  expect(r.notes).toEqual([]);
});

test('a failed read falls back to the policy file, said once, naming an HTTP status when the error has no message', async () => {
  const bare = Object.assign(new Error(''), { status: 404 });
  const r = await capacitiesFor({ read: () => Promise.reject(bare) }, file, refs);
  expect([...r.capacities.values()]).toEqual([file, file]);
  expect(r.notes).toEqual(['quotas API not read (HTTP 404, no message): limits from the policy file']);
  const none = await capacitiesFor(undefined, file, refs);
  expect(none.notes).toEqual([]);
  expect(none.capacities.get('global/fw')).toEqual(file);
});
