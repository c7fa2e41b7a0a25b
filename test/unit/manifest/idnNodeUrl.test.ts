import { normalizeEgressValue } from '../../../shared/core/manifest';
import { DEFAULT_POLICY } from '../../../shared/core/policy';

// Node 24's URL accepts `xn--zz.com` (Node 20's refuses it): simulate that URL here, on any Node, and check that
// the verdicts do not move. They come from tr46 (UTS #46), pinned in package.json, not from the runtime.
jest.mock('node:url', () => ({
  ...jest.requireActual('node:url'),
  domainToASCII: (s: string) => s.toLowerCase(),
}));

describe('IDN verdicts do not depend on Node URL', () => {
  it.each([
    ['xn--zz.com', 'INVALID_HOSTNAME'],
    ['xn--a.com', 'INVALID_HOSTNAME'],
    ['bücher.de', 'xn--bcher-kva.de'],
    ['аpi.stripe.com', 'MIXED_SCRIPT_HOSTNAME'],
  ])('%s → %s', (input, expected) => {
    const r = normalizeEgressValue(input, DEFAULT_POLICY);
    expect(r.ok ? r.entry.value : r.code).toBe(expected);
  });
});
