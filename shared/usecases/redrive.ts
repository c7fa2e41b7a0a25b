/**
 * Dead-letter re-drive (`egress replay --dead-letter SUBSCRIPTION`): re-publish the dead-lettered egress-change events
 * to the changes topic unchanged, acknowledging each only after its publish succeeded. Only messages that decode as
 * egress-change events (the contract of core/events) are re-driven: a subscription that holds none (a status
 * subscription given by mistake) is refused, naming what it holds, and every run stops at a bound. See
 * docs/operations.md.
 */
import { decodeEgressChange, decodeStatus } from '../core/events/codec';
import { EGRESS_CHANGED_TYPE, EGRESS_STATUS_TYPE, type PubSubMessage } from '../core/events/types';
import type { Clock } from '../ports/clock';
import { type Logger, nullLogger } from '../ports/logger';
import type { EventPublisher } from '../ports/publisher';
import type { MessagePuller } from '../ports/puller';
import type { Pacer } from './pacer';
import type { Progress } from './replay';

/** What {@link redriveDeadLetters} needs. */
export interface RedriveDeps {
  puller: MessagePuller;
  publisher: EventPublisher;
  changesTopic: string;
  clock: Clock;
  eventPacer?: Pacer;
  logger?: Logger;
  onProgress?: (p: Progress) => void;
}

/** Outcome of a re-drive. */
export interface RedriveReport {
  redriven: number;
  failed: number;
  /** Dry run: egress-change events seen (not acknowledged, so they return to the subscription). */
  seen: number;
  messages: { eventId: string; project: string; status: 'redriven' | 'failed' | 'seen'; error?: string }[];
  /** Messages that are not egress-change events, by what they are (never re-published, never acknowledged). */
  other: Record<string, number>;
  /** Set when the subscription held no egress-change event but other messages: nothing was re-published. */
  refused?: string;
  /** Set when the run stopped at its bound (or saw a re-driven event come back) with messages possibly left. */
  stopped?: string;
}

/** Default bound of one run: egress-change events handled (re-driven, failed or seen). */
export const REDRIVE_LIMIT = 1000;

/** What a message that is not a valid egress-change event is, in words an operator recognises. */
export function messageKind(message: PubSubMessage): string {
  const type = message.attributes['ce-type'];
  if (type === EGRESS_STATUS_TYPE) {
    const status = decodeStatus(message);
    return status.ok ? `status events (${status.event.data.outcome})` : `malformed status events`;
  }
  if (type === EGRESS_CHANGED_TYPE) return 'malformed egress-change events';
  if (!type) return 'messages without a ce-type (not CloudEvents)';
  return `${type} events`;
}

const describe = (other: Record<string, number>) =>
  Object.entries(other)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');

/**
 * Re-publishes every dead-lettered egress-change event to the changes topic with its data and attributes unchanged
 * (ordering key = `ce-subject`) and acknowledges each one only after its publish succeeded: an interrupted re-drive
 * loses nothing, and a message published twice carries the same ce-id (the applier's plan makes it a no-op).
 * Other messages are counted by kind and handed back untouched; when the first pull holds only such messages the run
 * is refused (the wrong subscription). The run stops after `limit` change events, after `maxRounds` pulls, or when an
 * event it re-drove comes back (a loop: the subscription receives what the run publishes).
 */
export async function redriveDeadLetters(
  deps: RedriveDeps,
  opts: { dryRun?: boolean; batch?: number; maxRounds?: number; limit?: number; subscription?: string } = {},
): Promise<RedriveReport> {
  const log = deps.logger ?? nullLogger;
  const report: RedriveReport = { redriven: 0, failed: 0, seen: 0, messages: [], other: {} };
  const maxRounds = opts.maxRounds ?? 1000;
  const limit = opts.limit ?? REDRIVE_LIMIT;
  const sub = opts.subscription ?? 'the subscription';
  // Messages not acknowledged (dry run, failed publishes, messages that are not changes, those over the bound):
  // handed back at the end, so the next run sees them at once instead of after their ack deadline. Not earlier:
  // within this run they would be pulled again, counted twice or retried in a loop.
  const giveBack: string[] = [];
  const handled = new Set<string>();
  const done = () => report.redriven + report.failed + report.seen;
  try {
    for (let round = 0; round < maxRounds && !report.stopped && !report.refused; round++) {
      const batch = await deps.puller.pull(opts.batch ?? 100);
      if (batch.length === 0) break;
      const decoded = batch.map((b) => ({ ...b, change: decodeEgressChange(b.message) }));
      if (round === 0 && decoded.every((d) => !d.change.ok)) {
        for (const d of decoded) {
          const kind = messageKind(d.message);
          report.other[kind] = (report.other[kind] ?? 0) + 1;
        }
        giveBack.push(...batch.map((b) => b.ackId));
        report.refused =
          `${sub} holds ${describe(report.other)}, not egress-change events (${EGRESS_CHANGED_TYPE}); nothing was ` +
          're-published or acknowledged. Give the dead-letter subscription of the changes topic ' +
          '(terraform output, e.g. egress-changes-dead-letter-sub).';
        break;
      }
      const acks: string[] = [];
      for (const d of decoded) {
        if (!d.change.ok) {
          const kind = messageKind(d.message);
          report.other[kind] = (report.other[kind] ?? 0) + 1;
          giveBack.push(d.ackId);
          continue;
        }
        const { id: eventId, subject: project } = d.change.event;
        if (report.stopped || done() >= limit || handled.has(eventId)) {
          report.stopped ??= handled.has(eventId)
            ? `event ${eventId} (${project}) came back to ${sub} after it was re-driven in this run: stopped so it is not published in a loop`
            : `stopped at the bound of ${limit} egress-change events (--max); run again for the rest`;
          giveBack.push(d.ackId);
          continue;
        }
        handled.add(eventId);
        if (opts.dryRun) {
          report.seen++;
          report.messages.push({ eventId, project, status: 'seen' });
          giveBack.push(d.ackId);
          continue;
        }
        if (deps.eventPacer) await deps.eventPacer.acquire(1);
        try {
          await deps.publisher.publish(deps.changesTopic, {
            data: d.message.data,
            attributes: { ...d.message.attributes },
            orderingKey: project,
          });
          acks.push(d.ackId);
          report.redriven++;
          report.messages.push({ eventId, project, status: 'redriven' });
        } catch (err) {
          report.failed++;
          giveBack.push(d.ackId);
          const error = err instanceof Error ? err.message : String(err);
          report.messages.push({ eventId, project, status: 'failed', error });
          log.log('ERROR', 'dead-letter re-publish failed; message left in the subscription', {
            eventId,
            project,
            error,
          });
        }
        deps.onProgress?.({ done: report.redriven + report.failed, total: report.redriven + report.failed, writes: 0 });
      }
      if (acks.length) await deps.puller.ack(acks);
    }
  } finally {
    if (giveBack.length && deps.puller.nack) await deps.puller.nack(giveBack);
  }
  return report;
}
