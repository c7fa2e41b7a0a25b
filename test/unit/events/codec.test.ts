import {
  changeEventId,
  compareGenerations,
  decodeEgressChange,
  desiredHash,
  encodeEvent,
  makeEgressChange,
} from '../../../shared/core/events/codec';

const source = { bucket: 'b', object: 'manifests/payment-gateway.yaml', generation: '1700000000000001' };
const project = { name: 'payment-gateway', environment: 'production' };
const entries = [
  { value: 'api.stripe.com', type: 'hostname' as const, description: 'Payment processor API' },
  { value: '34.117.59.0/24', type: 'cidr' as const },
];

describe('egress-change codec', () => {
  it('round-trips through a Pub/Sub message in binary mode with the project as ordering key', () => {
    const ev = makeEgressChange({ project, reason: 'upsert', entries, source, time: new Date(0) });
    const msg = encodeEvent(ev);
    expect(msg.orderingKey).toBe('payment-gateway');
    expect(msg.attributes['ce-type']).toBe('dev.infrastream.egress.changed.v1');
    expect(msg.attributes['ce-subject']).toBe('payment-gateway');
    const back = decodeEgressChange({ data: msg.data.toString('base64'), attributes: msg.attributes });
    expect(back).toEqual({ ok: true, event: ev });
  });

  it('derives the id from bucket, object, generation and reason only', () => {
    expect(changeEventId(source, 'upsert')).toBe(changeEventId({ ...source }, 'upsert'));
    expect(changeEventId(source, 'upsert')).not.toBe(changeEventId(source, 'replay'));
    expect(changeEventId(source, 'upsert')).not.toBe(changeEventId({ ...source, generation: '2' }, 'upsert'));
  });

  it('hashes desired state independent of order and descriptions', () => {
    const a = desiredHash('p', entries);
    expect(
      desiredHash(
        'p',
        [...entries].reverse().map((e) => ({ value: e.value, type: e.type })),
      ),
    ).toBe(a);
    expect(desiredHash('q', entries)).not.toBe(a);
    expect(desiredHash('p', entries.slice(1))).not.toBe(a);
  });

  it('empties the entries of a delete event', () => {
    expect(makeEgressChange({ project, reason: 'delete', entries, source }).data.entries).toEqual([]);
  });

  it('reports every problem of a poison message', () => {
    const r = decodeEgressChange({ data: Buffer.from('{"schemaVersion":2}'), attributes: { 'ce-type': 'x' } });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors).toContain('attribute ce-id is missing');
      expect(r.errors).toContain('ce-type x is not dev.infrastream.egress.changed.v1');
    }
    const bad = encodeEvent(makeEgressChange({ project, reason: 'upsert', entries, source }));
    const tampered = { ...bad.attributes, 'ce-subject': 'other' };
    const r2 = decodeEgressChange({ data: bad.data, attributes: tampered });
    expect(r2.ok).toBe(false);
    expect(decodeEgressChange({ data: Buffer.from('not json'), attributes: bad.attributes }).ok).toBe(false);
  });

  it('compares generations beyond 2^53', () => {
    expect(compareGenerations('9007199254740993', '9007199254740992')).toBe(1);
    expect(compareGenerations('5', '5')).toBe(0);
    expect(compareGenerations('4', '10')).toBe(-1);
  });
});
