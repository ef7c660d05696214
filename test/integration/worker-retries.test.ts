// Retries and dead letters on a real broker: how many attempts run, what a dead-lettered message carries, errors that
// skip the retries, a short retry that does not wait behind a long deferral, and trace headers across attempts.
import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { delayNames, routeDelay } from '../../runtime/topology/delay-topology.js';
import { NonRetryable, Retry } from '../../runtime/errors.js';
import type { JobContext, JobOutcome } from '../../runtime/types.js';
import { encodeJobBody, jobPublishOptions, newJobId } from '../../runtime/wire-format.js';
import { closeAdmin, deleteJobQueue, deleteQueues, drainQueue, uniqueName, waitFor } from '../helpers/broker.js';
import {
  assertNoSocketLeak,
  bodyOf,
  consumeAll,
  declareJobQueue,
  headersOf,
  publishRaw,
  socketBaseline,
  spyOnLadder,
  startWorker,
  takeAndDrop,
  waitForDepth,
} from '../helpers/worker-harness.js';
import { stopAndSettleAll, withWorker } from '../helpers/with-worker.js';
import type { FixtureWorkerSettings } from '../helpers/with-worker.js';

after(closeAdmin);

describe('retries and dead letters', () => {
  it('runs an always-failing job exactly 1 + maxRetries times, then keeps it in the DLQ with every documented header', async () => {
    const tries: Record<string, number[]> = { broken: [], brokenOnce: [] };
    const started = Date.now();
    const settings = {
      maxRetries: 3,
      retryBackoff: 100,
      retryBackoffMax: 400,
      handlers: {
        broken: (ctx: JobContext) => {
          tries.broken?.push(ctx.jobTry);
          throw new TypeError(`broken on try ${ctx.jobTry}`);
        },
        // A per-job maxRetries wins over the worker's.
        brokenOnce: {
          maxRetries: 1,
          handler: (ctx: JobContext) => {
            tries.brokenOnce?.push(ctx.jobTry);
            throw new Error('still broken');
          },
        },
      },
    };
    await withWorker(
      settings,
      async ({ worker, client, queue, delayPrefix }) => {
        const job = await client.enqueueJob('broken', { order: 42, note: 'überprüfen' });
        const once = await client.enqueueJob('brokenOnce', {});
        await waitForDepth(`${queue}_dlq`, 2, 20_000);
        // Nothing else runs afterwards: the stopped worker holds nothing back, and the test's own ladder is
        // empty, so no retry is still on its way.
        const settled = await stopAndSettleAll(worker, queue, delayPrefix);
        assert.deepEqual(settled, { ready: 0, dead: 2 });
        assert.deepEqual(tries.broken, [1, 2, 3, 4]);
        assert.deepEqual(tries.brokenOnce, [1, 2]);

        const dead = await drainQueue(`${queue}_dlq`);
        assert.equal(dead.length, 2);
        const message = dead.find((m) => m.properties.messageId === job.jobId);
        assert.ok(message, 'the broken job is not in the DLQ');
        const headers = headersOf(message);
        assert.equal(headers['x-error-type'], 'TypeError');
        assert.equal(headers['x-error-message'], 'broken on try 4');
        assert.equal(headers['x-error-category'], 'retriable');
        assert.equal('x-error-code' in headers, false, 'a TypeError has no code of ours');
        const failedAt = Date.parse(String(headers['x-failed-at']));
        assert.match(String(headers['x-failed-at']), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        assert.ok(failedAt >= started && failedAt <= Date.now(), `x-failed-at ${String(headers['x-failed-at'])}`);
        assert.equal(headers['x-job-id'], job.jobId);
        assert.equal(headers['x-job-try'], 4);
        assert.equal(headers['x-retry-count'], 3);
        assert.equal(headers['x-arq-version'], 1);
        // The body is the last attempt's message, unchanged: same job, same arguments, job_try 4.
        const body = bodyOf(message);
        assert.equal(body.job_id, job.jobId);
        assert.equal(body.function, 'broken');
        assert.deepEqual(body.kwargs, { order: 42, note: 'überprüfen' });
        assert.equal(body.job_try, 4);
        assert.equal(body.enqueue_time, job.enqueueTime.toISOString());
        assert.equal(body.queue_name, queue);
        assert.equal(message.properties.deliveryMode, 2);
        assert.equal(message.properties.contentType, 'application/json');

        const onceHeaders = headersOf(dead.find((m) => m.properties.messageId === once.jobId) ?? assert.fail());
        assert.equal(onceHeaders['x-job-try'], 2);
        assert.equal(onceHeaders['x-error-category'], 'retriable');
        assert.deepEqual(worker.stats, {
          completed: 0,
          failed: 6,
          retried: 4,
          deadLettered: 2,
          ongoing: 0,
          aborted: 0,
          expired: 0,
          alreadyFinal: 0,
        });
      },
      { label: 'retries', privateLadder: true },
    );
  });

  it('sends NonRetryable and a result that fails its schema to the DLQ at once, as non_retriable', async () => {
    const calls: string[] = [];
    const ends: JobOutcome[] = [];
    const result = z.object({ status: z.literal('success'), id: z.number().int() });
    const settings: FixtureWorkerSettings = {
      maxRetries: 3,
      retryBackoff: 50,
      onJobEnd: (_ctx, outcome) => void ends.push(outcome),
      handlers: {
        refuse: () => {
          calls.push('refuse');
          throw new NonRetryable('card declined');
        },
        badResult: {
          result,
          handler: () => {
            calls.push('badResult');
            return { status: 'success', id: 'seven' };
          },
        },
        goodResult: {
          result,
          handler: () => {
            calls.push('goodResult');
            return { status: 'success', id: 7 };
          },
        },
      },
    };
    await withWorker(
      settings,
      async ({ worker, client, queue, delayPrefix }) => {
        const refused = await client.enqueueJob('refuse', {});
        const bad = await client.enqueueJob('badResult', {});
        await client.enqueueJob('goodResult', {});
        await waitForDepth(`${queue}_dlq`, 2);
        assert.ok(await waitFor(() => calls.includes('goodResult')));
        // No retries: once the worker has stopped and the test's ladder is empty, nothing can run again.
        assert.deepEqual(await stopAndSettleAll(worker, queue, delayPrefix), { ready: 0, dead: 2 });
        assert.deepEqual([...calls].sort(), ['badResult', 'goodResult', 'refuse']);

        const dead = await drainQueue(`${queue}_dlq`);
        assert.equal(dead.length, 2);
        const refusedHeaders = headersOf(dead.find((m) => m.properties.messageId === refused.jobId) ?? assert.fail());
        assert.equal(refusedHeaders['x-error-type'], 'NonRetryable');
        assert.equal(refusedHeaders['x-error-code'], 'NON_RETRYABLE');
        assert.equal(refusedHeaders['x-error-category'], 'non_retriable');
        assert.equal(refusedHeaders['x-error-message'], 'card declined');
        assert.equal(refusedHeaders['x-job-try'], 1);

        const badHeaders = headersOf(dead.find((m) => m.properties.messageId === bad.jobId) ?? assert.fail());
        assert.equal(badHeaders['x-error-type'], 'InvalidJobResult');
        assert.equal(badHeaders['x-error-code'], 'INVALID_JOB_RESULT');
        assert.equal(badHeaders['x-error-category'], 'non_retriable');
        assert.match(String(badHeaders['x-error-message']), /badResult.*id/);
        assert.equal(badHeaders['x-job-try'], 1);

        assert.deepEqual(ends.map((end) => end.status).sort(), ['complete', 'dead', 'dead']);
        assert.equal(worker.stats.retried, 0);
        assert.equal(worker.stats.completed, 1);
      },
      { privateLadder: true },
    );
  });

  it('finishes a 300 ms Retry well under 3 s while a 10 s deferred job waits on the same queue, and never runs that one early', async () => {
    const runs: Array<{ name: string; jobTry: number; at: number }> = [];
    const settings = {
      handlers: {
        later: (ctx: JobContext) => void runs.push({ name: 'later', jobTry: ctx.jobTry, at: Date.now() }),
        quick: (ctx: JobContext) => {
          runs.push({ name: 'quick', jobTry: ctx.jobTry, at: Date.now() });
          if (ctx.jobTry === 1) throw new Retry({ defer: 300 });
          return 'done';
        },
      },
    };
    await withWorker(settings, async ({ worker, client }) => {
      const laterDue = new Date(Date.now() + 10_000);
      await client.enqueueJob('later', {}, { deferUntil: laterDue });
      const quickEnqueued = Date.now();
      await client.enqueueJob('quick', {});
      assert.ok(
        await waitFor(() => runs.some((r) => r.name === 'quick' && r.jobTry === 2), 3_000),
        'the retried job did not finish within 3 s',
      );
      const quickRuns = runs.filter((r) => r.name === 'quick');
      const [first, second] = quickRuns as [(typeof runs)[0], (typeof runs)[0]];
      assert.ok(second.at - first.at >= 300, `the retry ran ${second.at - first.at} ms after the failure`);
      assert.ok(second.at - quickEnqueued < 3_000);
      assert.equal(
        runs.some((r) => r.name === 'later'),
        false,
      );
      assert.ok(await waitFor(() => runs.some((r) => r.name === 'later'), 20_000), 'the deferred job never ran');
      const later = runs.find((r) => r.name === 'later') ?? assert.fail();
      assert.ok(later.at >= laterDue.getTime(), `the deferred job ran ${laterDue.getTime() - later.at} ms early`);
      assert.equal(worker.stats.completed, 2);
    });
  });

  it('carries trace and user headers through retries into the DLQ, and strips x-death and x-delivery-count', async () => {
    const baseline = await socketBaseline();
    const queue = uniqueName('trace');
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await declareJobQueue(queue, 'quorum');
    const spy = await spyOnLadder(queue);
    const levels = delayNames('arq');
    const seen: Array<{ jobTry: number; redelivered: boolean }> = [];
    let worker: Awaited<ReturnType<typeof startWorker>>['worker'] | undefined;
    try {
      // The job first comes through the ladder (800 ms: level 3 only), so its delivery carries the broker's x-death.
      const jobId = newJobId();
      const now = new Date();
      const envelope = {
        jobId,
        functionName: 'traced',
        args: [],
        kwargs: {},
        jobTry: 1,
        enqueueTime: now,
        queueName: queue,
        deferUntil: new Date(now.getTime() + 800),
        expires: null,
      };
      const route = routeDelay('arq', queue, 800);
      assert.equal(route.exchange, levels.levelExchange(3));
      await publishRaw(
        route.exchange,
        route.routingKey,
        encodeJobBody(envelope),
        jobPublishOptions(envelope, { traceparent, tracestate: 'vendor=1', 'x-tenant': 'acme' }),
      );
      await waitForDepth(queue, 1);
      // A consumer dies holding it: the quorum queue redelivers it with x-delivery-count.
      await takeAndDrop(queue);
      const handlers = {
        traced: (ctx: JobContext) => {
          seen.push({ jobTry: ctx.jobTry, redelivered: ctx.redelivered });
          // 1.6 s: level 4 only, so its x-death can be told apart from the first one's.
          if (ctx.jobTry === 1) throw new Retry({ defer: 1_600 });
          throw new Error('still failing');
        },
      };
      let retried = false;
      const first = await startWorker({
        queue,
        maxRetries: 1,
        onJobEnd: (_ctx, outcome) => void (retried ||= outcome.status === 'retry'),
        handlers,
      });
      worker = first.worker;
      assert.ok(await waitFor(() => retried, 10_000), 'the first attempt did not retry');
      await first.worker.close();
      worker = undefined;
      assert.deepEqual(seen, [{ jobTry: 1, redelivered: true }]);

      // The retry as the ladder delivers it (a copy, through the spy's identical binding).
      await waitForDepth(queue, 1);
      const copies = (await drainQueue(spy)).filter((m) => bodyOf(m).job_try === 2);
      assert.equal(copies.length, 1);
      const retryHeaders = headersOf(copies[0] ?? assert.fail());
      assert.equal(retryHeaders.traceparent, traceparent);
      assert.equal(retryHeaders.tracestate, 'vendor=1');
      assert.equal(retryHeaders['x-tenant'], 'acme');
      assert.equal(retryHeaders['x-retry-count'], 1);
      assert.equal(retryHeaders['x-arq-version'], 1);
      assert.equal('x-delivery-count' in retryHeaders, false);
      const deaths = (retryHeaders['x-death'] as Array<Record<string, unknown>>).map((death) => death.queue);
      assert.deepEqual(deaths, [levels.levelQueue(4)], 'the first delivery’s x-death travelled on with the retry');

      // The retry is dropped once more by a dying consumer, then fails for good.
      await takeAndDrop(queue);
      const second = await startWorker({ queue, maxRetries: 1, handlers });
      worker = second.worker;
      await waitForDepth(`${queue}_dlq`, 1);
      assert.deepEqual(seen, [
        { jobTry: 1, redelivered: true },
        { jobTry: 2, redelivered: true },
      ]);
      // basic.consume, not basic.get: on a quorum queue basic.get reports x-delivery-count 0 whatever the message holds.
      const [dead] = await consumeAll(`${queue}_dlq`);
      const deadHeaders = headersOf(dead ?? assert.fail());
      assert.equal(deadHeaders.traceparent, traceparent);
      assert.equal(deadHeaders.tracestate, 'vendor=1');
      assert.equal(deadHeaders['x-tenant'], 'acme');
      assert.equal(deadHeaders['x-error-category'], 'retriable');
      assert.equal(deadHeaders['x-job-try'], 2);
      for (const name of Object.keys(deadHeaders)) {
        assert.ok(
          !['x-death', 'x-delivery-count'].includes(name) && !/^x-(first|last)-death-/.test(name),
          `the dead letter carries the broker's ${name}`,
        );
      }
    } finally {
      await worker?.close();
      await deleteQueues(spy);
      await deleteJobQueue(queue);
    }
    await assertNoSocketLeak(baseline);
  });
});
