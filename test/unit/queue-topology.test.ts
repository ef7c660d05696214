// Job queue arguments (docs/topology.md, "Job queues") and how a queue that exists with other arguments is reported. The broker texts
// below are RabbitMQ 3.10.8's own 406 replies, captured on this machine.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Channel } from 'amqplib';
import type { AmqpChannel } from '../../runtime/transport/amqp-model.js';
import type { ManagedChannel } from '../../runtime/transport/connection.js';
import { BrokerConfigurationError } from '../../runtime/errors.js';
import {
  QUORUM_DELIVERY_LIMIT,
  QueueTopology,
  deadLetterQueueName,
  deadLetterQueueOptions,
  describeQueueMismatch,
  mainQueueOptions,
} from '../../runtime/topology/queue-topology.js';

/** An amqplib channel error as amqplib 2.x raises it for a queue.declare refused with 406. */
function preconditionFailed(replyText: string): Error {
  return Object.assign(
    new Error(`Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message "${replyText}"`),
    { code: 406, classId: 50, methodId: 10 },
  );
}

const quorumOverClassic = (queue: string): Error =>
  preconditionFailed(
    `PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue '${queue}' in vhost '/': received the value 'quorum' of type 'longstr' but current is none`,
  );
const classicOverQuorum = (queue: string): Error =>
  preconditionFailed(
    `PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue '${queue}' in vhost '/': received none but current is the value 'quorum' of type 'longstr'`,
  );
const otherLimit = (queue: string): Error =>
  preconditionFailed(
    `PRECONDITION_FAILED - inequivalent arg 'x-delivery-limit' for queue '${queue}' in vhost '/': received the value '20' of type 'byte' but current is the value '5' of type 'byte'`,
  );

describe('mainQueueOptions', () => {
  it('declares a quorum queue with exactly the arguments of docs/topology.md', () => {
    assert.equal(QUORUM_DELIVERY_LIMIT, 20);
    assert.deepEqual(mainQueueOptions('jobs', 'quorum'), {
      durable: true,
      arguments: {
        'x-queue-type': 'quorum',
        'x-delivery-limit': 20,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': 'jobs_dlq',
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
      },
    });
  });

  it('adds x-quorum-initial-group-size only when given, to quorum job and dead-letter queues, never to classic ones', () => {
    const sized = { initialGroupSize: 3 };
    assert.deepEqual(mainQueueOptions('jobs', 'quorum', sized).arguments, {
      ...mainQueueOptions('jobs', 'quorum').arguments,
      'x-quorum-initial-group-size': 3,
    });
    assert.deepEqual(deadLetterQueueOptions('quorum', sized), {
      durable: true,
      arguments: { 'x-queue-type': 'quorum', 'x-quorum-initial-group-size': 3 },
    });
    // Not given: exactly today's arguments, so existing queues redeclare without a 406.
    assert.deepEqual(
      mainQueueOptions('jobs', 'quorum', { initialGroupSize: undefined }),
      mainQueueOptions('jobs', 'quorum'),
    );
    assert.deepEqual(mainQueueOptions('jobs', 'classic', sized), { durable: true });
    assert.deepEqual(deadLetterQueueOptions('classic', sized), { durable: true });
  });

  it('declares a classic queue exactly as the Python original does: durable, no arguments at all', () => {
    const options = mainQueueOptions('jobs', 'classic');
    assert.deepEqual(options, { durable: true });
    assert.equal('arguments' in options, false);
  });
});

describe('dead-letter queue', () => {
  it('is <queue>_dlq, durable, of the same type as the main queue', () => {
    assert.equal(deadLetterQueueName('jobs'), 'jobs_dlq');
    assert.equal(deadLetterQueueName('a.b'), 'a.b_dlq');
    assert.deepEqual(deadLetterQueueOptions('quorum'), { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    assert.deepEqual(deadLetterQueueOptions('classic'), { durable: true });
  });
});

describe('describeQueueMismatch', () => {
  it('names the queue, what exists, and the fix when a quorum declare meets a Python-style classic queue', () => {
    const err = describeQueueMismatch('orders', 'quorum', quorumOverClassic('orders'));
    assert.ok(err instanceof BrokerConfigurationError);
    assert.equal(err.code, 'BROKER_CONFIGURATION');
    assert.match(err.message, /queue "orders" exists as a classic queue/);
    assert.match(err.message, /queueType: 'classic'/);
    assert.equal(err.message.includes('\n'), false);
  });

  it('names the quorum queue and the opposite fix when a classic declare meets a quorum queue', () => {
    const err = describeQueueMismatch('orders', 'classic', classicOverQuorum('orders'));
    assert.match(err.message, /queue "orders" exists as a quorum queue/);
    assert.match(err.message, /queueType: 'quorum'/);
    assert.equal(err.message.includes('\n'), false);
  });

  it('says "with other arguments" for any other mismatch, and keeps the broker’s words', () => {
    const err = describeQueueMismatch('orders', 'quorum', otherLimit('orders'));
    assert.match(err.message, /queue "orders" exists with other arguments/);
    assert.match(err.message, /x-delivery-limit/);
    assert.equal(err.message.includes('\n'), false);
  });
});

/** A ManagedChannel stand-in over a channel that records declarations and refuses the queues in `refuse`. */
function fakeTopology(refuse: Map<string, Error>): { topology: QueueTopology; asserted: string[] } {
  const asserted: string[] = [];
  const channel = {
    assertQueue: async (name: string) => {
      asserted.push(name);
      const err = refuse.get(name);
      if (err) throw err;
      return { queue: name, messageCount: 0, consumerCount: 0 };
    },
    assertExchange: async (name: string) => ({ exchange: name }),
    bindQueue: async () => ({}),
    bindExchange: async () => ({}),
  } as unknown as Channel;
  const managed = { get: async () => channel } as unknown as ManagedChannel<AmqpChannel>;
  return { topology: new QueueTopology(managed, 'quorum', 'arq'), asserted };
}

describe('QueueTopology.ensureJobQueue', () => {
  it('declares the main queue first, so a refused main queue leaves no dead-letter queue of the wrong type', async () => {
    // A quorum worker meeting a Python-declared classic queue must not create a quorum "<queue>_dlq": the fix it
    // suggests (queueType: 'classic') would then fail on that dead-letter queue.
    const { topology, asserted } = fakeTopology(new Map([['orders', quorumOverClassic('orders')]]));
    await assert.rejects(topology.ensureJobQueue('orders', Date.now() + 1_000), (err: unknown) => {
      assert.ok(err instanceof BrokerConfigurationError);
      assert.match(err.message, /queue "orders" exists as a classic queue.*queueType: 'classic'/);
      return true;
    });
    assert.deepEqual(asserted, ['orders']);
  });

  it('declares the main queue, then its dead-letter queue, then the ladder, once per queue', async () => {
    const { topology, asserted } = fakeTopology(new Map());
    await topology.ensureJobQueue('orders', Date.now() + 1_000);
    await topology.ensureJobQueue('orders', Date.now() + 1_000);
    assert.deepEqual(asserted.slice(0, 2), ['orders', 'orders_dlq']);
    assert.equal(asserted.filter((name) => name === 'orders').length, 1);
  });
});
