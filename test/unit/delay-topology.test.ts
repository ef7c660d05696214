// The delay ladder, without a broker: routing keys, where a delay enters the ladder, and the ladder itself as
// declareDelayLadder declares it, run through a small model of RabbitMQ's topic routing, TTL and dead-lettering.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Channel } from 'amqplib';
import {
  DELAY_LEVELS,
  DELAY_UNIT_MS,
  MAX_DELAY_MS,
  bindToDelivery,
  declareDelayLadder,
  delayNames,
  delayRoutingKey,
  deliveryPattern,
  routeDelay,
} from '../../runtime/topology/delay-topology.js';

/** AMQP topic matching: `*` is exactly one word, `#` zero or more. */
function topicMatches(pattern: string, key: string): boolean {
  const p = pattern.split('.');
  const k = key.split('.');
  const match = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    if (p[i] === '#') return match(i + 1, j) || (j < k.length && match(i, j + 1));
    if (j === k.length) return false;
    return (p[i] === '*' || p[i] === k[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

interface Declared {
  exchanges: Map<string, { type: string; options: Record<string, unknown> }>;
  queues: Map<string, Record<string, unknown>>;
  queueBindings: Array<{ queue: string; exchange: string; pattern: string }>;
  exchangeBindings: Array<{ destination: string; source: string; pattern: string }>;
}

/** A channel that records what is declared on it. */
function recordingChannel(): { channel: Channel; declared: Declared } {
  const declared: Declared = { exchanges: new Map(), queues: new Map(), queueBindings: [], exchangeBindings: [] };
  const fake = {
    assertExchange: async (name: string, type: string, options: Record<string, unknown> = {}) => {
      declared.exchanges.set(name, { type, options });
      return { exchange: name };
    },
    assertQueue: async (name: string, options: Record<string, unknown> = {}) => {
      declared.queues.set(name, options);
      return { queue: name, messageCount: 0, consumerCount: 0 };
    },
    bindQueue: async (queue: string, exchange: string, pattern: string) => {
      declared.queueBindings.push({ queue, exchange, pattern });
      return {};
    },
    bindExchange: async (destination: string, source: string, pattern: string) => {
      declared.exchangeBindings.push({ destination, source, pattern });
      return {};
    },
  };
  return { channel: fake as unknown as Channel, declared };
}

interface Arrival {
  queue: string;
  /** Time spent in TTL queues. */
  waited: number;
  /** Level queues passed through. */
  hops: number;
}

/**
 * Follows a message through the declared topology the way RabbitMQ would: topic bindings (queue and
 * exchange-to-exchange), the alternate exchange when nothing matches, and a TTL queue's expiry into its
 * dead-letter exchange with the routing key unchanged.
 */
function deliver(declared: Declared, exchange: string, key: string, waited = 0, hops = 0): Arrival[] {
  const x = declared.exchanges.get(exchange);
  assert.ok(x, `exchange ${exchange} is not declared`);
  const matches = (pattern: string): boolean => (x.type === 'fanout' ? true : topicMatches(pattern, key));
  const arrivals: Arrival[] = [];
  let routed = false;
  for (const binding of declared.queueBindings.filter((b) => b.exchange === exchange && matches(b.pattern))) {
    routed = true;
    const args = (declared.queues.get(binding.queue)?.arguments ?? {}) as Record<string, unknown>;
    const ttl = args['x-message-ttl'];
    if (typeof ttl === 'number') {
      arrivals.push(...deliver(declared, String(args['x-dead-letter-exchange']), key, waited + ttl, hops + 1));
    } else {
      arrivals.push({ queue: binding.queue, waited, hops });
    }
  }
  for (const binding of declared.exchangeBindings.filter((b) => b.source === exchange && matches(b.pattern))) {
    routed = true;
    arrivals.push(...deliver(declared, binding.destination, key, waited, hops));
  }
  const alternate = x.options.alternateExchange;
  if (!routed && typeof alternate === 'string') arrivals.push(...deliver(declared, alternate, key, waited, hops));
  return arrivals;
}

function popcount(n: number): number {
  let count = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) count += rest % 2;
  return count;
}

const names = delayNames('arq');

describe('delayRoutingKey', () => {
  it('writes the units in binary, one word per level, most significant first, then the queue', () => {
    const zeros = (n: number): string[] => Array.from({ length: n }, () => '0');
    assert.equal(delayRoutingKey(0, 'jobs'), [...zeros(DELAY_LEVELS), 'jobs'].join('.'));
    assert.equal(delayRoutingKey(1, 'jobs'), [...zeros(DELAY_LEVELS - 1), '1', 'jobs'].join('.'));
    assert.equal(delayRoutingKey(5, 'jobs'), [...zeros(DELAY_LEVELS - 3), '1', '0', '1', 'jobs'].join('.'));
    assert.equal(delayRoutingKey(2 ** DELAY_LEVELS - 1, 'a.b'), [...Array(DELAY_LEVELS).fill('1'), 'a', 'b'].join('.'));
    assert.equal(delayRoutingKey(2 ** 24, 'q'), ['1', ...zeros(DELAY_LEVELS - 1), 'q'].join('.'));
  });

  it('round-trips every level', () => {
    for (let level = 0; level < DELAY_LEVELS; level += 1) {
      const words = delayRoutingKey(2 ** level + 1, 'q').split('.');
      assert.equal(words.length, DELAY_LEVELS + 1);
      assert.equal(parseInt(words.slice(0, DELAY_LEVELS).join(''), 2), 2 ** level + 1);
    }
  });

  it('stays within AMQP’s 255-byte routing key for the longest queue name allowed (200 characters)', () => {
    assert.ok(Buffer.byteLength(delayRoutingKey(2 ** DELAY_LEVELS - 1, 'q'.repeat(200))) <= 255);
    assert.ok(Buffer.byteLength(deliveryPattern('q'.repeat(200))) <= 255);
  });
});

describe('routeDelay', () => {
  it('enters the ladder at the highest set bit', () => {
    assert.deepEqual(routeDelay('arq', 'q', 100), {
      exchange: names.levelExchange(0),
      routingKey: delayRoutingKey(1, 'q'),
      units: 1,
    });
    assert.equal(routeDelay('arq', 'q', 500).exchange, names.levelExchange(2));
    assert.equal(routeDelay('arq', 'q', 800).exchange, names.levelExchange(3));
    assert.equal(routeDelay('arq', 'q', 1_500).exchange, names.levelExchange(3));
    assert.equal(routeDelay('arq', 'q', 1_600).exchange, names.levelExchange(4));
    assert.equal(routeDelay('arq', 'q', MAX_DELAY_MS).exchange, names.levelExchange(DELAY_LEVELS - 1));
    for (let level = 0; level < DELAY_LEVELS; level += 1) {
      assert.equal(routeDelay('arq', 'q', 2 ** level * DELAY_UNIT_MS).exchange, names.levelExchange(level));
      assert.equal(routeDelay('arq', 'q', (2 ** (level + 1) - 1) * DELAY_UNIT_MS).exchange, names.levelExchange(level));
    }
  });

  it('rounds down to whole units, so the ladder never holds a job longer than asked', () => {
    assert.equal(DELAY_UNIT_MS, 100);
    assert.equal(routeDelay('arq', 'q', 199).units, 1);
    assert.equal(routeDelay('arq', 'q', 200).units, 2);
    assert.equal(routeDelay('arq', 'q', 12_345).units, 123);
    assert.equal(routeDelay('arq', 'q', 12_345).routingKey, delayRoutingKey(123, 'q'));
  });

  it('sends a delay under one unit (and zero) straight to the delivery exchange', () => {
    for (const delay of [0, 1, 50, 99.9]) {
      assert.deepEqual(routeDelay('arq', 'q', delay), {
        exchange: names.deliver,
        routingKey: delayRoutingKey(0, 'q'),
        units: 0,
      });
    }
  });

  it('refuses more than MAX_DELAY_MS, and a delay that is not a number', () => {
    assert.equal(MAX_DELAY_MS, (2 ** DELAY_LEVELS - 1) * DELAY_UNIT_MS);
    assert.doesNotThrow(() => routeDelay('arq', 'q', MAX_DELAY_MS));
    assert.throws(() => routeDelay('arq', 'q', MAX_DELAY_MS + 1), RangeError);
    assert.throws(() => routeDelay('arq', 'q', Number.POSITIVE_INFINITY), RangeError);
    assert.throws(() => routeDelay('arq', 'q', Number.NaN), RangeError);
  });

  it('uses the configured prefix and the topology version in every name', () => {
    assert.equal(routeDelay('acme.jobs', 'q', 100).exchange, 'acme.jobs.delay.v2.level00');
    assert.equal(routeDelay('acme.jobs', 'q', 0).exchange, 'acme.jobs.delay.v2.deliver');
    assert.equal(delayNames('arq').unroutable, 'arq.delay.v2.unroutable');
  });
});

describe('deliveryPattern', () => {
  it('matches exactly the bit words and then the queue name', () => {
    assert.equal(deliveryPattern('jobs'), `${'*.'.repeat(DELAY_LEVELS)}jobs`);
    assert.ok(topicMatches(deliveryPattern('jobs'), delayRoutingKey(0, 'jobs')));
    assert.ok(topicMatches(deliveryPattern('a.b.c'), delayRoutingKey(77, 'a.b.c')));
  });

  it('counts words, so queue "b.c" and queue "c" never receive each other’s jobs', () => {
    for (const units of [0, 1, 6, 2 ** DELAY_LEVELS - 1]) {
      assert.equal(topicMatches(deliveryPattern('c'), delayRoutingKey(units, 'b.c')), false);
      assert.equal(topicMatches(deliveryPattern('b.c'), delayRoutingKey(units, 'c')), false);
      assert.equal(topicMatches(deliveryPattern('c'), delayRoutingKey(units, 'c')), true);
      assert.equal(topicMatches(deliveryPattern('b.c'), delayRoutingKey(units, 'b.c')), true);
    }
    // A queue named like bit words cannot capture another queue's messages either.
    assert.equal(topicMatches(deliveryPattern('1.c'), delayRoutingKey(1, 'c')), false);
  });
});

describe('declareDelayLadder', () => {
  it('declares quorum level queues whose TTLs double and that dead-letter one level down, at least once', async () => {
    const { channel, declared } = recordingChannel();
    await declareDelayLadder(channel, 'arq');
    for (let level = 0; level < DELAY_LEVELS; level += 1) {
      assert.deepEqual(declared.queues.get(names.levelQueue(level)), {
        durable: true,
        arguments: {
          'x-queue-type': 'quorum',
          'x-message-ttl': 2 ** level * DELAY_UNIT_MS,
          'x-dead-letter-exchange': level === 0 ? names.deliver : names.levelExchange(level - 1),
          'x-dead-letter-strategy': 'at-least-once',
          'x-overflow': 'reject-publish',
        },
      });
      assert.deepEqual(declared.exchanges.get(names.levelExchange(level)), {
        type: 'topic',
        options: { durable: true },
      });
    }
    // RabbitMQ caps x-message-ttl at 2^32 - 1 ms.
    assert.ok(2 ** (DELAY_LEVELS - 1) * DELAY_UNIT_MS <= 2 ** 32 - 1);
    assert.deepEqual(declared.exchanges.get(names.deliver), {
      type: 'topic',
      options: { durable: true, alternateExchange: names.unroutable },
    });
    assert.deepEqual(declared.exchanges.get(names.unroutable), { type: 'fanout', options: { durable: true } });
    assert.deepEqual(declared.queues.get(names.unroutable), {
      durable: true,
      arguments: { 'x-queue-type': 'quorum' },
    });
  });

  it('gives every ladder queue x-quorum-initial-group-size when one is set, and nothing else changes', async () => {
    const plain = recordingChannel();
    await declareDelayLadder(plain.channel, 'arq');
    const sized = recordingChannel();
    await declareDelayLadder(sized.channel, 'arq', { initialGroupSize: 2 });
    assert.equal(sized.declared.queues.size, DELAY_LEVELS + 1);
    for (const [queue, options] of sized.declared.queues) {
      const before = plain.declared.queues.get(queue) as { arguments: Record<string, unknown> };
      assert.deepEqual(options, {
        ...before,
        arguments: { ...before.arguments, 'x-quorum-initial-group-size': 2 },
      });
    }
  });

  it('declares a fixed set of queues: DELAY_LEVELS levels and the unroutable queue', async () => {
    const { channel, declared } = recordingChannel();
    await declareDelayLadder(channel, 'arq');
    await bindToDelivery(channel, 'arq', 'one');
    await bindToDelivery(channel, 'arq', 'two');
    assert.equal(declared.queues.size, DELAY_LEVELS + 1);
    assert.ok([...declared.queues.keys()].every((name) => name.startsWith('arq.delay.v2.')));
  });

  it('holds every delay exactly units × unit, one hop per set bit, and delivers it to its queue only', async () => {
    const { channel, declared } = recordingChannel();
    await declareDelayLadder(channel, 'arq');
    for (const queue of ['c', 'b.c', 'jobs']) await bindToDelivery(channel, 'arq', queue);
    const samples = [0, 1, 2, 3, 5, 8, 13, 100, 1_000, 4_095, 123_457, 2 ** 24, 2 ** DELAY_LEVELS - 1];
    for (let i = 0; i < 40; i += 1) samples.push(Math.floor(Math.random() * 2 ** DELAY_LEVELS));
    for (const units of samples) {
      for (const queue of ['c', 'b.c', 'jobs']) {
        // A remainder under one unit is left to the worker; the ladder holds the whole units.
        const route = routeDelay('arq', queue, Math.min(units * DELAY_UNIT_MS + 37, MAX_DELAY_MS));
        assert.equal(route.units, units);
        const arrivals = deliver(declared, route.exchange, route.routingKey);
        assert.deepEqual(arrivals, [{ queue, waited: units * DELAY_UNIT_MS, hops: popcount(units) }], `${units} units`);
      }
    }
  });

  it('sends a message for a queue that was never bound to the unroutable queue instead of dropping it', async () => {
    const { channel, declared } = recordingChannel();
    await declareDelayLadder(channel, 'arq');
    const route = routeDelay('arq', 'nobody', 500);
    assert.deepEqual(deliver(declared, route.exchange, route.routingKey), [
      { queue: names.unroutable, waited: 500, hops: 2 },
    ]);
  });
});
