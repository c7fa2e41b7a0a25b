import { FilterError, parseFilter } from '../../../../local/fakes/logging/filter';

const e = {
  logName: 'projects/h/logs/compute.googleapis.com%2Ffirewall',
  timestamp: '2026-12-01T20:00:00.000Z',
  resource: { type: 'gce_subnetwork', labels: { project_id: 'h' } },
  jsonPayload: {
    disposition: 'DENIED',
    connection: { dest_ip: '198.51.100.7', dest_port: 443 },
    instance: { project_id: 'p1' },
  },
};

test('equality on logName, resource and nested jsonPayload fields, numbers compared as text', () => {
  expect(parseFilter('logName="projects/h/logs/compute.googleapis.com%2Ffirewall"')(e)).toBe(true);
  expect(parseFilter('resource.type=gce_subnetwork AND resource.labels.project_id="h"')(e)).toBe(true);
  expect(parseFilter('jsonPayload.connection.dest_port=443 AND jsonPayload.disposition="DENIED"')(e)).toBe(true);
  expect(parseFilter('jsonPayload.disposition="ALLOWED"')(e)).toBe(false);
  expect(parseFilter('jsonPayload.missing="x"')(e)).toBe(false);
  expect(parseFilter('jsonPayload.connection="x"')(e)).toBe(false);
  expect(parseFilter('jsonPayload.disposition!="ALLOWED"')(e)).toBe(true);
  expect(parseFilter('')(e)).toBe(true);
});

test('timestamp comparisons, OR and NOT inside parentheses', () => {
  expect(parseFilter('timestamp>="2026-12-01T19:00:00Z"')(e)).toBe(true);
  expect(parseFilter('timestamp>"2026-12-01T20:00:00Z"')(e)).toBe(false);
  expect(parseFilter('timestamp<="2026-12-01T20:00:00Z"')(e)).toBe(true);
  const f = parseFilter(
    'jsonPayload.instance.project_id="p1" AND (jsonPayload.connection.dest_ip="1.1.1.1" OR jsonPayload.connection.dest_ip="198.51.100.7")',
  );
  expect(f(e)).toBe(true);
  expect(parseFilter('NOT jsonPayload.disposition="DENIED"')(e)).toBe(false);
});

test.each([
  ['jsonPayload.disposition:"DENIED"', /operator : is not supported/],
  ['jsonPayload.disposition=~"DEN.*"', /operator =~ is not supported/],
  ['textPayload="x"', /field textPayload is not supported/],
  ['DENIED', /field DENIED is not supported/],
  ['jsonPayload.disposition', /expected a comparison/],
  ['logName="a" logName="b"', /implicit AND is not supported/],
  ['logName="a" AND logName="b" OR logName="c"', /AND and OR mixed without parentheses/],
  ['jsonPayload.connection.dest_port>=400', /supported on timestamp only/],
  ['timestamp>="yesterday"', /not an RFC 3339 time/],
  ['(logName="a"', /missing \)/],
  ['logName="a', /unterminated string/],
])('refuses %s', (filter, message) => {
  expect(() => parseFilter(filter)).toThrow(FilterError);
  expect(() => parseFilter(filter)).toThrow(message);
});
