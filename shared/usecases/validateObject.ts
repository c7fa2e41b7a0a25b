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
import { changeEventId, compareGenerations, makeEgressChange, makeStatus } from '../core/events/codec';
import type { ManifestSource } from '../core/events/types';
import { tooLargeResult, validateManifest } from '../core/manifest';
import { RetryLaterError } from '../ports/errors';
import type { ManifestStore } from '../ports/storage';
import { parseStorageEvent, type StorageObjectEvent } from './storageEvent';
import {
  failed,
  io,
  publishTo,
  type Step,
  sourceOf,
  summary,
  VALIDATOR_SOURCE,
  type ValidateObjectDeps,
  type ValidateOutcome,
} from './validatorSteps';

export { VALIDATOR_SOURCE, type ValidateObjectDeps, type ValidateOutcome } from './validatorSteps';

/** A finalized manifest: only the live generation, only the live spelling, read and validated, then published. */
async function finalized(
  deps: ValidateObjectDeps,
  ev: StorageObjectEvent,
  ctx: Record<string, unknown>,
  supersedes?: { object: string; generation: string },
): Promise<ValidateOutcome> {
  const store = deps.storeFor(ev.bucket);
  const live = await liveGeneration(deps, store, ev, ctx);
  if (live.done) return live.done;
  const spelling = await otherSpelling(deps, store, ev, live.value, ctx);
  if (spelling) return spelling;
  const checked = await readAndValidate(deps, store, ev, live.value, ctx);
  if (checked.done) return checked.done;
  const { result, source } = checked.value;
  return result.valid && result.project
    ? publishValid(deps, { ...result, project: result.project }, source, ctx, supersedes)
    : publishRejected(deps, ev, result, source, ctx);
}

type Stat = NonNullable<Awaited<ReturnType<ManifestStore['stat']>>>;

/**
 * Only the live generation may become desired state. In the versioned production bucket an overwritten or deleted
 * generation stays readable, so "read exactly that generation" alone would let a late event of an old generation
 * re-create rules after a delete (the applier has no rule left to compare generations with). Whatever replaced the
 * generation has its own event, which carries the current state.
 */
async function liveGeneration(
  deps: ValidateObjectDeps,
  store: ManifestStore,
  ev: StorageObjectEvent,
  ctx: Record<string, unknown>,
): Promise<Step<Stat>> {
  const live = await io(`stat gs://${ev.bucket}/${ev.name}`, () => store.stat(ev.name));
  if (!live.ok) return { done: failed(deps, live.error, ctx) };
  if (live.value === null) {
    deps.logger.log('INFO', 'manifest no longer exists; acknowledged (its delete event revokes)', ctx);
    return { done: { kind: 'gone' } };
  }
  const order = compareGenerations(live.value.generation, ev.generation);
  if (order > 0) {
    deps.logger.log(
      'INFO',
      'manifest generation is no longer live; acknowledged (the newer generation has its own event)',
      { ...ctx, liveGeneration: live.value.generation },
    );
    return { done: { kind: 'superseded', liveGeneration: live.value.generation } };
  }
  if (order < 0)
    // GCS is strongly consistent, so this means a lagging store (or a clock-free fake): retrying is safe.
    throw new RetryLaterError(
      `gs://${ev.bucket}/${ev.name} shows generation ${live.value.generation}, older than the event's ${ev.generation}`,
      undefined,
    );
  return { value: live.value };
}

/**
 * Two spellings of one project (`p.yml` beside `p.yaml`): only the live one (the bucket layout's rule, the one every
 * reader takes) may become desired state; another spelling is refused, naming both, and the live one keeps its rules.
 */
async function otherSpelling(
  deps: ValidateObjectDeps,
  store: ManifestStore,
  ev: StorageObjectEvent,
  live: Stat,
  ctx: Record<string, unknown>,
): Promise<ValidateOutcome | undefined> {
  const key = projectKeyOf(ev.name);
  const listed = await io(`list gs://${ev.bucket}/${keyListPrefix(deps.manifestPrefix, key)}`, () =>
    store.list(keyListPrefix(deps.manifestPrefix, key)),
  );
  if (!listed.ok) return failed(deps, listed.error, ctx);
  const liveOne = liveManifestOf(listed.value, deps.manifestPrefix, key);
  return liveOne && liveOne.name !== ev.name ? secondSpelling(deps, ev, liveOne.name, live, ctx) : undefined;
}

/** Reads exactly the event's generation and validates it; an object over the size limit is refused unread. */
async function readAndValidate(
  deps: ValidateObjectDeps,
  store: ManifestStore,
  ev: StorageObjectEvent,
  live: Stat,
  ctx: Record<string, unknown>,
): Promise<Step<{ result: ReturnType<typeof validateManifest>; source: ManifestSource }>> {
  const { policy } = deps;
  // The event's size when it has one, else the live metadata's (same generation, checked before).
  const size = ev.size ?? live.size;
  if (size > policy.manifest.maxFileBytes)
    // Refused before download: a huge object must not be read into the function's memory.
    return { value: { source: sourceOf(ev, live), result: tooLargeResult(ev.name, size, policy) } };
  const read = await io(`read gs://${ev.bucket}/${ev.name}#${ev.generation}`, () => store.read(ev.name, ev.generation));
  if (!read.ok) return { done: failed(deps, read.error, ctx) };
  if (read.value === null) {
    // Overwritten or deleted between the stat and the read: the newer generation has its own event.
    deps.logger.log('INFO', 'manifest generation no longer exists; acknowledged (a newer event covers it)', ctx);
    return { done: { kind: 'gone' } };
  }
  // Never throws: a core bug is reported as an INTERNAL_ERROR diagnostic, so it cannot cause a retry storm.
  const result = validateManifest(read.value.text, { path: ev.name, policy });
  return { value: { source: sourceOf(ev, read.value.object), result } };
}

/** A valid manifest: its egress change, published to the changes topic. */
async function publishValid(
  deps: ValidateObjectDeps,
  result: ReturnType<typeof validateManifest> & {
    project: NonNullable<ReturnType<typeof validateManifest>['project']>;
  },
  source: ManifestSource,
  ctx: Record<string, unknown>,
  supersedes?: { object: string; generation: string },
): Promise<ValidateOutcome> {
  const event = makeEgressChange({
    project: result.project,
    reason: 'upsert',
    entries: result.egress,
    source,
    ...(supersedes ? { supersedes } : {}),
  });
  const pub = await publishTo(deps, deps.changesTopic, event, ctx);
  if (pub.done) return pub.done;
  const warnings = result.diagnostics.filter((d) => d.severity === 'warning');
  deps.logger.log('INFO', `manifest valid; egress change published for ${event.subject}`, {
    ...ctx,
    project: event.subject,
    changeId: event.id,
    messageId: pub.value,
    entries: event.data.entries.length,
    desiredHash: event.data.desiredHash,
    ...(warnings.length ? { warnings: summary(warnings) } : {}),
  });
  return { kind: 'published', event, messageId: pub.value };
}

/**
 * An invalid manifest: a `rejected` status, reported against the object's own project key (its base name, which the
 * name binding requires): a file that declares another project's name must not raise a rejection in that project's
 * channel, nor hide its own.
 */
async function publishRejected(
  deps: ValidateObjectDeps,
  ev: StorageObjectEvent,
  result: ReturnType<typeof validateManifest>,
  source: ManifestSource,
  ctx: Record<string, unknown>,
): Promise<ValidateOutcome> {
  const project = projectKeyOf(ev.name);
  const status = makeStatus(
    { outcome: 'rejected', project, source, diagnostics: result.diagnostics },
    VALIDATOR_SOURCE,
  );
  const pub = await publishTo(deps, deps.statusTopic, status, ctx);
  if (pub.done) return pub.done;
  deps.logger.log('WARNING', `manifest ${ev.name} rejected; firewall rules of ${project} left as they were`, {
    ...ctx,
    project,
    statusId: status.id,
    messageId: pub.value,
    errors: result.diagnostics.filter((d) => d.severity === 'error').length,
    diagnostics: summary(result.diagnostics),
  });
  return { kind: 'rejected', status, messageId: pub.value };
}

/** Refuses `ev`, a second spelling of a project whose live manifest is `liveName`: a `rejected` status naming both. */
async function secondSpelling(
  deps: ValidateObjectDeps,
  ev: StorageObjectEvent,
  liveName: string,
  stored: { md5Hash?: string; crc32c?: string },
  ctx: Record<string, unknown>,
): Promise<ValidateOutcome> {
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
  const pub = await publishTo(deps, deps.statusTopic, status, ctx);
  if (pub.done) return pub.done;
  deps.logger.log('WARNING', `manifest ${ev.name} rejected: ${liveName} is the live manifest of ${project}`, {
    ...ctx,
    project,
    liveObject: liveName,
    statusId: status.id,
    messageId: pub.value,
  });
  return { kind: 'rejected', status, messageId: pub.value };
}

/** A removed manifest: nothing when a live generation remains, a re-publish when another spelling is live, else a revocation. */
async function removed(
  deps: ValidateObjectDeps,
  ev: StorageObjectEvent,
  ctx: Record<string, unknown>,
): Promise<ValidateOutcome> {
  const stat = await io(`stat gs://${ev.bucket}/${ev.name}`, () => deps.storeFor(ev.bucket).stat(ev.name));
  if (!stat.ok) return failed(deps, stat.error, ctx);
  if (stat.value) {
    // An overwrite: GCS reports the old generation as deleted (or archived when versioning is on) next to the new
    // generation's finalize. The live generation's own event carries the new state; revoking here would open a gap.
    deps.logger.log('INFO', `old generation of ${ev.name} removed by an overwrite; live generation kept`, {
      ...ctx,
      liveGeneration: stat.value.generation,
    });
    return { kind: 'superseded', liveGeneration: stat.value.generation };
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
  return other ? republishSibling(deps, ev, other, ctx) : publishRevocation(deps, ev, ctx);
}

/**
 * The project still has a live manifest `other`: a `skipped` status for the removal, then `other` re-published. Unlike
 * an overwrite (whose finalize reports), nothing else would report on this deletion: the status carries the id the
 * delete change would have had, so whoever waits on the status topic (sync, npm start) gets an answer.
 */
async function republishSibling(
  deps: ValidateObjectDeps,
  ev: StorageObjectEvent,
  other: Awaited<ReturnType<ManifestStore['list']>>[number],
  ctx: Record<string, unknown>,
): Promise<ValidateOutcome> {
  const key = projectKeyOf(ev.name);
  const sibling = other.name;
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
  const pub = await publishTo(deps, deps.statusTopic, status, ctx);
  if (pub.done) return pub.done;
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

/** No manifest of the project is left: a `delete` egress change revokes it. */
async function publishRevocation(
  deps: ValidateObjectDeps,
  ev: StorageObjectEvent,
  ctx: Record<string, unknown>,
): Promise<ValidateOutcome> {
  const key = projectKeyOf(ev.name);
  const event = makeEgressChange({
    // Only the key is known once the object is gone; the applier needs nothing else to revoke.
    project: { name: key, environment: '' },
    reason: 'delete',
    entries: [],
    source: sourceOf(ev),
  });
  const pub = await publishTo(deps, deps.changesTopic, event, ctx);
  if (pub.done) return pub.done;
  deps.logger.log('NOTICE', `manifest ${ev.name} deleted; revocation published for ${key}`, {
    ...ctx,
    project: key,
    changeId: event.id,
    messageId: pub.value,
  });
  return { kind: 'deleted', event, messageId: pub.value };
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
