/**
 * The validator's recipe: a storage event about a manifest object → check it is still the live generation → read
 * exactly that generation → validate with the core (name binding and platform policy included) → publish an
 * egress-change event, or a `rejected` status.
 * Deletes revoke only when no live generation exists (an overwrite also emits a delete/archive of the old one).
 *
 * Error policy: bad input is acknowledged (logged, never thrown: a retry would fail the same way, forever);
 * transient I/O failures are thrown so the platform redelivers the event.
 */

import {
  keyListPrefix,
  liveManifestOf,
  manifestsOf,
  normalizePrefix,
  placeOf,
  projectKeyOf,
} from '../core/bucket/layout';
import type { Diagnostic } from '../core/diagnostics';
import { changeEventId, compareGenerations, encodeEvent, makeEgressChange, makeStatus } from '../core/events/codec';
import type { EgressChangeEvent, ManifestSource, StatusEvent } from '../core/events/types';
import { tooLargeResult, validateManifest } from '../core/manifest';
import type { PlatformPolicy } from '../core/policy/types';
import { isTransient, RetryLaterError } from '../ports/errors';
import type { Logger } from '../ports/logger';
import type { EventPublisher } from '../ports/publisher';
import type { ManifestStore } from '../ports/storage';
import { parseStorageEvent, type StorageObjectEvent } from './storageEvent';

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
async function io<T>(
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

function sourceOf(ev: StorageObjectEvent, stored?: { md5Hash?: string; crc32c?: string }): ManifestSource {
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

function summary(diags: readonly Diagnostic[]): string[] {
  return diags.slice(0, 5).map((d) => `${d.line}:${d.column} ${d.code}: ${d.message}`);
}

async function finalized(
  deps: ValidateObjectDeps,
  ev: StorageObjectEvent,
  ctx: Record<string, unknown>,
  supersedes?: { object: string; generation: string },
) {
  const { logger, policy } = deps;
  const max = policy.manifest.maxFileBytes;
  const store = deps.storeFor(ev.bucket);
  // Only the live generation may become desired state. In the versioned production bucket an overwritten or deleted
  // generation stays readable, so "read exactly that generation" alone would let a late event of an old generation
  // re-create rules after a delete (the applier has no rule left to compare generations with). Whatever replaced
  // the generation has its own event, which carries the current state.
  const live = await io(`stat gs://${ev.bucket}/${ev.name}`, () => store.stat(ev.name));
  if (!live.ok) return failed(deps, live.error, ctx);
  if (live.value === null) {
    logger.log('INFO', 'manifest no longer exists; acknowledged (its delete event revokes)', ctx);
    return { kind: 'gone' } as const;
  }
  const order = compareGenerations(live.value.generation, ev.generation);
  if (order > 0) {
    logger.log('INFO', 'manifest generation is no longer live; acknowledged (the newer generation has its own event)', {
      ...ctx,
      liveGeneration: live.value.generation,
    });
    return { kind: 'superseded', liveGeneration: live.value.generation } as const;
  }
  if (order < 0)
    // GCS is strongly consistent, so this means a lagging store (or a clock-free fake): retrying is safe.
    throw new RetryLaterError(
      `gs://${ev.bucket}/${ev.name} shows generation ${live.value.generation}, older than the event's ${ev.generation}`,
      undefined,
    );

  // Two spellings of one project (`p.yml` beside `p.yaml`): only the live one (the bucket layout's rule, the one every
  // reader takes) may become desired state; another spelling is refused, naming both, and the live one keeps its rules.
  const key = projectKeyOf(ev.name);
  const listed = await io(`list gs://${ev.bucket}/${keyListPrefix(deps.manifestPrefix, key)}`, () =>
    store.list(keyListPrefix(deps.manifestPrefix, key)),
  );
  if (!listed.ok) return failed(deps, listed.error, ctx);
  const liveOne = liveManifestOf(listed.value, deps.manifestPrefix, key);
  if (liveOne && liveOne.name !== ev.name) return secondSpelling(deps, ev, liveOne.name, live.value, ctx);

  let result: ReturnType<typeof validateManifest>;
  let source: ManifestSource;
  // The event's size when it has one, else the live metadata's (same generation, checked above).
  const size = ev.size ?? live.value.size;
  if (size > max) {
    // Refused before download: a huge object must not be read into the function's memory.
    source = sourceOf(ev, live.value);
    result = tooLargeResult(ev.name, size, policy);
  } else {
    const read = await io(`read gs://${ev.bucket}/${ev.name}#${ev.generation}`, () =>
      store.read(ev.name, ev.generation),
    );
    if (!read.ok) return failed(deps, read.error, ctx);
    if (read.value === null) {
      // Overwritten or deleted between the stat and the read: the newer generation has its own event.
      logger.log('INFO', 'manifest generation no longer exists; acknowledged (a newer event covers it)', ctx);
      return { kind: 'gone' } as const;
    }
    source = sourceOf(ev, read.value.object);
    // Never throws: a core bug is reported as an INTERNAL_ERROR diagnostic, so it cannot cause a retry storm.
    result = validateManifest(read.value.text, { path: ev.name, policy });
  }

  if (result.valid && result.project) {
    const event = makeEgressChange({
      project: result.project,
      reason: 'upsert',
      entries: result.egress,
      source,
      ...(supersedes ? { supersedes } : {}),
    });
    const pub = await io(`publish to ${deps.changesTopic}`, () =>
      deps.publisher.publish(deps.changesTopic, encodeEvent(event)),
    );
    if (!pub.ok) return failed(deps, pub.error, ctx);
    const warnings = result.diagnostics.filter((d) => d.severity === 'warning');
    logger.log('INFO', `manifest valid; egress change published for ${event.subject}`, {
      ...ctx,
      project: event.subject,
      changeId: event.id,
      messageId: pub.value,
      entries: event.data.entries.length,
      desiredHash: event.data.desiredHash,
      ...(warnings.length ? { warnings: summary(warnings) } : {}),
    });
    return { kind: 'published', event, messageId: pub.value } as const;
  }

  // Reported against the object's own project key (its base name, which the name binding requires): a file that
  // declares another project's name must not raise a rejection in that project's channel, nor hide its own.
  const project = projectKeyOf(ev.name);
  const status = makeStatus(
    { outcome: 'rejected', project, source, diagnostics: result.diagnostics },
    VALIDATOR_SOURCE,
  );
  const pub = await io(`publish to ${deps.statusTopic}`, () =>
    deps.publisher.publish(deps.statusTopic, encodeEvent(status)),
  );
  if (!pub.ok) return failed(deps, pub.error, ctx);
  logger.log('WARNING', `manifest ${ev.name} rejected; firewall rules of ${project} left as they were`, {
    ...ctx,
    project,
    statusId: status.id,
    messageId: pub.value,
    errors: result.diagnostics.filter((d) => d.severity === 'error').length,
    diagnostics: summary(result.diagnostics),
  });
  return { kind: 'rejected', status, messageId: pub.value } as const;
}

/** Refuses `ev`, a second spelling of a project whose live manifest is `liveName`: a `rejected` status naming both. */
async function secondSpelling(
  deps: ValidateObjectDeps,
  ev: StorageObjectEvent,
  liveName: string,
  stored: { md5Hash?: string; crc32c?: string },
  ctx: Record<string, unknown>,
) {
  const project = projectKeyOf(ev.name);
  const diagnostic: Diagnostic = {
    severity: 'error',
    code: 'DUPLICATE_PROJECT',
    message:
      `${ev.name} is a second spelling of project ${project}: ${liveName} is its live manifest ` +
      `(.yaml before .yml before other cases); ${ev.name} was not applied and ${project} keeps the rules of ${liveName}`,
    line: 1,
    column: 1,
    path: '',
    hint: `delete ${ev.name}, or merge it into ${liveName}; to switch to ${ev.name}, delete ${liveName} (${ev.name} is then applied)`,
  };
  const status = makeStatus(
    {
      outcome: 'rejected',
      project,
      source: sourceOf(ev, stored),
      diagnostics: [diagnostic],
      reason: `second spelling of ${project}: ${liveName} is live`,
    },
    VALIDATOR_SOURCE,
  );
  const pub = await io(`publish to ${deps.statusTopic}`, () =>
    deps.publisher.publish(deps.statusTopic, encodeEvent(status)),
  );
  if (!pub.ok) return failed(deps, pub.error, ctx);
  deps.logger.log('WARNING', `manifest ${ev.name} rejected: ${liveName} is the live manifest of ${project}`, {
    ...ctx,
    project,
    liveObject: liveName,
    statusId: status.id,
    messageId: pub.value,
  });
  return { kind: 'rejected', status, messageId: pub.value } as const;
}

async function removed(deps: ValidateObjectDeps, ev: StorageObjectEvent, ctx: Record<string, unknown>) {
  const stat = await io(`stat gs://${ev.bucket}/${ev.name}`, () => deps.storeFor(ev.bucket).stat(ev.name));
  if (!stat.ok) return failed(deps, stat.error, ctx);
  if (stat.value) {
    // An overwrite: GCS reports the old generation as deleted (or archived when versioning is on) next to the new
    // generation's finalize. The live generation's own event carries the new state; revoking here would open a gap.
    deps.logger.log('INFO', `old generation of ${ev.name} removed by an overwrite; live generation kept`, {
      ...ctx,
      liveGeneration: stat.value.generation,
    });
    return { kind: 'superseded', liveGeneration: stat.value.generation } as const;
  }
  const key = projectKeyOf(ev.name);
  // A rename `p.yml` → `p.yaml` (upload the new object, delete the old one) must not revoke `p`: the project still
  // has a live manifest under another spelling (any of `.yaml`/`.yml` in any case), whose own event carries its state.
  const store = deps.storeFor(ev.bucket);
  const listed = await io(`list gs://${ev.bucket}/${keyListPrefix(deps.manifestPrefix, key)}`, () =>
    store.list(keyListPrefix(deps.manifestPrefix, key)),
  );
  if (!listed.ok) return failed(deps, listed.error, ctx);
  const other = manifestsOf(listed.value, deps.manifestPrefix, key).find((o) => o.name !== ev.name);
  if (other) {
    const sibling = other.name;
    // Unlike an overwrite (whose finalize reports), nothing else would report on this deletion: say `skipped`, with
    // the id the delete change would have had, so whoever waits on the status topic (sync, npm start) gets an answer.
    const source = sourceOf(ev);
    const status = makeStatus(
      {
        outcome: 'skipped',
        project: key,
        changeId: changeEventId(source, 'delete'),
        source,
        reason: `the project still has a live manifest ${sibling}; nothing revoked, ${sibling} re-published`,
      },
      VALIDATOR_SOURCE,
    );
    const pub = await io(`publish to ${deps.statusTopic}`, () =>
      deps.publisher.publish(deps.statusTopic, encodeEvent(status)),
    );
    if (!pub.ok) return failed(deps, pub.error, ctx);
    deps.logger.log(
      'INFO',
      `${ev.name} removed, but ${key} still has a live manifest ${sibling}; nothing revoked, ${sibling} re-published`,
      { ...ctx, liveObject: sibling, liveGeneration: other.generation, statusId: status.id },
    );
    // The firewall may reflect the removed object (its rules, its generation): re-publish the live one, naming the
    // removed object and generation it replaces, so the applier follows it even when its generation is older
    // (generations order one object's changes, not two objects'). docs/events.md, "Two files, one project".
    return finalized(
      deps,
      {
        kind: 'finalized',
        id: ev.id,
        bucket: ev.bucket,
        name: other.name,
        generation: other.generation,
        size: other.size,
        ...(other.md5Hash ? { md5Hash: other.md5Hash } : {}),
        ...(other.crc32c ? { crc32c: other.crc32c } : {}),
      },
      { ...ctx, object: other.name, generation: other.generation, replacing: ev.name },
      { object: ev.name, generation: ev.generation },
    );
  }
  const event = makeEgressChange({
    // Only the key is known once the object is gone; the applier needs nothing else to revoke.
    project: { name: key, environment: '' },
    reason: 'delete',
    entries: [],
    source: sourceOf(ev),
  });
  const pub = await io(`publish to ${deps.changesTopic}`, () =>
    deps.publisher.publish(deps.changesTopic, encodeEvent(event)),
  );
  if (!pub.ok) return failed(deps, pub.error, ctx);
  deps.logger.log('NOTICE', `manifest ${ev.name} deleted; revocation published for ${key}`, {
    ...ctx,
    project: key,
    changeId: event.id,
    messageId: pub.value,
  });
  return { kind: 'deleted', event, messageId: pub.value } as const;
}

function failed(deps: ValidateObjectDeps, error: Error, ctx: Record<string, unknown>): ValidateOutcome {
  // Permanent API answers (403, 404 topic, 400): a redelivery would fail alike, so acknowledge and say what to fix.
  deps.logger.log('ERROR', `${error.message}; event acknowledged without effect`, {
    ...ctx,
    hint: 'fix the permission/configuration named above, then run `egress replay` for this manifest',
  });
  return { kind: 'failed', error: error.message };
}

/** Handles one parsed storage event. Throws RetryLaterError only for failures a redelivery may fix. */
export async function validateObject(deps: ValidateObjectDeps, ev: StorageObjectEvent): Promise<ValidateOutcome> {
  const ctx = { eventId: ev.id, eventKind: ev.kind, bucket: ev.bucket, object: ev.name, generation: ev.generation };
  const place = placeOf(ev.name, deps.manifestPrefix);
  if (place !== 'manifest') {
    const prefix = JSON.stringify(normalizePrefix(deps.manifestPrefix));
    const reason =
      place === 'outside'
        ? `outside the manifest prefix ${prefix}`
        : place === 'nested'
          ? `in a sub-folder of the manifest prefix ${prefix} (manifests live directly under it)`
          : 'not a .yaml/.yml object';
    deps.logger.log('INFO', `ignored ${ev.name}: ${reason}`, ctx);
    return { kind: 'ignored', reason };
  }
  return ev.kind === 'finalized' ? finalized(deps, ev, ctx) : removed(deps, ev, ctx);
}

/**
 * Entry of the function: reads the CloudEvent, then `validateObject`. Malformed events are logged at ERROR and
 * acknowledged; RetryLaterError propagates (non-2xx, the delivery is retried).
 */
export async function handleStorageEvent(deps: ValidateObjectDeps, cloudEvent: unknown): Promise<ValidateOutcome> {
  const parsed = parseStorageEvent(cloudEvent);
  if (!parsed.ok) {
    const ce = (typeof cloudEvent === 'object' && cloudEvent !== null ? cloudEvent : {}) as Record<string, unknown>;
    const ctx = { eventId: ce.id, eventType: ce.type, eventSource: ce.source, eventSubject: ce.subject };
    if (parsed.unsupported) {
      deps.logger.log(
        'INFO',
        `ignored event of type ${parsed.type}: the validator handles finalized/deleted/archived`,
        ctx,
      );
      return { kind: 'ignored', reason: `unsupported type ${parsed.type}` };
    }
    deps.logger.log('ERROR', `malformed storage CloudEvent acknowledged: ${parsed.errors.join('; ')}`, {
      ...ctx,
      hint: 'the trigger must deliver google.cloud.storage.object.v1.* events with a StorageObjectData body',
    });
    return { kind: 'malformed', errors: parsed.errors };
  }
  try {
    return await validateObject(deps, parsed.event);
  } catch (err) {
    if (err instanceof RetryLaterError) {
      deps.logger.log('WARNING', `${err.message}; failing the delivery so it is retried`, {
        eventId: parsed.event.id,
        object: parsed.event.name,
        generation: parsed.event.generation,
      });
    }
    throw err;
  }
}
