/** In-process functions of the local stack (`mode: 'in-process'`, the e2e tests). */
import { appendFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { gcsManifestStore } from '../../../shared/adapters/storage';
import type { Logger } from '../../../shared/ports/logger';
import type { LocalStack, LocalStackOptions, LogEntry } from './types';

function listen(server: Server): Promise<string> {
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

/** How long stopping waits for the events in flight (an applier retrying a faulty fake gives up later). */
const DRAIN_MS = 10_000;

/** Settles when every run in `inflight` has, or after `ms`. */
async function drain(inflight: ReadonlySet<Promise<unknown>>, ms: number): Promise<void> {
  if (!inflight.size) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<void>((ok) => {
    timer = setTimeout(ok, ms);
  });
  await Promise.race([Promise.allSettled([...inflight]), bound]);
  clearTimeout(timer);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((ok) => {
    server.close(() => ok());
    server.closeAllConnections();
  });
}

function recordingLogger(component: LogEntry['component'], logs: LogEntry[], file?: string): Logger {
  return {
    log(severity, message, fields = {}) {
      logs.push({ component, severity, message, fields });
      if (file) appendFileSync(file, `${JSON.stringify({ severity, message, component, ...fields })}\n`);
    },
  };
}

/** In-process functions: the real composition roots over `env`, with a recording logger and the fake bucket's client. */
export async function startInProcess(
  opts: LocalStackOptions,
  env: Record<string, string>,
  logs: LogEntry[],
  deliveries: LocalStack['deliveries'],
  cleanups: (() => Promise<unknown>)[],
): Promise<{ validatorUrl: string; applierUrl: string }> {
  // The Pub/Sub client reads the emulator address from process.env when it is constructed.
  const saved = { PUBSUB_EMULATOR_HOST: process.env.PUBSUB_EMULATOR_HOST };
  process.env.PUBSUB_EMULATOR_HOST = env.PUBSUB_EMULATOR_HOST;
  process.env.METADATA_SERVER_DETECTION = 'none';
  cleanups.push(async () => {
    if (saved.PUBSUB_EMULATOR_HOST === undefined) delete process.env.PUBSUB_EMULATOR_HOST;
    else process.env.PUBSUB_EMULATOR_HOST = saved.PUBSUB_EMULATOR_HOST;
  });
  await import('../../../functions/index');
  const { getTestServer } = await import('@google-cloud/functions-framework/testing');
  const { registerTap } = await import('../functionHost');
  const { composeValidator, setValidatorDeps } = await import('../../../shared/runtime/validator');
  const { composeApplier, setApplierDeps } = await import('../../../shared/runtime/applier');
  const fileOf = (name: string) => (opts.logDir ? join(opts.logDir, `${name}.log`) : undefined);

  const storage = new Storage({ apiEndpoint: env.STORAGE_EMULATOR_HOST!, projectId: env.EGRESS_PUBSUB_PROJECT! });
  const vdeps = await composeValidator(env);
  setValidatorDeps({
    ...vdeps,
    // The composition root's default client reads STORAGE_EMULATOR_HOST from process.env; give it the fake's.
    storeFor: (bucket) => gcsManifestStore(bucket, storage),
    logger: recordingLogger('validator', logs, fileOf('validator')),
  });
  const adeps = await composeApplier(env);
  setApplierDeps({
    ...adeps,
    storeFor: (bucket) => gcsManifestStore(bucket, storage),
    logger: recordingLogger('applier', logs, fileOf('applier')),
    ...(opts.applierRetry ? { retry: opts.applierRetry } : {}),
  });
  // Warm the compute client (gax loads its REST protos on the first call: seconds under jest) so the first event's
  // latency is the pipeline's, not the client's; costs one policy read.
  await adeps.policies.forPolicy(adeps.policies.list()[0]!).getPolicy();
  cleanups.push(async () => {
    setValidatorDeps(undefined);
    setApplierDeps(undefined);
    await Promise.all(
      [vdeps.publisher, adeps.publisher].map((p) => (p as { close?: () => Promise<void> } | undefined)?.close?.()),
    );
  });

  // Stopping: the servers close first (cleanups run last-in first), then the events already inside a function run to
  // their end (bounded) before the clients above close, so none fails on a closed client after the stack is gone.
  const inflight = new Set<Promise<unknown>>();
  cleanups.push(() => drain(inflight, DRAIN_MS));
  const validator = getTestServer(registerTap('egressValidator', (d) => deliveries.validator.push(d), inflight));
  const applier = getTestServer(registerTap('egressApplier', (d) => deliveries.applier.push(d), inflight));
  const validatorUrl = await listen(validator);
  cleanups.push(() => closeServer(validator));
  const applierUrl = await listen(applier);
  cleanups.push(() => closeServer(applier));
  return { validatorUrl, applierUrl };
}
