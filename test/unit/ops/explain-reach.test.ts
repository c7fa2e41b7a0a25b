/**
 * explain is never wrong about reach (issue 11 item 5) and its text never contradicts its JSON (issue 8 item 4):
 * a destination containing any public address is not "internal", ranges no entry may list say so with the
 * validator's reason, the project argument is a key, a new manifest is a whole one, an address inside a wildcard's
 * expansion is fixed by the wildcard.
 */
import {
  ExplainArgumentError,
  type ExplainResult,
  explain,
  renderExplainText,
  verdictOf,
} from '../../../shared/core/explain';
import { validateManifest } from '../../../shared/core/manifest/validate';
import { DENY_ALL, DENY_ALL_V6, entries, input, manifestOf, policy, rulesFor, TEXT } from './explainFixtures';

const BOTH_FAMILIES = { source: 's', rules: [...rulesFor(entries, '5'), DENY_ALL, DENY_ALL_V6] };

/** The verdict the text's first line gives: ALLOWED, NOT ALLOWED or UNKNOWN. */
function textVerdict(r: ExplainResult): boolean | null {
  const head = renderExplainText(r).split('\n')[0]!;
  if (head.startsWith('ALLOWED')) return true;
  if (head.startsWith('NOT ALLOWED')) return false;
  if (head.startsWith('UNKNOWN')) return null;
  throw new Error(`no verdict in ${head}`);
}

describe('explain: text and JSON from one result', () => {
  const fewer = entries.filter((e) => e.value !== 'hooks.slack.com');
  const newer = [...entries, { value: 'api.new.com', type: 'hostname' as const }];
  const scenarios: [string, Parameters<typeof input>[0]][] = [
    ['allowed', {}],
    ['not allowed', { destination: 'api.example.com' }],
    [
      'revoke pending',
      { destination: 'hooks.slack.com', manifest: { ...input().manifest!, entries: fewer, generation: '7' } },
    ],
    [
      'apply pending',
      { destination: 'api.new.com', manifest: { ...input().manifest!, entries: newer, generation: '7' } },
    ],
    ['internal', { destination: '10.1.2.3' }],
    ['all addresses', { destination: '0.0.0.0/0' }],
    [
      'depends on DNS',
      { destination: 'partner.example.com', firewall: { source: 's', rules: rulesFor(entries, '5') } },
    ],
    ['no manifest, rules left', { destination: 'hooks.slack.com', manifest: null }],
    ['manifest only', { destination: 'api.example.com', firewall: undefined }],
  ];

  it.each(scenarios)('%s: the text verdict is the JSON allowed', (_name, over) => {
    const r = explain(input(over));
    expect(textVerdict(r)).toBe(r.allowed);
    expect(renderExplainText(r).split('\n')[0]).toBe(`${verdictOf(r)}: ${r.summary}`);
  });

  it('a revoke-pending destination reads ALLOWED (revoke pending), as the JSON says allowed: true', () => {
    const r = explain(
      input({ destination: 'hooks.slack.com', manifest: { ...input().manifest!, entries: fewer, generation: '7' } }),
    );
    expect(r).toMatchObject({ status: 'revoke-pending', allowed: true });
    expect(renderExplainText(r)).toMatch(
      /^ALLOWED \(revoke pending\): payment-gateway may still reach hooks\.slack\.com/,
    );
  });
});

describe('explain: a destination with public space is never internal', () => {
  it.each(['0.0.0.0/0', '::/0', '0.0.0.0/1', '10.0.0.0/7', '8.0.0.0/6'])(
    '%s is not internal; not allowed, and no entry can list it',
    (destination) => {
      for (const firewall of [BOTH_FAMILIES, undefined]) {
        const r = explain(input({ destination, firewall }));
        expect(r.status).toBe('not-allowed');
        expect(r.allowed).toBe(false);
        expect(r.fix).toBeNull();
        expect(r.cannotList).toMatchObject({ entry: destination });
        expect(r.cannotList!.reason).not.toBe('');
        expect(r.summary).toContain('no manifest entry can allow it');
        expect(renderExplainText(r)).toMatch(/^NOT ALLOWED \(cannot be listed\): /);
      }
    },
  );

  it('says why 0.0.0.0/0 cannot be listed (the validator refuses every-address ranges) and which parts are open', () => {
    const r = explain(input({ destination: '0.0.0.0/0' }));
    expect(r.cannotList).toMatchObject({ code: 'CIDR_ALL_ADDRESSES' });
    expect(r.firewall.decidedBy).toMatchObject({ ruleName: 'baseline-deny-all-egress' });
    expect(r.notes).toContain(
      'parts of 0.0.0.0/0 are allowed: 34.117.59.0/24 (rule egress-payment-gateway-v4-1), 199.36.153.8/30 (rule egress-payment-gateway-v4-1)',
    );
  });

  it.each(['10.0.0.0/8', '10.1.0.0/16', '192.168.1.0/24', 'fd00::/8', '169.254.169.254', 'metadata.google.internal'])(
    '%s lies wholly in non-public space: internal',
    (destination) => {
      const r = explain(input({ destination }));
      expect(r.status).toBe('internal');
      expect(r.cannotList).toBeNull();
    },
  );
});

describe('explain: the project argument is a project key', () => {
  it.each([
    ['manifests/payment-gateway.yaml', /is a path/, 'use payment-gateway --manifests manifests'],
    ['payment-gateway.yaml', /is a path/, 'use payment-gateway'],
    ['../etc/passwd', /is a path/, undefined],
    ['Payment_Gateway', /is not a project key/, 'use `payment-gateway`'],
  ])('%s is refused with a hint', (project, message, hint) => {
    let err: unknown;
    try {
      explain(input({ project }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExplainArgumentError);
    expect((err as Error).message).toMatch(message);
    if (hint) expect((err as ExplainArgumentError).hint).toBe(hint);
    else expect((err as ExplainArgumentError).hint).not.toBe('');
  });
});

describe('explain: the fix', () => {
  it('for a project without a manifest is a whole manifest that validates as written', () => {
    const r = explain(
      input({ destination: 'api.example.com', manifest: null, suggestedPath: 'manifests/payment-gateway.yaml' }),
    );
    const created = validateManifest(r.fix!.block!, { path: r.fix!.file, policy });
    expect(created.diagnostics).toEqual([]);
    expect(created.project).toMatchObject({ name: 'payment-gateway' });
    expect(created.egress).toEqual([
      { value: 'api.example.com', type: 'hostname', description: 'why this project needs it' },
    ]);
  });

  it('for an address inside a wildcard expansion proposes the wildcard', () => {
    const text = TEXT.replace(/ {4}- "\*\.googleapis[^\n]*\n/, '');
    const m = manifestOf(text, 'manifests/payment-gateway.yaml', '5');
    const fw = { source: 's', rules: [...rulesFor(m.entries, '5'), DENY_ALL, DENY_ALL_V6] };
    for (const destination of ['199.36.153.9', '199.36.153.8/30', '2600:2d00:2:2000::17']) {
      const r = explain(input({ destination, manifest: m, firewall: fw }));
      expect(r.allowed).toBe(false);
      expect(r.fix).toMatchObject({ entry: '*.googleapis.com', afterLine: 11 });
      expect(r.fix!.line).toBe('    - "*.googleapis.com"  # why this project needs it');
      expect(r.fix!.note).toMatch(/inside .* the expansion of the platform wildcard \*\.googleapis\.com/);
    }
  });
});
