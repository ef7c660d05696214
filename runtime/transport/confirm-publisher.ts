/**
 * Publishing with broker confirms on one long-lived confirm channel.
 *
 * A publish resolves only when the broker has confirmed it; concurrent publishes share confirm
 * rounds naturally (the broker acks many delivery tags at once), so callers never wait for each
 * other. Every publish is `mandatory`: a message no queue would receive comes back as basic.return,
 * which RabbitMQ sends before the basic.ack of the same message, so the ack's callback can tell.
 *
 * When the channel dies after a message was written but before its confirm arrived, nobody can
 * know whether the broker kept it: that publish rejects with EnqueueUnconfirmed (republishing
 * could duplicate it). A publish that finds no live channel waits for the reconnect until its
 * deadline; nothing was sent, so that wait is safe. A publish that replaces a delivery (a retry, a
 * dead letter) names a condition (`onlyWhile`: the delivery's channel still open) checked as it is
 * written: after a reconnect the publisher's channel is new while the delivery's is gone, and the
 * broker has requeued the delivery, so publishing its successor would put the job in two places.
 */
import type { Message, Options } from 'amqplib';
import type { AmqpConfirmChannel } from './amqp-model.js';
import type { ManagedChannel } from './connection.js';
import { withDeadline } from './connection.js';
import { ConnectionUnavailable, EnqueueUnconfirmed, PublishNacked, PublishReturned, oneLine } from '../errors.js';

export interface OutgoingMessage {
  exchange: string;
  routingKey: string;
  body: Buffer;
  options: Options.Publish & { messageId: string };
}

export class ConfirmPublisher {
  /** messageId → number of returns not yet matched with their ack, per channel. */
  private readonly returns = new WeakMap<AmqpConfirmChannel, Map<string, number>>();
  /** Set while the socket buffer is full: later publishes wait for 'drain' (backpressure). */
  private drained: Promise<void> | undefined;
  /** Written, not yet confirmed. A broker that stops answering (a memory or disk alarm blocks publishers) must not hold callers past their deadline. */
  private readonly unconfirmed = new Set<{ deadline: number; expire: () => void }>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly channel: ManagedChannel<AmqpConfirmChannel>) {}

  /**
   * Resolves once the broker has confirmed the message; rejects on return, nack, uncertainty or the
   * deadline, and with `ConnectionUnavailable` (nothing sent) when `onlyWhile` is false at the write.
   */
  publish(message: OutgoingMessage, deadline: number, onlyWhile?: () => boolean): Promise<void> {
    try {
      // Hot path: a live channel and no backpressure write at once, without an extra await.
      const live = this.drained ? undefined : this.channel.peek();
      const confirmed = live && this.write(live, message, deadline, onlyWhile);
      return confirmed ?? this.publishWhenReady(message, deadline, onlyWhile);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  private async publishWhenReady(
    message: OutgoingMessage,
    deadline: number,
    onlyWhile: (() => boolean) | undefined,
  ): Promise<void> {
    for (;;) {
      if (this.drained) await withDeadline(this.drained, deadline, () => unconfirmedAtDeadline(message));
      const channel = await this.channel.get(deadline);
      const confirmed = this.write(channel, message, deadline, onlyWhile);
      if (confirmed) return confirmed;
      // The channel was already closed: nothing was sent, so waiting for the next one is safe.
      if (Date.now() >= deadline) throw new ConnectionUnavailable('broker unavailable until the enqueue deadline');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Writes the message; returns the confirm promise, or undefined when the channel was already closed. */
  private write(
    channel: AmqpConfirmChannel,
    message: OutgoingMessage,
    deadline: number,
    onlyWhile: (() => boolean) | undefined,
  ): Promise<void> | undefined {
    if (onlyWhile && !onlyWhile())
      throw new ConnectionUnavailable(`${describe(message)} not sent: what it replaces is gone with its channel`);
    const returns = this.returnsOf(channel);
    let confirmed: Promise<void>;
    let accepted: boolean;
    let pending!: { deadline: number; expire: () => void };
    try {
      let resolveConfirm!: () => void;
      let rejectConfirm!: (err: Error) => void;
      confirmed = new Promise<void>((resolve, reject) => {
        resolveConfirm = resolve;
        rejectConfirm = reject;
      });
      pending = { deadline, expire: () => rejectConfirm(unconfirmedAtDeadline(message)) };
      // Options objects are built per message, so setting the flag in place saves a copy per publish.
      message.options.mandatory = true;
      accepted = channel.publish(
        message.exchange,
        message.routingKey,
        message.body,
        message.options,
        (err: unknown) => {
          this.unconfirmed.delete(pending);
          const id = message.options.messageId;
          const returned = returns.get(id) ?? 0;
          if (returned > 0) {
            if (returned === 1) returns.delete(id);
            else returns.set(id, returned - 1);
            rejectConfirm(
              new PublishReturned(`no queue is bound to receive ${describe(message)}; the broker returned it`),
            );
          } else if (!err) {
            resolveConfirm();
          } else if (err instanceof Error && err.message === 'message nacked') {
            rejectConfirm(new PublishNacked(`the broker refused ${describe(message)}`));
          } else {
            rejectConfirm(
              new EnqueueUnconfirmed(
                `connection lost before the broker confirmed ${describe(message)}; it may or may not be queued (${oneLine(err)})`,
                { cause: err },
              ),
            );
          }
        },
      );
    } catch (err) {
      // amqplib throws on a closed channel (nothing was sent) and on a message it cannot encode
      // (a messageId over 255 bytes, a header table over 64 KiB): only the first is worth a retry.
      if (isChannelClosed(err)) return undefined;
      throw err;
    }
    this.unconfirmed.add(pending);
    this.sweeper ??= setInterval(() => this.expireUnconfirmed(), 1_000).unref();
    if (!accepted && !this.drained) {
      this.drained = new Promise<void>((resolve) => {
        // A channel that closes instead of draining must not block later publishes either.
        const done = (): void => {
          channel.off('drain', done);
          channel.off('close', done);
          this.drained = undefined;
          resolve();
        };
        channel.on('drain', done);
        channel.on('close', done);
      });
    }
    return confirmed;
  }

  private expireUnconfirmed(): void {
    const now = Date.now();
    for (const pending of this.unconfirmed) {
      if (pending.deadline > now) continue;
      this.unconfirmed.delete(pending);
      pending.expire();
    }
    if (this.unconfirmed.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private returnsOf(channel: AmqpConfirmChannel): Map<string, number> {
    let returns = this.returns.get(channel);
    if (!returns) {
      const map = new Map<string, number>();
      channel.on('return', (returned: Message) => {
        const id = String(returned.properties.messageId ?? '');
        map.set(id, (map.get(id) ?? 0) + 1);
      });
      this.returns.set(channel, map);
      returns = map;
    }
    return returns;
  }
}

function isChannelClosed(err: unknown): boolean {
  return err instanceof Error && err.name === 'IllegalOperationError' && /AmqpChannel clos/i.test(err.message);
}

function unconfirmedAtDeadline(message: OutgoingMessage): EnqueueUnconfirmed {
  return new EnqueueUnconfirmed(
    `the broker did not confirm ${describe(message)} before the deadline (is it blocked by a memory or disk alarm?); it may or may not be queued`,
  );
}

function describe(message: OutgoingMessage): string {
  const target = message.exchange === '' ? `queue "${message.routingKey}"` : `exchange "${message.exchange}"`;
  return `message ${message.options.messageId} for ${target}`;
}
