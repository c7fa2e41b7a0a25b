/**
 * The validator's process must never require @google-cloud/compute (~2 s of cold start for the applier's client).
 * Observed in a fresh node process, outside jest's registry: every Module._load request is recorded while the
 * deployment entry is loaded and the validator is invoked once (which composes its clients).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** What a fresh process loaded after requiring `entry` and after one validator invocation. */
interface LoadReport {
  afterLoad: string[];
  afterInvoke: string[];
  invokeError?: string;
}

const PROBE = `
const Module = require('node:module');
const requested = new Set();
const load = Module._load;
Module._load = function (request, ...rest) {
  const m = /^(@google-cloud\\/[^/]+|[^./][^/]*)/.exec(request);
  if (m) requested.add(m[1]);
  return load.call(this, request, ...rest);
};
require(process.env.PROBE_ENTRY);
const afterLoad = [...requested];
const { getFunction } = require('@google-cloud/functions-framework/testing');
const ev = { specversion: '1.0', id: '1', source: '//storage.googleapis.com/projects/_/buckets/b',
  type: 'google.cloud.storage.object.v1.finalized', data: { bucket: 'b', name: 'not-a-manifest.txt', generation: '1' } };
Promise.resolve(getFunction('egressValidator')(ev)).then(
  () => ({}), (e) => ({ invokeError: String(e && e.stack || e) }),
).then((extra) => {
  const cached = Object.keys(require.cache).map((k) => (/node_modules\\/(@google-cloud\\/[^/]+|[^/@][^/]*)\\//.exec(k) || [])[1]).filter(Boolean);
  process.stderr.write('PROBE ' + JSON.stringify({ afterLoad, afterInvoke: [...new Set([...requested, ...cached])], ...extra }) + '\\n');
});
`;

function probe(entry: string): LoadReport {
  const r = spawnSync(process.execPath, ['-r', join(ROOT, 'local/harness/registerTs.js'), '-e', PROBE], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      ...process.env,
      PROBE_ENTRY: join(ROOT, entry),
      EGRESS_PUBSUB_PROJECT: 'load-probe',
      METADATA_SERVER_DETECTION: 'none',
    },
  });
  const line = r.stderr.split('\n').find((l) => l.startsWith('PROBE '));
  if (!line) throw new Error(`probe of ${entry} produced no report (exit ${r.status}):\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(line.slice('PROBE '.length)) as LoadReport;
}

describe.each(['functions/validator/index.ts', 'functions/index.ts'])('loading %s', (entry) => {
  let report: LoadReport;
  beforeAll(() => {
    report = probe(entry);
  });

  it('registers egressValidator and composes it without error', () => {
    expect(report.invokeError).toBeUndefined();
  });

  it('keeps module load light: no Google Cloud client is required before the first event', () => {
    expect(
      report.afterLoad.filter((m) => m.startsWith('@google-cloud/') && m !== '@google-cloud/functions-framework'),
    ).toEqual([]);
  });

  it('loads storage and pubsub on the first event, and never @google-cloud/compute', () => {
    // The positive half shows the probe observes real loading (so the negative half can fail).
    expect(report.afterInvoke).toEqual(expect.arrayContaining(['@google-cloud/storage', '@google-cloud/pubsub']));
    expect(report.afterInvoke).not.toContain('@google-cloud/compute');
  });
});
