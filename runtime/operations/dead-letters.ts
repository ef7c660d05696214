/**
 * The dead-letter queue `<queue>_dlq` as an operator sees it: list what failed and why, replay jobs
 * with a fresh attempt count, or empty it. Replay publishes each job with a broker confirm before it
 * acks the dead copy, so an interruption leaves at most one duplicate, never a gap.
 */
import type { GetMessage } from 'amqplib';
import { QueueNotFound } from '../errors.js';
import { ConfirmPublisher } from '../transport/confirm-publisher.js';
import { deadLetterQueueName } from '../topology/queue-topology.js';
import { newJobId, replayBody, replayPublishOptions } from '../wire-format.js';
import { OperatorSession } from './operator-session.js';
import type { OperatorSettings } from './operator-session.js';

export interface DeadLetter {
  jobId: string | undefined;
  functionName: string | undefined;
  /** `x-error-type`: the error's class name (`JobTimeout`, `InvalidJobArgs`, `TypeError`...). */
  errorType: string | undefined;
  errorCode: string | undefined;
  /** `x-error-category` (`retriable`, `non_retriable`, `invalid`, `expired`, `aborted`, `unknown_job`), or `delivery_limit` for the broker's own. */
  errorCategory: string | undefined;
  errorMessage: string | undefined;
  /** Attempts made: the worker's `x-job-try`, or the broker's delivery count for a delivery-limit death. */
  tries: number | undefined;
  failedAt: string | undefined;
  /** Dead-lettered by the broker (`x-death`), not by a worker: the reason (`delivery_limit`, `expired`, `rejected`). */
  brokerReason: string | undefined;
}

export interface ListOptions {
  /** At most this many, oldest first. @defaultValue 100 */
  limit?: number;
}

/** Which dead letters to replay. */
export type ReplaySelection = { all: true } | { jobId: string } | { errorType: string };

export interface ReplayOptions {
  select: ReplaySelection;
  /** Replays per second at most (a burst of thousands could swamp the workers). @defaultValue unlimited */
  rate?: number;
  /** Called after each replayed job, for a progress line. */
  onProgress?: (replayed: number, scanned: number, total: number) => void;
}

export interface ReplayReport {
  replayed: number;
  /** Looked at and left in the dead-letter queue (not selected). */
  kept: number;
}

/** Dead letters of `queue`, read without removing them (each goes back when the read ends). */
export async function listDeadLetters(
  queue: string,
  options: ListOptions & OperatorSettings = {},
): Promise<DeadLetter[]> {
  const limit = options.limit ?? 100;
  return OperatorSession.run(options, async (session) => {
    const dlq = deadLetterQueueName(queue);
    const total = (await session.peekQueue(dlq))?.messageCount ?? 0;
    const channel = await session.channel();
    const found: DeadLetter[] = [];
    try {
      while (found.length < Math.min(limit, total)) {
        const message = await channel.get(dlq, { noAck: false });
        if (message === false) break;
        found.push(describeDeadLetter(message));
      }
    } finally {
      // Closing the channel hands every message we held back to the queue.
      await channel.close().catch(() => undefined);
    }
    return found;
  });
}

/** Moves the selected dead letters of `queue` back into `queue`, each with a fresh attempt count. */
export async function replayDeadLetters(
  queue: string,
  options: ReplayOptions & OperatorSettings,
): Promise<ReplayReport> {
  return OperatorSession.run(options, async (session) => {
    const dlq = deadLetterQueueName(queue);
    if (!(await session.peekQueue(queue)))
      throw new QueueNotFound(queue, 'start its worker once (it declares the queue), then replay');
    // Only what is there now: a replayed job that fails again returns to the DLQ and must not be replayed twice in one run.
    const total = (await session.peekQueue(dlq))?.messageCount ?? 0;
    const publisher = new ConfirmPublisher(session.connection.confirmChannel('replay'));
    const channel = await session.channel();
    const interval = options.rate && options.rate > 0 ? 1_000 / options.rate : 0;
    // One token per run: a job replayed again later runs again; a redelivery within this replay does not.
    const replayToken = newJobId();
    let replayed = 0;
    let kept = 0;
    let nextAt = Date.now();
    try {
      for (let scanned = 0; scanned < total; scanned += 1) {
        const message = await channel.get(dlq, { noAck: false });
        if (message === false) break;
        if (!selected(message, options.select)) {
          kept += 1; // held unacked until the end, then requeued by the channel's close
          continue;
        }
        if (interval > 0) {
          const wait = nextAt - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          nextAt = Math.max(nextAt, Date.now()) + interval;
        }
        await publisher.publish(
          {
            exchange: '',
            routingKey: queue,
            body: replayBody(message.content),
            options: replayPublishOptions(message.properties, newJobId(), replayToken),
          },
          Date.now() + session.settings.connectionTimeout,
        );
        channel.ack(message);
        replayed += 1;
        options.onProgress?.(replayed, scanned + 1, total);
      }
    } finally {
      await channel.close().catch(() => undefined);
    }
    return { replayed, kept };
  });
}

/** Empties `<queue>_dlq`; resolves to how many dead letters went. */
export async function purgeDeadLetters(queue: string, settings: OperatorSettings = {}): Promise<number> {
  return OperatorSession.run(settings, async (session) => {
    const dlq = deadLetterQueueName(queue);
    if (!(await session.peekQueue(dlq))) return 0;
    const channel = await session.channel();
    try {
      return (await channel.purgeQueue(dlq)).messageCount;
    } finally {
      await channel.close().catch(() => undefined);
    }
  });
}

function selected(message: GetMessage, select: ReplaySelection): boolean {
  if ('all' in select) return true;
  const facts = describeDeadLetter(message);
  if ('jobId' in select) return facts.jobId === select.jobId;
  return facts.errorType === select.errorType;
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

export function describeDeadLetter(message: Pick<GetMessage, 'content' | 'properties'>): DeadLetter {
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(message.content.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      body = parsed as Record<string, unknown>;
  } catch {
    // An unreadable body still has headers worth showing.
  }
  const deaths = Array.isArray(headers['x-death']) ? (headers['x-death'] as Record<string, unknown>[]) : [];
  const brokerReason = text(headers['x-first-death-reason']) ?? text(deaths[0]?.reason);
  const deliveryCount = Number(headers['x-delivery-count'] ?? deaths[0]?.count);
  const jobTry = Number(headers['x-job-try'] ?? body.job_try);
  return {
    jobId: text(headers['x-job-id']) ?? text(message.properties.messageId) ?? text(body.job_id),
    functionName: text(message.properties.type) ?? text(body.function),
    errorType: text(headers['x-error-type']),
    errorCode: text(headers['x-error-code']),
    errorCategory:
      text(headers['x-error-category']) ?? (brokerReason === 'delivery_limit' ? 'delivery_limit' : undefined),
    errorMessage: text(headers['x-error-message']),
    tries:
      headers['x-error-category'] === undefined && Number.isInteger(deliveryCount)
        ? deliveryCount
        : Number.isInteger(jobTry)
          ? jobTry
          : undefined,
    failedAt: text(headers['x-failed-at']) ?? deathTime(deaths[0]?.time),
    brokerReason,
  };
}

function deathTime(value: unknown): string | undefined {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && value !== null && 'value' in value)
    return new Date(Number((value as { value: unknown }).value) * 1000).toISOString();
  if (typeof value === 'number') return new Date(value * 1000).toISOString();
  return undefined;
}
