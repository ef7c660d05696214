/** Races around shutdown and user code that throws where Zod does not catch: each once lost or duplicated jobs, or hung. */
import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { Worker } from '../../runtime/index.js';
import { TOPOLOGY_VERSION } from '../../runtime/topology/delay-topology.js';
import { ConfirmPublisher } from '../../runtime/transport/confirm-publisher.js';
import type { OutgoingMessage } from '../../runtime/transport/confirm-publisher.js';
import {
  closeAdmin,
  deleteQueues,
  openSockets,
  queueDepth,
  recordingLogger,
  uniqueName,
  waitFor,
  withChannel,
} from '../helpers/broker.js';
import { consumeAll, events, hasEvent, headersOf, spyOnLadder, waitForDepth } from '../helpers/worker-harness.js';
import { withWorker } from '../helpers/with-worker.js';

after(closeAdmin);

describe('worker shutdown races', () => {
  it('does not put a job in two places when shutdown meets a re-deferral being published', async () => {
    const jobs = 200;
    // The seam: confirms of re-deferral publishes are held until the test lets them go, so shutdown
    // certainly runs while they are in flight (the window a timer could only hope to hit).
    const inFlight = new Set<string>();
    const confirmed = new Set<string>();
    let releaseConfirms!: () => void;
    const confirmsReleased = new Promise<void>((resolve) => (releaseConfirms = resolve));
    const publish = ConfirmPublisher.prototype.publish;
    let queueUnderTest = '';
    ConfirmPublisher.prototype.publish = function (this: ConfirmPublisher, message: OutgoingMessage, deadline) {
      const sent = publish.call(this, message, deadline);
      const redeferral = message.exchange.startsWith(`arq.delay.${TOPOLOGY_VERSION}.`);
      if (!redeferral || queueUnderTest === '' || !message.routingKey.endsWith(`.${queueUnderTest}`)) return sent;
      const id = message.options.messageId;
      inFlight.add(id);
      return sent.then(async () => {
        await confirmsReleased;
        inFlight.delete(id);
        confirmed.add(id);
      });
    };
    try {
      await withWorker(
        { queueType: 'classic', prefetchCount: jobs, maxConcurrentJobs: 10, handlers: { j: () => undefined } },
        async ({ worker, logger, running, queue, defer }) => {
          queueUnderTest = queue;
          const spy = await spyOnLadder(queue);
          defer(() => deleteQueues(spy));
          const ids = new Set<string>();
          const due = new Date(Date.now() + 3_000).toISOString();
          await withChannel(async (channel) => {
            for (let i = 0; i < jobs; i += 1) {
              const id = i.toString(16).padStart(32, '0');
              ids.add(id);
              const body = { job_id: id, function: 'j', args: [], kwargs: {}, job_try: 1, defer_until: due };
              channel.sendToQueue(queue, Buffer.from(JSON.stringify(body)), { messageId: id });
            }
          });
          assert.ok(await waitFor(() => inFlight.size > 0), 'no re-deferral was published');
          const closing = worker.close();
          // Shutdown has requeued what it was going to requeue before it logs worker.stopping.
          assert.ok(await waitFor(() => hasEvent(logger, 'worker.stopping')));
          const racing = inFlight.size;
          assert.ok(racing > 0, 'shutdown ran while re-deferrals awaited their confirm');
          assert.equal(confirmed.size, 0);
          releaseConfirms();
          await closing;
          await running;
          assert.ok(confirmed.size >= racing, `${confirmed.size} re-deferrals confirmed, ${racing} were in flight`);

          // Every re-deferred job comes back through the ladder once (the spy sees each), and the queue then
          // holds every job exactly once: requeued or re-deferred, never both.
          await waitForDepth(spy, confirmed.size, 20_000);
          await waitForDepth(queue, jobs, 5_000);
          const held = (await consumeAll(queue)).map((message) => String(message.properties.messageId));
          assert.equal(held.length, jobs);
          assert.deepEqual(new Set(held), ids);
          const early = (await consumeAll(spy)).map((message) => String(message.properties.messageId));
          assert.deepEqual(new Set(early), confirmed);
        },
        { label: 'redefer-race' },
      );
    } finally {
      ConfirmPublisher.prototype.publish = publish;
    }
  });

  it('dead-letters a job whose schema throws, once, instead of requeueing it in a loop', async () => {
    let ran = 0;
    const settings = {
      handlers: {
        parse: {
          args: z.object({ s: z.string().transform((text) => JSON.parse(text) as unknown) }),
          handler: () => void (ran += 1),
        },
      },
    };
    await withWorker(
      settings,
      async ({ worker, logger, running, client, queue }) => {
        await client.enqueueJob('parse', { s: 'not json' });
        await waitForDepth(`${queue}_dlq`, 1);
        // Once the worker has stopped it holds nothing: what it would have requeued is back in the queue.
        await worker.close();
        await running;
        assert.equal(await queueDepth(queue), 0, 'not requeued');
        const dead = await consumeAll(`${queue}_dlq`);
        assert.equal(dead.length, 1, 'dead-lettered once');
        const headers = headersOf(dead[0] ?? assert.fail());
        assert.equal(headers['x-error-category'], 'invalid');
        assert.equal(headers['x-error-code'], 'INVALID_JOB_ARGS');
        assert.match(String(headers['x-error-message']), /the schema threw/);
        assert.equal(ran, 0);
        assert.equal(events(logger, 'job.outcome_unpublished').length, 0, 'no requeue loop');
      },
      { label: 'schema-throws' },
    );
  });

  it('stops at once when shutdown aborts a job during a slow onJobStart; the handler never runs', async () => {
    let handlerRan = false;
    let hookStarted = false;
    const settings = {
      gracefulShutdownTimeout: 0,
      connectionTimeout: 10_000,
      onJobStart: async () => {
        hookStarted = true;
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
      handlers: { slow: () => void (handlerRan = true) },
    };
    await withWorker(
      settings,
      async ({ worker, running, client, queue }) => {
        await client.enqueueJob('slow', {});
        assert.ok(await waitFor(() => hookStarted));
        const started = Date.now();
        await worker.close();
        await running;
        assert.ok(Date.now() - started < 3_000, `close took ${Date.now() - started} ms`);
        assert.equal(handlerRan, false);
        assert.equal(await queueDepth(queue), 1, 'requeued');
      },
      { label: 'abort-in-hook' },
    );
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
