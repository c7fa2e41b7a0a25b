/**
 * Pub/Sub emulator helpers over its REST surface (plain fetch, no gRPC channel to set up or close): topics, pull and
 * push subscriptions, publish, and `waitFor*` that pull until an event matches, so tests wait on events, never sleep.
 */
import { decodeEgressChange, decodeStatus, encodeEvent } from '../../shared/core/events/codec';
import type { CloudEventEnvelope, EgressChangeEvent, StatusEvent } from '../../shared/core/events/types';

/** A message as the emulator returns it from a pull (`data` base64). */
export interface PulledMessage {
  messageId: string;
  data?: string;
  attributes?: Record<string, string>;
  orderingKey?: string;
  publishTime?: string;
}

type Decoder<T> = (msg: {
  data?: string;
  attributes?: Record<string, string>;
}) => { ok: true; event: T } | { ok: false; errors: string[] };

/** Thrown by `waitFor*` on timeout; lists what did arrive, which is usually the clue. */
export class WaitTimeoutError extends Error {
  constructor(
    message: string,
    readonly seen: unknown[],
  ) {
    super(message);
    this.name = 'WaitTimeoutError';
  }
}

/** The push endpoint path under which the functions framework turns a push body into a proper CloudEvent. */
export function pushEndpoint(baseUrl: string, projectId: string, topic: string): string {
  return `${baseUrl.replace(/\/$/, '')}/projects/${projectId}/topics/${topic}`;
}

/** Admin and data-plane helpers for one emulator project. */
export class EmulatorPubsub {
  private readonly base: string;
  /** Decoded-but-unmatched events per subscription, kept for the next `waitFor*` on it (nothing is lost). */
  private readonly backlog = new Map<string, PulledMessage[]>();

  /** `host` defaults to PUBSUB_EMULATOR_HOST (set by the e2e globalSetup). */
  constructor(
    readonly projectId: string,
    host: string | undefined = process.env.PUBSUB_EMULATOR_HOST,
  ) {
    if (!host)
      throw new Error('PUBSUB_EMULATOR_HOST is not set: run e2e tests through jest (globalSetup starts the emulator)');
    this.base = `http://${host}/v1/projects/${projectId}`;
  }

  private async call<T>(method: string, path: string, body?: unknown, okStatuses: number[] = []): Promise<T> {
    const res = await fetch(`${this.base}/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok && !okStatuses.includes(res.status))
      throw new Error(`Pub/Sub emulator ${method} ${path}: HTTP ${res.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** Creates a topic; an existing one is fine (tests and `npm start` share set-up code). */
  async createTopic(topic: string): Promise<void> {
    await this.call('PUT', `topics/${topic}`, {}, [409]);
  }

  /** Creates (or replaces) a pull subscription with ordering enabled, as production subscriptions are. */
  async createPullSubscription(topic: string, subscription: string): Promise<void> {
    await this.call('DELETE', `subscriptions/${subscription}`, undefined, [404]);
    this.backlog.delete(subscription);
    await this.call('PUT', `subscriptions/${subscription}`, {
      topic: `projects/${this.projectId}/topics/${topic}`,
      enableMessageOrdering: true,
      ackDeadlineSeconds: 10,
    });
  }

  /**
   * Creates (or replaces) a push subscription delivering to a functions-framework server at `baseUrl`. The endpoint
   * path `/projects/<p>/topics/<topic>` is what the framework needs to give the CloudEvent a proper `source`. The
   * wrapped push body is used (not `noWrapper`): the emulator sends unwrapped bodies as form-urlencoded.
   * Without `retryPolicy` the emulator re-pushes a failed message about every second, forever.
   */
  async createPushSubscription(
    topic: string,
    subscription: string,
    baseUrl: string,
    opts: { retryPolicy?: { minimumBackoff: string; maximumBackoff: string } } = {},
  ): Promise<string> {
    const endpoint = pushEndpoint(baseUrl, this.projectId, topic);
    await this.call('DELETE', `subscriptions/${subscription}`, undefined, [404]);
    await this.call('PUT', `subscriptions/${subscription}`, {
      topic: `projects/${this.projectId}/topics/${topic}`,
      pushConfig: { pushEndpoint: endpoint },
      enableMessageOrdering: true,
      ackDeadlineSeconds: 10,
      ...(opts.retryPolicy ? { retryPolicy: opts.retryPolicy } : {}),
    });
    return endpoint;
  }

  /** Deletes a subscription (stops its pushes); a missing one is fine. */
  async deleteSubscription(subscription: string): Promise<void> {
    this.backlog.delete(subscription);
    await this.call('DELETE', `subscriptions/${subscription}`, undefined, [404]);
  }

  /** Publishes raw messages; resolves with their ids. */
  async publishRaw(
    topic: string,
    messages: { data: Buffer | string; attributes?: Record<string, string>; orderingKey?: string }[],
  ): Promise<string[]> {
    const body = {
      messages: messages.map((m) => ({
        data: Buffer.from(m.data).toString('base64'),
        ...(m.attributes ? { attributes: m.attributes } : {}),
        ...(m.orderingKey ? { orderingKey: m.orderingKey } : {}),
      })),
    };
    const r = await this.call<{ messageIds: string[] }>('POST', `topics/${topic}:publish`, body);
    return r.messageIds;
  }

  /** Publishes one of our CloudEvents with the product's codec (binary mode, ordering key = subject). */
  async publishEvent<T>(topic: string, event: CloudEventEnvelope<T>): Promise<string> {
    const m = encodeEvent(event);
    const [id] = await this.publishRaw(topic, [
      { data: m.data, attributes: m.attributes, ...(m.orderingKey ? { orderingKey: m.orderingKey } : {}) },
    ]);
    return id!;
  }

  /** One non-blocking pull (`returnImmediately`: a blocking pull on the emulator waits ~90 s when idle); acks all. */
  async pullOnce(subscription: string, maxMessages = 100): Promise<PulledMessage[]> {
    const r = await this.call<{ receivedMessages?: { ackId: string; message: PulledMessage }[] }>(
      'POST',
      `subscriptions/${subscription}:pull`,
      { maxMessages, returnImmediately: true },
    );
    const got = r.receivedMessages ?? [];
    if (got.length)
      await this.call('POST', `subscriptions/${subscription}:acknowledge`, { ackIds: got.map((m) => m.ackId) });
    return got.map((m) => m.message);
  }

  /**
   * Pulls until a message decodes with `decode` and satisfies `predicate`; resolves with that event. Messages that
   * do not match stay in a backlog for the next wait on the same subscription. Rejects with WaitTimeoutError
   * listing everything seen after `timeoutMs`.
   */
  async waitFor<T>(
    subscription: string,
    decode: Decoder<T>,
    predicate: (event: T) => boolean,
    timeoutMs = 10_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    const seen: unknown[] = [];
    const pending = this.backlog.get(subscription) ?? [];
    this.backlog.set(subscription, pending);
    for (;;) {
      for (let i = 0; i < pending.length; i++) {
        const msg = pending[i]!;
        const d = decode({
          ...(msg.data ? { data: msg.data } : {}),
          ...(msg.attributes ? { attributes: msg.attributes } : {}),
        });
        if (d.ok && predicate(d.event)) {
          pending.splice(i, 1);
          return d.event;
        }
      }
      if (Date.now() > deadline) {
        for (const msg of pending) {
          const d = decode({
            ...(msg.data ? { data: msg.data } : {}),
            ...(msg.attributes ? { attributes: msg.attributes } : {}),
          });
          seen.push(d.ok ? d.event : { undecodable: d.errors, attributes: msg.attributes });
        }
        throw new WaitTimeoutError(
          `no matching message on ${subscription} within ${timeoutMs} ms; ${seen.length} other message(s) seen: ${JSON.stringify(seen).slice(0, 2000)}`,
          seen,
        );
      }
      const fresh = await this.pullOnce(subscription);
      if (fresh.length) pending.push(...fresh);
      // Polling interval of the helper (returnImmediately pulls), not a fixed wait of the test.
      else await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Waits for a status event (decoded with `decodeStatus`) satisfying `predicate`. */
  waitForStatus(
    subscription: string,
    predicate: (event: StatusEvent) => boolean,
    timeoutMs?: number,
  ): Promise<StatusEvent> {
    return this.waitFor(subscription, decodeStatus, predicate, timeoutMs);
  }

  /** Waits for an egress-change event (decoded with `decodeEgressChange`) satisfying `predicate`. */
  waitForChange(
    subscription: string,
    predicate: (event: EgressChangeEvent) => boolean,
    timeoutMs?: number,
  ): Promise<EgressChangeEvent> {
    return this.waitFor(subscription, decodeEgressChange, predicate, timeoutMs);
  }
}

/** The project the e2e tests and `npm start` use on the emulator (any name works there; this one reads well in logs). */
export const LOCAL_PROJECT = 'infrastream-local';

const clients = new Map<string, EmulatorPubsub>();

/** One shared helper per project, so backlogs of unmatched events survive between waits. */
export function emulatorPubsub(projectId: string = LOCAL_PROJECT): EmulatorPubsub {
  let c = clients.get(projectId);
  if (!c) {
    c = new EmulatorPubsub(projectId);
    clients.set(projectId, c);
  }
  return c;
}

function splitSubscription(subscription: string): [project: string, name: string] {
  const m = /^projects\/([^/]+)\/subscriptions\/([^/]+)$/.exec(subscription);
  return m ? [m[1]!, m[2]!] : [LOCAL_PROJECT, subscription];
}

/**
 * Waits for a status event on `subscription` (`projects/P/subscriptions/S`, or a short name in LOCAL_PROJECT) that
 * satisfies `predicate`; rejects with WaitTimeoutError listing what arrived instead.
 */
export function waitForStatus(
  subscription: string,
  predicate: (event: StatusEvent) => boolean,
  timeoutMs?: number,
): Promise<StatusEvent> {
  const [project, name] = splitSubscription(subscription);
  return emulatorPubsub(project).waitForStatus(name, predicate, timeoutMs);
}

/** Like `waitForStatus`, for egress-change events. */
export function waitForChange(
  subscription: string,
  predicate: (event: EgressChangeEvent) => boolean,
  timeoutMs?: number,
): Promise<EgressChangeEvent> {
  const [project, name] = splitSubscription(subscription);
  return emulatorPubsub(project).waitForChange(name, predicate, timeoutMs);
}
