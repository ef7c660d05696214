// The result store on a real Redis and RabbitMQ: every status a job passes through, typed results and
// thrown failures, abort before and while a job runs (on another worker process), dedup under racing
// producers, and a worker whose Redis goes away mid-run.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { RabbitMQClient } from '../../runtime/client/client.js';
import type { TrackedJob } from '../../runtime/client/job.js';
import { isoDate } from '../../runtime/define-jobs.js';
import { JobFailed, JobNotFound, NonRetryable, ResultStoreUnavailable, ResultTimeout } from '../../runtime/errors.js';
import type { JobStatus } from '../../runtime/results/job-record.js';
import type { JobContext } from '../../runtime/types.js';
import { closeAdmin, consumerCount, deleteJobQueue, queueDepth, uniqueName, waitFor } from '../helpers/broker.js';
import { events, startWorker } from '../helpers/worker-harness.js';
import { PrivateRedis, REDIS_URL, deleteKeys, storeClient, uniquePrefix } from '../helpers/redis.js';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await closeAdmin();
});

/** A queue and key prefix of this test's own, removed afterwards. */
function scope(label: string): { queue: string; prefix: string } {
  const queue = uniqueName(label);
  const prefix = uniquePrefix(label);
  cleanups.push(
    () => deleteJobQueue(queue),
    () => deleteKeys(prefix),
  );
  return { queue, prefix };
}

function trackedClient(queue: string, prefix: string, url = REDIS_URL) {
  const client = storeClient(queue, prefix, url);
  cleanups.push(() => client.close());
  return client;
}

/** Every status the job's record passes through, read by a subscriber-free poll of Redis (test side only). */
function watchStatuses(job: TrackedJob<unknown>): { seen: JobStatus[]; stop: () => void } {
  const seen: JobStatus[] = [];
  let running = true;
  void (async () => {
    while (running) {
      const status = await job.status().catch(() => undefined);
      if (status && status !== 'not_found' && seen.at(-1) !== status) seen.push(status);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  return { seen, stop: () => (running = false) };
}

describe('results and status', () => {
  it('walks queued → in_progress → retrying → in_progress → complete and returns the typed result, Dates and all', async () => {
    const { queue, prefix } = scope('status');
    const client = trackedClient(queue, prefix);
    const resultSchema = z.object({ total: z.number(), at: isoDate });
    const job = (await client.enqueueJob('sum', { a: 2, b: 3 }, {}, { result: resultSchema })) as TrackedJob<{
      total: number;
      at: Date;
    }>;
    assert.equal(await job.status(), 'queued');
    const watch = watchStatuses(job);
    const finishedAt = new Date('2026-01-02T03:04:05.000Z');
    const { worker } = await startWorker({
      queue,
      resultStore: REDIS_URL,
      resultKeyPrefix: prefix,
      workerName: 'results-worker',
      retryBackoff: 50,
      handlers: {
        sum: {
          result: resultSchema,
          handler: async (ctx: JobContext, args: { a: number; b: number }) => {
            // Each attempt stays in progress until the watcher has seen it so (a fixed sleep can be missed under load).
            assert.ok(await waitFor(() => watch.seen.at(-1) === 'in_progress', 10_000), 'in_progress never seen');
            if (ctx.jobTry === 1) throw new Error('first try fails');
            return { total: args.a + args.b, at: finishedAt };
          },
        },
      },
    });
    cleanups.push(() => worker.close());
    const result = await job.result({ timeout: 15_000 });
    watch.stop();
    const final = await job.status();
    if (watch.seen.at(-1) !== final && final !== 'not_found') watch.seen.push(final);
    assert.deepEqual(result, { total: 5, at: finishedAt });
    assert.ok(result.at instanceof Date, 'isoDate comes back as a Date');
    assert.deepEqual(watch.seen, ['queued', 'in_progress', 'retrying', 'in_progress', 'complete']);
    const info = await job.info();
    assert.ok(info);
    assert.equal(info.status, 'complete');
    assert.equal(info.tries, 2);
    assert.equal(info.worker, 'results-worker');
    assert.equal(info.functionName, 'sum');
    assert.equal(info.queueName, queue);
    assert.ok(info.enqueueTime && info.startTime && info.endTime);
    assert.ok(info.enqueueTime <= info.startTime && info.startTime <= info.endTime);
    assert.equal(info.error, null, 'a complete job carries no error');
    const fetched = await client.getJob(job.jobId, resultSchema);
    assert.deepEqual(await fetched?.result(), { total: 5, at: finishedAt });
  });

  it('records deferred, failed, dead and expired, and result() throws each failure with its type, code and message', async () => {
    const { queue, prefix } = scope('failures');
    const client = trackedClient(queue, prefix);
    const deferred = await client.enqueueJob('ok', {}, { deferBy: 800 });
    assert.equal(await deferred.status(), 'deferred');
    const failed = await client.enqueueJob('refuse', {});
    const dead = await client.enqueueJob('typed', { n: 'not a number' });
    const expired = await client.enqueueJob('ok', {}, { expiresIn: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const { worker } = await startWorker({
      queue,
      resultStore: REDIS_URL,
      resultKeyPrefix: prefix,
      handlers: {
        ok: () => 'fine',
        refuse: () => {
          throw new NonRetryable('not today');
        },
        typed: { args: z.object({ n: z.number() }), handler: () => 'never' },
      },
    });
    cleanups.push(() => worker.close());
    assert.equal(await deferred.result({ timeout: 10_000 }), 'fine');
    const cases: Array<[TrackedJob, string, string, string | null]> = [
      [failed, 'failed', 'NonRetryable', 'NON_RETRYABLE'],
      [dead, 'dead', 'InvalidJobArgs', 'INVALID_JOB_ARGS'],
      [expired, 'expired', 'JobExpired', 'JOB_EXPIRED'],
    ];
    for (const [job, status, type, code] of cases) {
      await assert.rejects(job.result({ timeout: 10_000 }), (err: unknown) => {
        assert.ok(err instanceof JobFailed, `${status}: ${String(err)}`);
        assert.equal(err.status, status);
        assert.equal(err.errorType, type);
        assert.equal(err.errorCode, code);
        return true;
      });
      assert.equal(await job.status(), status);
    }
    await assert.rejects(failed.result(), /not today/);
  });

  it('rejects result() with ResultTimeout at its timeout, and with JobNotFound for an unknown id', async () => {
    const { queue, prefix } = scope('timeout');
    const client = trackedClient(queue, prefix);
    const job = await client.enqueueJob('nobodyRunsThis', {});
    const started = Date.now();
    await assert.rejects(job.result({ timeout: 300 }), ResultTimeout);
    const waited = Date.now() - started;
    assert.ok(waited >= 290 && waited < 5_000, `waited ${waited} ms`);
    const missing = await client.getJob('0123456789abcdef0123456789abcdef');
    assert.equal(missing, null);
    const ghost = await client.enqueueJob('x', {});
    await deleteKeys(prefix);
    await assert.rejects(ghost.result({ timeout: 300 }), JobNotFound);
  });
});

describe('abort', () => {
  it('never runs a queued job that was aborted: acked, not dead-lettered, recorded aborted', async () => {
    const { queue, prefix } = scope('abort-queued');
    const client = trackedClient(queue, prefix);
    const aborted = await client.enqueueJob('work', { id: 'aborted' });
    const kept = await client.enqueueJob('work', { id: 'kept' });
    assert.equal(await aborted.abort(), true);
    assert.equal(await aborted.status(), 'aborted');
    const ran: string[] = [];
    const { worker, logger } = await startWorker({
      queue,
      resultStore: REDIS_URL,
      resultKeyPrefix: prefix,
      handlers: { work: (_ctx: JobContext, args: { id: string }) => void ran.push(args.id) },
    });
    cleanups.push(() => worker.close());
    await kept.result({ timeout: 10_000 });
    await assert.rejects(aborted.result({ timeout: 1_000 }), (err: unknown) => {
      assert.ok(err instanceof JobFailed);
      assert.equal(err.status, 'aborted');
      assert.equal(err.errorCode, 'JOB_ABORTED');
      return true;
    });
    assert.deepEqual(ran, ['kept']);
    assert.ok(await waitFor(() => worker.stats.aborted === 1, 5_000));
    assert.equal(events(logger, 'job.aborted').length, 1);
    assert.equal(await queueDepth(queue), 0);
    assert.equal(await queueDepth(`${queue}_dlq`), 0);
    assert.equal(await aborted.abort(), false, 'a finished job cannot be aborted again');
  });

  it('fires ctx.signal of a job running on another worker process; it ends aborted and is not retried', async () => {
    const { queue, prefix } = scope('abort-running');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', new URL('./fixtures/worker-process.ts', import.meta.url).pathname],
      {
        env: { ...process.env, QUEUE: queue, RESULT_STORE: REDIS_URL, KEY_PREFIX: prefix },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const seen: Array<{ event: string; id?: string }> = [];
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => seen.push(JSON.parse(line)));
    cleanups.push(() => stopChild(child));
    assert.ok(await waitFor(() => seen.some((e) => e.event === 'ready'), 20_000), 'worker process did not start');

    const client = trackedClient(queue, prefix);
    const job = await client.enqueueJob('sleep', { id: 'long', ms: 60_000 });
    assert.ok(await waitFor(async () => (await job.status()) === 'in_progress', 10_000));
    const asked = Date.now();
    assert.equal(await job.abort(), true);
    await assert.rejects(job.result({ timeout: 10_000 }), (err: unknown) => {
      assert.ok(err instanceof JobFailed);
      assert.equal(err.status, 'aborted');
      return true;
    });
    assert.ok(Date.now() - asked < 5_000, 'the running handler was stopped, not waited out');
    // Settled: the worker process has stopped and the queue has seen its consumer go (and taken back what it held).
    await stopChild(child);
    assert.ok(await waitFor(async () => (await consumerCount(queue)) === 0, 10_000), 'the consumer is still there');
    assert.equal(seen.filter((e) => e.event === 'start').length, 1, 'not retried');
    const exit = seen.find((e) => e.event === 'exit') as { stats?: Record<string, number> } | undefined;
    assert.equal(exit?.stats?.retried, 0, 'no retry is on its way through the ladder');
    assert.equal(exit?.stats?.aborted, 1);
    assert.equal(seen.filter((e) => e.event === 'done').length, 0);
    assert.equal(await queueDepth(queue), 0);
    assert.equal(await queueDepth(`${queue}_dlq`), 0);
  });
});

describe('jobId dedup', () => {
  it('publishes once when two producers race with one jobId, and both get the same job', async () => {
    const { queue, prefix } = scope('dedup');
    const first = trackedClient(queue, prefix);
    const second = trackedClient(queue, prefix);
    await Promise.all([first.connect(), second.connect()]);
    const jobId = 'order-4711';
    for (let round = 0; round < 20; round += 1) {
      const id = `${jobId}-${round}`;
      const [a, b] = await Promise.all([
        first.enqueueJob('ship', { round }, { jobId: id }),
        second.enqueueJob('ship', { round }, { jobId: id }),
      ]);
      assert.equal(a.jobId, id);
      assert.equal(b.jobId, id);
    }
    assert.ok(await waitFor(async () => (await queueDepth(queue)) === 20, 5_000), `depth ${await queueDepth(queue)}`);
    const again = await first.enqueueJobs([{ name: 'ship', args: {}, options: { jobId: `${jobId}-0` } }]);
    assert.equal(again[0]?.jobId, `${jobId}-0`);
    assert.equal(await queueDepth(queue), 20, 'a batch dedups too');
  });

  it('lets an id be enqueued again once its record expired', async () => {
    const { queue, prefix } = scope('dedup-ttl');
    const client = new RabbitMQClient({
      queue,
      resultStore: REDIS_URL,
      resultKeyPrefix: prefix,
      jobResultTtl: 200,
      logLevel: 'silent',
    });
    cleanups.push(() => client.close());
    await client.enqueueJob('once', {}, { jobId: 'reusable' });
    await client.enqueueJob('once', {}, { jobId: 'reusable' });
    assert.equal(await queueDepth(queue), 1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await client.enqueueJob('once', {}, { jobId: 'reusable' });
    assert.ok(await waitFor(async () => (await queueDepth(queue)) === 2, 5_000));
  });
});

describe('Redis outage', () => {
  it('keeps completing jobs while Redis is away, warns once, and records results again once it is back', async () => {
    const queue = uniqueName('outage');
    cleanups.push(() => deleteJobQueue(queue));
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.stop());
    const prefix = 'arq:';
    const producer = new RabbitMQClient({ queue, logLevel: 'silent' });
    cleanups.push(() => producer.close());
    const tracked = trackedClient(queue, prefix, redis.url);
    const done: string[] = [];
    const { worker, logger } = await startWorker({
      queue,
      resultStore: redis.url,
      handlers: { mark: (_ctx: JobContext, args: { id: string }) => void done.push(args.id) },
    });
    cleanups.push(() => worker.close());

    const before = await tracked.enqueueJob('mark', { id: 'before' });
    await before.result({ timeout: 10_000 });

    await redis.stop();
    await assert.rejects(before.status(), ResultStoreUnavailable, 'a reader gets a clear error');
    const during = await Promise.all(
      Array.from({ length: 10 }, (_, i) => producer.enqueueJob('mark', { id: `during-${i}` })),
    );
    assert.ok(await waitFor(() => done.length === 11, 15_000), `only ${done.length} jobs ran during the outage`);
    assert.equal(events(logger, 'results.unavailable').length, 1, 'one warning per outage, not per job');

    await redis.start();
    assert.ok(await waitFor(() => events(logger, 'results.recovered').length === 1, 15_000), 'store never came back');
    const afterwards = await producer.enqueueJob('mark', { id: 'after' });
    assert.ok(await waitFor(() => done.includes('after'), 10_000));
    const check = new Redis(redis.url);
    cleanups.push(async () => void check.disconnect());
    assert.ok(
      await waitFor(
        async () => (await check.get(`arq:job:${afterwards.jobId}`))?.includes('"complete"') ?? false,
        5_000,
      ),
      'the result after the outage was not recorded',
    );
    assert.equal(
      await check.get(`arq:job:${during[0]?.jobId}`),
      null,
      'results during the outage are lost, as documented',
    );
  });
});

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
