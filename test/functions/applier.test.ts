/**
 * egressApplier through the functions-framework test server, with the bodies Pub/Sub push delivers:
 *  - Eventarc (binary-mode CloudEvent, `google.cloud.pubsub.topic.v1.messagePublished`, MessagePublishedData body);
 *  - a raw push subscription pointed at the function (the Pub/Sub emulator's path), converted by the framework.
 * The firewall behind the composition root is the fake Compute engine through the production adapter.
 */
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import '../../functions/applier';
import {
  exampleSubnetworks,
  FakeGlobalOperationsClient,
  FakeNetworkFirewallPoliciesClient,
  FirewallPolicyEngine,
  fakeSubnetworksClient,
} from '../../local/fakes/compute';
import { computeFirewall } from '../../shared/adapters/compute';
import { computeSubnetSource } from '../../shared/adapters/subnets';
import { decodeStatus, encodeEvent, makeEgressChange } from '../../shared/core/events/codec';
import type { PubSubMessage } from '../../shared/core/events/types';
import { parseMarker } from '../../shared/core/firewall';
import type { EgressEntry } from '../../shared/core/manifest';
import { DEFAULT_POLICY } from '../../shared/core/policy';
import { singlePolicy } from '../../shared/ports/firewall';
import type { LogSeverity } from '../../shared/ports/logger';
import { setApplierDeps } from '../../shared/runtime/applier';

const HOST = 'host-prj';
const FP = 'egress-policy';
const TOPIC = 'projects/infra-prj/topics/egress-changes';

const entries: EgressEntry[] = [
  { value: 'api.stripe.com', type: 'hostname', description: 'Payment processor API' },
  { value: '34.117.59.0/24', type: 'cidr' },
];
const change = (generation: string, es = entries, reason: 'upsert' | 'delete' = 'upsert') =>
  makeEgressChange({
    project: { name: 'payment-gateway', environment: 'production' },
    reason,
    entries: es,
    source: { bucket: 'egress-manifests', object: 'manifests/payment-gateway.yaml', generation },
  });

let engine: FirewallPolicyEngine;
let published: PubSubMessage[];
let logs: { severity: LogSeverity; message: string }[];

beforeEach(() => {
  engine = new FirewallPolicyEngine({ completion: 'immediate' });
  engine.createPolicy(HOST, FP);
  // Target mode subnets (the default): the example Shared VPC subnets, read through the adapter at each event.
  engine.directory.putSubnetworks(HOST, exampleSubnetworks(HOST));
  published = [];
  logs = [];
  setApplierDeps({
    policies: singlePolicy(
      computeFirewall({
        project: HOST,
        policy: FP,
        policies: new FakeNetworkFirewallPoliciesClient(engine),
        operations: new FakeGlobalOperationsClient(engine),
      }),
    ),
    publisher: {
      publish: async (_t, m) => {
        published.push(m);
        return String(published.length);
      },
    },
    statusTopic: 'egress-status',
    policy: DEFAULT_POLICY,
    workloads: { subnets: computeSubnetSource(HOST, fakeSubnetworksClient(engine.directory)) },
    logger: { log: (severity, message) => logs.push({ severity, message }) },
    clock: { now: () => Date.now(), sleep: async () => undefined },
    hostProject: HOST,
    retry: { attempts: 2 },
  });
});

afterAll(() => setApplierDeps(undefined));

/** The MessagePublishedData body of a push delivery. */
function pushBody(msg: PubSubMessage, messageId = '1234567890') {
  return {
    message: {
      data: msg.data.toString('base64'),
      attributes: msg.attributes,
      messageId,
      message_id: messageId,
      publishTime: '2026-01-01T00:00:00.000Z',
      publish_time: '2026-01-01T00:00:00.000Z',
      ...(msg.orderingKey ? { orderingKey: msg.orderingKey } : {}),
    },
    subscription: 'projects/infra-prj/subscriptions/egress-applier',
  };
}

/** Eventarc: binary-mode CloudEvent over HTTP. */
function eventarc(msg: PubSubMessage, messageId = '1234567890') {
  return request(getTestServer('egressApplier'))
    .post('/')
    .set({
      'ce-specversion': '1.0',
      'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
      'ce-source': `//pubsub.googleapis.com/${TOPIC}`,
      'ce-id': messageId,
      'ce-time': '2026-01-01T00:00:00.000Z',
      'content-type': 'application/json',
    })
    .send(pushBody(msg, messageId));
}

const owned = () => engine.rules(HOST, FP).filter((r) => parseMarker(r.description));
const statuses = () =>
  published.map((m) => {
    const d = decodeStatus({ data: m.data, attributes: m.attributes });
    if (!d.ok) throw new Error(d.errors.join('; '));
    return d.event.data;
  });

describe('egressApplier', () => {
  it('applies an egress change delivered by Eventarc and reports applied', async () => {
    const res = await eventarc(encodeEvent(change('100')));
    expect(res.status).toBeLessThan(300);
    expect(
      owned()
        .map((r) => r.ruleName)
        .sort(),
    ).toEqual(['egress-payment-gateway-fqdn-1', 'egress-payment-gateway-v4-1']);
    // Target mode subnets: every rule matches the project's subnet ranges (primary + GKE Pods + Services).
    for (const r of owned()) {
      expect(r.match?.srcIpRanges).toEqual(['10.10.0.0/24', '10.64.0.0/14', '10.68.0.0/20']);
      expect(r.targetServiceAccounts).toBeUndefined();
    }
    expect(statuses()).toEqual([
      expect.objectContaining({
        outcome: 'applied',
        project: 'payment-gateway',
        plan: expect.objectContaining({ create: 2 }),
      }),
    ]);
  });

  it('has one effect when the same message is delivered twice', async () => {
    const msg = encodeEvent(change('100'));
    await eventarc(msg, '1');
    engine.resetCounters();
    const res = await eventarc(msg, '2');
    expect(res.status).toBeLessThan(300);
    const c = engine.counters();
    expect([c.reads, c.writes]).toEqual([1, 0]);
    expect(owned()).toHaveLength(2);
  });

  it('acknowledges a late upsert of a deleted generation as skipped, without writing', async () => {
    await eventarc(encodeEvent(change('100')), '1');
    await eventarc(encodeEvent(change('100', [], 'delete')), '2');
    expect(owned().map((r) => r.ruleName)).toEqual(['egress-payment-gateway-tombstone']);
    engine.resetCounters();
    const res = await eventarc(encodeEvent(change('100')), '3');
    expect(res.status).toBeLessThan(300);
    expect([engine.counters().reads, engine.counters().writes]).toEqual([1, 0]);
    expect(statuses().at(-1)).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringMatching(/revoked at generation 100/),
    });
    expect(owned().map((r) => r.ruleName)).toEqual(['egress-payment-gateway-tombstone']);
  });

  it('accepts a raw push from a subscription pointed at the function (the emulator)', async () => {
    const res = await request(getTestServer('egressApplier'))
      .post(`/${TOPIC}`)
      .set('content-type', 'application/json')
      .send(pushBody(encodeEvent(change('100'))));
    expect(res.status).toBeLessThan(300);
    expect(owned()).toHaveLength(2);
  });

  it('fails the request when Compute stays unavailable, so Pub/Sub redelivers', async () => {
    engine.failNext({ count: 10, status: 503, reason: 'backendError' });
    const res = await eventarc(encodeEvent(change('100')));
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(published).toHaveLength(0);
    expect(logs.some((l) => l.severity === 'WARNING')).toBe(true);
    engine.clearFaults();
    expect((await eventarc(encodeEvent(change('100')))).status).toBeLessThan(300);
    expect(owned()).toHaveLength(2);
  });

  it('acknowledges a poison message and reports apply-failed', async () => {
    const msg = encodeEvent(change('100'));
    const res = await eventarc({ ...msg, data: Buffer.from('not json') });
    expect(res.status).toBeLessThan(300);
    expect(statuses()).toEqual([expect.objectContaining({ outcome: 'apply-failed', reason: 'undecodable-event' })]);
    expect(logs.some((l) => l.severity === 'ERROR')).toBe(true);
    expect(engine.counters().writes).toBe(0);
  });

  it('acknowledges entries that fail the re-check (never trusts the wire)', async () => {
    const res = await eventarc(encodeEvent(change('100', [{ value: '0.0.0.0/0', type: 'cidr' }])));
    expect(res.status).toBeLessThan(300);
    expect(statuses()[0]).toMatchObject({ outcome: 'apply-failed', reason: 'invalid-entries' });
    expect(engine.counters().reads).toBe(0);
  });
});
