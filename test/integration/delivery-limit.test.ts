// Poison messages: a job that kills its worker at every delivery. A quorum queue counts each return against
// x-delivery-limit and then dead-letters the message itself; a classic queue (the Python-compatible type) has no limit.
// "Dies" is a raw consumer that closes its channel without acking, which is what the broker sees when a worker crashes.
import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { listDeadLetters } from '../../runtime/index.js';
import { QUORUM_DELIVERY_LIMIT } from '../../runtime/topology/queue-topology.js';
import { encodeJobBody, jobPublishOptions, newJobId } from '../../runtime/wire-format.js';
import type { GetMessage } from 'amqplib';
import { closeAdmin, deleteJobQueue, queueDepth, uniqueName, waitFor, withChannel } from '../helpers/broker.js';
import {
  assertNoSocketLeak,
  consumeAll,
  declareJobQueue,
  headersOf,
  publishRaw,
  socketBaseline,
  takeAndDrop,
  waitForDepth,
} from '../helpers/worker-harness.js';

after(closeAdmin);

function poisonJob(queue: string) {
  const job = {
    jobId: newJobId(),
    functionName: 'crashes',
    args: [],
    kwargs: {},
    jobTry: 1,
    enqueueTime: new Date(),
    queueName: queue,
    deferUntil: null,
    expires: null,
  };
  return { job, body: encodeJobBody(job), options: jobPublishOptions(job) };
}

/**
 * Consumes one delivery and closes the channel without acking it; resolves with what the broker sent, or
 * with undefined once the message is in `<queue>_dlq` instead (the broker dead-lettered it).
 */
async function dieHoldingIt(queue: string): Promise<{ redelivered: boolean; deliveryCount: unknown } | undefined> {
  return withChannel(async (channel) => {
    await channel.prefetch(1);
    let delivery: { redelivered: boolean; deliveryCount: unknown } | undefined;
    void channel.consume(queue, (message) => {
      if (!message || delivery) return;
      delivery = {
        redelivered: message.fields.redelivered,
        deliveryCount: (message.properties.headers ?? {})['x-delivery-count'],
      };
    });
    const settled = await waitFor(
      async () => delivery !== undefined || (await queueDepth(`${queue}_dlq`)) === 1,
      10_000,
      10,
    );
    assert.ok(settled, 'neither delivered nor dead-lettered within 10 s');
    return delivery;
  });
}

describe('delivery limit', () => {
  it('moves a quorum message whose consumer dies at every delivery to <queue>_dlq after the delivery limit', async () => {
    const baseline = await socketBaseline();
    const queue = uniqueName('poison');
    try {
      await declareJobQueue(queue, 'quorum');
      const { job, body, options } = poisonJob(queue);
      await publishRaw('', queue, body, options);
      await waitForDepth(queue, 1);
      const deliveries: Array<{ redelivered: boolean; deliveryCount: unknown }> = [];
      for (let i = 0; i < QUORUM_DELIVERY_LIMIT + 5; i += 1) {
        const delivery = await dieHoldingIt(queue);
        if (!delivery) break;
        deliveries.push(delivery);
      }
      // The first delivery and 20 redeliveries; the 20th return is over the limit.
      assert.equal(deliveries.length, QUORUM_DELIVERY_LIMIT + 1);
      assert.deepEqual(deliveries[0], { redelivered: false, deliveryCount: undefined });
      assert.deepEqual(deliveries.at(-1), { redelivered: true, deliveryCount: QUORUM_DELIVERY_LIMIT });
      await waitForDepth(`${queue}_dlq`, 1);
      assert.equal(await queueDepth(queue), 0);

      // What an operator sees of it (`rabbitmq-arq dlq list`): the broker's reason, read from x-death.
      const [listed] = await listDeadLetters(queue, { logLevel: 'silent' });
      assert.equal(listed?.jobId, job.jobId);
      assert.equal(listed?.brokerReason, 'delivery_limit');
      assert.equal(listed?.errorCategory, 'delivery_limit');
      assert.equal(listed?.errorType, undefined);
      // The browse channel's close hands the message back asynchronously; it must come back, not vanish.
      await waitForDepth(`${queue}_dlq`, 1);

      const [dead] = await consumeAll(`${queue}_dlq`);
      assert.ok(dead);
      assert.deepEqual(dead.content, body, 'the body changed');
      assert.equal(dead.properties.messageId, job.jobId);
      const headers = headersOf(dead);
      const [death] = headers['x-death'] as Array<Record<string, unknown>>;
      assert.equal(death?.reason, 'delivery_limit');
      assert.equal(death?.queue, queue);
      assert.equal(headers['x-first-death-reason'], 'delivery_limit');
      assert.equal(
        Object.keys(headers).some((name) => name.startsWith('x-error-')),
        false,
        'the broker wrote x-error-* headers',
      );
    } finally {
      await deleteJobQueue(queue);
    }
    await assertNoSocketLeak(baseline);
  });

  it('counts a nack with requeue against the quorum delivery limit too', async () => {
    const baseline = await socketBaseline();
    const queue = uniqueName('nacked');
    try {
      await declareJobQueue(queue, 'quorum');
      const { body, options } = poisonJob(queue);
      await publishRaw('', queue, body, options);
      await waitForDepth(queue, 1);
      let deliveries = 0;
      await withChannel(async (channel) => {
        for (let i = 0; i < QUORUM_DELIVERY_LIMIT + 5; i += 1) {
          // A nacked message is back in a moment, unless the broker dead-lettered it instead.
          let message: GetMessage | false = false;
          const settled = await waitFor(
            async () =>
              Boolean((message = await channel.get(queue, { noAck: false }))) ||
              (await queueDepth(`${queue}_dlq`)) === 1,
            10_000,
            10,
          );
          assert.ok(settled, 'neither back nor dead-lettered within 10 s');
          if (!message) break;
          deliveries += 1;
          channel.nack(message, false, true);
        }
      });
      assert.equal(deliveries, QUORUM_DELIVERY_LIMIT + 1);
      await waitForDepth(`${queue}_dlq`, 1);
    } finally {
      await deleteJobQueue(queue);
    }
    await assertNoSocketLeak(baseline);
  });

  it('has no limit on a classic queue: a job that kills every worker is delivered again and again', async () => {
    const baseline = await socketBaseline();
    const queue = uniqueName('classic-poison');
    try {
      await declareJobQueue(queue, 'classic');
      const { body, options } = poisonJob(queue);
      await publishRaw('', queue, body, options);
      await waitForDepth(queue, 1);
      for (let i = 0; i < QUORUM_DELIVERY_LIMIT + 5; i += 1) {
        const message = await takeAndDrop(queue);
        assert.equal(message.fields.redelivered, i > 0);
        // A classic queue keeps no delivery count.
        assert.equal(headersOf(message)['x-delivery-count'], undefined);
      }
      assert.equal(await queueDepth(queue), 1);
      assert.equal(await queueDepth(`${queue}_dlq`), 0);
    } finally {
      await deleteJobQueue(queue);
    }
    await assertNoSocketLeak(baseline);
  });
});
