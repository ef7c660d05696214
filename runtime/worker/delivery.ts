/**
 * One message a consumer received, and the only ways it ends: acked or nacked back to the queue,
 * exactly once. Every later attempt to settle it is ignored, so shutdown, an outcome publish and a
 * late handler can race without a double ack (which would close the channel).
 *
 * Acks are coalesced: those settled in one turn of the event loop go out as one `basic.ack` with
 * `multiple` for the longest run of consecutive delivery tags that are all settled, and one each for
 * the rest (so a slow job never holds back the acks, and the prefetch window, of those after it). A
 * tag is only ever covered by `multiple` once every earlier tag of its channel is settled, so no
 * unfinished job is acked. `flushAcks()` sends what is pending before a channel or connection closes.
 *
 * A delivery belongs to the channel it came on, and its tag means nothing on any other: once that
 * channel closed (its connection lost, the node gone), the broker requeues the message by itself, and
 * an ack or a successor publish for it would act on a job that is already on its way to another
 * consumer. `onLiveChannel()` tells; acks for a closed channel are dropped, never sent on a new one.
 */
import type { ConsumeMessage, Message } from 'amqplib';
import type { AmqpChannel } from '../transport/amqp-model.js';
import type { AttemptAbort } from './attempt-context.js';
import type { AttemptFacts } from './job-recorder.js';

export interface Delivery {
  channel: AmqpChannel;
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

export function newDelivery(channel: AmqpChannel, message: ConsumeMessage, queue: string): Delivery {
  acksOf(channel).track(message.fields.deliveryTag);
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
  acksOf(delivery.channel).ack(delivery.message.fields.deliveryTag);
}

/** Back to its queue, using no attempt. Sent at once. */
export function nack(delivery: Delivery): void {
  if (delivery.settled) return;
  delivery.settled = true;
  acksOf(delivery.channel).nack(delivery.message);
}

/** Whether the channel the delivery came on is still open: only then may it be settled or replaced. */
export function onLiveChannel(delivery: Delivery): boolean {
  return !acksOf(delivery.channel).closed;
}

/** The job id a delivery carries, for log lines about messages that may not decode. */
export function deliveredJobId(delivery: Delivery): string {
  return String(delivery.message.properties.messageId ?? '?');
}

/** Sends every ack still waiting for the end of the event-loop turn; call before closing channels. */
export function flushAcks(): void {
  for (const acks of [...scheduled]) acks.flush();
}

const ACKED = 1;
/** Settled and already told to the broker (a nack, or an ack sent on its own). */
const SENT = 2;

const channels = new WeakMap<AmqpChannel, ChannelAcks>();
const scheduled = new Set<ChannelAcks>();

function acksOf(channel: AmqpChannel): ChannelAcks {
  let acks = channels.get(channel);
  if (!acks) {
    acks = new ChannelAcks(channel);
    channels.set(channel, acks);
  }
  return acks;
}

class ChannelAcks {
  /** Delivery tags not yet covered by a sent ack, ascending from `head`, with their state (0: unsettled). */
  private tags: number[] = [];
  private states: number[] = [];
  private head = 0;
  private readonly index = new Map<number, number>();
  /** Set once the channel closed: the broker has requeued every delivery it held unacked. */
  closed = false;

  constructor(private readonly channel: AmqpChannel) {
    channel.once('close', () => {
      this.closed = true;
      scheduled.delete(this);
    });
  }

  track(tag: number): void {
    this.index.set(tag, this.tags.length);
    this.tags.push(tag);
    this.states.push(0);
  }

  ack(tag: number): void {
    const at = this.index.get(tag);
    if (at === undefined) return this.send(tag, false);
    this.states[at] = ACKED;
    if (scheduled.size === 0) setImmediate(flushAcks);
    scheduled.add(this);
  }

  nack(message: Message): void {
    const at = this.index.get(message.fields.deliveryTag);
    if (at !== undefined) this.states[at] = SENT;
    if (this.closed) return;
    try {
      this.channel.nack(message, false, true);
    } catch {
      // As in send(): a closed channel returns the message to the queue by itself.
    }
  }

  flush(): void {
    scheduled.delete(this);
    // The longest run of settled tags from the oldest: one ack with `multiple` at its last pending ack
    // covers it (tags in it that were nacked or acked alone are no longer unacked at the broker).
    let lastPending: number | undefined;
    let pending = 0;
    while (this.head < this.tags.length && this.states[this.head] !== 0) {
      const tag = this.tags[this.head] as number;
      if (this.states[this.head] === ACKED) {
        lastPending = tag;
        pending += 1;
      }
      this.index.delete(tag);
      this.head += 1;
    }
    if (lastPending !== undefined) this.send(lastPending, pending > 1);
    // Settled behind a job still running: acked one by one, so they do not wait for it.
    for (let at = this.head; at < this.tags.length; at += 1)
      if (this.states[at] === ACKED) {
        this.states[at] = SENT;
        this.send(this.tags[at] as number, false);
      }
    if (this.head > 1024 && this.head * 2 > this.tags.length) this.compact();
  }

  private send(tag: number, multiple: boolean): void {
    if (this.closed) return;
    try {
      this.channel.ack({ fields: { deliveryTag: tag } } as Message, multiple);
    } catch {
      // The channel closed since: the broker redelivers the message, which is what at-least-once means.
    }
  }

  private compact(): void {
    this.tags = this.tags.slice(this.head);
    this.states = this.states.slice(this.head);
    this.head = 0;
    this.index.clear();
    this.tags.forEach((tag, at) => this.index.set(tag, at));
  }
}
