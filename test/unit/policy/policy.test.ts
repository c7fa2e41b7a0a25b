import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_POLICY, parsePolicy } from '../../../shared/core/policy';
import { loadPolicyFile } from '../../../shared/runtime/policy';
import { tempDir } from '../../support/tempDir';

describe('DEFAULT_POLICY', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_POLICY.manifest).toEqual({
      maxFileBytes: 131072,
      maxEntries: 250,
      minPrefixV4: 16,
      minPrefixV6: 32,
    });
    expect(DEFAULT_POLICY.wildcards).toEqual({
      '*.googleapis.com': {
        ranges: ['199.36.153.8/30', '2600:2d00:2:2000::/56'],
        note: 'Private Google Access (private.googleapis.com)',
      },
    });
    expect(DEFAULT_POLICY.firewall).toEqual({
      priorityMin: 1000,
      priorityMax: 2000000000,
      target: { mode: 'subnets', subnets: '{project}-*' },
      maxFqdnsPerRule: 100,
      maxRangesPerRule: 5000,
      enableLogging: true,
      placement: 'global',
      regions: [],
      regionalPolicyName: '{policy}-{region}',
    });
  });

  it('cannot be mutated by a consumer', () => {
    expect(() => {
      (DEFAULT_POLICY.manifest as { maxEntries: number }).maxEntries = 1;
    }).toThrow();
  });
});

describe('parsePolicy', () => {
  it('merges an override over the defaults', () => {
    const { policy, diagnostics } = parsePolicy(
      `manifest:
  maxEntries: 100
  minPrefixV4: 24
wildcards:
  "*.Stripe.com":
    ranges: ["54.187.174.169", "2600:1F14::/32"]
    note: Stripe webhooks
firewall:
  hostProject: net-host
  policy: egress-policy
  target: {mode: secureTags, org: "42", templates: ["{org}/egress-project/{project}"]}
  enableLogging: false
`,
      'policy.yaml',
    );
    expect(diagnostics).toEqual([]);
    expect(policy.manifest).toEqual({ maxFileBytes: 131072, maxEntries: 100, minPrefixV4: 24, minPrefixV6: 32 });
    expect(policy.wildcards['*.stripe.com']).toEqual({
      ranges: ['54.187.174.169/32', '2600:1f14::/32'],
      note: 'Stripe webhooks',
    });
    expect(policy.wildcards['*.googleapis.com']).toBeDefined();
    expect(policy.firewall).toMatchObject({
      hostProject: 'net-host',
      policy: 'egress-policy',
      target: { mode: 'secureTags', org: '42', templates: ['{org}/egress-project/{project}'] },
      enableLogging: false,
      priorityMin: 1000,
    });
    expect(DEFAULT_POLICY.manifest.maxEntries).toBe(250);
  });

  it('reads JSON and removes a default wildcard mapped to null', () => {
    const { policy, diagnostics } = parsePolicy('{"$schema": "x", "wildcards": {"*.googleapis.com": null}}', 'p.json');
    expect(diagnostics).toEqual([]);
    expect(policy.wildcards).toEqual({});
  });

  it('treats an empty file as the defaults', () => {
    expect(parsePolicy('# nothing\n', 'p.yaml')).toEqual({ policy: DEFAULT_POLICY, diagnostics: [] });
  });

  it('reports unknown keys, types and ranges with positions', () => {
    const { diagnostics } = parsePolicy(
      `manifest:
  maxEntrie: 3
  minPrefixV4: 40
firewall:
  enableLogging: "yes"
  target: {mode: tag, template: "x/{project}"}
`,
      'p.yaml',
    );
    expect(diagnostics.map((d) => [d.code, d.path, d.line, d.column, d.hint])).toEqual([
      ['UNKNOWN_FIELD', 'manifest.maxEntrie', 2, 3, 'did you mean `maxEntries`?'],
      ['VALUE_OUT_OF_RANGE', 'manifest.minPrefixV4', 3, 16, 'use a value from 1 to 32'],
      ['WRONG_TYPE', 'firewall.enableLogging', 5, 18, 'write `true` or `false`, unquoted'],
      ['INVALID_VALUE', 'firewall.target.mode', 6, 18, 'use one of the values listed in the message'],
    ]);
  });

  it('checks wildcard keys and their ranges', () => {
    const { policy, diagnostics } = parsePolicy(
      `wildcards:
  "*.co.uk": {ranges: ["8.8.8.0/24"]}
  "api.*.com": {ranges: ["8.8.8.0/24"]}
  "*.example.org": {ranges: ["8.8.8.8/24", "nonsense"]}
  "*.example.net": {ranges: []}
`,
      'p.yaml',
    );
    expect(diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([
      ['POLICY_INVALID_WILDCARD', 2, 3],
      ['POLICY_INVALID_WILDCARD', 3, 3],
      ['POLICY_INVALID_RANGE', 4, 30],
      ['POLICY_INVALID_RANGE', 4, 44],
      ['POLICY_INVALID_RANGE', 5, 3],
    ]);
    expect(diagnostics[2]!.hint).toBe('use `8.8.8.0/24`');
    expect(policy.wildcards['*.co.uk']).toBeUndefined();
  });

  it("refuses per-rule limits above Cloud NGFW's own (100 FQDNs, 5,000 ranges)", () => {
    const over = parsePolicy('firewall:\n  maxFqdnsPerRule: 150\n  maxRangesPerRule: 5001\n', 'p.yaml').diagnostics;
    expect(over.map((d) => [d.code, d.path])).toEqual([
      ['VALUE_OUT_OF_RANGE', 'firewall.maxFqdnsPerRule'],
      ['VALUE_OUT_OF_RANGE', 'firewall.maxRangesPerRule'],
    ]);
    expect(parsePolicy('firewall:\n  maxFqdnsPerRule: 50\n  maxRangesPerRule: 5000\n', 'p.yaml').diagnostics).toEqual(
      [],
    );
  });

  it('refuses a wildcard mapped to every address (a manifest could then open the whole perimeter)', () => {
    const { policy, diagnostics } = parsePolicy(
      'wildcards:\n  "*.example.com":\n    ranges: ["93.184.216.0/24", "0.0.0.0/0", "::/0"]\n',
      'p.yaml',
    );
    expect(diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([
      ['POLICY_INVALID_RANGE', 3, 33],
      ['POLICY_INVALID_RANGE', 3, 46],
    ]);
    expect(diagnostics[0]!.message).toContain('0.0.0.0/0');
    expect(policy.wildcards['*.example.com']?.ranges).toEqual(['93.184.216.0/24']);
  });

  it('checks the target template and the priority band', () => {
    const { diagnostics } = parsePolicy(
      `firewall:
  priorityMin: 5000
  priorityMax: 4000
  target: {mode: serviceAccount, template: "workload@shared.iam.gserviceaccount.com"}
`,
      'p.yaml',
    );
    expect(diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['POLICY_PRIORITY_ORDER', 3],
      ['POLICY_TARGET_TEMPLATE', 4],
    ]);
    const sa = parsePolicy('firewall:\n  target: {mode: serviceAccount, template: "{project}-runner"}\n', 'p.yaml');
    expect(sa.diagnostics.map((d) => d.code)).toEqual(['POLICY_TARGET_TEMPLATE']);
  });
});

describe('loadPolicyFile', () => {
  const dir = tempDir('policy');

  it('returns the defaults for an empty path', () => {
    expect(loadPolicyFile('')).toBe(DEFAULT_POLICY);
  });

  it('loads a valid file', () => {
    const f = join(dir, 'ok.yaml');
    writeFileSync(f, 'manifest:\n  maxEntries: 10\n');
    expect(loadPolicyFile(f).manifest.maxEntries).toBe(10);
  });

  it('throws with path:line:col: CODE lines for an invalid file', () => {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'manifest:\n  maxEntries: 0\n');
    expect(() => loadPolicyFile(f)).toThrow(`${f}:2:15: VALUE_OUT_OF_RANGE`);
  });

  it('names the file when it cannot be read', () => {
    expect(() => loadPolicyFile(join(dir, 'missing.yaml'))).toThrow(/cannot read platform policy file .*missing\.yaml/);
  });
});

describe('parsePolicy: target modes (docs/policy.md, "Target modes")', () => {
  const target = (yaml: string) => parsePolicy(`firewall:\n  target: ${yaml}\n`, 'p.yaml');

  it('reads each mode and the legacy single service account', () => {
    expect(target('{mode: subnets, subnets: "{project}-*", network: shared-vpc}').policy.firewall.target).toEqual({
      mode: 'subnets',
      subnets: '{project}-*',
      network: 'shared-vpc',
    });
    expect(
      target(
        '{mode: serviceAccounts, templates: ["a@{project}.iam.gserviceaccount.com", "b-{project}@h.iam.gserviceaccount.com"]}',
      ).policy.firewall.target,
    ).toEqual({
      mode: 'serviceAccounts',
      templates: ['a@{project}.iam.gserviceaccount.com', 'b-{project}@h.iam.gserviceaccount.com'],
    });
    expect(
      target('{mode: serviceAccount, template: "w@{project}.iam.gserviceaccount.com"}').policy.firewall.target,
    ).toEqual({ mode: 'serviceAccounts', templates: ['w@{project}.iam.gserviceaccount.com'] });
  });

  it.each([
    ['{mode: subnets}', /needs `subnets`/],
    ['{mode: subnets, subnets: "shared-*"}', /must contain `\{project\}`/],
    ['{mode: subnets, subnets: "/{project}-(/"}', /not a valid regular expression/],
    ['{mode: subnets, subnets: "{project}-*", templates: ["x"]}', /does not apply to target mode subnets/],
    ['{mode: serviceAccounts, templates: ["{project}"]}', /not a service account e-mail/],
    ['{mode: secureTags, templates: ["tagValues/{project}"]}', /not a namespaced tag value/],
    ['{mode: secureTags, templates: ["{org}/egress/{project}"]}', /set firewall.target.org/],
  ])('refuses %s with a positioned POLICY_TARGET_TEMPLATE', (yaml, message) => {
    const { diagnostics, policy } = target(yaml);
    expect(diagnostics[0]).toMatchObject({ code: 'POLICY_TARGET_TEMPLATE', severity: 'error', line: 2 });
    expect(diagnostics[0]!.message).toMatch(message);
    expect(policy.firewall.target).toEqual(DEFAULT_POLICY.firewall.target);
  });
});
