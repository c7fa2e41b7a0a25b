/**
 * Write order of an apply: a value that moves between chunk rules (a chunk boundary shifted) must be added to its new
 * rule before it is removed from its old one, so no state between two writes, where a crash may leave the firewall
 * until the redelivery, allows less than what the old and the new manifest both allow.
 */
import fc from 'fast-check';
import { compileProject, orderUpdates } from '../../../shared/core/firewall';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import type { EgressEntry } from '../../../shared/core/manifest/types';
import { applyChange, RetryLaterError } from '../../../shared/usecases/applyChange';
import { testPolicy } from '../firewall/testPolicy';
import { change, harness, pg, unavailable } from './applyHarness';

const policy = testPolicy({ maxFqdnsPerRule: 3, maxRangesPerRule: 2 });
const host = (i: number): EgressEntry => ({ value: `h${String(i).padStart(2, '0')}.example.com`, type: 'hostname' });
const range = (i: number): EgressEntry => ({ value: `34.${i}.0.0/24`, type: 'cidr' });
const allowed = (rules: Iterable<ObservedRule>): Set<string> =>
  new Set(
    [...rules]
      .filter((r) => r.action === 'allow' && !r.disabled)
      .flatMap((r) => [...(r.match.destFqdns ?? []), ...(r.match.destIpRanges ?? [])]),
  );
const applied = (gen: string, es: EgressEntry[]): ObservedRule[] =>
  compileProject(pg, es, { policy, generation: gen }).map((r, i) => ({ ...r, priority: 1000 + i }));

/** Applies `next` over `prev` and returns the allowed values seen before every write and at the end. */
async function states(prev: EgressEntry[], next: EgressEntry[]): Promise<Set<string>[]> {
  const h = harness(applied('1', prev));
  h.deps.policy = policy;
  const seen: Set<string>[] = [];
  h.firewall.before = (c) => {
    if (c.method !== 'get') seen.push(allowed(h.firewall.rules.values()));
  };
  await applyChange(h.deps, change('2', next));
  seen.push(allowed(h.firewall.rules.values()));
  return seen;
}

const both = (a: EgressEntry[], b: EgressEntry[]): string[] =>
  a.map((e) => e.value).filter((v) => b.some((e) => e.value === v));

describe('write order of an apply', () => {
  it('adds a host that moves to the next chunk before removing it from its old chunk', async () => {
    // h01..h07 in chunks [h01 h02 h03] [h04 h05 h06] [h07]; adding h00 shifts h03 and h06 one chunk on.
    const prev = [1, 2, 3, 4, 5, 6, 7].map(host);
    const next = [host(0), ...prev];
    for (const s of await states(prev, next))
      for (const v of both(prev, next)) expect([v, s.has(v)]).toEqual([v, true]);
  });

  it('adds a host that moves to the previous chunk before removing it (an entry removed in front)', async () => {
    const prev = [1, 2, 3, 4, 5, 6, 7].map(host);
    const next = prev.slice(1);
    for (const s of await states(prev, next))
      for (const v of both(prev, next)) expect([v, s.has(v)]).toEqual([v, true]);
  });

  it('a crash after any number of writes leaves every entry of both manifests allowed; the redelivery finishes', async () => {
    const prev = [2, 4, 6, 8, 10, 12, 14].map(host);
    const next = [host(1), host(3), ...prev, host(15)];
    for (let k = 0; k < 4; k++) {
      const h = harness(applied('1', prev));
      h.deps.policy = policy;
      h.deps.retry = { random: () => 0.5, attempts: 1 };
      let writes = 0;
      h.firewall.before = (c) => {
        if (c.method !== 'get' && writes++ >= k) throw unavailable();
      };
      await expect(applyChange(h.deps, change('2', next))).rejects.toBeInstanceOf(RetryLaterError);
      const mid = allowed(h.firewall.rules.values());
      for (const v of both(prev, next)) expect([k, v, mid.has(v)]).toEqual([k, v, true]);
      h.firewall.before = () => undefined;
      await applyChange(h.deps, change('2', next));
      expect(allowed(h.firewall.rules.values())).toEqual(new Set(next.map((e) => e.value)));
    }
  });

  it('keeps the intersection allowed between any two writes (hosts and ranges, any change)', async () => {
    const entry = fc.oneof(fc.integer({ min: 0, max: 15 }).map(host), fc.integer({ min: 0, max: 9 }).map(range));
    const manifest = fc.uniqueArray(entry, { minLength: 1, maxLength: 14, selector: (e) => e.value });
    await fc.assert(
      fc.asyncProperty(manifest, manifest, async (prev, next) => {
        const common = both(prev, next);
        for (const s of await states(prev, next)) for (const v of common) if (!s.has(v)) return false;
        return true;
      }),
    );
  });

  it('orders a removal after the update that adds a range covering it', () => {
    const old1: ObservedRule = { ...applied('1', [range(1)])[0]!, ruleName: 'a' };
    const old2: ObservedRule = { ...old1, ruleName: 'b', priority: 1001, match: { ...old1.match, destIpRanges: [] } };
    const narrowGone = { old: old1, new: { ...old1, match: { ...old1.match, destIpRanges: ['35.0.0.0/24'] } } };
    const broadAdded = { old: old2, new: { ...old2, match: { ...old2.match, destIpRanges: ['34.1.0.0/16'] } } };
    expect(orderUpdates([narrowGone, broadAdded]).map((u) => u.old.ruleName)).toEqual(['b', 'a']);
  });
});
