/**
 * One message a consumer received, and the only ways it ends: acked or nacked back to the queue,
 * exactly once. Every later attempt to settle it is ignored, so shutdown, an outcome publish and a
 * late handler can race without a double ack (which would close the channel).
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import type { AttemptAbort } from './attempt-context.js';
import type { AttemptFacts } from './job-recorder.js';

export interface Delivery {
  channel: Channel;
  message: ConsumeMessage;
  queue: string;
  /** Set once the delivery was acked or nacked. */
  settled: boolean;
  /** Set once the handler started; a delivery that never started is requeued at once on shutdown. */
  started: boolean;
  /** Set while its successor message (retry, re-deferral, dead letter) awaits its confirm: it settles by itself. */
  publishing: boolean;
  /** Set once the handler started; shutdown aborts it through this. */
  abort: AttemptAbort | undefined;
  /** What the result store is told about this attempt; set once it started. */
  attempt: AttemptFacts | undefined;
}

export function newDelivery(channel: Channel, message: ConsumeMessage, queue: string): Delivery {
  return {
    channel,
    message,
    queue,
    settled: false,
    started: false,
    publishing: false,
    abort: undefined,
    attempt: undefined,
  };
}

export function ack(delivery: Delivery): void {
  if (delivery.settled) return;
  delivery.settled = true;
  try {
    delivery.channel.ack(delivery.message);
  } catch {
    // The channel closed since: the broker redelivers the message, which is what at-least-once means.
  }
}

/** Back to its queue, using no attempt. */
export function nack(delivery: Delivery): void {
  if (delivery.settled) return;
  delivery.settled = true;
  try {
    delivery.channel.nack(delivery.message, false, true);
  } catch {
    // As in ack(): a closed channel returns the message to the queue by itself.
  }
}

/** The job id a delivery carries, for log lines about messages that may not decode. */
export function deliveredJobId(delivery: Delivery): string {
  return String(delivery.message.properties.messageId ?? '?');
}
