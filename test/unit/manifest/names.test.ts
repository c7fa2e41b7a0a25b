import { isValidProjectName, MAX_PROJECT_NAME_LENGTH } from '../../../shared/core/manifest';

describe('project names', () => {
  it('bounds names at 30 characters so derived ids (GCP project ids, rule names) stay valid', () => {
    expect(MAX_PROJECT_NAME_LENGTH).toBe(30);
    const longest = `a${'b'.repeat(29)}`;
    expect(isValidProjectName(longest)).toBe(true);
    expect(isValidProjectName(`${longest}c`)).toBe(false);
    expect(`egress-${longest}-fqdn-999`.length).toBeLessThanOrEqual(63);
  });

  it.each(['payment-gateway', 'a', 'x1', 'data-pipeline-2'])('accepts %s', (n) => {
    expect(isValidProjectName(n)).toBe(true);
  });

  it.each(['', 'Payment', '1abc', 'abc-', 'a_b', 'a.b', 'a b', '-a', 'ä'])('rejects %p', (n) => {
    expect(isValidProjectName(n)).toBe(false);
  });
});
