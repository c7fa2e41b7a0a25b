import { readConfig, requireConfig } from '../../shared/runtime/config';

describe('runtime config', () => {
  it('applies defaults and falls back to GOOGLE_CLOUD_PROJECT', () => {
    const cfg = readConfig({ GOOGLE_CLOUD_PROJECT: 'p1' });
    expect(cfg.pubsubProject).toBe('p1');
    expect(cfg.changesTopic).toBe('egress-changes');
    expect(cfg.manifestPrefix).toBe('manifests/');
  });
  it('names the missing variable', () => {
    expect(() => requireConfig(readConfig({}), 'hostProject', 'firewallPolicy')).toThrow(
      'missing configuration: set EGRESS_HOST_PROJECT, EGRESS_FIREWALL_POLICY',
    );
  });
});
