/**
 * The messages that replace a delivery: its retry, its re-deferral through the delay ladder, its
 * dead letter, its counted return, its return by a graceful stop. Pure builders over wire-format.ts, which owns every property and header.
 */
import type { ConsumeMessage } from 'amqplib';
import type { OutgoingMessage } from '../transport/confirm-publisher.js';
import { DELAY_UNIT_MS, MAX_DELAY_MS, routeDelay } from '../topology/delay-topology.js';
import { deadLetterQueueName } from '../topology/queue-topology.js';
import {
  REQUEUED_HEADER,
  carriedHeaders,
  copiedPublishOptions,
  encodeJobBody,
  jobPublishOptions,
  publishedHeaders,
} from '../wire-format.js';
import type { JobEnvelope } from '../wire-format.js';
import { RETURNS_HEADER } from './crash-guard.js';
import { deadLetterHeaders } from './dead-letter.js';
import type { DeadLetterFacts } from './dead-letter.js';

/** What the builders read of a delivery. */
export interface Delivered {
  queue: string;
  message: Pick<ConsumeMessage, 'content' | 'properties'>;
}

/** The next attempt of `job`, due `delay` ms after `now`, on the queue it was delivered from. */
export function retryMessage(
  job: JobEnvelope,
  delivered: Delivered,
  delay: number,
  delayPrefix: string,
  now: number,
): { message: OutgoingMessage; jobTry: number; due: number } {
  const due = delay > 0 ? new Date(now + delay) : null;
  const next: JobEnvelope = { ...job, queueName: delivered.queue, jobTry: job.jobTry + 1, deferUntil: due };
  // A delay longer than the ladder holds (a Retry's defer, a large retryBackoffMax) waits in steps: the message
  // comes back before its due time and is deferred again. routeDelay would throw, and the delivery loop forever.
  const route =
    delay >= DELAY_UNIT_MS
      ? routeDelay(delayPrefix, delivered.queue, Math.min(delay, MAX_DELAY_MS))
      : { exchange: '', routingKey: delivered.queue };
  const options = jobPublishOptions(next, carriedHeaders(delivered.message.properties.headers));
  return {
    message: {
      exchange: route.exchange,
      routingKey: route.routingKey,
      body: encodeJobBody(next),
      options: options as OutgoingMessage['options'],
    },
    jobTry: next.jobTry,
    due: due ? due.getTime() : now,
  };
}

/** An early delivery, unchanged, back through the ladder for `remaining` ms (several trips beyond its longest delay). */
export function redeferMessage(
  delivered: Delivered,
  jobId: string,
  remaining: number,
  delayPrefix: string,
): OutgoingMessage {
  const route = routeDelay(delayPrefix, delivered.queue, Math.min(remaining, MAX_DELAY_MS));
  const properties = delivered.message.properties;
  return {
    exchange: route.exchange,
    routingKey: route.routingKey,
    body: delivered.message.content,
    options: { ...copiedPublishOptions(properties, jobId), headers: publishedHeaders(properties.headers) },
  };
}

/** The delivery, unchanged but for the `x-error-*` facts, to `<queue>_dlq`. */
export function deadLetterMessage(delivered: Delivered, facts: DeadLetterFacts): OutgoingMessage {
  const properties = delivered.message.properties;
  return {
    exchange: '',
    routingKey: deadLetterQueueName(delivered.queue),
    body: delivered.message.content,
    options: {
      ...copiedPublishOptions(properties, facts.jobId),
      headers: deadLetterHeaders(properties.headers, facts),
    },
  };
}

/** The delivery, unchanged but for one more counted return (crash-guard.ts), to the end of its own queue. */
export function countedReturnMessage(
  delivered: Delivered,
  jobId: string | undefined,
  returns: number,
): OutgoingMessage {
  return toOwnQueue(delivered, jobId, { ...delivered.message.properties.headers, [RETURNS_HEADER]: returns });
}

/**
 * The delivery a graceful stop gives back, to the end of its own queue: unchanged but for the returns it
 * carries and the stop's mark, `unstarted` or `interrupted` (crash-guard.ts). The broker's `x-delivery-count` is not copied: it counts
 * the old message's deliveries, and `returns` includes them.
 */
export function stopRequeueMessage(
  delivered: Delivered,
  jobId: string | undefined,
  returns: number,
  mark: 'unstarted' | 'interrupted',
): OutgoingMessage {
  const { 'x-delivery-count': _brokerCount, ...headers } = delivered.message.properties.headers ?? {};
  return toOwnQueue(delivered, jobId, { ...headers, [RETURNS_HEADER]: returns, [REQUEUED_HEADER]: mark });
}

/** The delivered message again, to the end of its own queue, with `headers` in place of its own. */
function toOwnQueue(
  delivered: Delivered,
  jobId: string | undefined,
  headers: Record<string, unknown>,
): OutgoingMessage {
  return {
    exchange: '',
    routingKey: delivered.queue,
    body: delivered.message.content,
    options: { ...copiedPublishOptions(delivered.message.properties, jobId), headers },
  };
}
