import { compileProject, planProject, renderPlan } from '../../../shared/core/firewall';
import type { ObservedRule } from '../../../shared/core/firewall/types';
import { testPolicy } from './testPolicy';

const policy = testPolicy();
const pg = { name: 'payment-gateway', environment: 'production' };
const current: ObservedRule[] = compileProject(
  pg,
  [
    { value: 'api.stripe.com', type: 'hostname' },
    { value: '2001:db8::/32', type: 'cidr' },
  ],
  { policy, generation: '1' },
).map((r, i) => ({ ...r, priority: 1000 + i }));
const desired = compileProject(
  pg,
  [
    { value: 'api.stripe.com', type: 'hostname' },
    { value: 'hooks.slack.com', type: 'hostname', description: 'webhooks' },
    { value: '34.117.59.0/24', type: 'cidr' },
  ],
  { policy, generation: '2' },
);
const plan = planProject(current, desired);

describe('renderPlan', () => {
  it('renders text with one line per change and the changed values', () => {
    const text = renderPlan(plan, 'text');
    expect(text.split('\n')[0]).toBe('egress plan: 1 to create, 1 to update, 1 to delete, 0 unchanged');
    expect(text).toContain('project payment-gateway');
    expect(text).toContain('  + create egress-payment-gateway-v4-1 (priority assigned at apply)');
    expect(text).toContain('  ~ update egress-payment-gateway-fqdn-1 (priority 1000)');
    expect(text).toContain('destFqdns: +hooks.slack.com');
    expect(text).toContain('description: "" -> "hooks.slack.com: webhooks"');
    expect(text).toContain('  - delete egress-payment-gateway-v6-1 (priority 1001)');
  });

  it('renders markdown with a summary table and a diff block', () => {
    const md = renderPlan(plan, 'markdown');
    expect(md).toContain('| `payment-gateway` |      1 |      1 |      1 |');
    expect(md).toContain('```diff\n+ create egress-payment-gateway-v4-1');
  });

  it('renders JSON that parses back to the plan', () => {
    const json = JSON.parse(renderPlan(plan, 'json'));
    expect(json.summary).toEqual({ create: 1, update: 1, delete: 1, unchanged: 0 });
    expect(json.projects[0].update[0].new).toEqual(plan.update[0]!.new);
    expect(json.projects[0].delete).toEqual(plan.delete);
  });

  it('says so when there is nothing to do', () => {
    expect(renderPlan({ create: [], update: [], delete: [], unchanged: 3 }, 'text')).toBe(
      'egress plan: 0 to create, 0 to update, 0 to delete, 3 unchanged\nNo changes.\n',
    );
  });
});
