/**
 * The delay ladder (docs/topology.md): deferred jobs and retries wait in a fixed set of classic TTL
 * queues instead of one queue per delay, so a short delay never waits behind a long one and the
 * number of queues stays bounded however many distinct delays are used.
 *
 * Level k is a queue whose messages all live exactly 2^k units, then dead-letter into level k-1's
 * exchange. The delay, in whole units, is written in binary into the routing key (most significant
 * bit first, then the destination queue), and each level's exchange sends a message into its queue
 * when the key's bit for that level is 1, or straight on to the next level when it is 0. After
 * level 0 the delivery exchange routes the message to its destination queue. A message therefore
 * waits exactly `units × unit` ms plus the broker's hop latency, never less; the remainder under one
 * unit is waited out by the worker, so no job ever runs early.
 *
 * Level queues are quorum queues with at-least-once dead-lettering: the broker keeps an expired
 * message until the next hop has confirmed it. Classic level queues dead-letter at most once and drop
 * messages that expire while the node stops or starts (chaos scenario 3).
 */
import { BROKER_REPLICATION, quorumArguments } from './quorum-arguments.js';
import type { QuorumReplication } from './quorum-arguments.js';
import type { AmqpChannel } from '../transport/amqp-model.js';

/** Granularity of the ladder; shorter remainders are waited out by the worker. */
export const DELAY_UNIT_MS = 100;
/** Levels 2^0 .. 2^24 units: about 38.8 days in all. */
export const DELAY_LEVELS = 25;
/** The longest delay the ladder holds; a longer one is refused at enqueue. */
export const MAX_DELAY_MS = (2 ** DELAY_LEVELS - 1) * DELAY_UNIT_MS;
/**
 * Bump when units, levels or queue arguments change: a queue cannot be redeclared with other
 * arguments, so a new layout gets new names.
 */
export const TOPOLOGY_VERSION = 'v2';

export interface DelayNames {
  levelExchange(level: number): string;
  levelQueue(level: number): string;
  /** Topic exchange the last level dead-letters into; destination queues bind to it. */
  deliver: string;
  /** Where a message whose destination was never bound ends up instead of being dropped. */
  unroutable: string;
}

export function delayNames(prefix: string, version: string = TOPOLOGY_VERSION): DelayNames {
  const base = `${prefix}.delay.${version}`;
  const pad = (level: number): string => String(level).padStart(2, '0');
  return {
    levelExchange: (level) => `${base}.level${pad(level)}`,
    levelQueue: (level) => `${base}.level${pad(level)}`,
    deliver: `${base}.deliver`,
    unroutable: `${base}.unroutable`,
  };
}

export interface DelayRoute {
  exchange: string;
  routingKey: string;
  /** Whole units the ladder will hold the message. */
  units: number;
}

/** Routing key of `units` for `queue`: one word per level, most significant first, then the queue name. */
export function delayRoutingKey(units: number, queue: string): string {
  const bits: string[] = [];
  for (let level = DELAY_LEVELS - 1; level >= 0; level -= 1)
    bits.push(Math.floor(units / 2 ** level) % 2 === 1 ? '1' : '0');
  return `${bits.join('.')}.${queue}`;
}

/**
 * Where to publish a message that must wait `delayMs` before reaching `queue`. The delay is rounded
 * down to whole units; the message enters the ladder at its highest set bit (lower exchanges would
 * only pass it on). A delay under one unit goes straight to the delivery exchange.
 */
export function routeDelay(prefix: string, queue: string, delayMs: number): DelayRoute {
  // Callers check or clamp first (the client throws InvalidSchedule): reaching this is a bug in the runtime.
  // eslint-disable-next-line no-restricted-syntax -- an assertion, not part of the error contract
  if (!(delayMs <= MAX_DELAY_MS)) throw new RangeError(`delay ${delayMs} ms exceeds the maximum of ${MAX_DELAY_MS} ms`);
  const names = delayNames(prefix);
  const units = Math.max(0, Math.floor(delayMs / DELAY_UNIT_MS));
  const routingKey = delayRoutingKey(units, queue);
  if (units === 0) return { exchange: names.deliver, routingKey, units };
  const highest = Math.floor(Math.log2(units));
  return { exchange: names.levelExchange(highest), routingKey, units };
}

/** Binding pattern selecting messages whose bit for `level` is `bit`. */
function levelPattern(level: number, bit: '0' | '1'): string {
  return `${'*.'.repeat(DELAY_LEVELS - 1 - level)}${bit}.#`;
}

/** Binding of a destination queue on the delivery exchange: exactly the bit words, then its name. */
export function deliveryPattern(queue: string): string {
  return `${'*.'.repeat(DELAY_LEVELS)}${queue}`;
}

/** Declares the whole ladder. Idempotent; every client and worker of a vhost declares the same thing. */
export async function declareDelayLadder(
  channel: AmqpChannel,
  prefix: string,
  replication: QuorumReplication = BROKER_REPLICATION,
): Promise<void> {
  const names = delayNames(prefix);
  await channel.assertExchange(names.unroutable, 'fanout', { durable: true });
  await channel.assertQueue(names.unroutable, { durable: true, arguments: quorumArguments(replication) });
  await channel.bindQueue(names.unroutable, names.unroutable, '');
  await channel.assertExchange(names.deliver, 'topic', { durable: true, alternateExchange: names.unroutable });
  for (let level = 0; level < DELAY_LEVELS; level += 1) {
    const exchange = names.levelExchange(level);
    const next = level === 0 ? names.deliver : names.levelExchange(level - 1);
    await channel.assertExchange(exchange, 'topic', { durable: true });
    await channel.assertQueue(names.levelQueue(level), {
      durable: true,
      arguments: {
        ...quorumArguments(replication),
        'x-message-ttl': 2 ** level * DELAY_UNIT_MS,
        'x-dead-letter-exchange': next,
        // Keep an expired message until the next hop confirmed it (needs reject-publish; no length limit is set).
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
      },
    });
    await channel.bindQueue(names.levelQueue(level), exchange, levelPattern(level, '1'));
    await channel.bindExchange(next, exchange, levelPattern(level, '0'));
  }
}

/** Lets the ladder deliver to `queue`; must run before the first delayed publish to it. */
export async function bindToDelivery(channel: AmqpChannel, prefix: string, queue: string): Promise<void> {
  await channel.bindQueue(queue, delayNames(prefix).deliver, deliveryPattern(queue));
}

/** Deletes the ladder (an explicit maintenance command; nothing else ever deletes it). */
export async function deleteDelayLadder(channel: AmqpChannel, prefix: string): Promise<void> {
  const names = delayNames(prefix);
  for (let level = 0; level < DELAY_LEVELS; level += 1) {
    await channel.deleteQueue(names.levelQueue(level));
    await channel.deleteExchange(names.levelExchange(level));
  }
  await channel.deleteExchange(names.deliver);
  await channel.deleteQueue(names.unroutable);
  await channel.deleteExchange(names.unroutable);
}
