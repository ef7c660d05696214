/**
 * Job queues and their dead-letter queues (docs/topology.md). Queue arguments can never change once
 * a queue exists (RabbitMQ answers a redeclare with other arguments with 406 and closes the channel),
 * so the main queue is declared with its final arguments from day one, and clients declare exactly
 * what workers declare.
 */
import type { Options } from 'amqplib';
import type { AmqpChannel } from '../transport/amqp-model.js';
import { BrokerConfigurationError, oneLine } from '../errors.js';
import { bindToDelivery, declareDelayLadder } from './delay-topology.js';
import type { ManagedChannel } from '../transport/connection.js';
import { isConfigurationError } from '../transport/connection.js';
import type { QueueType } from '../types.js';
import { BROKER_REPLICATION, quorumArguments } from './quorum-arguments.js';
import type { QuorumReplication } from './quorum-arguments.js';

/** Broker-side limit on deliveries of one message to quorum consumers: a message that crashes worker after worker ends in the DLQ. */
export const QUORUM_DELIVERY_LIMIT = 20;

export function deadLetterQueueName(queue: string): string {
  return `${queue}_dlq`;
}

export function mainQueueOptions(
  queue: string,
  type: QueueType,
  replication: QuorumReplication = BROKER_REPLICATION,
): Options.AssertQueue {
  if (type === 'classic') {
    // Exactly what the Python RabbitMQ-ARQ declares (durable, no arguments), so both can share the queue.
    return { durable: true };
  }
  return {
    durable: true,
    arguments: {
      ...quorumArguments(replication),
      'x-delivery-limit': QUORUM_DELIVERY_LIMIT,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': deadLetterQueueName(queue),
      // at-least-once dead-lettering needs reject-publish; with no length limit set it never rejects.
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    },
  };
}

export function deadLetterQueueOptions(
  type: QueueType,
  replication: QuorumReplication = BROKER_REPLICATION,
): Options.AssertQueue {
  return type === 'classic' ? { durable: true } : { durable: true, arguments: quorumArguments(replication) };
}

/** Turns the broker's 406 on a mismatched queue into one line naming the queue and the fix. */
export function describeQueueMismatch(queue: string, type: QueueType, err: unknown): BrokerConfigurationError {
  const text = oneLine(err);
  let existing = 'with other arguments';
  if (/x-queue-type/.test(text) && /current is none/.test(text)) existing = 'as a classic queue';
  else if (/x-queue-type/.test(text) && /'quorum'/.test(text.split('but current is')[1] ?? ''))
    existing = 'as a quorum queue';
  else if (/current is none/.test(text)) existing = 'as a classic queue without arguments';
  const fix =
    type === 'quorum'
      ? `set queueType: 'classic' to use it as it is, or delete it (and its messages) so it can be recreated as quorum`
      : `set queueType: 'quorum' to use it as it is, or delete it so it can be recreated as classic`;
  return new BrokerConfigurationError(
    `queue "${queue}" exists ${existing}; this process declares it ${type}: ${fix} (broker said: ${text})`,
    { cause: err },
  );
}

/** Declares the queues a process publishes to or consumes from, once per process and name. */
export class QueueTopology {
  private readonly declared = new Map<string, Promise<void>>();
  private readonly ready = new Set<string>();
  private ladder: Promise<void> | undefined;

  constructor(
    private readonly channel: ManagedChannel<AmqpChannel>,
    private readonly queueType: QueueType,
    private readonly delayPrefix: string,
    private readonly replication: QuorumReplication = BROKER_REPLICATION,
  ) {}

  /** Main queue, its DLQ, and its binding to the delay ladder's delivery exchange. */
  /** Whether `queue` is known to be declared already (lets the hot path skip an await). */
  isDeclared(queue: string): boolean {
    return this.ready.has(queue);
  }

  ensureJobQueue(queue: string, deadline: number): Promise<void> {
    let pending = this.declared.get(queue);
    if (!pending) {
      pending = this.run(deadline, async (channel) => {
        try {
          // Main queue first: if it exists with another type (a Python-declared classic queue), nothing is created,
          // so the fix we suggest (switch queueType) does not then fail on a "<queue>_dlq" of the wrong type.
          await channel.assertQueue(queue, mainQueueOptions(queue, this.queueType, this.replication));
          await channel.assertQueue(
            deadLetterQueueName(queue),
            deadLetterQueueOptions(this.queueType, this.replication),
          );
        } catch (err) {
          throw isConfigurationError(err) ? describeQueueMismatch(queue, this.queueType, err) : err;
        }
        await this.ensureLadderOn(channel);
        await bindToDelivery(channel, this.delayPrefix, queue);
      });
      this.declared.set(queue, pending);
      pending.then(
        () => this.ready.add(queue),
        () => this.declared.delete(queue),
      );
    }
    return pending;
  }

  private ensureLadderOn(channel: AmqpChannel): Promise<void> {
    if (!this.ladder) {
      this.ladder = declareDelayLadder(channel, this.delayPrefix, this.replication);
      this.ladder.catch(() => (this.ladder = undefined));
    }
    return this.ladder;
  }

  private async run(deadline: number, work: (channel: AmqpChannel) => Promise<void>): Promise<void> {
    const channel = await this.channel.get(deadline);
    await work(channel);
  }
}
