/** The one ownership registry (marker.ts): another tool's `managed-by` is no marker at all, for every helper. */
import {
  formatMarker,
  groupOwnedRules,
  isTombstone,
  ownedRules,
  parseMarker,
  recentRevocations,
} from '../../../shared/core/firewall';
import type { ObservedRule } from '../../../shared/core/firewall/types';

const rule = (description: string, priority: number): ObservedRule => ({
  priority,
  ruleName: `r${priority}`,
  description,
  direction: 'EGRESS',
  action: 'allow',
  enableLogging: false,
  match: { destIpRanges: ['203.0.113.0/24'], layer4Configs: [{ ipProtocol: 'all' }] },
});

test("only this product's managed-by makes a marker", () => {
  const ours = formatMarker({ managedBy: 'infrastream-egress', project: 'payments', generation: '4', hash: 'ab' });
  expect(parseMarker(ours)).toMatchObject({ managedBy: 'infrastream-egress', project: 'payments' });
  expect(parseMarker('managed-by=someone-else project=payments generation=4 hash=ab')).toBeNull();
  expect(parseMarker('managed-by=infrastream-egress2 project=payments generation=4 hash=ab')).toBeNull();
  expect(parseMarker('managed-by=infrastream.egress project=payments generation=4 hash=ab')).toBeNull();
});

test('owned rules, groups, tombstones and revocations ignore the other tool’s rules', () => {
  const ours = rule('managed-by=infrastream-egress project=payments generation=4 hash=ab | x', 1000);
  const theirs = rule('managed-by=someone-else project=payments generation=5 hash=cd | y', 1001);
  const theirTomb = rule('managed-by=someone-else project=ledger generation=6 hash=ef state=deleted at=100', 1002);
  const all = [ours, theirs, theirTomb];
  expect(ownedRules(all, 'payments')).toEqual([ours]);
  expect([...groupOwnedRules(all).keys()]).toEqual(['payments']);
  expect(isTombstone(theirTomb)).toBe(false);
  expect(recentRevocations(all, 0)).toEqual([]);
});
