/** What an operator asks of a queue: how much waits, who consumes, what failed, what is delayed; and emptying it. */
import { DELAY_LEVELS, delayNames } from '../topology/delay-topology.js';
import { deadLetterQueueName } from '../topology/queue-topology.js';
import { QueueNotFound } from '../errors.js';
import { managementQueue } from './management-api.js';
import { OperatorSession } from './operator-session.js';
import type { OperatorSettings } from './operator-session.js';

export interface QueueInfo {
  queue: string;
  /** Whether the queue exists at all (a queue no worker or client declared yet does not). */
  exists: boolean;
  /** Messages ready for delivery. */
  ready: number;
  /** Delivered, not yet acked; AMQP cannot see these, only the management API can (`null`: unknown). */
  unacked: number | null;
  consumers: number;
  deadLetterQueue: string;
  /** Messages in `<queue>_dlq`. */
  deadLetters: number;
  /** Messages in the delay ladder, for all queues of the vhost together (deferred jobs and retries). */
  delayedInLadder: number;
}

export interface QueueInfoOptions {
  /** Management API base URL (`http://localhost:15672`); credentials from it or from the AMQP URL. */
  managementUrl?: string;
}

export async function inspectQueue(
  queue: string,
  settings: OperatorSettings & QueueInfoOptions = {},
): Promise<QueueInfo> {
  return OperatorSession.run(settings, async (session) => {
    const main = await session.peekQueue(queue);
    const dlq = await session.peekQueue(deadLetterQueueName(queue));
    let delayed = 0;
    const names = delayNames(session.settings.delayPrefix);
    for (let level = 0; level < DELAY_LEVELS; level += 1)
      delayed += (await session.peekQueue(names.levelQueue(level)))?.messageCount ?? 0;
    return {
      queue,
      exists: main !== undefined,
      ready: main?.messageCount ?? 0,
      unacked: settings.managementUrl
        ? await unackedFromManagement(
            settings.managementUrl,
            session.connection.vhost,
            queue,
            session.connection.urls[0],
          )
        : null,
      consumers: main?.consumerCount ?? 0,
      deadLetterQueue: deadLetterQueueName(queue),
      deadLetters: dlq?.messageCount ?? 0,
      delayedInLadder: delayed,
    };
  });
}

/** Removes every ready message of `queue` (not those delivered and unacked); resolves to how many went. */
export async function purgeQueue(queue: string, settings: OperatorSettings = {}): Promise<number> {
  return OperatorSession.run(settings, async (session) => {
    if (!(await session.peekQueue(queue))) throw new QueueNotFound(queue);
    const channel = await session.channel();
    try {
      return (await channel.purgeQueue(queue)).messageCount;
    } finally {
      await channel.close().catch(() => undefined);
    }
  });
}

async function unackedFromManagement(
  managementUrl: string,
  vhost: string,
  queue: string,
  amqpUrl: string | undefined,
): Promise<number> {
  const body = await managementQueue<{ messages_unacknowledged?: number }>(managementUrl, vhost, queue, amqpUrl);
  return body.messages_unacknowledged ?? 0;
}
