// Messages a worker cannot run (bad input, unknown jobs, expired jobs) on a real broker: each lands in the DLQ once,
// with its reason, and the worker carries on.
import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { RabbitMQClient } from '../../runtime/client/client.js';
import { Retry } from '../../runtime/errors.js';
import type { JobContext } from '../../runtime/types.js';
import { encodeJobBody, jobPublishOptions, newJobId } from '../../runtime/wire-format.js';
import type { JobEnvelope } from '../../runtime/wire-format.js';
import { closeAdmin, deleteJobQueue, drainQueue, queueDepth, uniqueName, waitFor } from '../helpers/broker.js';
import {
  assertNoSocketLeak,
  headersOf,
  publishRaw,
  pythonIsoformat,
  sleep,
  socketBaseline,
  startWorker,
  waitForDepth,
} from '../helpers/worker-harness.js';
import { stopAndSettleAll, withWorker } from '../helpers/with-worker.js';
import type { FixtureWorkerSettings } from '../helpers/with-worker.js';

after(closeAdmin);

function envelope(queue: string, overrides: Partial<JobEnvelope> = {}): JobEnvelope {
  return {
    jobId: newJobId(),
    functionName: 'count',
    args: [],
    kwargs: { n: 1 },
    jobTry: 1,
    enqueueTime: new Date(),
    queueName: queue,
    deferUntil: null,
    expires: null,
    ...overrides,
  };
}

describe('bad input', () => {
  it('dead-letters each kind of bad message exactly once with its category and code, and keeps running', async () => {
    const ran: unknown[] = [];
    const settings: FixtureWorkerSettings = {
      handlers: {
        count: { args: z.object({ n: z.number().int() }), handler: (_ctx: JobContext, args) => void ran.push(args) },
      },
    };
    await withWorker(
      settings,
      async ({ worker, client, queue, delayPrefix }) => {
        const ours = (job: JobEnvelope): { body: Buffer; headers: Record<string, unknown> } => ({
          body: encodeJobBody(job),
          headers: jobPublishOptions(job).headers ?? {},
        });
        const cases = [
          {
            id: 'not-json',
            body: Buffer.from('{"job_id": "abc", oops'),
            headers: {},
            category: 'invalid',
            code: 'INVALID_MESSAGE',
          },
          {
            id: 'not-object',
            body: Buffer.from('[1, 2, 3]'),
            headers: {},
            category: 'invalid',
            code: 'INVALID_MESSAGE',
          },
          {
            id: 'unknown-job',
            ...ours(envelope(queue, { functionName: 'nope' })),
            category: 'unknown_job',
            code: 'UNKNOWN_JOB',
          },
          {
            id: 'version-2',
            body: encodeJobBody(envelope(queue)),
            headers: { 'x-retry-count': 0, 'x-arq-version': 2 },
            category: 'invalid',
            code: 'UNSUPPORTED_WIRE_VERSION',
          },
          {
            id: 'bad-args',
            ...ours(envelope(queue, { kwargs: { n: 'one' } })),
            category: 'invalid',
            code: 'INVALID_JOB_ARGS',
          },
          {
            id: 'too-many-positional',
            ...ours(envelope(queue, { args: [1, 2], kwargs: {} })),
            category: 'invalid',
            code: 'INVALID_JOB_ARGS',
          },
        ] as const;
        for (const c of cases) await publishRaw('', queue, c.body, { messageId: c.id, headers: c.headers });
        await waitForDepth(`${queue}_dlq`, cases.length);
        const good = await client.enqueueJob('count', { n: 7 });
        assert.ok(await waitFor(() => ran.length === 1, 10_000), 'the good job sent afterwards did not run');
        // Once the worker stopped and the test's ladder is empty, nothing can be dead-lettered or run again.
        assert.deepEqual(await stopAndSettleAll(worker, queue, delayPrefix), { ready: 0, dead: cases.length });
        assert.deepEqual(ran, [{ n: 7 }]);

        const dead = await drainQueue(`${queue}_dlq`);
        assert.deepEqual(dead.map((m) => m.properties.messageId).sort(), cases.map((c) => c.id).sort());
        for (const c of cases) {
          const message = dead.find((m) => m.properties.messageId === c.id) ?? assert.fail(c.id);
          const headers = headersOf(message);
          assert.equal(headers['x-error-category'], c.category, c.id);
          assert.equal(headers['x-error-code'], c.code, c.id);
          assert.ok(String(headers['x-error-message']).length > 0, c.id);
          assert.deepEqual(message.content, c.body, `${c.id}: the body changed`);
        }
        const v2 = headersOf(dead.find((m) => m.properties.messageId === 'version-2') ?? assert.fail());
        assert.equal(v2['x-arq-version'], 2, 'a message refused for its version keeps its version, for a later replay');
        assert.equal(await queueDepth(queue), 0);
        assert.notEqual(good.jobId, '');
        assert.equal(worker.stats.deadLettered, cases.length);
        assert.equal(worker.stats.completed, 1);
      },
      { label: 'bad', privateLadder: true },
    );
  });
});

describe('expires', () => {
  it('never runs a job whose deadline passed while it waited in the queue', async () => {
    const baseline = await socketBaseline();
    const queue = uniqueName('expired-queued');
    const client = new RabbitMQClient({ queue, logLevel: 'silent' });
    const ran: string[] = [];
    let worker: Awaited<ReturnType<typeof startWorker>>['worker'] | undefined;
    try {
      const job = await client.enqueueJob('count', {}, { expiresIn: 200 });
      await sleep(400);
      ({ worker } = await startWorker({
        queue,
        handlers: { count: (ctx: JobContext) => void ran.push(ctx.jobId) },
      }));
      await waitForDepth(`${queue}_dlq`, 1);
      const [dead] = await drainQueue(`${queue}_dlq`);
      const headers = headersOf(dead ?? assert.fail());
      assert.equal(headers['x-job-id'], job.jobId);
      assert.equal(headers['x-error-category'], 'expired');
      assert.equal(headers['x-error-code'], 'JOB_EXPIRED');
      assert.equal(headers['x-error-type'], 'JobExpired');
      assert.deepEqual(ran, []);
    } finally {
      await client.close();
      await worker?.close();
      await deleteJobQueue(queue);
    }
    await assertNoSocketLeak(baseline);
  });

  it('never runs a job whose deadline passes while it is deferred, even within the last unit the worker waits out', async () => {
    const ran: string[] = [];
    const settings: FixtureWorkerSettings = {
      queueType: 'classic',
      handlers: { count: (ctx: JobContext) => void ran.push(ctx.jobId) },
    };
    await withWorker(
      settings,
      async ({ worker, queue, delayPrefix }) => {
        // Python-style producers may send a defer_until after expires. The first job comes back from the ladder before
        // its deadline, with less than one unit to wait; the deadline passes during that wait. The second expires
        // long before it comes back.
        const now = Date.now();
        const jobs = [
          { id: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', deferUntil: now + 1_090, expires: now + 1_040 },
          { id: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', deferUntil: now + 2_000, expires: now + 700 },
        ];
        for (const job of jobs) {
          const body =
            `{"job_id": "${job.id}", "function": "count", "args": [], "kwargs": {}, "job_try": 1, ` +
            `"enqueue_time": "${pythonIsoformat(new Date(now))}", "start_time": null, "end_time": null, ` +
            `"queue_name": "${queue}", "status": "queued", "result": null, "error": null, ` +
            `"defer_until": "${pythonIsoformat(new Date(job.deferUntil))}", "expires": "${pythonIsoformat(new Date(job.expires))}"}`;
          await publishRaw('', queue, body, {
            deliveryMode: 1,
            messageId: `m-${job.id}`,
            headers: { 'x-retry-count': 0 },
          });
        }
        await waitForDepth(`${queue}_dlq`, 2);
        assert.deepEqual(await stopAndSettleAll(worker, queue, delayPrefix), { ready: 0, dead: 2 });
        assert.deepEqual(ran, []);
        const dead = await drainQueue(`${queue}_dlq`);
        for (const job of jobs) {
          const headers = headersOf(dead.find((m) => m.properties.messageId === `m-${job.id}`) ?? assert.fail(job.id));
          assert.equal(headers['x-error-category'], 'expired');
          assert.equal(headers['x-error-code'], 'JOB_EXPIRED');
          const failedAt = Date.parse(String(headers['x-failed-at']));
          assert.ok(
            failedAt >= job.expires,
            `${job.id} was dead-lettered ${job.expires - failedAt} ms before it expired`,
          );
        }
      },
      { label: 'expired-deferred', privateLadder: true },
    );
  });

  it('dead-letters as expired at once a failure whose next attempt would run past the deadline', async () => {
    const ran: string[] = [];
    const settings: FixtureWorkerSettings = {
      maxRetries: 5,
      // The backoff after a plain failure is 2–4 s, past a 1.5 s deadline.
      retryBackoff: 4_000,
      handlers: {
        retryLater: (ctx: JobContext) => {
          ran.push(`retryLater:${ctx.jobTry}`);
          throw new Retry({ defer: 3_000 });
        },
        fails: (ctx: JobContext) => {
          ran.push(`fails:${ctx.jobTry}`);
          throw new Error('boom');
        },
      },
    };
    await withWorker(
      settings,
      async ({ worker, client, queue }) => {
        const started = Date.now();
        const jobs = [
          await client.enqueueJob('retryLater', {}, { expiresIn: 1_500 }),
          await client.enqueueJob('fails', {}, { expiresIn: 1_500 }),
        ];
        await waitForDepth(`${queue}_dlq`, 2);
        assert.ok(Date.now() - started < 1_500, 'the worker waited for the deadline instead of dead-lettering at once');
        assert.deepEqual([...ran].sort(), ['fails:1', 'retryLater:1']);
        const dead = await drainQueue(`${queue}_dlq`);
        for (const job of jobs) {
          const headers = headersOf(dead.find((m) => m.properties.messageId === job.jobId) ?? assert.fail());
          assert.equal(headers['x-error-category'], 'expired');
          assert.equal(headers['x-error-code'], 'JOB_EXPIRED');
          assert.equal(headers['x-job-try'], 1);
        }
        assert.equal(worker.stats.retried, 0);
      },
      { label: 'expired-retry' },
    );
  });
});
