import { DestinationError, explain, parseDestination, renderExplainText } from '../../../shared/core/explain';
import { tombstoneRule } from '../../../shared/core/firewall/tombstone';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import type { EgressEntry } from '../../../shared/core/manifest/types';
import { DENY_ALL, DENY_ALL_V6, entries, input, manifestOf, project, rulesFor, TEXT } from './explainFixtures';

describe('parseDestination', () => {
  it.each([
    ['api.stripe.com', 'hostname', 'api.stripe.com', []],
    ['API.Stripe.COM.', 'hostname', 'api.stripe.com', ['trailing dot']],
    [
      'https://api.stripe.com:443/v1/charges?x=1#f',
      'hostname',
      'api.stripe.com',
      ['scheme "https://"', 'port 443', 'path "/v1/charges"', 'query "?x=1"', 'fragment "#f"'],
    ],
    ['api.x.com:8443', 'hostname', 'api.x.com', ['port 8443']],
    ['user:pw@api.x.com', 'hostname', 'api.x.com', ['credentials']],
    ['api.x.com/v1', 'hostname', 'api.x.com', ['path "/v1"']],
    ['34.117.59.10', 'ip', '34.117.59.10', []],
    ['34.117.59.10:443', 'ip', '34.117.59.10', ['port 443']],
    ['34.117.59.0/24', 'range', '34.117.59.0/24', []],
    ['34.117.59.7/32', 'ip', '34.117.59.7', []],
    ['[2600:2D00:2:2000::1]:443', 'ip', '2600:2d00:2:2000::1', ['port 443']],
    ['2600:2d00:0002:2000:0:0:0:1', 'ip', '2600:2d00:2:2000::1', []],
    ['::ffff:34.117.59.10', 'ip', '34.117.59.10', []],
  ])('%s → %s %s', (raw, kind, value, stripped) => {
    const d = parseDestination(raw);
    expect(d.kind).toBe(kind);
    expect(d.value).toBe(value);
    expect(d.stripped).toEqual(stripped);
  });

  it('converts IDNs to punycode and says so', () => {
    const d = parseDestination('bücher.example');
    expect(d.value).toBe('xn--bcher-kva.example');
    expect(d.stripped).toEqual(['IDN converted to "xn--bcher-kva.example"']);
  });

  it.each([
    ['', /empty/],
    ['localhost', /not a hostname or an IP address/],
    ['*.googleapis.com', /wildcard, not a destination/],
    ['bad_host.example.com', /not a hostname/],
    ['1.2.3.4/40', /not a valid IPv4 prefix/],
    ['999.1.1.1', /not a hostname or an IP address/],
  ])('refuses %j with a hint', (raw, msg) => {
    let err: unknown;
    try {
      parseDestination(raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DestinationError);
    expect((err as Error).message).toMatch(msg);
    expect((err as DestinationError).hint).not.toBe('');
  });
});

describe('explain', () => {
  it('allows an exact hostname by its entry (with its line) and its FQDN rule, in sync', () => {
    const r = explain(input());
    expect(r.status).toBe('allowed');
    expect(r.allowed).toBe(true);
    expect(r.manifest.matches).toEqual([
      {
        entry: 'api.stripe.com',
        type: 'hostname',
        how: 'exact-hostname',
        description: 'Payment processor API',
        line: 9,
      },
    ]);
    expect(r.firewall.decidedBy).toMatchObject({
      ruleName: 'egress-payment-gateway-fqdn-1',
      how: 'fqdn',
      matched: 'api.stripe.com',
      owned: true,
      generation: '5',
    });
    expect(r.agreement.status).toBe('in-sync');
    expect(r.disagree).toBe(false);
    expect(r.fix).toBeNull();
    expect(r.summary).toContain('entry api.stripe.com (line 9)');
  });

  it('accepts a URL and explains what was stripped', () => {
    const r = explain(input({ destination: 'https://api.stripe.com:443/v1/charges' }));
    expect(r.allowed).toBe(true);
    expect(r.notes[0]).toBe(
      'firewall rules match hosts and addresses only: stripped scheme "https://", port 443, path "/v1/charges" from "https://api.stripe.com:443/v1/charges"',
    );
  });

  it('explains a wildcard through its expansion on both sides', () => {
    const r = explain(input({ destination: 'storage.googleapis.com' }));
    expect(r.status).toBe('allowed');
    expect(r.manifest.matches[0]).toMatchObject({
      entry: '*.googleapis.com',
      how: 'wildcard',
      expandsTo: ['199.36.153.8/30', '2600:2d00:2:2000::/56'],
      line: 11,
    });
    expect(r.firewall.decidedBy).toMatchObject({ how: 'wildcard-expansion', matched: '199.36.153.8/30', owned: true });
  });

  it('finds an address inside a cidr entry and inside a wildcard expansion', () => {
    const a = explain(input({ destination: '34.117.59.10' }));
    expect(a.manifest.matches[0]).toMatchObject({ entry: '34.117.59.0/24', how: 'address-in-range', line: 12 });
    expect(a.firewall.decidedBy).toMatchObject({ how: 'address-in-range', matched: '34.117.59.0/24' });
    const b = explain(input({ destination: '199.36.153.9' }));
    expect(b.manifest.matches[0]).toMatchObject({
      entry: '*.googleapis.com',
      how: 'wildcard-expansion',
      range: '199.36.153.8/30',
    });
    expect(b.allowed).toBe(true);
    // hostnames may resolve to an address: said, not guessed
    expect(a.manifest.undetermined).toEqual(['api.stripe.com', 'hooks.slack.com']);
    expect(a.firewall.undetermined.map((u) => u.ruleName)).toEqual(['egress-payment-gateway-fqdn-1']);
  });

  it('answers not allowed with the deny rule, the exact line to add and where', () => {
    const r = explain(input({ destination: 'https://api.example.com/v2', why: 'Example partner API' }));
    expect(r.status).toBe('not-allowed');
    expect(r.allowed).toBe(false);
    expect(r.firewall.decidedBy).toMatchObject({
      ruleName: 'baseline-deny-all-egress',
      action: 'deny' as 'allow',
      how: 'any-destination',
    });
    expect(r.fix).toEqual({
      file: 'manifests/payment-gateway.yaml',
      line: '    - "api.example.com"  # Example partner API',
      afterLine: 12,
      entry: 'api.example.com',
    });
    expect(r.summary).toBe(
      'payment-gateway may not reach api.example.com by name (rule baseline-deny-all-egress (priority 2100000000, deny)); it may only if api.example.com resolves into 34.117.59.0/24 (explain does not resolve DNS); to allow it by name, add - "api.example.com"  # Example partner API to manifests/payment-gateway.yaml',
    );
  });

  it('suggests the platform wildcard for a host it covers', () => {
    const r = explain(
      input({
        destination: 'bigquery.googleapis.com',
        manifest: { ...input().manifest!, entries: entries.slice(0, 2) },
        firewall: undefined,
      }),
    );
    expect(r.status).toBe('not-allowed');
    expect(r.fix?.entry).toBe('*.googleapis.com');
    expect(r.fix?.note).toContain('Private Google Access');
  });

  it('suggests a bare address for an IP and refuses to suggest what the validator would reject', () => {
    const r = explain(input({ destination: '34.120.1.1' }));
    expect(r.fix?.line).toBe('    - "34.120.1.1"  # why this project needs it');
    const wide = explain(input({ destination: '34.0.0.0/8' }));
    expect(wide.fix).toBeNull();
    expect(wide.cannotList).toMatchObject({ entry: '34.0.0.0/8', code: 'CIDR_TOO_BROAD' });
    expect(wide.summary).toMatch(/no manifest entry can allow it: `34\.0\.0\.0\/8` is broader than/);
  });

  it('reports a pending apply: listed in the manifest, not yet in the firewall', () => {
    const newer = [...entries, { value: 'api.new.com', type: 'hostname' as const }];
    const r = explain(
      input({ destination: 'api.new.com', manifest: { ...input().manifest!, entries: newer, generation: '7' } }),
    );
    expect(r.status).toBe('allowed-pending');
    expect(r.allowed).toBe(false);
    expect(r.agreement).toMatchObject({ status: 'pending', manifestGeneration: '7', firewallGeneration: '5' });
    expect(r.disagree).toBe(true);
    expect(r.fix).toBeNull();
  });

  it('a listed destination whose rule was removed by hand is drifted, as status says, not "apply pending"', () => {
    const live = rulesFor(entries, '5').filter((r) => !r.match.destIpRanges?.includes('34.117.59.0/24'));
    const r = explain(input({ destination: '34.117.59.10', firewall: { source: 's', rules: [...live, DENY_ALL] } }));
    expect(r.status).toBe('allowed-pending');
    expect(r.agreement.status).toBe('drifted');
    const text = renderExplainText(r);
    expect(text.split('\n')[0]).toMatch(/^NOT ALLOWED \(listed; rules drifted\)/);
    expect(text).not.toMatch(/apply pending|not allow it yet/);
    expect(r.summary).toMatch(
      /but the firewall does not allow it: its rules differ from the manifest .*: the owned rules differ/,
    );
  });

  it('a listed destination denied by another rule first, with the project in sync, is no pending apply', () => {
    const block: ObservedRule = {
      ...DENY_ALL,
      priority: 10,
      ruleName: 'netops-block-partner',
      match: { destIpRanges: ['34.117.59.0/24'], layer4Configs: [{ ipProtocol: 'all' }] },
    };
    const r = explain(
      input({
        destination: '34.117.59.10',
        firewall: { source: 's', rules: [block, ...rulesFor(entries, '5'), DENY_ALL] },
      }),
    );
    expect(r.agreement.status).toBe('in-sync');
    expect(r.allowed).toBe(false);
    expect(renderExplainText(r).split('\n')[0]).toMatch(/^NOT ALLOWED \(listed; another rule decides\)/);
    expect(r.summary).toMatch(/rules are in place and another rule decides first \(rule netops-block-partner/);
  });

  it('reports a pending revoke: removed from the manifest, still allowed by an owned rule', () => {
    const fewer = entries.filter((e) => e.value !== 'hooks.slack.com');
    const r = explain(
      input({ destination: 'hooks.slack.com', manifest: { ...input().manifest!, entries: fewer, generation: '7' } }),
    );
    expect(r.status).toBe('revoke-pending');
    expect(r.allowed).toBe(true);
    expect(r.disagree).toBe(true);
    expect(r.agreement.status).toBe('pending');
  });

  it('detects drift: same marker, rules edited by hand', () => {
    const rules = rulesFor(entries, '5').map((r) =>
      r.match.destFqdns ? { ...r, match: { ...r.match, destFqdns: [...r.match.destFqdns, 'evil.example.com'] } } : r,
    );
    const r = explain(
      input({ destination: 'evil.example.com', firewall: { source: 'live', rules: [...rules, DENY_ALL] } }),
    );
    expect(r.agreement.status).toBe('drifted');
    expect(r.firewall.allowed).toBe(true);
    expect(r.manifest.allowed).toBe(false);
    expect(r.status).toBe('revoke-pending');
  });

  it('calls rules that differ from an older manifest read, or from a local manifest, drifted (by content)', () => {
    const older = entries.slice(0, 1);
    const a = explain(input({ manifest: { ...input().manifest!, entries: older, generation: '3' } }));
    expect(a.agreement.status).toBe('drifted');
    const { generation: _g, ...local } = input().manifest!;
    const b = explain(input({ manifest: { ...local, entries: older } }));
    expect(b.agreement.status).toBe('drifted');
    expect(b.agreement.detail).toMatch(/a local copy may not be merged yet/);
  });

  it('treats a generation change with the same entries as in sync', () => {
    const r = explain(input({ manifest: { ...input().manifest!, generation: '9' } }));
    expect(r.agreement.status).toBe('in-sync');
  });

  it('says when the answer depends on DNS', () => {
    const ranges: EgressEntry[] = [{ value: '34.117.59.0/24', type: 'cidr' }];
    const r = explain(
      input({
        destination: 'partner.example.com',
        manifest: { ...input().manifest!, entries: ranges },
        firewall: { source: 'live', rules: [...rulesFor(ranges, '5'), DENY_ALL] },
      }),
    );
    expect(r.allowed).toBe(false);
    expect(r.dependsOnDns).toBe(true);
    expect(r.dnsRanges).toEqual(['34.117.59.0/24']);
    expect(r.manifest.undetermined).toEqual(['34.117.59.0/24']);
    expect(r.firewall.undetermined).toHaveLength(1);
    expect(r.notes.join('\n')).toMatch(/explain does not resolve DNS/);
  });

  it('a listed IPv6 destination of a project without IPv6 sources cannot apply: never "apply pending"', () => {
    const text = TEXT.replace(
      '    - "34.117.59.0/24"  # Partner range\n',
      '    - "34.117.59.0/24"  # Partner range\n    - "2606:4700:4700::1111"\n',
    );
    const fw = { source: 's', rules: [...rulesFor(entries, '5'), DENY_ALL, DENY_ALL_V6] };
    const pending = explain(
      input({
        destination: '2606:4700:4700::1111',
        manifest: manifestOf(text, 'manifests/payment-gateway.yaml', '6'),
        firewall: fw,
      }),
    );
    expect(pending.status).toBe('allowed-pending');
    const r = explain(
      input({
        destination: '2606:4700:4700::1111',
        manifest: manifestOf(text, 'manifests/payment-gateway.yaml', '6'),
        firewall: { ...fw, sourceFamilies: [4] },
      }),
    );
    expect(r.status).toBe('cannot-apply');
    expect(r.summary).toMatch(/cannot apply: the project has no IPv6 source range/);
    expect(renderExplainText(r)).toMatch(/^NOT ALLOWED \(listed, cannot apply\)/);
  });

  it('without a baseline deny, the implied egress allow decides whatever the name resolves to (Google: implied rules)', () => {
    const ranges: EgressEntry[] = [{ value: '34.117.59.0/24', type: 'cidr' }];
    const r = explain(
      input({
        destination: 'partner.example.com',
        manifest: { ...input().manifest!, entries: ranges },
        firewall: { source: 'live', rules: rulesFor(ranges, '5') },
      }),
    );
    expect(r.allowed).toBe(true);
    expect(r.firewall.decidedBy?.tier?.kind).toBe('implied');
    expect(r.firewall.undetermined).toHaveLength(1);
    expect(r.notes.join('\n')).toMatch(/implied egress allow rule decides/);
  });

  it('does not govern internal or special addresses', () => {
    for (const d of ['10.1.2.3', '169.254.169.254', '127.0.0.1', 'fd00::1']) {
      const r = explain(input({ destination: d }));
      expect(r.status).toBe('internal');
      expect(r.fix).toBeNull();
    }
  });

  it("ignores other projects' rules, disabled rules, and ingress rules", () => {
    const other = rulesFor([{ value: 'api.example.com', type: 'hostname' }], '1', 'other-team', 5000);
    const disabled = rulesFor([{ value: 'api.example.com', type: 'hostname' }], '5', 'payment-gateway', 6000).map(
      (r) => ({
        ...r,
        ruleName: 'x',
        disabled: true,
      }),
    );
    const ingress: ObservedRule = {
      ...DENY_ALL,
      priority: 1,
      direction: 'INGRESS' as never,
      action: 'allow',
      match: { layer4Configs: [] },
    };
    const r = explain(
      input({
        destination: 'api.example.com',
        firewall: { source: 'live', rules: [...rulesFor(entries, '5'), ...other, ...disabled, ingress, DENY_ALL] },
      }),
    );
    expect(r.firewall.decidedBy?.ruleName).toBe('baseline-deny-all-egress');
    expect(r.allowed).toBe(false);
  });

  it('credits a platform rule that targets the project or everyone', () => {
    const pga: ObservedRule = {
      priority: 900,
      ruleName: 'baseline-allow-private-google-access',
      description: 'platform baseline',
      direction: 'EGRESS',
      action: 'allow',
      enableLogging: false,
      match: { destIpRanges: ['199.36.153.8/30'], layer4Configs: [{ ipProtocol: 'all' }] },
    };
    const none = { ...input().manifest!, entries: entries.slice(0, 1) };
    const r = explain(
      input({
        destination: 'pubsub.googleapis.com',
        manifest: none,
        firewall: { source: 'live', rules: [pga, DENY_ALL] },
      }),
    );
    expect(r.status).toBe('allowed');
    expect(r.fix).toBeNull();
    expect(r.summary).toContain('a platform rule, not the project manifest');
    const targeted = { ...pga, targetServiceAccounts: ['workload@payment-gateway.iam.gserviceaccount.com'] };
    expect(
      explain(
        input({
          destination: 'pubsub.googleapis.com',
          manifest: none,
          firewall: { source: 'l', rules: [targeted, DENY_ALL] },
        }),
      ).allowed,
    ).toBe(true);
    const elsewhere = { ...pga, targetServiceAccounts: ['workload@other.iam.gserviceaccount.com'] };
    expect(
      explain(
        input({
          destination: 'pubsub.googleapis.com',
          manifest: none,
          firewall: { source: 'l', rules: [elsewhere, DENY_ALL] },
        }),
      ).allowed,
    ).toBe(false);
  });

  it('without a manifest: proposes a new file, and flags rules left behind', () => {
    const r = explain(
      input({ destination: 'api.example.com', manifest: null, suggestedPath: 'manifests/payment-gateway.yaml' }),
    );
    expect(r.manifest.found).toBe(false);
    expect(r.fix?.file).toBe('manifests/payment-gateway.yaml');
    expect(r.fix?.block).toMatch(/^apiVersion: lowops\.manifests\.v1\n/); // a whole manifest (explain-reach.test.ts)
    expect(r.agreement.status).toBe('revoke-pending');
  });

  it('places the fix after spec: when the manifest has no allowedEgress, and rewrites a flow list', () => {
    const text =
      'apiVersion: lowops.manifests.v1\nkind: Project\nmetadata:\n  name: payment-gateway\n  environment: production\nspec:\n  region: us-central1\n';
    const r = explain(
      input({
        destination: 'api.example.com',
        manifest: manifestOf(text.replace('payment-gateway', 'p'), 'p.yaml'),
        firewall: undefined,
      }),
    );
    expect(r.fix).toMatchObject({
      afterLine: 6,
      block: '  allowedEgress:\n    - "api.example.com"  # why this project needs it',
    });
    const flow = explain(
      input({
        destination: 'api.example.com',
        manifest: manifestOf(`${text.replace('payment-gateway', 'p')}  allowedEgress: []\n`, 'p.yaml'),
        firewall: undefined,
      }),
    );
    expect(flow.fix?.note).toContain('flow-style');
  });

  it('manifest-only answers when the firewall is not consulted', () => {
    const r = explain(input({ firewall: undefined }));
    expect(r.allowed).toBe(true);
    expect(r.firewall).toEqual({ consulted: false, allowed: null, decidedBy: null, matches: [], undetermined: [] });
    expect(r.agreement.status).toBe('unknown');
  });

  it('reports an invalid manifest as ignored by the pipeline', () => {
    const r = explain(input({ manifest: { ...input().manifest!, valid: false, errors: ['UNKNOWN_FIELD'] } }));
    expect(r.manifest.allowed).toBe(false);
    expect(r.notes.join('\n')).toContain('invalid (UNKNOWN_FIELD)');
    expect(r.agreement.status).toBe('invalid-manifest');
  });

  it('a hostname not listed by name, with range rules before the deny: not allowed by name, conditional on DNS', () => {
    const es: EgressEntry[] = [
      { value: 'api.stripe.com', type: 'hostname' },
      { value: '151.101.0.0/16', type: 'cidr', description: 'CDN' },
    ];
    const text = TEXT.replace(/ {4}- "hooks[\s\S]*$/, '    - "151.101.0.0/16"  # CDN\n');
    const m = manifestOf(text, 'manifests/payment-gateway.yaml', '5');
    const r = explain(
      input({
        destination: 'api.github.com',
        manifest: m,
        firewall: { source: 's', rules: [...rulesFor(es, '5'), DENY_ALL] },
      }),
    );
    expect(r).toMatchObject({
      allowed: false,
      dependsOnDns: true,
      dnsRanges: ['151.101.0.0/16'],
      status: 'not-allowed',
    });
    expect(r.summary).toMatch(
      /may not reach api\.github\.com by name .*it may only if api\.github\.com resolves into 151\.101\.0\.0\/16/,
    );
    const head = renderExplainText(r).split('\n')[0];
    expect(head).toMatch(/^NOT ALLOWED by name; allowed only if api\.github\.com resolves into 151\.101\.0\.0\/16: /);
    // Manifest only: the same condition from the manifest's range entries.
    const mo = explain(input({ destination: 'api.github.com', manifest: m, firewall: undefined }));
    expect(mo).toMatchObject({ allowed: false, dependsOnDns: true, dnsRanges: ['151.101.0.0/16'] });
    // Listed by name: no condition.
    expect(
      explain(input({ manifest: m, firewall: { source: 's', rules: [...rulesFor(es, '5'), DENY_ALL] } })),
    ).toMatchObject({ allowed: true, dependsOnDns: false, dnsRanges: [] });
  });

  it('prints DNS notes only for hostname destinations, never for ranges or addresses', () => {
    const es: EgressEntry[] = [
      { value: 'api.stripe.com', type: 'hostname' },
      { value: '151.101.0.0/16', type: 'cidr' },
    ];
    const m = { ...input().manifest!, entries: es };
    const fw = { source: 's', rules: [...rulesFor(es, '5'), DENY_ALL] };
    for (const destination of ['151.101.0.0/20', '151.101.1.1', '34.1.0.0/20', '34.1.2.3']) {
      const r = explain(input({ destination, manifest: m, firewall: fw }));
      expect(r.notes.join('\n')).not.toMatch(/resolve/);
      expect(r.dependsOnDns).toBe(false);
      expect(renderExplainText(r)).not.toMatch(/resolve/);
    }
  });

  it('keeps the JSON contract keys stable', () => {
    const r = explain(input());
    expect(Object.keys(r).sort()).toEqual(
      [
        'agreement',
        'allowed',
        'cannotList',
        'dependsOnDns',
        'destination',
        'disagree',
        'dnsRanges',
        'firewall',
        'fix',
        'manifest',
        'notes',
        'project',
        'schemaVersion',
        'status',
        'summary',
      ].sort(),
    );
    expect(r.schemaVersion).toBe(1);
  });

  it('renders text with the verdict first and the fix last', () => {
    const t = renderExplainText(explain(input({ destination: 'api.example.com' })));
    expect(t.split('\n')[0]).toMatch(
      /^NOT ALLOWED by name; allowed only if api\.example\.com resolves into 34\.117\.59\.0\/24: /,
    );
    const plain = input({
      destination: 'api.example.com',
      manifest: { ...input().manifest!, entries: entries.slice(0, 3) },
    });
    plain.firewall = { source: 's', rules: [...rulesFor(entries.slice(0, 3), '5'), DENY_ALL] };
    expect(renderExplainText(explain(plain)).split('\n')[0]).toMatch(/^NOT ALLOWED: /);
    expect(t).toContain(
      'fix: add to manifests/payment-gateway.yaml after line 12:\n    - "api.example.com"  # why this project needs it',
    );
    expect(renderExplainText(explain(input()))).toMatch(
      /\* priority 1000 egress-payment-gateway-fqdn-1 allow: destFqdns api.stripe.com \[owned, generation 5\]/,
    );
  });
});

describe('explain: a revoked project (tombstone)', () => {
  const tomb = (generation: string): ObservedRule => ({
    ...tombstoneRule('payment-gateway', generation),
    priority: 1700,
  });

  it('reports revoked (manifest deleted at generation N) and not allowed; the disabled tombstone decides nothing', () => {
    const r = explain(
      input({
        manifest: null,
        suggestedPath: 'manifests/payment-gateway.yaml',
        firewall: { source: 's', rules: [tomb('41'), DENY_ALL] },
      }),
    );
    expect(r.agreement).toEqual({
      status: 'revoked',
      detail: 'revoked (manifest deleted at generation 41)',
      firewallGeneration: '41',
    });
    expect(r.status).toBe('not-allowed');
    expect(r.allowed).toBe(false);
    expect(r.firewall.decidedBy).toMatchObject({ ruleName: 'baseline-deny-all-egress' });
    expect(r.firewall.matches.some((m) => m.owned)).toBe(false);
    expect(r.summary).toMatch(/^payment-gateway is revoked \(manifest deleted at generation 41\): it may not reach/);
    expect(renderExplainText(r)).toContain('agreement    revoked: revoked (manifest deleted at generation 41)');
  });

  it('a manifest uploaded again: pending while only the tombstone exists, in sync once applied', () => {
    const pending = explain(input({ firewall: { source: 's', rules: [tomb('4'), DENY_ALL] } }));
    expect(pending.agreement.status).toBe('pending');
    expect(pending.agreement.detail).toMatch(
      /^revoked \(manifest deleted at generation 4\); this manifest is not applied/,
    );
    expect(pending.status).toBe('allowed-pending');
    const stale = explain(input({ firewall: { source: 's', rules: [tomb('5'), DENY_ALL] } }));
    expect(stale.agreement.status).toBe('revoked');
    expect(stale.agreement.detail).toMatch(/generation 5\) is not newer, so the pipeline ignores it/);
    // an interrupted re-create (new rules + old tombstone) is judged on the live rules
    const applied = explain(
      input({ firewall: { source: 's', rules: [...rulesFor(entries, '5'), tomb('4'), DENY_ALL] } }),
    );
    expect(applied.agreement.status).toBe('in-sync');
    expect(applied.status).toBe('allowed');
  });

  it('a manifest that lists nothing, with its tombstone, is in sync', () => {
    const r = explain(
      input({
        manifest: { path: 'm.yaml', valid: true, project, entries: [], generation: '6' },
        firewall: { source: 's', rules: [tomb('6'), DENY_ALL] },
      }),
    );
    expect(r.agreement.status).toBe('in-sync');
    expect(r.status).toBe('not-allowed');
  });
});
