/**
 * Fresh queue names per run, and their removal afterwards over one raw admin connection. Names
 * have the same length for both sides so bodies that carry the queue name weigh the same.
 */
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import type { QueueType } from '../runtime/index.js';

const created = new Set<string>();
let admin: Promise<ChannelModel> | undefined;
let adminUrl = '';

export function useBroker(url: string): void {
  adminUrl = url;
}

/** A queue name no earlier run used; remembered so `deleteAllQueues` can remove it after a failure. */
export function freshQueueName(type: QueueType): string {
  const name = `arqbench-${type}-${randomBytes(4).toString('hex')}`;
  created.add(name);
  return name;
}

/** The arguments raw amqplib declares: durable, of the same type as ours, nothing else. */
export function rawQueueOptions(type: QueueType): amqp.Options.AssertQueue {
  return type === 'quorum' ? { durable: true, arguments: { 'x-queue-type': 'quorum' } } : { durable: true };
}

async function withAdmin<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
  admin ??= amqp.connect(adminUrl).then((connection) => {
    connection.on('error', () => undefined);
    return connection;
  });
  // A fresh channel per operation: a 404 closes the channel it happened on.
  const channel = await (await admin).createChannel();
  channel.on('error', () => undefined);
  try {
    return await work(channel);
  } finally {
    await channel.close().catch(() => undefined);
  }
}

export async function purgeQueue(queue: string): Promise<void> {
  await withAdmin((channel) => channel.purgeQueue(queue));
}

/** Deletes a bench queue and the dead-letter queue our runtime declares beside it. */
export async function deleteQueue(queue: string): Promise<void> {
  for (const name of [queue, `${queue}_dlq`])
    await withAdmin((channel) => channel.deleteQueue(name)).catch(() => undefined);
  created.delete(queue);
}

/** Removes whatever a failed run left behind, and closes the admin connection. */
export async function deleteAllQueues(): Promise<void> {
  for (const queue of [...created]) await deleteQueue(queue);
  const connection = admin;
  admin = undefined;
  if (connection) await (await connection).close().catch(() => undefined);
}
