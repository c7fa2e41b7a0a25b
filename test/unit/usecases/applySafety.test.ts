/**
 * Safety of the write path, by property (issue 17): over random policies (the project's rules, other projects' rules,
 * unmanaged rules, the default goto_next rules) and random changes,
 * - every patch the applier sends keeps every rule the project does not own byte-for-byte, at its priority;
 * - a crash at any point (before or after any call takes effect, a concurrent writer's race included) leaves the
 *   policy with the old rule set or the new one, never a mix; and the redelivery converges to the new one.
 */
import fc from 'fast-check';
import { compileProject, ownedRules } from '../../../shared/core/firewall';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import type { EgressEntry } from '../../../shared/core/manifest/types';
import { type PolicySnapshot, singlePolicy } from '../../../shared/ports/firewall';
import { applyChange } from '../../../shared/usecases/applyChange';
import { testPolicy } from '../firewall/testPolicy';
import { change, harness, MemoryFirewall, pg } from './applyHarness';

const policy = testPolicy({ maxFqdnsPerRule: 2, maxRangesPerRule: 2 });
const host = (i: number): EgressEntry => ({ value: `h${i}.example.com`, type: 'hostname' });
const range = (i: number): EgressEntry => ({ value: `34.${i}.0.0/24`, type: 'cidr' });
const manifest = fc.uniqueArray(
  fc.oneof(fc.integer({ min: 0, max: 9 }).map(host), fc.integer({ min: 0, max: 9 }).map(range)),
  { maxLength: 7, selector: (e) => e.value },
);

/** Google's default rules of every network firewall policy (they must stay in every patch). */
const DEFAULTS: ObservedRule[] = [2147483644, 2147483645, 2147483646, 2147483647].map((priority, i) => ({
  priority,
  ruleName: '',
  description: 'default egress/ingress rule',
  direction: 'EGRESS',
  action: 'goto_next' as 'allow',
  enableLogging: false,
  match: { destIpRanges: [i % 2 ? '::/0' : '0.0.0.0/0'], layer4Configs: [{ ipProtocol: 'all' }] },
}));

/** An unmanaged rule (a person's, or terraform's), some with a marker-like description that is not ours. */
const unmanaged = fc
  .record({
    priority: fc.integer({ min: 900, max: 2100 }),
    name: fc.constantFrom('allow-dns', 'corp-proxy', 'deny-bad'),
    description: fc.constantFrom('', 'baseline (terraform)', 'managed-by=terraform project=payment-gateway'),
    disabled: fc.boolean(),
    logging: fc.boolean(),
  })
  .map(
    (r): ObservedRule => ({
      priority: r.priority,
      ruleName: r.name,
      description: r.description,
      direction: 'EGRESS',
      action: r.name === 'deny-bad' ? 'deny' : 'allow',
      enableLogging: r.logging,
      ...(r.disabled ? { disabled: true } : {}),
      match: { destIpRanges: ['8.8.8.8/32'], layer4Configs: [{ ipProtocol: 'udp', ports: ['53'] }] },
    }),
  );

/** A policy: the project's rules at generation 5 (maybe none), another project's, unmanaged ones, the defaults. */
const seeded = fc
  .record({ mine: fc.option(manifest, { nil: undefined }), theirs: manifest, foreign: fc.array(unmanaged) })
  .map(({ mine, theirs, foreign }) => {
    const rules = new Map<number, ObservedRule>();
    for (const r of DEFAULTS) rules.set(r.priority, r);
    for (const r of foreign) if (!rules.has(r.priority)) rules.set(r.priority, r);
    let next = 1000;
    const place = (compiled: ReturnType<typeof compileProject>) => {
      for (const { coverage: _, ...r } of compiled) {
        while (rules.has(next)) next++;
        rules.set(next, { ...r, priority: next });
      }
    };
    const other = { name: 'ledger', environment: 'production' };
    if (theirs.length) place(compileProject(other, theirs, { policy, generation: '3' }));
    if (mine?.length) place(compileProject(pg, mine, { policy, generation: '5' }));
    return [...rules.values()].sort((a, b) => a.priority - b.priority);
  });

/** The change: a newer manifest (possibly empty: a revocation) or a delete. */
const changes = fc.oneof(
  manifest.map((es) => change('7', es)),
  fc.constant(change('7', [], 'delete')),
);

const notMine = (rules: readonly ObservedRule[]) =>
  rules.filter((r) => !ownedRules([r], pg.name).length).map((r) => JSON.stringify(r));
const asSet = (rules: readonly ObservedRule[]) => rules.map((r) => JSON.stringify(r)).sort();

/** A policy that crashes the applier at call `at` (before the call, or after it took effect), with a racing writer. */
class CrashingFirewall extends MemoryFirewall {
  calls_ = 0;
  constructor(
    seed: ObservedRule[],
    readonly at: number,
    readonly afterEffect: boolean,
    readonly raceAt: number,
  ) {
    super(seed);
  }
  private tick(): boolean {
    return this.calls_++ === this.at;
  }
  override async getPolicy(): Promise<PolicySnapshot> {
    if (this.calls_ === this.raceAt) {
      // another writer's rule lands between our read and our patch: the fingerprint moves
      const snap = await super.getPolicy();
      this.rules.set(2_000_000, { ...DEFAULTS[0]!, priority: 2_000_000, ruleName: 'racer', action: 'allow' });
      this.version++;
      if (this.tick()) throw new Error('crash');
      return snap;
    }
    if (this.tick() && !this.afterEffect) throw new Error('crash');
    return super.getPolicy();
  }
  override async patchPolicy(rules: readonly ObservedRule[], fingerprint: string | undefined, requestId: string) {
    const crash = this.tick();
    if (crash && !this.afterEffect) throw new Error('crash');
    await super.patchPolicy(rules, fingerprint, requestId);
    if (crash) throw new Error('crash');
  }
}

describe('the write path keeps what it does not own, and is all-or-nothing', () => {
  it('every patch keeps every rule the project does not own, byte-for-byte', async () => {
    await fc.assert(
      fc.asyncProperty(seeded, changes, async (seed, ev) => {
        const h = harness(seed);
        h.deps.policy = policy;
        await applyChange(h.deps, ev);
        const kept = notMine(seed);
        for (const sent of h.firewall.sent) {
          const others = notMine(sent);
          // exactly the rules read, none dropped, none altered, none added
          expect(others).toEqual(kept);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('a crash at any point leaves the old rule set or the new one, never a mix; the redelivery converges', async () => {
    const point = fc.record({ at: fc.nat(6), afterEffect: fc.boolean(), raceAt: fc.integer({ min: -1, max: 3 }) });
    await fc.assert(
      fc.asyncProperty(seeded, changes, point, async (seed, ev, p) => {
        // the new rule set: the same change applied without a crash (and the same race)
        const clean = harness([]);
        clean.deps.policy = policy;
        const cleanFw = new CrashingFirewall(seed, -1, false, p.raceAt);
        clean.deps.policies = singlePolicy(cleanFw);
        await applyChange(clean.deps, ev);
        const after = asSet(cleanFw.list());
        const before = asSet(seed);

        const h = harness([]);
        h.deps.policy = policy;
        const fw = new CrashingFirewall(seed, p.at, p.afterEffect, p.raceAt);
        h.deps.policies = singlePolicy(fw);
        const crashed = await applyChange(h.deps, ev).then(
          () => false,
          (err: Error) => err.message === 'crash',
        );
        const mid = asSet(fw.list());
        const racer = (s: string[]) => s.filter((r) => !r.includes('"racer"'));
        // the racing writer's rule is not ours to judge: compare the rest
        expect([racer(before), racer(after)]).toContainEqual(racer(mid));
        if (crashed) {
          // the redelivery (same event) finishes the job
          const redelivered = harness([]);
          redelivered.deps.policy = policy;
          redelivered.deps.policies = singlePolicy(fw);
          fw.calls_ = -1000;
          await applyChange(redelivered.deps, ev);
          expect(racer(asSet(fw.list()))).toEqual(racer(after));
        }
      }),
      { numRuns: 150 },
    );
  });
});
