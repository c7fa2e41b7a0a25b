/**
 * Runs the fake GCS as a process (local pipeline, manual runs):
 *   node dist/local/fakes/gcs/server.js [--port N] [--notify URL] [--bucket NAME]... [--persist DIR] [--no-versioning]
 * Prints `fake-gcs listening on http://127.0.0.1:PORT` once ready; SIGINT/SIGTERM stop it.
 */
import { parseArgs } from 'node:util';
import { startFakeGcs } from './index';

const USAGE =
  'usage: server.js [--port N] [--notify URL] [--bucket NAME]... [--persist DIR] [--no-versioning] [--verbose]';

/** Parses argv, starts the fake, and keeps it running until a signal arrives. */
export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '0' },
      notify: { type: 'string' },
      bucket: { type: 'string', multiple: true, default: [] },
      persist: { type: 'string' },
      'no-versioning': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0..65535 (got ${values.port})`);
  const fake = await startFakeGcs({
    port,
    ...(values.notify ? { notify: { url: values.notify } } : {}),
    ...(values.persist ? { persistDir: values.persist } : {}),
    versioning: !values['no-versioning'],
    buckets: values.bucket,
  });
  if (values.verbose)
    fake.onRequest((r) => process.stderr.write(`fake-gcs ${r.method} ${r.op} ${r.bucket ?? ''} ${r.object ?? ''}\n`));
  process.stdout.write(`fake-gcs listening on ${fake.url}\n`);
  const stop = () => {
    fake.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  run(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`fake-gcs: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  });
}
