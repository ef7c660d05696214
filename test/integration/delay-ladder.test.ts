// The shared delay ladder on a real broker: many random delays are never early and only moderately late, distinct
// delays add no queues, and a delay longer than the ladder is held in steps instead of failing. These tests use the
// shared `arq.delay.v2.*` ladder and never delete it.
import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { RabbitMQClient } from '../../runtime/client/client.js';
import { DELAY_LEVELS, MAX_DELAY_MS, delayNames } from '../../runtime/topology/delay-topology.js';
import { Retry } from '../../runtime/errors.js';
import type { JobContext } from '../../runtime/types.js';
import { encodeJobBody, jobPublishOptions, newJobId } from '../../runtime/wire-format.js';
import { closeAdmin, deleteJobQueue, queueDepth, uniqueName, waitFor } from '../helpers/broker.js';
import {
  assertNoSocketLeak,
  events,
  hasEvent,
  ladderQueues,
  publishRaw,
  pythonIsoformat,
  removeFromQueue,
  socketBaseline,
  startWorker,
  stopAndSettle,
} from '../helpers/worker-harness.js';
import { ladderDepth, stopAndSettleAll, withWorker } from '../helpers/with-worker.js';
import type { FixtureWorkerSettings, WorkerFixture } from '../helpers/with-worker.js';

after(closeAdmin);

const dueArgs = z.object({ due: z.number() });

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

describe('delay ladder', () => {
  it('never starts any of 500 jobs with random delays up to 5 s before its due time', async () => {
    const lateness: number[] = [];
    const settings: FixtureWorkerSettings = {
      maxConcurrentJobs: 50,
      handlers: {
        timed: {
          args: dueArgs,
          handler: (_ctx: JobContext, args: { due: number }) => void lateness.push(Date.now() - args.due),
        },
      },
    };
    await withWorker(
      settings,
      async ({ worker, client, queue, delayPrefix }) => {
        const now = Date.now();
        const requests = Array.from({ length: 500 }, () => {
          const due = now + Math.floor(Math.random() * 5_000);
          return { name: 'timed', args: { due }, options: { deferUntil: new Date(due) } };
        });
        await client.enqueueJobs(requests);
        assert.ok(await waitFor(() => lateness.length === 500, 30_000), `${lateness.length} of 500 jobs ran`);
        const sorted = [...lateness].sort((a, b) => a - b);
        const [p50, p99, max] = [percentile(sorted, 50), percentile(sorted, 99), sorted.at(-1) ?? Number.NaN];
        console.log(`lateness of 500 jobs with random delays up to 5 s: p50 ${p50} ms, p99 ${p99} ms, max ${max} ms`);
        assert.equal(sorted.filter((ms) => ms < 0).length, 0, `jobs ran early by up to ${-(sorted[0] ?? 0)} ms`);
        assert.ok(max < 5_000, `a job ran ${max} ms late`);
        // With the worker stopped and the test's ladder empty, no copy of any job is still on its way.
        assert.deepEqual(await stopAndSettleAll(worker, queue, delayPrefix), { ready: 0, dead: 0 });
        assert.equal(lateness.length, 500, 'a job ran twice');
      },
      { label: 'lateness', privateLadder: true },
    );
  });

  it('waits out the remainder under one unit in the worker without starting a single job early', async () => {
    // Every job here comes out of the ladder with 1–99 ms still to wait, which the worker waits out with a timer.
    // Node timers fire up to a millisecond early by Date.now(), so one sleep is not enough.
    const lateness: number[] = [];
    const settings: FixtureWorkerSettings = {
      maxConcurrentJobs: 50,
      handlers: {
        timed: {
          args: dueArgs,
          handler: (_ctx: JobContext, args: { due: number }) => void lateness.push(Date.now() - args.due),
        },
      },
    };
    await withWorker(
      settings,
      async ({ client }) => {
        for (let round = 0; round < 3; round += 1) {
          const now = Date.now();
          await client.enqueueJobs(
            Array.from({ length: 300 }, (_, i) => {
              const due = now + 150 + (i % 99);
              return { name: 'timed', args: { due }, options: { deferUntil: new Date(due) } };
            }),
          );
        }
        assert.ok(await waitFor(() => lateness.length === 900, 20_000), `${lateness.length} of 900 jobs ran`);
        const early = lateness.filter((ms) => ms < 0);
        assert.deepEqual(early, [], `${early.length} of 900 jobs started before their due time`);
      },
      { label: 'remainder' },
    );
  });

  it('publishes no outcome for a job a shutdown requeued while the worker waited out its remainder', async () => {
    // The job arrives 99 ms early with arguments that fail the schema. The worker starts waiting; the shutdown
    // requeues the delivery; when the wait ends, dead-lettering it as well would leave the job in two places.
    const ran: unknown[] = [];
    // The seam: the process's clock stands still from the publish until shutdown has requeued, so the worker
    // is certainly still waiting out the remainder when the shutdown comes. onShutdown (which runs before the
    // connection closes) starts the clock again and returns only after a 100 ms timer: the worker's pending
    // wait (under 99 ms left) fires before it, so the wait ends while an outcome could still be published.
    const realNow = Date.now;
    let frozenAt: number | undefined;
    const thaw = async (): Promise<void> => {
      frozenAt = undefined;
      Date.now = realNow;
      await new Promise((resolve) => setTimeout(resolve, 100));
    };
    const settings: FixtureWorkerSettings = {
      onShutdown: thaw,
      handlers: {
        count: { args: z.object({ n: z.number() }), handler: (_ctx: JobContext, args) => void ran.push(args) },
      },
    };
    await withWorker(
      settings,
      async ({ worker, logger, queue }) => {
        frozenAt = realNow();
        Date.now = () => frozenAt ?? realNow();
        let closing: Promise<void>;
        try {
          const job = {
            jobId: newJobId(),
            functionName: 'count',
            args: [],
            kwargs: { n: 'not a number' },
            jobTry: 1,
            enqueueTime: new Date(frozenAt),
            queueName: queue,
            deferUntil: new Date(frozenAt + 99),
            expires: null,
          };
          await publishRaw('', queue, encodeJobBody(job), jobPublishOptions(job));
          assert.ok(await waitFor(async () => (await queueDepth(queue)) === 0, 2_000, 5), 'not delivered');
          closing = worker.close();
          assert.ok(await waitFor(() => hasEvent(logger, 'worker.stopping')));
          assert.equal(events(logger, 'job.requeued').length, 1, 'shutdown requeued the waiting delivery');
          assert.equal(await queueDepth(`${queue}_dlq`), 0, 'the wait had not ended');
          await closing;
          assert.equal(frozenAt, undefined, 'onShutdown ran');
        } finally {
          Date.now = realNow;
        }
        // Exactly one copy, back in the queue. The wait is under one unit, so nothing goes through the
        // ladder: once the consumer is gone, the counts are final.
        assert.deepEqual(await stopAndSettle(worker, queue), { ready: 1, dead: 0 });
        assert.deepEqual(ran, []);
      },
      { label: 'remainder-shutdown' },
    );
  });

  it('holds 200 distinct delays in the fixed set of ladder queues, creating none', async () => {
    const baseline = await socketBaseline();
    const queue = uniqueName('distinct');
    const expected = [
      ...Array.from({ length: DELAY_LEVELS }, (_, level) => delayNames('arq').levelQueue(level)),
      delayNames('arq').unroutable,
    ].sort();
    const before = await ladderQueues();
    const lateness: number[] = [];
    const { worker } = await startWorker({
      queue,
      maxConcurrentJobs: 50,
      handlers: {
        timed: {
          args: dueArgs,
          handler: (_ctx: JobContext, args: { due: number }) => void lateness.push(Date.now() - args.due),
        },
      },
    });
    const client = new RabbitMQClient({ queue, logLevel: 'silent' });
    try {
      assert.deepEqual(before, expected);
      const now = Date.now();
      // 200 different delays from 100 ms to about 3.5 s, 17 ms apart.
      await client.enqueueJobs(
        Array.from({ length: 200 }, (_, i) => {
          const due = now + 100 + i * 17;
          return { name: 'timed', args: { due }, options: { deferUntil: new Date(due) } };
        }),
      );
      const during = await ladderQueues();
      assert.ok(await waitFor(() => lateness.length === 200, 20_000), `${lateness.length} of 200 jobs ran`);
      assert.equal(Math.min(...lateness) >= 0, true, 'a job ran early');
      const afterwards = await ladderQueues();
      assert.deepEqual(during, expected);
      assert.deepEqual(afterwards, expected);
      assert.equal(afterwards.length, DELAY_LEVELS + 1);
    } finally {
      await client.close();
      await worker.close();
      await deleteJobQueue(queue);
    }
    await assertNoSocketLeak(baseline);
  });

  it('holds a retry or a Python defer_until longer than the ladder in steps, instead of redelivering it in a loop', async () => {
    const runs: number[] = [];
    const settings: FixtureWorkerSettings = {
      queueType: 'classic',
      handlers: {
        farAway: (ctx: JobContext) => {
          runs.push(ctx.jobTry);
          throw new Retry({ defer: MAX_DELAY_MS + 86_400_000 });
        },
      },
    };
    const scenario = async ({ worker, logger, client, queue, delayPrefix }: WorkerFixture): Promise<void> => {
      const top = delayNames(delayPrefix).levelQueue(DELAY_LEVELS - 1);
      await client.enqueueJob('farAway', {});
      // A Python producer may defer by more than the ladder holds (60 days here).
      const pythonId = 'c0ffee00c0ffee00c0ffee00c0ffee00';
      const body =
        `{"job_id": "${pythonId}", "function": "farAway", "args": [], "kwargs": {}, "job_try": 1, ` +
        `"enqueue_time": "${pythonIsoformat(new Date())}", "start_time": null, "end_time": null, "queue_name": "${queue}", ` +
        `"status": "queued", "result": null, "error": null, ` +
        `"defer_until": "${pythonIsoformat(new Date(Date.now() + 60 * 86_400_000))}", "expires": null}`;
      await publishRaw('', queue, body, {
        deliveryMode: 1,
        messageId: 'python-random-id',
        headers: { 'x-retry-count': 0 },
      });

      assert.ok(await waitFor(() => runs.length > 0, 10_000), 'the retried job did not run');
      await waitFor(() => events(logger, 'job.deferred').length >= 1 && worker.stats.retried >= 1, 10_000);
      // Settled: the worker stopped and both messages sit in the top level of the test's ladder, which holds
      // nothing else; its TTL is ~19 days, so nothing moves before the test ends.
      await stopAndSettle(worker, queue);
      let where = '';
      const parked = await waitFor(async () => {
        const [inTop, inLadder] = [await queueDepth(top), await ladderDepth(delayPrefix)];
        where = `${inTop} in ${top}, ${inLadder} in the ladder`;
        return inTop === 2 && inLadder === 2;
      });
      assert.ok(parked, where);
      assert.deepEqual(runs, [1], 'the job ran again instead of waiting');
      assert.deepEqual(events(logger, 'job.outcome_unpublished'), [], 'an outcome could not be published');
      assert.equal(worker.stats.retried, 1);
      assert.equal(events(logger, 'job.deferred').length, 1);
      assert.equal(await queueDepth(queue), 0);
      assert.equal(await queueDepth(`${queue}_dlq`), 0);
    };
    await withWorker(settings, scenario, { label: 'beyond', privateLadder: true, client: { queueType: 'classic' } });
  });

  it('refuses at enqueue a deferral longer than the ladder holds', async () => {
    const baseline = await socketBaseline();
    const queue = uniqueName('refused');
    const client = new RabbitMQClient({ queue, logLevel: 'silent' });
    try {
      await assert.rejects(client.enqueueJob('any', {}, { deferBy: MAX_DELAY_MS + 1 }), { code: 'INVALID_SCHEDULE' });
      const job = await client.enqueueJob('any', {}, { deferBy: MAX_DELAY_MS });
      // Confirmed means it sits in the top level now; take it out again.
      assert.equal(await removeFromQueue(delayNames('arq').levelQueue(DELAY_LEVELS - 1), new Set([job.jobId])), 1);
    } finally {
      await client.close();
      await deleteJobQueue(queue);
    }
    await assertNoSocketLeak(baseline);
  });
});
