/**
 * The validator's steps' common parts (validateObject.ts is the recipe): its dependencies and outcomes, one I/O step
 * (transient failures are thrown as RetryLaterError, permanent ones end the event as `failed`), one publish.
 */
import type { Diagnostic } from '../core/diagnostics';
import { encodeEvent } from '../core/events/codec';
import type { CloudEventEnvelope, EgressChangeEvent, ManifestSource, StatusEvent } from '../core/events/types';
import type { PlatformPolicy } from '../core/policy/types';
import { isTransient, RetryLaterError } from '../ports/errors';
import type { Logger } from '../ports/logger';
import type { EventPublisher } from '../ports/publisher';
import type { ManifestStore } from '../ports/storage';
import type { StorageObjectEvent } from './storageEvent';

/** `ce-source` of the status events the validator publishes. */
export const VALIDATOR_SOURCE = '//infrastream-egress/validator';

/** What the validator needs; built once per instance by the composition root (shared/runtime/validator). */
export interface ValidateObjectDeps {
  /** The manifest store of a bucket (events name their bucket). */
  storeFor(bucket: string): ManifestStore;
  publisher: EventPublisher;
  logger: Logger;
  policy: PlatformPolicy;
  changesTopic: string;
  statusTopic: string;
  /** Only objects under this prefix are manifests ('' means the whole bucket). */
  manifestPrefix: string;
}

/** What happened to one event (returned for tests and logged). */
export type ValidateOutcome =
  | { kind: 'ignored'; reason: string }
  | { kind: 'malformed'; errors: string[] }
  | { kind: 'gone' }
  | { kind: 'published'; event: EgressChangeEvent; messageId: string }
  | { kind: 'rejected'; status: StatusEvent; messageId: string }
  | { kind: 'superseded'; liveGeneration: string }
  | { kind: 'deleted'; event: EgressChangeEvent; messageId: string }
  | { kind: 'failed'; error: string };

/** Runs an I/O step; transient failures become RetryLaterError (thrown on), permanent ones are returned. */
export async function io<T>(
  what: string,
  fn: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: Error }> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    const msg = `${what}: ${err instanceof Error ? err.message : String(err)}`;
    if (isTransient(err)) throw new RetryLaterError(msg, err);
    return { ok: false, error: new Error(msg) };
  }
}

export function sourceOf(ev: StorageObjectEvent, stored?: { md5Hash?: string; crc32c?: string }): ManifestSource {
  const md5Hash = stored?.md5Hash ?? ev.md5Hash;
  const crc32c = stored?.crc32c ?? ev.crc32c;
  return {
    bucket: ev.bucket,
    object: ev.name,
    generation: ev.generation,
    ...(md5Hash ? { md5Hash } : {}),
    ...(crc32c ? { crc32c } : {}),
  };
}

export function summary(diags: readonly Diagnostic[]): string[] {
  return diags.slice(0, 5).map((d) => `${d.line}:${d.column} ${d.code}: ${d.message}`);
}

/** A step either ends the event with an outcome (`done`) or hands its value to the next step. */
export type Step<T> = { done: ValidateOutcome } | { done?: undefined; value: T };

/** Publishes `event` to `topic`; a permanent failure ends the event (`failed`), a transient one is thrown on. */
export async function publishTo<T>(
  deps: ValidateObjectDeps,
  topic: string,
  event: CloudEventEnvelope<T>,
  ctx: Record<string, unknown>,
): Promise<Step<string>> {
  const pub = await io(`publish to ${topic}`, () => deps.publisher.publish(topic, encodeEvent(event)));
  return pub.ok ? { value: pub.value } : { done: failed(deps, pub.error, ctx) };
}

/** A permanent failure: logged with what to fix, and the event acknowledged. */
export function failed(deps: ValidateObjectDeps, error: Error, ctx: Record<string, unknown>): ValidateOutcome {
  // Permanent API answers (403, 404 topic, 400): a redelivery would fail alike, so acknowledge and say what to fix.
  deps.logger.log('ERROR', `${error.message}; event acknowledged without effect`, {
    ...ctx,
    hint: 'fix the permission/configuration named above, then run `egress replay` for this manifest',
  });
  return { kind: 'failed', error: error.message };
}
