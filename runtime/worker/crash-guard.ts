/**
 * Jobs that kill their worker (docs/reliability.md, "A job that kills its worker"). A delivery that
 * comes back without an outcome was held by a worker that died, lost its connection or shut down;
 * if that keeps happening, the job is probably the cause. Two defences:
 *
 * - A bound. Quorum queues count returns in `x-delivery-count` and dead-letter at their delivery
 *   limit. Classic queues count nothing, so the worker does: a redelivered message is published
 *   again to the end of its queue with `x-arq-returns` one higher (outcome-messages.ts builds it;
 *   confirmed, then the delivery is acked), and dead-lettered with `DeliveryLimitExceeded` once that
 *   passes the same limit.
 * - Isolation. Jobs held with a poison job die with it and are returned too, so their counts climb
 *   alike. A delivery returned at least `ISOLATE_AFTER_RETURNS` times runs alone: one at a time,
 *   chosen at random among those waiting, with every concurrency slot held and earlier acks sent
 *   first. Each crash then takes only the job that ran, and the others get through in a few rounds.
 *
 * A graceful stop is not a return. The broker counts a nack like a crash (`x-delivery-count` on
 * quorum, `redelivered` on classic), so a stopping worker publishes each delivery it gives back
 * again instead, to the end of its queue, with its returns so far in `x-arq-returns` (on quorum the
 * broker's count starts again with the new message) and `x-arq-requeued` (`unstarted` or
 * `interrupted`); confirmed, then acked.
 */
import type { ConsumeMessage } from 'amqplib';
import { QUORUM_DELIVERY_LIMIT } from '../topology/queue-topology.js';
import type { QueueType } from '../types.js';
import { REQUEUED_HEADER } from '../wire-format.js';
import { flushAcks } from './delivery.js';
import type { Semaphore } from './semaphore.js';

/** Returns counted by the worker: every one on classic queues, those before a graceful stop on quorum. */
export const RETURNS_HEADER = 'x-arq-returns';
/** Returns after which a delivery runs alone. */
export const ISOLATE_AFTER_RETURNS = 2;
/** Returns a classic-queue delivery may have before it is dead-lettered: the quorum queues' limit. */
export const CLASSIC_RETURN_LIMIT = QUORUM_DELIVERY_LIMIT;

type Returned = Pick<ConsumeMessage, 'fields' | 'properties'>;

function countHeader(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : 0;
}

/** How often this delivery was returned before: ours on classic, the broker's count (plus ours, carried over a stop) on quorum. */
export function returnsOf(message: Returned, queueType: QueueType): number {
  const headers = message.properties.headers ?? {};
  const counted = countHeader(headers[RETURNS_HEADER]);
  return queueType === 'quorum' ? countHeader(headers['x-delivery-count']) + counted : counted;
}

/** Whether the worker must count this return itself: a classic-queue delivery the broker redelivered. */
export function mustCountReturn(message: Returned, queueType: QueueType): boolean {
  return queueType === 'classic' && message.fields.redelivered;
}

/** Returns a delivery given back by a graceful stop carries on: its own, and this one if it was an uncounted crash return. */
export function returnsToCarry(message: Returned, queueType: QueueType): number {
  return returnsOf(message, queueType) + (mustCountReturn(message, queueType) ? 1 : 0);
}

/** How a graceful stop gave this delivery back: before its job started, or interrupting it; undefined if none did. */
export function requeuedBy(message: Returned): 'unstarted' | 'interrupted' | undefined {
  const mark: unknown = message.properties.headers?.[REQUEUED_HEADER];
  return mark === 'unstarted' || mark === 'interrupted' ? mark : undefined;
}

/** The mark of a stop giving `message` back now; once interrupted, a job stays marked so. */
export function requeueMark(message: Returned, started: boolean): 'unstarted' | 'interrupted' {
  return started || requeuedBy(message) === 'interrupted' ? 'interrupted' : 'unstarted';
}

/** Whether the job may have started before: the broker redelivered it, or a graceful stop gave it back. */
export function cameBack(message: Returned): boolean {
  return message.fields.redelivered || requeuedBy(message) !== undefined;
}

/** Runs suspect deliveries one at a time, alone, in random order. */
export class IsolationLane {
  private readonly waiting: Array<() => void> = [];
  private busy = false;
  private picking = false;

  constructor(
    private readonly semaphore: Semaphore,
    private readonly slots: number,
  ) {}

  /** Resolves once this delivery may run alone; the release frees the lane and every slot. */
  async enter(): Promise<() => void> {
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      this.schedulePick();
    });
    const releases: Array<() => void> = [];
    for (let slot = 0; slot < this.slots; slot += 1) releases.push(await this.semaphore.acquire());
    // Jobs that finished before it must be acked on the wire before it can kill the process.
    flushAcks();
    await new Promise((resolve) => setImmediate(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const release of releases) release();
      this.busy = false;
      this.schedulePick();
    };
  }

  private schedulePick(): void {
    if (this.busy || this.picking || this.waiting.length === 0) return;
    this.picking = true;
    // A short pause lets the rest of a prefetch burst arrive, so the pick is among all of them.
    setTimeout(() => {
      this.picking = false;
      if (this.busy || this.waiting.length === 0) return;
      this.busy = true;
      const [next] = this.waiting.splice(Math.floor(Math.random() * this.waiting.length), 1);
      next?.();
    }, 20);
  }
}
