/** Races around shutdown and user code that throws where Zod does not catch: each once lost or duplicated jobs, or hung. */
import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { RabbitMQClient, Worker } from '../../runtime/index.js';
import {
  closeAdmin,
  deleteJobQueue,
  openSockets,
  queueDepth,
  recordingLogger,
  uniqueName,
  waitFor,
  withChannel,
} from '../helpers/broker.js';
import {
  assertNoSocketLeak,
  consumeAll,
  events,
  headersOf,
  socketBaseline,
  startWorker,
} from '../helpers/worker-harness.js';

after(closeAdmin);

describe('worker shutdown races', () => {
  it('does not put a job in two places when shutdown meets a re-deferral being published', async () => {
    const baseline = await socketBaseline();
    const queue = uniqueName('redefer-race');
    const jobs = 1_000;
    const { worker, running } = await startWorker({
      queue,
      queueType: 'classic',
      prefetchCount: jobs,
      maxConcurrentJobs: 10,
      handlers: { j: () => undefined },
    });
    try {
      const due = new Date(Date.now() + 2_500).toISOString();
      await withChannel(async (channel) => {
        for (let i = 0; i < jobs; i += 1) {
          const id = i.toString(16).padStart(32, '0');
          const body = { job_id: id, function: 'j', args: [], kwargs: {}, job_try: 1, defer_until: due };
          channel.sendToQueue(queue, Buffer.from(JSON.stringify(body)), { messageId: id });
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 40));
      await worker.close();
      await running;
      // Every message is either back in the queue (requeued) or in the ladder (re-deferred), never both.
      assert.ok(
        await waitFor(async () => (await queueDepth(queue)) === jobs, 15_000),
        `depth ${await queueDepth(queue)}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      assert.equal(await queueDepth(queue), jobs);
    } finally {
      await deleteJobQueue(queue);
    }
    await assertNoSocketLeak(baseline);
  });

  it('dead-letters a job whose schema throws, once, instead of requeueing it in a loop', async () => {
    const baseline = await socketBaseline();
    const queue = uniqueName('schema-throws');
    let ran = 0;
    const { worker, logger, running } = await startWorker({
      queue,
      handlers: {
        parse: {
          args: z.object({ s: z.string().transform((text) => JSON.parse(text) as unknown) }),
          handler: () => void (ran += 1),
        },
      },
    });
    const client = new RabbitMQClient({ queue, logger: recordingLogger() });
    try {
      await client.enqueueJob('parse', { s: 'not json' });
      assert.ok(await waitFor(async () => (await queueDepth(`${queue}_dlq`)) === 1));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const [dead] = await consumeAll(`${queue}_dlq`);
      assert.ok(dead);
      assert.equal(headersOf(dead)['x-error-category'], 'invalid');
      assert.equal(headersOf(dead)['x-error-code'], 'INVALID_JOB_ARGS');
      assert.match(String(headersOf(dead)['x-error-message']), /the schema threw/);
      assert.equal(ran, 0);
      assert.equal(events(logger, 'job.outcome_unpublished').length, 0, 'no requeue loop');
    } finally {
      await client.close();
      await worker.close();
      await running;
      await deleteJobQueue(queue);
    }
    await assertNoSocketLeak(baseline);
  });

  it('stops at once when shutdown aborts a job during a slow onJobStart; the handler never runs', async () => {
    const baseline = await socketBaseline();
    const queue = uniqueName('abort-in-hook');
    let handlerRan = false;
    let hookStarted = false;
    const { worker, running } = await startWorker({
      queue,
      gracefulShutdownTimeout: 0,
      connectionTimeout: 10_000,
      onJobStart: async () => {
        hookStarted = true;
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
      handlers: { slow: () => void (handlerRan = true) },
    });
    const client = new RabbitMQClient({ queue, logger: recordingLogger() });
    try {
      await client.enqueueJob('slow', {});
      assert.ok(await waitFor(() => hookStarted));
      const started = Date.now();
      await worker.close();
      await running;
      assert.ok(Date.now() - started < 3_000, `close took ${Date.now() - started} ms`);
      assert.equal(handlerRan, false);
      assert.equal(await queueDepth(queue), 1, 'requeued');
    } finally {
      await client.close();
      await deleteJobQueue(queue);
    }
    await assertNoSocketLeak(baseline);
  });

  it('run() after close() neither connects nor hangs', async () => {
    const sockets = openSockets();
    let started = false;
    const worker = new Worker({
      queue: uniqueName('closed-first'),
      handleSignals: false,
      logger: recordingLogger(),
      onStartup: () => void (started = true),
      handlers: { a: () => undefined },
    });
    await worker.close();
    await worker.run();
    assert.equal(started, false);
    assert.equal(openSockets(), sockets);
  });
});
