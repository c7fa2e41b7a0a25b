/**
 * `plan --all-live`: the folder is the whole fleet, so a project owned in the firewall without a manifest here (its
 * manifest deleted in the change) plans its revocation; without the flag only the named projects are planned.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlan } from '../../../shared/cli/commands/plan';
import { tombstoneRule } from '../../../shared/core/firewall';

const GOLDEN = join(__dirname, '..', '..', 'golden');
const state = join(GOLDEN, 'delete', 'state.json');
// The change deletes ledger.yaml: only payment-gateway.yaml is left in the folder.
const paths = [join(GOLDEN, 'delete', 'manifests', 'payment-gateway.yaml')];

test('a project owned live but absent from the folder plans its delete', async () => {
  const r = await runPlan({ paths, state, allLive: true, format: 'json', detailedExitcode: true }, {});
  expect(r.code).toBe(2);
  const doc = JSON.parse(r.stdout) as { revokedProjects: string[]; plannedProjects: string[] };
  expect(doc.revokedProjects).toEqual(['ledger']);
  expect(doc.plannedProjects).toEqual(['ledger', 'payment-gateway']);
  expect(r.plan!.delete.map((d) => d.ruleName)).toEqual(
    expect.arrayContaining(['egress-ledger-fqdn-1', 'egress-ledger-v4-1']),
  );
  const text = await runPlan({ paths, state, allLive: true, format: 'text' }, {});
  expect(text.stdout).toMatch(/egress-ledger-fqdn-1/);
  expect(text.stdout).toMatch(/1 project without a manifest here planned as deleted \(ledger\)/);
});

test('without --all-live the deleted manifest is not part of the plan', async () => {
  const r = await runPlan({ paths, state, format: 'json' }, {});
  expect(r.plan!.delete.map((d) => d.ruleName).filter((n) => n.startsWith('egress-ledger'))).toEqual([]);
  expect(JSON.parse(r.stdout).revokedProjects).toBeUndefined();
});

test('a project holding only its tombstone is no revocation (issue 19, item 10)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'egress-plan-all-live-'));
  try {
    const doc = JSON.parse(readFileSync(state, 'utf8')) as { policies: { rules: Record<string, unknown>[] }[] };
    const policy = doc.policies[0]!;
    // ledger was revoked earlier: only its tombstone is left.
    policy.rules = [
      ...policy.rules.filter((r) => !String(r.ruleName).startsWith('egress-ledger-')),
      {
        kind: 'compute#firewallPolicyRule',
        ...tombstoneRule('ledger', '1700000000000009', 1767225600),
        priority: 48999,
      },
    ];
    const file = join(dir, 'state.json');
    writeFileSync(file, JSON.stringify(doc));
    const r = await runPlan({ paths, state: file, allLive: true, format: 'json', detailedExitcode: true }, {});
    const out = JSON.parse(r.stdout) as { revokedProjects: string[]; plannedProjects: string[] };
    expect(out.revokedProjects).toEqual([]);
    expect(out.plannedProjects).toEqual(['payment-gateway']);
    expect(r.plan!.delete.map((d) => d.ruleName).filter((n) => n.startsWith('egress-ledger'))).toEqual([]);
    const text = await runPlan({ paths, state: file, allLive: true, format: 'text' }, {});
    expect(text.stdout).toMatch(/0 projects without a manifest here planned as deleted/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
