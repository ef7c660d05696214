// rabbitmq-arq/testing on the in-process broker: no RabbitMQ involved, which is the point.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { z } from 'zod';
import {
  DrainTimeout,
  DrainUnsupported,
  JobAborted,
  RabbitMQClient,
  Retry,
  Worker,
  bindJobs,
  defineJobs,
  registerJobs,
} from '../../runtime/index.js';
import { drain, jobContext, listDeadLetters } from '../../runtime/testing.js';

const jobs = defineJobs({
  queue: 'work',
  jobs: {
    add: { args: z.object({ a: z.number(), b: z.number() }), result: z.number() },
    flaky: { args: z.object({}), maxRetries: 1 },
  },
});

describe('rabbitmq-arq/testing', () => {
  it('drain() waits until every job, deferred ones and retries included, has run its course', async () => {
    const url = `memory://${randomUUID()}`;
    const done: string[] = [];
    const worker = new Worker({
      url,
      retryBackoff: 50,
      handleSignals: false,
      logLevel: 'silent',
      statsInterval: 0,
      handlers: registerJobs(jobs, {
        add: (_ctx, args) => {
          done.push(`add ${args.a + args.b}`);
          return args.a + args.b;
        },
        flaky: (ctx) => {
          if (ctx.jobTry === 1) throw new Retry({ defer: 300 });
          throw new Error(`gave up at try ${ctx.jobTry}`);
        },
      }),
    });
    const running = worker.run();
    const client = new RabbitMQClient({ url, logLevel: 'silent' });
    const enqueue = bindJobs(client, jobs);
    await enqueue.add({ a: 1, b: 2 });
    await enqueue.add({ a: 2, b: 2 }, { deferBy: 400 });
    await enqueue.flaky({});
    await drain(url);
    assert.deepEqual(done.sort(), ['add 3', 'add 4']);
    const [dead] = await listDeadLetters('work', { url });
    assert.equal(dead?.errorMessage, 'gave up at try 2');
    assert.equal(dead?.errorCategory, 'retriable');
    await client.close();
    await worker.close();
    await running;
  });

  it('drain() refuses a RabbitMQ URL and gives up at its timeout', async () => {
    await assert.rejects(
      drain('amqp://localhost'),
      (err: unknown) => err instanceof DrainUnsupported && /works on the in-process broker/.test(err.message),
    );
    const url = `memory://${randomUUID()}`;
    const client = new RabbitMQClient({ url, logLevel: 'silent' });
    await client.enqueueJob('nobody-consumes-this', {}, { queue: 'idle' });
    await assert.rejects(
      drain(url, { timeout: 100 }),
      (err: unknown) =>
        err instanceof DrainTimeout && err.timeoutMs === 100 && /still has jobs after 100 ms/.test(err.message),
    );
    await client.close();
  });

  it('jobContext() lets a test call a handler directly, and abort() fires its signal', async () => {
    const ctx = jobContext({ jobTry: 2, state: { db: 'fake' } });
    assert.equal(ctx.jobTry, 2);
    assert.equal(ctx.state.db, 'fake');
    assert.equal(ctx.signal.aborted, false);
    ctx.abort(new Error('stop'));
    assert.equal(ctx.signal.aborted, true);
    assert.equal((ctx.signal.reason as Error).message, 'stop');
  });

  it('jobContext().abort() without a reason aborts with JobAborted, as the worker does', () => {
    const ctx = jobContext();
    ctx.abort();
    assert.ok(ctx.signal.reason instanceof JobAborted, String(ctx.signal.reason));
  });
});
