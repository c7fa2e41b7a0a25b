import { checkProjectSet, tooLargeResult, validateManifest } from '../../../shared/core/manifest';
import { MAX_ALIAS_COUNT } from '../../../shared/core/manifest/yamlSource';
import { DEFAULT_POLICY } from '../../../shared/core/policy';
import { check, codes, FIRST_ENTRY_LINE, manifest, withCode } from './helpers';

describe('validateManifest: a valid manifest', () => {
  it('reports where spec, allowedEgress and each kept entry are (first occurrence of a repeat)', () => {
    const r = check(manifest(['"api.stripe.com"', 'not valid!', '"API.Stripe.com"', '"*.googleapis.com"']));
    expect(r.egress.map((e) => e.value)).toEqual(['api.stripe.com', '*.googleapis.com']);
    expect(r.layout).toEqual({
      spec: { line: 6, column: 1 },
      key: { line: 8, column: 3 },
      list: { flow: false, line: 9, column: 5, lastLine: 12 },
      entries: [
        { line: 9, column: 7 },
        { line: 12, column: 7 },
      ],
    });
    const flow = check(manifest([]));
    expect(flow.layout).toEqual({
      spec: { line: 6, column: 1 },
      key: { line: 8, column: 3 },
      list: { flow: true, line: 8, column: 18, lastLine: 8 },
      entries: [],
    });
    const bare = check(manifest([]).replace(' []', ''));
    expect(bare.layout).toEqual({ spec: { line: 6, column: 1 }, key: { line: 8, column: 3 }, entries: [] });
  });

  it('returns the project, the normalized entries with comment descriptions, and no diagnostics', () => {
    const r = check(
      manifest(['"api.stripe.com" # Payment processor API', 'Hooks.Slack.com.', '"*.googleapis.com"  #  Google APIs ']),
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.project).toEqual({ name: 'payment-gateway', environment: 'production', region: 'us-central1' });
    expect(r.egress).toEqual([
      { value: 'api.stripe.com', type: 'hostname', description: 'Payment processor API' },
      { value: 'hooks.slack.com', type: 'hostname' },
      { value: '*.googleapis.com', type: 'wildcard', description: 'Google APIs' },
    ]);
    expect(r.namePosition).toEqual({ line: 4, column: 9 });
  });

  it('carries optional metadata and spec fields into project', () => {
    const text = `apiVersion: lowops.manifests.v1
kind: Project
metadata:
  name: payment-gateway
  environment: production
  organizational-unit: retail-banking
  organization: fincorp
spec:
  description: "Payments"
`;
    const r = check(text);
    expect(r.valid).toBe(true);
    expect(r.project).toEqual({
      name: 'payment-gateway',
      environment: 'production',
      organizationalUnit: 'retail-banking',
      organization: 'fincorp',
      description: 'Payments',
    });
    expect(r.egress).toEqual([]);
  });

  it('treats a missing spec, missing allowedEgress and [] as no egress', () => {
    const noSpec =
      'apiVersion: lowops.manifests.v1\nkind: Project\nmetadata: {name: payment-gateway, environment: dev}\n';
    expect(check(noSpec)).toMatchObject({ valid: true, egress: [] });
    expect(check(manifest([]))).toMatchObject({ valid: true, egress: [] });
  });

  it('does not take a comment on the next line as a description', () => {
    const r = check(manifest(['api.stripe.com', '# about the next one', 'hooks.slack.com']));
    expect(r.egress.map((e) => e.description)).toEqual([undefined, undefined]);
  });

  it('accepts .yml and GCS object names', () => {
    expect(check(manifest(), 'gs/manifests/payment-gateway.yml').valid).toBe(true);
    expect(check(manifest(), 'payment-gateway.yaml').valid).toBe(true);
  });
});

describe('document rules', () => {
  it('refuses files over the size bound before parsing', () => {
    const policy = { ...DEFAULT_POLICY, manifest: { ...DEFAULT_POLICY.manifest, maxFileBytes: 100 } };
    const r = check(manifest(), undefined, policy);
    expect(codes(r)).toEqual(['FILE_TOO_LARGE']);
    expect(r.diagnostics[0]).toMatchObject({ line: 1, column: 1, path: '' });
    expect(r.project).toBeNull();
    expect(tooLargeResult('x.yaml', 5_000_000, DEFAULT_POLICY).diagnostics[0]!.message).toContain('5000000 bytes');
  });

  it('refuses a file with more lines than a manifest needs before parsing (one diagnostic, not one per line)', () => {
    // Found by `npm run fuzz`: ~800,000 broken short lines (under the 1 MiB bound) gave as many YAML errors and took
    // the validator tens of seconds.
    const r = check(`${manifest()}${'- a\n'.repeat(5_000)}`);
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ code: 'TOO_MANY_LINES', severity: 'error', line: 2_001, column: 1, path: '' }),
    ]);
    expect(r.diagnostics[0]!.hint).toBeTruthy();
    expect(r.project).toBeNull();
    // A long manifest under the bound is parsed as usual; the bound follows manifest.maxEntries.
    const commented = `${manifest()}${'# a comment line\n'.repeat(1_900)}`;
    expect(check(commented).valid).toBe(true);
    const generous = { ...DEFAULT_POLICY, manifest: { ...DEFAULT_POLICY.manifest, maxEntries: 2_000 } };
    expect(codes(check(`${manifest()}${'# x\n'.repeat(5_000)}`, undefined, generous))).toEqual([]);
  });

  it('refuses nesting far deeper than a manifest has before parsing, naming where (fuzz: 14 KB of braces took 1 s)', () => {
    const braces = check(`${manifest()}   ${'{'.repeat(14_000)}\n`);
    expect(braces.diagnostics).toEqual([
      expect.objectContaining({ code: 'TOO_DEEP', severity: 'error', line: manifest().split('\n').length, column: 68 }),
    ]);
    expect(braces.diagnostics[0]!.hint).toBeTruthy();
    expect(braces.project).toBeNull();
    // Block chains on one line count too; flow collections count across lines.
    expect(codes(check(`${manifest()}    ${'- '.repeat(100)}x\n`))).toEqual(['TOO_DEEP']);
    expect(codes(check(`${manifest()}x: ${'[\n'.repeat(70)}`))).toEqual(['TOO_DEEP']);
    // Brackets and dashes inside quotes and comments are text; a manifest near the bound is parsed as usual.
    const quoted = manifest([`"${'['.repeat(200)}" # ${'{'.repeat(200)} - - -`, `'${'{'.repeat(100)}'`]);
    expect(codes(check(quoted))).not.toContain('TOO_DEEP');
    expect(codes(check(`${manifest()}x: ${'['.repeat(60)}${']'.repeat(60)}\n`))).not.toContain('TOO_DEEP');
  });

  it('reports a collection used as a key without a Node warning on stderr (fuzz: the parser warned through the process)', () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      // With an alias, the reader expands the document (toJS), where the parser stringifies collection keys.
      const r = check(`${manifest(['&h "api.stripe.com"', '*h'])}? [a, b]\n: c\n`);
      expect(r.valid).toBe(false);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('counts bytes, not characters, for the size bound', () => {
    const policy = { ...DEFAULT_POLICY, manifest: { ...DEFAULT_POLICY.manifest, maxFileBytes: 400 } };
    const text = `${manifest()}# ${'é'.repeat(150)}\n`;
    expect(text.length).toBeLessThan(400);
    expect(codes(check(text, undefined, policy))).toEqual(['FILE_TOO_LARGE']);
  });

  it('rejects an empty file and a comment-only file', () => {
    expect(codes(check(''))).toEqual(['EMPTY_DOCUMENT']);
    expect(codes(check('# nothing here\n'))).toEqual(['EMPTY_DOCUMENT']);
  });

  it('rejects several documents, positioned at the second one', () => {
    const r = check(`${manifest()}---\n${manifest()}`);
    const d = withCode(r, 'MULTIPLE_DOCUMENTS');
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ line: FIRST_ENTRY_LINE + 1, column: 1 });
    expect(r.valid).toBe(false);
  });

  it('ignores a stray document marker with no content', () => {
    expect(check(`---\n${manifest()}---\n`).valid).toBe(true);
  });

  it('reports YAML syntax errors with positions and stops there', () => {
    const r = check('apiVersion: lowops.manifests.v1\nkind: [Project\n');
    expect(r.valid).toBe(false);
    expect(codes(r).every((c) => c === 'YAML_SYNTAX')).toBe(true);
    expect(r.diagnostics[0]!.line).toBeGreaterThanOrEqual(2);
    expect(r.project).toBeNull();
  });

  it('reports a tab indentation as a syntax error', () => {
    const r = check('apiVersion: lowops.manifests.v1\nkind: Project\nmetadata:\n\tname: x\n');
    expect(codes(r)).toContain('YAML_SYNTAX');
  });

  it('reports duplicate keys at the second occurrence and keeps the first', () => {
    const text = manifest().replace(
      '  environment: production\n',
      '  environment: production\n  environment: staging\n',
    );
    const r = check(text);
    expect(withCode(r, 'DUPLICATE_KEY')[0]).toMatchObject({ line: 6, column: 3 });
    expect(r.project?.environment).toBe('production');
  });

  it('fails fast on a billion-laughs document with a positioned ALIAS_LIMIT', () => {
    const rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      rows.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const r = check(`${rows.join('\n')}\n`);
    expect(codes(r)).toEqual(['ALIAS_LIMIT']);
    expect(r.diagnostics[0]).toMatchObject({ line: 2, column: 8 });
    expect(r.diagnostics[0]!.message).toContain(String(MAX_ALIAS_COUNT));
  });

  it('resolves a few harmless aliases', () => {
    const text = manifest(['&stripe api.stripe.com', 'hooks.slack.com', '*stripe']);
    const r = check(text);
    expect(r.egress.map((e) => e.value)).toEqual(['api.stripe.com', 'hooks.slack.com']);
    expect(withCode(r, 'DUPLICATE_ENTRY')[0]).toMatchObject({
      line: FIRST_ENTRY_LINE + 2,
      path: 'spec.allowedEgress[2]',
    });
  });

  it('handles a byte-order mark and CRLF line endings', () => {
    const text = `\ufeff${manifest(['api.stripe.com # Stripe', 'http://x.com'])}`
      .replace('kind: Project', 'kind: Projekt')
      .replace(/\n/g, '\r\n');
    const r = check(text.replace('apiVersion: lowops.manifests.v1', 'apiVersion: v1'));
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([
      ['INVALID_VALUE', 1, 13],
      ['INVALID_VALUE', 2, 7],
      ['ENTRY_URL', FIRST_ENTRY_LINE + 1, 7],
    ]);
    expect(r.egress).toEqual([{ value: 'api.stripe.com', type: 'hostname', description: 'Stripe' }]);
  });

  it('explains an unquoted wildcard (a YAML alias) and still checks the other entries', () => {
    const r = check(manifest(['api.stripe.com', '*.googleapis.com', 'http://x.com']));
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column, d.hint])).toEqual([
      ['UNQUOTED_WILDCARD', FIRST_ENTRY_LINE + 1, 7, 'write "*.googleapis.com"'],
      ['ENTRY_URL', FIRST_ENTRY_LINE + 2, 7, 'use `x.com`'],
    ]);
  });

  it('reports an alias without an anchor as a syntax error', () => {
    const r = check(manifest().replace('environment: production', 'environment: *prod'));
    expect(r.diagnostics).toEqual([expect.objectContaining({ code: 'YAML_SYNTAX', line: 5, column: 16 })]);
  });

  it('rejects a document that is not a mapping', () => {
    const r = check('- a\n- b\n');
    expect(r.diagnostics).toEqual([expect.objectContaining({ code: 'WRONG_TYPE', line: 1, column: 1, path: '' })]);
  });
});

describe('structure', () => {
  it('requires apiVersion, kind and metadata (name, environment), positioned at the parent', () => {
    const r = check('metadata:\n  organization: fincorp\n');
    expect(r.diagnostics.map((d) => [d.code, d.path, d.line, d.column]).sort()).toEqual([
      ['MISSING_FIELD', 'apiVersion', 1, 1],
      ['MISSING_FIELD', 'kind', 1, 1],
      ['MISSING_FIELD', 'metadata.environment', 1, 1],
      ['MISSING_FIELD', 'metadata.name', 1, 1],
    ]);
    expect(r.project).toBeNull();
  });

  it('checks apiVersion and kind values with a did-you-mean', () => {
    const r = check(manifest().replace('kind: Project', 'kind: project').replace('manifests.v1', 'manifests.v2'));
    expect(withCode(r, 'INVALID_VALUE').map((d) => [d.path, d.line, d.column, d.hint])).toEqual([
      ['apiVersion', 1, 13, 'did you mean `lowops.manifests.v1`?'],
      ['kind', 2, 7, 'did you mean `Project`?'],
    ]);
  });

  it('reports unknown fields anywhere with did-you-mean hints', () => {
    const text = manifest()
      .replace('allowedEgress:', 'allowedEgres:')
      .replace('  environment:', '  enviroment:')
      .replace('kind:', 'knd:');
    const r = check(text);
    const unknown = withCode(r, 'UNKNOWN_FIELD').map((d) => [d.path, d.line, d.column, d.hint]);
    expect(unknown).toEqual([
      ['knd', 2, 1, 'did you mean `kind`?'],
      ['metadata.enviroment', 5, 3, 'did you mean `environment`?'],
      ['spec.allowedEgres', 8, 3, 'did you mean `allowedEgress`?'],
    ]);
  });

  it('suggests the right level for a misspelt field one level down', () => {
    const text =
      'apiVersion: lowops.manifests.v1\nkind: Project\nmetadata: {name: payment-gateway, environment: dev}\nallowedEgres: []\n';
    const r = check(text);
    const d = withCode(r, 'UNKNOWN_FIELD').find((x) => x.path === 'allowedEgres');
    expect(d?.hint).toBe('did you mean `allowedEgress` under `spec`?');
  });

  it('says so when the seed guide example was pasted without indentation', () => {
    const seed = `apiVersion: lowops.manifests.v1
kind: Project
metadata:
name: payment-gateway
environment: production
organizational-unit: retail-banking
organization: fincorp
spec:
description: "Payment processing services with external partner integrations"
region: us-central1

allowedEgress:
- "api.stripe.com" # Payment processor API
- "hooks.slack.com" # Notification webhooks
- "smtp.sendgrid.net" # Email service
- "*.googleapis.com" # Google Cloud APIs (if not already allowed)
`;
    const r = check(seed);
    expect(r.valid).toBe(false);
    expect(new Set(codes(r))).toEqual(new Set(['MISPLACED_FIELD']));
    expect(r.diagnostics.map((d) => [d.path, d.line, d.column])).toEqual([
      ['name', 4, 1],
      ['environment', 5, 1],
      ['organizational-unit', 6, 1],
      ['organization', 7, 1],
      ['description', 9, 1],
      ['region', 10, 1],
      ['allowedEgress', 12, 1],
    ]);
    expect(r.diagnostics[0]!.message).toContain('belongs under `metadata`');
    expect(r.diagnostics[0]!.message).toContain('indent');
    expect(r.diagnostics[6]!.message).toContain('belongs under `spec`');
    // The rest is still checked, so fixing the indentation is the only change needed.
    expect(r.egress.map((e) => e.value)).toEqual([
      'api.stripe.com',
      'hooks.slack.com',
      'smtp.sendgrid.net',
      '*.googleapis.com',
    ]);
    const fixed = seed
      .replace(/^(name|environment|organizational-unit|organization|description|region|allowedEgress):/gm, '  $1:')
      .replace(/^- /gm, '    - ');
    expect(check(fixed).diagnostics).toEqual([]);
  });

  it('still validates entries of a misplaced allowedEgress at their real path', () => {
    const text =
      'apiVersion: lowops.manifests.v1\nkind: Project\nmetadata: {name: payment-gateway, environment: dev}\nallowedEgress:\n- 10.0.0.1\n';
    const r = check(text);
    expect(withCode(r, 'NON_PUBLIC_ADDRESS')[0]).toMatchObject({ path: 'allowedEgress[0]', line: 5, column: 3 });
  });

  it('reports a spec field placed under metadata as misplaced', () => {
    const text = manifest().replace('  environment: production\n', '  environment: production\n  region: us-east1\n');
    const r = check(text);
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ code: 'MISPLACED_FIELD', path: 'metadata.region', line: 6, column: 3 }),
    ]);
    expect(r.diagnostics[0]!.message).toContain('belongs under `spec`');
  });

  it('reports wrong types and empty values', () => {
    const text = manifest()
      .replace('name: payment-gateway', 'name: 42')
      .replace('environment: production', 'environment:');
    const r = check(text);
    expect(withCode(r, 'WRONG_TYPE')[0]).toMatchObject({
      path: 'metadata.name',
      line: 4,
      column: 9,
      hint: 'quote it: "42"',
    });
    expect(withCode(r, 'EMPTY_VALUE')[0]).toMatchObject({ path: 'metadata.environment', line: 5, column: 3 });
    expect(r.project).toBeNull();
  });

  it('rejects allowedEgress that is not a list, and an empty allowedEgress value', () => {
    expect(
      withCode(check(manifest([]).replace('allowedEgress: []', 'allowedEgress: api.stripe.com')), 'WRONG_TYPE')[0],
    ).toMatchObject({
      path: 'spec.allowedEgress',
      line: 8,
      column: 18,
    });
    expect(codes(check(manifest([]).replace('allowedEgress: []', 'allowedEgress:')))).toEqual(['EMPTY_VALUE']);
  });
});

describe('metadata rules', () => {
  it('binds metadata.name to the file base name', () => {
    const r = check(manifest(), 'manifests/other-project.yaml');
    expect(withCode(r, 'NAME_PATH_MISMATCH')[0]).toMatchObject({ line: 4, column: 9, path: 'metadata.name' });
    expect(withCode(r, 'NAME_PATH_MISMATCH')[0]!.hint).toContain('payment-gateway.yaml');
  });

  it.each([
    // The file carries the same invalid name, so it is told to rename the file too.
    ['Payment-Gateway', 'use `payment-gateway` and rename the file to `payment-gateway.yaml`'],
    ['payment_gateway', 'use `payment-gateway` and rename the file to `payment-gateway.yaml`'],
    ['9lives', 'use the lower-case project key: a-z, 0-9 and `-`, starting with a letter, at most 30 characters'],
    [
      'a-very-long-project-name-that-exceeds',
      'use `a-very-long-project-name-that` and rename the file to `a-very-long-project-name-that.yaml`',
    ],
  ])('rejects the project name %s', (name, hint) => {
    const r = check(manifest(undefined, name), `${name}.yaml`);
    const d = withCode(r, 'INVALID_PROJECT_NAME');
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ line: 4, column: 9 });
    expect(d[0]!.hint).toBe(hint);
    expect(withCode(r, 'NAME_PATH_MISMATCH')).toEqual([]);
  });

  it('checks environment and region', () => {
    const text = manifest()
      .replace('environment: production', 'environment: Production')
      .replace('us-central1', 'us-centrall');
    const r = check(text);
    expect(withCode(r, 'INVALID_ENVIRONMENT')[0]).toMatchObject({ line: 5, column: 16, hint: 'use `production`' });
    expect(withCode(r, 'INVALID_REGION')[0]).toMatchObject({
      line: 7,
      column: 11,
      hint: 'did you mean `us-central1`?',
    });
  });

  it('only warns about a well-formed region it does not know', () => {
    const r = check(manifest().replace('us-central1', 'us-central9'));
    expect(r.valid).toBe(true);
    expect(r.diagnostics).toEqual([expect.objectContaining({ code: 'UNKNOWN_REGION', severity: 'warning' })]);
  });
});

describe('entries', () => {
  it('positions entry errors at the item, with path spec.allowedEgress[i]', () => {
    const r = check(manifest(['api.stripe.com', 'https://api.x.com/v1', '10.0.0.0/8']));
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column, d.path])).toEqual([
      ['ENTRY_URL', FIRST_ENTRY_LINE + 1, 7, 'spec.allowedEgress[1]'],
      ['NON_PUBLIC_ADDRESS', FIRST_ENTRY_LINE + 2, 7, 'spec.allowedEgress[2]'],
    ]);
    expect(r.egress).toEqual([{ value: 'api.stripe.com', type: 'hostname' }]);
  });

  it('rejects non-string entries', () => {
    const r = check(manifest(['1.5', '{host: api.x.com}', 'true', '~']));
    expect(codes(r)).toEqual(['ENTRY_NOT_STRING', 'ENTRY_NOT_STRING', 'ENTRY_NOT_STRING', 'ENTRY_NOT_STRING']);
    expect(r.diagnostics[0]!.hint).toBe('quote it: "1.5"');
  });

  it('warns about duplicates after normalization and keeps the first', () => {
    const r = check(manifest(['api.stripe.com # first', 'API.STRIPE.COM. # second', '8.8.8.8', '8.8.8.8/32']));
    expect(r.valid).toBe(true);
    expect(withCode(r, 'DUPLICATE_ENTRY').map((d) => [d.severity, d.line, d.path])).toEqual([
      ['warning', FIRST_ENTRY_LINE + 1, 'spec.allowedEgress[1]'],
      ['warning', FIRST_ENTRY_LINE + 3, 'spec.allowedEgress[3]'],
    ]);
    expect(r.egress).toEqual([
      { value: 'api.stripe.com', type: 'hostname', description: 'first' },
      { value: '8.8.8.8/32', type: 'cidr' },
    ]);
  });

  it('keeps the first of repeated entries with the first non-empty description among them', () => {
    const r = check(
      manifest([
        'a.example.com',
        'A.example.com # why',
        'a.example.com. # later',
        '8.8.8.8 # kept',
        '8.8.8.8/32 # not',
      ]),
    );
    expect(withCode(r, 'DUPLICATE_ENTRY').map((d) => d.path)).toEqual([
      'spec.allowedEgress[1]',
      'spec.allowedEgress[2]',
      'spec.allowedEgress[4]',
    ]);
    expect(r.egress).toEqual([
      { value: 'a.example.com', type: 'hostname', description: 'why' },
      { value: '8.8.8.8/32', type: 'cidr', description: 'kept' },
    ]);
  });

  it('bounds entries per manifest by the policy, once, at the list', () => {
    const policy = { ...DEFAULT_POLICY, manifest: { ...DEFAULT_POLICY.manifest, maxEntries: 2 } };
    const r = check(manifest(['a.example.com', 'b.example.com', 'c.example.com']), undefined, policy);
    expect(r.diagnostics.map((d) => [d.code, d.line, d.path])).toEqual([['TOO_MANY_ENTRIES', 8, 'spec.allowedEgress']]);
  });

  it('collects every problem at once', () => {
    const r = check(
      manifest(['"*.com"', 'api.x.com:8443', '0.0.0.0/0']).replace('kind: Project', 'kind: Projects'),
      'wrong-name.yaml',
    );
    expect(codes(r)).toEqual([
      'INVALID_VALUE',
      'NAME_PATH_MISMATCH',
      'WILDCARD_PUBLIC_SUFFIX',
      'ENTRY_PORT',
      'CIDR_ALL_ADDRESSES',
    ]);
  });
});

describe('checkProjectSet', () => {
  it('flags two files declaring the same project, at metadata.name, without mutating the inputs', () => {
    const a = check(manifest(), 'team-a/payment-gateway.yaml');
    const b = check(manifest(), 'team-b/payment-gateway.yaml');
    const c = check(manifest(undefined, 'other'), 'other.yaml');
    const out = checkProjectSet([a, b, c]);
    expect(out.map((r) => r.valid)).toEqual([false, false, true]);
    expect(withCode(out[0]!, 'DUPLICATE_PROJECT')[0]).toMatchObject({ line: 4, column: 9, path: 'metadata.name' });
    expect(withCode(out[0]!, 'DUPLICATE_PROJECT')[0]!.message).toContain('team-b/payment-gateway.yaml');
    expect(a.valid).toBe(true);
    expect(out[2]).toBe(c);
  });

  it('ignores results without a project', () => {
    const bad = validateManifest('', { path: 'x.yaml', policy: DEFAULT_POLICY });
    expect(checkProjectSet([bad, bad])).toEqual([bad, bad]);
  });
});
