/** The doctor use case: one read of each fact, a failed read becomes its check's WARN, --report-status publishes FAILs. */
import { decodeStatus } from '../../../shared/core/events/codec';
import type { PubSubMessage } from '../../../shared/core/events/types';
import { DEFAULT_CAPACITY } from '../../../shared/core/policy/capacity';
import { applierPermissions, type DoctorDeps, runDoctor } from '../../../shared/usecases/doctor';
import { egressRule, subnet, testModel } from '../network/fixtures';

const baseline = [egressRule(2147483010, 'deny', ['0.0.0.0/0']), egressRule(2147483011, 'deny', ['::/0'])];

function deps(over: Partial<DoctorDeps> = {}): DoctorDeps & { sent: PubSubMessage[]; reads: number } {
  const sent: PubSubMessage[] = [];
  const d = {
    sent,
    reads: 0,
    hostProject: 'host',
    expected: [{ name: 'egress' }],
    target: { mode: 'subnets' as const, subnets: '{project}-*' },
    settings: DEFAULT_CAPACITY,
    readModel: async () => {
      d.reads++;
      return testModel([subnet('a-1', '10.0.0.0/24')], baseline, { associatedPolicies: ['egress'] });
    },
    projects: async () => ['a'],
    dns: { list: async () => Promise.reject(new Error('403 dns.policies.list denied')) },
    permissions: { test: async (_p: string, _r: unknown, asked: readonly string[]) => asked.slice(0, 1) },
    limits: { read: async () => ({ attributesPerPolicy: 50 }) },
    publisher: {
      publish: async (_t: string, m: PubSubMessage) => {
        sent.push(m);
        return 'id';
      },
    },
    statusTopic: 'egress-status',
    ...over,
  };
  return d;
}

test('reads the model once; an unreadable DNS API warns, naming the error; the limits say where they came from', async () => {
  const d = deps();
  const { checks } = await runDoctor(d);
  expect(d.reads).toBe(1);
  const by = Object.fromEntries(checks.map((c) => [c.id, c]));
  expect(by['dns-logging']).toMatchObject({
    status: 'WARN',
    message: expect.stringContaining('403 dns.policies.list denied'),
  });
  expect(by.capacity!.message).toContain('/50 (quotas API), fqdns 0/1000 (policy file)');
  expect(by['applier-permissions']!.status).toBe('FAIL');
});

test('--report-status publishes one precondition-failed status event per FAIL, none for warnings', async () => {
  const d = deps();
  const { published, checks } = await runDoctor(d, { reportStatus: true });
  expect(published).toBe(checks.filter((c) => c.status === 'FAIL').length);
  expect(published).toBe(1);
  const ev = decodeStatus(d.sent[0]!);
  expect(ev.ok && ev.event.data).toMatchObject({
    outcome: 'precondition-failed',
    project: 'host',
    reason: 'applier-permissions',
  });
  await expect(runDoctor({ ...deps(), publisher: undefined }, { reportStatus: true })).rejects.toThrow(/publisher/);
});

test('regional policies are tested for the regional permission names', () => {
  expect(applierPermissions({ name: 'p', region: 'r' })).toEqual([
    'compute.regionFirewallPolicies.get',
    'compute.regionFirewallPolicies.update',
  ]);
});
