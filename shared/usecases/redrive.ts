/**
 * Dead-letter re-drive (`egress replay --dead-letter SUBSCRIPTION`): re-publish every dead-lettered message to the
 * changes topic unchanged, acknowledging each only after its publish succeeded. See docs/operations.md.
 */
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
  /** Dry run: messages seen (not acknowledged, so they return to the subscription). */
  seen: number;
  messages: { eventId: string; project: string; status: 'redriven' | 'failed' | 'seen'; error?: string }[];
}

/**
 * Re-publishes every dead-lettered message to the changes topic with its data and attributes unchanged (ordering key
 * = `ce-subject`) and acknowledges each one only after its publish succeeded: an interrupted re-drive loses nothing,
 * and a message published twice carries the same ce-id (the applier's plan makes it a no-op). `maxRounds` bounds
 * the loop if messages keep arriving.
 */
export async function redriveDeadLetters(
  deps: RedriveDeps,
  opts: { dryRun?: boolean; batch?: number; maxRounds?: number } = {},
): Promise<RedriveReport> {
  const log = deps.logger ?? nullLogger;
  const report: RedriveReport = { redriven: 0, failed: 0, seen: 0, messages: [] };
  const maxRounds = opts.maxRounds ?? 1000;
  // Messages seen in a dry run and failed publishes: handed back at the end, so an immediate real run (or the next
  // run after a fix) sees them at once instead of after their ack deadline. Not earlier: within this run they would
  // be pulled again, counted twice (dry run) or retried in a loop (failures).
  const giveBack: string[] = [];
  try {
    for (let round = 0; round < maxRounds; round++) {
      const batch = await deps.puller.pull(opts.batch ?? 100);
      if (batch.length === 0) break;
      const acks: string[] = [];
      for (const { ackId, message } of batch) {
        const project = message.attributes['ce-subject'] ?? '';
        const eventId = message.attributes['ce-id'] ?? '';
        if (opts.dryRun) {
          report.seen++;
          report.messages.push({ eventId, project, status: 'seen' });
          giveBack.push(ackId);
          continue;
        }
        if (deps.eventPacer) await deps.eventPacer.acquire(1);
        try {
          await deps.publisher.publish(deps.changesTopic, {
            data: message.data,
            attributes: { ...message.attributes },
            ...(project ? { orderingKey: project } : {}),
          });
          acks.push(ackId);
          report.redriven++;
          report.messages.push({ eventId, project, status: 'redriven' });
        } catch (err) {
          report.failed++;
          giveBack.push(ackId);
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
