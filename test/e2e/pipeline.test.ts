/**
 * The whole pipeline on the real Pub/Sub emulator (local/program/stack): a manifest written to the fake bucket
 * → storage CloudEvent → egressValidator → egress-changes → push → egressApplier → the real compute client → the fake
 * firewall policy, with outcomes on egress-status. Every case asserts the final firewall state AND the status events,
 * and waits on status events (never on fixed sleeps).
 */

import type { FirewallPolicyRule } from '../../local/fakes/compute/engine';
import { cloudEventHeaders } from '../../local/fakes/gcs';
import { type LocalStack, startLocalStack } from '../../local/program/stack';
import { changeEventId, compareGenerations, encodeEvent, makeEgressChange } from '../../shared/core/events/codec';
import type { StatusEvent } from '../../shared/core/events/types';
import { isTombstone, parseMarker } from '../../shared/core/firewall';
import type { ObservedRule } from '../../shared/core/firewall/types';
import { eventually } from '../support/eventually';
import { manifestYaml } from '../support/manifests';

jest.setTimeout(30_000);

let stack: LocalStack;
const PREFIX = 'manifests/';

beforeAll(async () => {
  stack = await startLocalStack({
    mode: 'in-process',
    suffix: `pipeline-${process.pid}`,
    prefix: PREFIX,
    // Two quick in-process tries, so the outage case also exercises a Pub/Sub redelivery within a second or two.
    applierRetry: { attempts: 2, baseMs: 20, capMs: 50 },
  });
  // Target mode subnets (the default): each project of these tests has its Shared VPC subnet in the host project.
  const projects = [
    'poison-target',
    'shop-api',
    'upper-api',
    'ledger-sync',
    'old-batch',
    'partner-feed',
    'twice-told',
    'late-mail',
    'outage-proof',
  ];
  stack.engine.directory.putSubnetworks(
    stack.hostProject,
    projects.map((p, i) => ({
      name: `${p}-usc1`,
      region: 'us-central1',
      network: `https://www.googleapis.com/compute/v1/projects/${stack.hostProject}/global/networks/shared-vpc`,
      ipCidrRange: `10.40.${i}.0/24`,
      // shop-api is dual-stack: its IPv6 rules get the IPv6 sources
      ...(p === 'shop-api' ? { stackType: 'IPV4_IPV6', internalIpv6Prefix: 'fd20:40:1::/64' } : {}),
    })),
  );
});

afterAll(async () => {
  await stack?.stop();
});

function manifest(name: string, egress: string[], extra = ''): string {
  return manifestYaml(name, egress, { comment: (e) => `why ${e}`, extra });
}

const objectOf = (project: string) => `${PREFIX}${project}.yaml`;

async function upload(project: string, text: string): Promise<string> {
  const obj = await stack.store.write(objectOf(project), Buffer.from(text), { contentType: 'application/yaml' });
  return obj.generation;
}

/** The final status of one manifest generation (rejected, applied, skipped or apply-failed). */
function outcomeOf(project: string, generation: string, timeoutMs = 15_000): Promise<StatusEvent> {
  return stack.waitForStatus(
    (s) => s.data.source?.object === objectOf(project) && s.data.source.generation === generation,
    timeoutMs,
  );
}

/** Everything a project's owned rules allow, sorted. */
function allowed(rules: readonly ObservedRule[]): string[] {
  return rules.flatMap((r) => [...(r.match.destFqdns ?? []), ...(r.match.destIpRanges ?? [])]).sort();
}

/** The accepted write operations recorded by the engine (its write log), in order. */
function writeLog() {
  return stack.engine.toJSON().operations.filter((o) => o.effect && !o.error && o.status === 'DONE');
}

const poisonId = `poison-${process.pid}`;
/** Whether the poison test ran (it may be filtered out with -t); the last test checks redelivery only then. */
let poisonPublished = false;

describe('a poison event', () => {
  it('is acknowledged and reported as apply-failed, not redelivered', async () => {
    const project = 'poison-target';
    await stack.pubsub.publishRaw(stack.topics.changes, [
      {
        data: 'this is not JSON',
        attributes: {
          'ce-specversion': '1.0',
          'ce-type': 'dev.infrastream.egress.changed.v1',
          'ce-source': '//tests/poison',
          'ce-id': poisonId,
          'ce-subject': project,
          'ce-time': new Date().toISOString(),
        },
        orderingKey: project,
      },
    ]);
    poisonPublished = true;
    const status = await stack.waitForStatus((s) => s.data.changeId === poisonId);
    expect(status.data).toMatchObject({ outcome: 'apply-failed', project, reason: 'undecodable-event' });
    expect(status.data.error).toMatch(/data is not JSON/);

    // A decodable event whose entries the core refuses (never trust the wire) is just as permanent.
    const bad = makeEgressChange({
      project: { name: project, environment: 'production' },
      reason: 'upsert',
      entries: [{ value: 'https://api.stripe.com/v1', type: 'hostname' }],
      source: { bucket: stack.bucket, object: objectOf(project), generation: '1' },
    });
    await stack.pubsub.publishEvent(stack.topics.changes, bad);
    const refused = await stack.waitForStatus((s) => s.data.changeId === bad.id);
    expect(refused.data).toMatchObject({ outcome: 'apply-failed', reason: 'invalid-entries' });

    // Same ordering key, published after: once it is applied, the poison messages before it were acknowledged. Its
    // generation is the object's live one (the applier applies a project's first rules only for that generation).
    const live = await upload(project, manifest(project, ['api.stripe.com']));
    expect((await outcomeOf(project, live)).data.outcome).toBe('applied');
    const sentinel = makeEgressChange({
      project: { name: project, environment: 'production' },
      reason: 'upsert',
      entries: [{ value: 'api.stripe.com', type: 'hostname' }],
      source: { bucket: stack.bucket, object: objectOf(project), generation: live },
    });
    await stack.pubsub.publishEvent(stack.topics.changes, sentinel);
    expect((await stack.waitForStatus((s) => s.data.changeId === sentinel.id)).data.outcome).toBe('applied');
    expect(allowed(stack.rules(project))).toEqual(['api.stripe.com']);

    const got = stack.deliveries.applier.filter((d) => d.changeId === poisonId);
    expect(got).toHaveLength(1);
    expect(got[0]!.ok).toBe(true); // a 2xx: the push is acknowledged
    expect(stack.deliveries.applier.filter((d) => d.changeId === bad.id)).toHaveLength(1);
  });
});

it('upload → rules: a new manifest becomes the project’s firewall rules', async () => {
  const foreign = () => stack.allRules().filter((r) => !parseMarker(r.description));
  const baseline = foreign();
  const gen = await upload('shop-api', manifest('shop-api', ['api.stripe.com', 'hooks.slack.com', '*.googleapis.com']));

  const status = await outcomeOf('shop-api', gen);
  expect(status.data.outcome).toBe('applied');
  expect(status.data.plan).toMatchObject({ create: 4, update: 0, delete: 0 });

  const rules = stack.rules('shop-api');
  expect(rules.map((r) => r.ruleName).sort()).toEqual([
    'egress-shop-api-fqdn-1',
    'egress-shop-api-fqdn6-1',
    'egress-shop-api-v4-1',
    'egress-shop-api-v6-1',
  ]);
  expect([...new Set(allowed(rules))]).toEqual([
    '199.36.153.8/30',
    '2600:2d00:2:2000::/56',
    'api.stripe.com',
    'hooks.slack.com',
  ]);
  for (const r of rules) {
    expect(r).toMatchObject({ direction: 'EGRESS', action: 'allow' });
    // target mode subnets (the default): the project's sources of the rule's family, no target accounts
    const v6 = r.ruleName.includes('-fqdn6-') || r.ruleName.includes('-v6-');
    expect(r.match.srcIpRanges).toEqual([v6 ? 'fd20:40:1::/64' : '10.40.1.0/24']);
    expect(r.targetServiceAccounts).toBeUndefined();
    expect(r.description).toContain(gen);
  }
  // Rules the applier does not own (the zero-trust baseline, Google's defaults) are untouched.
  expect(baseline.some((r) => r.action === ('deny' as string))).toBe(true);
  expect(foreign()).toEqual(baseline);
});

it('p.YAML (an extension in another letter case, as npm start and egress sync upload it) → applied', async () => {
  const object = `${PREFIX}upper-api.YAML`;
  const written = await stack.store.write(object, Buffer.from(manifest('upper-api', ['api.stripe.com'])), {
    contentType: 'application/yaml',
  });
  const status = await stack.waitForStatus(
    (s) => s.data.source?.object === object && s.data.source.generation === written.generation,
    15_000,
  );
  expect(status.data).toMatchObject({ outcome: 'applied', project: 'upper-api' });
  expect(allowed(stack.rules('upper-api'))).toEqual(['api.stripe.com']);
});

it('overwrite → rules updated in place, with no revoke in between', async () => {
  const project = 'ledger-sync';
  const gen1 = await upload(project, manifest(project, ['api.stripe.com', 'hooks.slack.com', '34.117.59.0/24']));
  expect((await outcomeOf(project, gen1)).data.outcome).toBe('applied');
  const before = stack.allRules();
  const opsBefore = writeLog().length;

  const gen2 = await upload(project, manifest(project, ['api.stripe.com', 'api.twilio.com', '34.117.59.0/24']));
  const status = await outcomeOf(project, gen2);
  expect(status.data).toMatchObject({ outcome: 'applied', plan: { create: 0, update: 1, delete: 0, unchanged: 1 } });
  expect(allowed(stack.rules(project))).toEqual(['34.117.59.0/24', 'api.stripe.com', 'api.twilio.com']);

  // Replay the engine's write log from the state before the overwrite: what stays desired is allowed at every step.
  const ops = writeLog().slice(opsBefore);
  expect(ops.length).toBeGreaterThan(0);
  const state = new Map<number, FirewallPolicyRule>(before.map((r) => [r.priority, r as FirewallPolicyRule]));
  for (const op of ops) {
    const e = op.effect!;
    if (e.kind === 'add') state.set(e.rule.priority!, e.rule);
    else if (e.kind === 'patch') {
      state.delete(e.from);
      state.set(e.rule.priority!, e.rule);
    } else if (e.kind === 'remove') state.delete(e.priority);
    else {
      state.clear();
      for (const r of e.rules) state.set(r.priority!, r);
    }
    const now = [...state.values()].filter((r) => parseMarker(r.description)?.project === project);
    const values = now.flatMap((r) => [...(r.match?.destFqdns ?? []), ...(r.match?.destIpRanges ?? [])]);
    expect(values).toEqual(expect.arrayContaining(['api.stripe.com', '34.117.59.0/24']));
  }
  expect(ops.filter((o) => o.effect!.kind === 'remove')).toEqual([]);

  // The bucket is versioned: the overwrite also emitted `archived` for generation 1, which the validator ignored.
  await stack.gcs.flushNotifications();
  const archived = stack.deliveries.validator.find((d) => d.type.endsWith('.archived') && d.generation === gen1);
  expect(archived?.ok).toBe(true);
  expect(
    stack.logs.some(
      (l) => l.component === 'validator' && l.fields.generation === gen1 && /live generation kept/.test(l.message),
    ),
  ).toBe(true);
});

it('delete → the project’s rules are revoked', async () => {
  const project = 'old-batch';
  const gen = await upload(project, manifest(project, ['sftp.marketdata-vendor.com', '1.1.1.1']));
  expect((await outcomeOf(project, gen)).data.outcome).toBe('applied');
  expect(stack.rules(project)).toHaveLength(2);

  await stack.store.delete(objectOf(project));
  const revokeId = changeEventId({ bucket: stack.bucket, object: objectOf(project), generation: gen }, 'delete');
  const status = await stack.waitForStatus((s) => s.data.changeId === revokeId);
  expect(status.data).toMatchObject({ outcome: 'applied', plan: { update: 0, delete: 2 } });
  // Nothing is allowed any more; what remains is the tombstone recording the deletion's generation (a disabled deny
  // of an unroutable address), so a late upsert of that generation cannot bring the rules back.
  const left = stack.rules(project);
  expect(allowed(left.filter((r) => r.action === 'allow'))).toEqual([]);
  expect(left.every((r) => isTombstone(r) && r.disabled && r.action === ('deny' as string))).toBe(true);
  expect(left.map((r) => parseMarker(r.description)?.generation)).toEqual([gen]);
});

it('invalid manifest → rejected with diagnostics, firewall untouched', async () => {
  const project = 'partner-feed';
  const gen1 = await upload(project, manifest(project, ['api.partner-feed.io']));
  expect((await outcomeOf(project, gen1)).data.outcome).toBe('applied');
  const before = stack.allRules();
  const appliedBefore = stack.engine.counters().applied;

  const gen2 = await upload(
    project,
    manifest(project, ['https://api.partner-feed.io/v2', '10.20.0.0/16', 'api.partner-feed.io:8443']),
  );
  const status = await outcomeOf(project, gen2);
  expect(status.data.outcome).toBe('rejected');
  expect(status.data.project).toBe(project);
  const errors = (status.data.diagnostics ?? []).filter((d) => d.severity === 'error');
  expect(errors.length).toBeGreaterThanOrEqual(3);
  for (const d of errors) expect(d.line).toBeGreaterThan(7);

  await stack.gcs.flushNotifications();
  expect(stack.allRules()).toEqual(before);
  expect(stack.engine.counters().applied).toBe(appliedBefore);
  const wouldBe = changeEventId({ bucket: stack.bucket, object: objectOf(project), generation: gen2 }, 'upsert');
  expect(stack.deliveries.applier.some((d) => d.changeId === wouldBe)).toBe(false);
});

it('the same event delivered twice → one effect', async () => {
  const project = 'twice-told';
  const gen = await upload(project, manifest(project, ['api.sendgrid.com', '151.101.0.0/16']));
  const first = await outcomeOf(project, gen);
  expect(first.data).toMatchObject({ outcome: 'applied', plan: { create: 2 } });
  const rules = stack.rules(project);
  const c0 = stack.engine.counters();

  // Eventarc is at-least-once: deliver the same storage event again; the validator republishes the same change id.
  await stack.gcs.flushNotifications();
  const ev = stack.gcs.events.find((e) => e.data.name === objectOf(project) && e.data.generation === gen);
  const res = await fetch(stack.validatorUrl, {
    method: 'POST',
    headers: cloudEventHeaders(ev!),
    body: JSON.stringify(ev!.data),
  });
  expect(res.status).toBeLessThan(300);
  const second = await stack.waitForStatus((s) => s.data.changeId === first.data.changeId);
  expect(second.data).toMatchObject({ outcome: 'applied', plan: { create: 0, update: 0, delete: 0, unchanged: 2 } });

  const c1 = stack.engine.counters();
  expect(c1.writes - c0.writes).toBe(0);
  expect(c1.reads - c0.reads).toBe(1);
  expect(stack.rules(project)).toEqual(rules);
  // The tap records a delivery after the function answered, which is after it published the status: wait for it.
  const twice = await eventually('the second applier delivery', () => {
    const d = stack.deliveries.applier.filter((x) => x.changeId === first.data.changeId);
    return d.length >= 2 && d;
  });
  expect(twice).toHaveLength(2);
});

it('an older generation delivered after a newer one → the newer one wins', async () => {
  const project = 'late-mail';
  const gen1 = await upload(project, manifest(project, ['smtp.sendgrid.net']));
  expect((await outcomeOf(project, gen1)).data.outcome).toBe('applied');
  const gen2 = await upload(project, manifest(project, ['smtp.mailgun.org']));
  expect((await outcomeOf(project, gen2)).data.outcome).toBe('applied');
  expect(compareGenerations(gen2, gen1)).toBeGreaterThan(0);
  const c0 = stack.engine.counters();

  // The change of generation 1 arrives late (Eventarc and Pub/Sub push do not keep order).
  const late = makeEgressChange({
    project: { name: project, environment: 'production' },
    reason: 'upsert',
    entries: [{ value: 'smtp.sendgrid.net', type: 'hostname' }],
    source: { bucket: stack.bucket, object: objectOf(project), generation: gen1 },
  });
  expect(encodeEvent(late).attributes['ce-id']).toBe(changeEventId(late.data.source, 'upsert'));
  await stack.pubsub.publishEvent(stack.topics.changes, late);
  const status = await stack.waitForStatus((s) => s.data.changeId === late.id);
  expect(status.data.outcome).toBe('skipped');
  expect(status.data.reason).toMatch(/stale event/);
  expect(allowed(stack.rules(project))).toEqual(['smtp.mailgun.org']);
  expect(stack.engine.counters().writes - c0.writes).toBe(0);
});

it('a Compute outage → retried (in-process, then by Pub/Sub redelivery) until applied', async () => {
  const project = 'outage-proof';
  // 3 failures outlast the applier's 2 in-process tries: the first delivery fails (HTTP 500), a redelivery succeeds.
  // The outage hits the write: since google-gax 6 the client itself retries a 503 (UNAVAILABLE) on the idempotent
  // policy read, but never on a write (non-idempotent in its retry config), so only our retries are exercised.
  stack.engine.failNext({
    count: 3,
    status: 503,
    reason: 'backendError',
    message: 'The service is unavailable.',
    methods: ['patch'],
  });
  // The framework logs the failed delivery (its HTTP 500) with console.error: keep it, as evidence, out of the output.
  const crash = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    const errors0 = stack.engine.counters().errors;
    const gen = await upload(project, manifest(project, ['api.segment.io']));

    const status = await outcomeOf(project, gen, 20_000);
    expect(status.data).toMatchObject({ outcome: 'applied', plan: { create: 1 } });
    expect(allowed(stack.rules(project))).toEqual(['api.segment.io']);
    expect(stack.engine.counters().errors - errors0).toBe(3);
    // The tap records a delivery after the function answered (after the status it published): wait for the record.
    const tries = await eventually('the successful applier delivery', () => {
      const d = stack.deliveries.applier.filter((x) => x.changeId === status.data.changeId);
      return d.some((x) => x.ok) && d;
    });
    expect(tries.length).toBeGreaterThanOrEqual(2);
    expect(tries[0]!.ok).toBe(false);
    expect(tries[tries.length - 1]!.ok).toBe(true);
    expect(crash.mock.calls.some((c) => String(c[0]).includes('RetryLaterError'))).toBe(true);
  } finally {
    crash.mockRestore();
  }
});

// Last in the file (jest runs a file's tests in order): the emulator re-pushes an unacknowledged message about every
// second, so by now it has had the whole suite's duration to redeliver the poison message, had it not been acked.
it('the poison event was still delivered only once at the end of the run', () => {
  expect(stack.deliveries.applier.filter((d) => d.changeId === poisonId)).toHaveLength(poisonPublished ? 1 : 0);
});
