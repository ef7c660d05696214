// Attempt timeouts and the concurrency limit on a real broker.
import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { JobTimeout } from '../../runtime/errors.js';
import type { JobContext, JobOutcome } from '../../runtime/types.js';
import { closeAdmin, drainQueue, waitFor } from '../helpers/broker.js';
import { events, headersOf, sleep, waitForDepth } from '../helpers/worker-harness.js';
import { stopAndSettleAll, withWorker } from '../helpers/with-worker.js';
import type { FixtureWorkerSettings, WorkerFixture } from '../helpers/with-worker.js';

after(closeAdmin);

describe('timeouts', () => {
  it('aborts ctx.signal with a JobTimeout at the timeout, and retries the attempt like any failure', async () => {
    const attempts: Array<{ jobTry: number; reason: unknown; after: number }> = [];
    const outcomes: JobOutcome[] = [];
    const settings: FixtureWorkerSettings = {
      jobTimeout: 60_000,
      retryBackoff: 50,
      maxRetries: 2,
      onJobEnd: (_ctx, outcome) => void outcomes.push(outcome),
      handlers: {
        // The per-job timeout wins over the worker's 60 s.
        slow: {
          timeout: 300,
          handler: async (ctx: JobContext) => {
            const startedAt = Date.now();
            if (ctx.jobTry > 1) return 'fast enough';
            await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
            attempts.push({ jobTry: ctx.jobTry, reason: ctx.signal.reason, after: Date.now() - startedAt });
            throw ctx.signal.reason;
          },
        },
      },
    };
    await withWorker(
      settings,
      async ({ worker, client }) => {
        await client.enqueueJob('slow', {});
        assert.ok(await waitFor(() => outcomes.length === 2, 10_000), `${outcomes.length} attempts ended`);
        assert.equal(attempts.length, 1);
        const [first] = attempts;
        assert.ok(first?.reason instanceof JobTimeout, `signal.reason is ${String(first?.reason)}`);
        assert.equal(first.reason.code, 'JOB_TIMEOUT');
        assert.equal(first.reason.timeoutMs, 300);
        assert.ok(first.after >= 290 && first.after < 5_000, `the signal fired after ${first.after} ms`);
        assert.equal(outcomes[0]?.status, 'retry');
        assert.ok(outcomes[0]?.status === 'retry' && outcomes[0].error instanceof JobTimeout);
        assert.deepEqual(outcomes[1], { status: 'complete', result: 'fast enough' });
        assert.equal(worker.stats.retried, 1);
        assert.equal(worker.stats.completed, 1);
      },
      { label: 'timeout' },
    );
  });

  it('keeps the slot of a handler that ignores its signal until it returns, and discards its late result', async () => {
    const timeline: Array<{ what: string; at: number }> = [];
    const mark = (what: string): void => void timeline.push({ what, at: Date.now() });
    const outcomes: Array<{ name: string; outcome: JobOutcome }> = [];
    const settings: FixtureWorkerSettings = {
      maxConcurrentJobs: 1,
      jobTimeout: 200,
      maxRetries: 0,
      onJobEnd: (ctx, outcome) => void outcomes.push({ name: ctx.functionName, outcome }),
      handlers: {
        stubborn: async () => {
          mark('stubborn started');
          await sleep(1_500); // ignores ctx.signal
          mark('stubborn returned');
          return { late: true };
        },
        next: () => mark('next started'),
      },
    };
    await withWorker(
      settings,
      async ({ worker, logger, client, queue, delayPrefix }) => {
        const stubborn = await client.enqueueJob('stubborn', {});
        await waitFor(() => timeline.length > 0);
        await client.enqueueJob('next', {});
        // At the timeout the attempt fails and its outcome is published at once, while the handler still runs.
        await waitForDepth(`${queue}_dlq`, 1, 5_000);
        const deadAt = Date.now();
        assert.equal(
          timeline.some((t) => t.what === 'stubborn returned'),
          false,
          'the dead letter waited for the handler',
        );
        assert.ok(await waitFor(() => timeline.some((t) => t.what === 'next started'), 10_000));
        const at = (what: string): number => timeline.find((t) => t.what === what)?.at ?? Number.NaN;
        assert.ok(
          at('next started') >= at('stubborn returned'),
          `the next job started ${at('stubborn returned') - at('next started')} ms before the ignoring handler returned`,
        );
        assert.ok(deadAt < at('stubborn returned'));

        const [dead] = await drainQueue(`${queue}_dlq`);
        const headers = headersOf(dead ?? assert.fail());
        assert.equal(headers['x-job-id'], stubborn.jobId);
        assert.equal(headers['x-error-type'], 'JobTimeout');
        assert.equal(headers['x-error-code'], 'JOB_TIMEOUT');
        assert.equal(headers['x-error-category'], 'retriable');
        // The late result is discarded: the job stays failed, nothing completes it, nothing is published for it
        // (once the worker stopped and the test's ladder is empty, nothing is on its way either).
        assert.ok(await waitFor(() => events(logger, 'job.late_result').length > 0, 5_000));
        assert.deepEqual(await stopAndSettleAll(worker, queue, delayPrefix), { ready: 0, dead: 0 });
        assert.deepEqual(
          outcomes.map(({ name, outcome }) => `${name}:${outcome.status}`),
          ['stubborn:dead', 'next:complete'],
        );
        assert.equal(worker.stats.completed, 1);
        assert.equal(events(logger, 'job.late_result').length, 1);
      },
      { label: 'stubborn', privateLadder: true },
    );
  });
});

describe('concurrency', () => {
  it('runs at most maxConcurrentJobs handlers at once, across all of its queues, whatever the prefetch', async () => {
    let running = 0;
    let peak = 0;
    let done = 0;
    const handler = async (): Promise<void> => {
      running += 1;
      peak = Math.max(peak, running);
      await sleep(20 + Math.random() * 60);
      running -= 1;
      done += 1;
    };
    let other = '';
    const settings = (_queue: string, otherQueue: WorkerFixture['otherQueue']): FixtureWorkerSettings => {
      other = otherQueue('conc-b');
      return {
        maxConcurrentJobs: 3,
        // Far more than 3 messages are handed over; only the limit keeps the fourth handler from starting.
        prefetchCount: 20,
        handlers: { onA: handler, onB: { queue: other, handler } },
      };
    };
    await withWorker(
      settings,
      async ({ client, queue }) => {
        const queues = [queue, other];
        await client.enqueueJobs(
          Array.from({ length: 30 }, (_, i) => ({
            name: i % 2 === 0 ? 'onA' : 'onB',
            args: {},
            options: { queue: queues[i % 2] },
          })),
        );
        assert.ok(await waitFor(() => done === 30, 20_000), `${done} of 30 jobs done`);
        assert.equal(peak, 3, `at most ${peak} handlers ran at once`);
      },
      { label: 'conc-a' },
    );
  });
});
