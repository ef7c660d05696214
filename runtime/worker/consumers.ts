/**
 * One consumer per queue, each on its own managed channel: re-opened channels consume again (unless
 * the worker is stopping), a channel that cannot be re-opened for good is reported, and stopping
 * cancels every consumer while the channels stay open for the acks still to come.
 */
import type { ConsumeMessage } from 'amqplib';
import type { AmqpChannel } from '../transport/amqp-model.js';
import { errorCode } from '../errors.js';
import type { BrokerConnection, ManagedChannel } from '../transport/connection.js';

interface Consumer {
  queue: string;
  channel: ManagedChannel<AmqpChannel>;
  tag: string | undefined;
}

export interface ConsumerOptions {
  prefetchCount: number;
  stopRequested(): boolean;
  onMessage(channel: AmqpChannel, queue: string, message: ConsumeMessage): void;
  /** This queue can no longer be consumed (e.g. redeclared with other arguments). */
  onFailed(queue: string, error: Error): void;
}

export class Consumers {
  private readonly consumers: Consumer[] = [];

  constructor(private readonly options: ConsumerOptions) {}

  /** Opens a consumer on each queue; resolves once all consume, or rejects at `deadline`. */
  async start(connection: BrokerConnection, queues: readonly string[], deadline: number): Promise<void> {
    const { prefetchCount, stopRequested, onMessage, onFailed } = this.options;
    for (const queue of queues) {
      // The channel's onOpen runs once the channel opens, after a connection round trip, by when `consumer` is assigned.
      const consumer: Consumer = {
        queue,
        tag: undefined,
        channel: connection.channel(`consume ${queue}`, async (channel) => {
          // A channel re-opened while stopping must not consume again: every delivery would only be requeued.
          if (stopRequested()) return;
          // Per-consumer prefetch: quorum queues have no global QoS.
          await channel.prefetch(prefetchCount);
          const reply = await channel.consume(
            queue,
            (message) => {
              if (message) onMessage(channel, queue, message);
              // The broker cancelled our consumer (queue deleted); re-opening the channel consumes again.
              else void channel.close().catch(() => undefined);
            },
            { noAck: false },
          );
          consumer.tag = reply.consumerTag;
        }),
      };
      consumer.channel.on('failed', (err) => {
        if (stopRequested() || errorCode(err) === 'CLOSED') return;
        onFailed(queue, err);
      });
      this.consumers.push(consumer);
    }
    await Promise.all(this.consumers.map((consumer) => consumer.channel.get(deadline)));
  }

  /** Cancels every consumer; the channels stay open, since acks still need them. */
  async cancel(): Promise<void> {
    await Promise.all(
      this.consumers.map(async ({ channel, tag }) => {
        const live = channel.peek();
        if (live && tag) await live.cancel(tag).catch(() => undefined);
      }),
    );
  }
}
