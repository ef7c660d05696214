// Jobs that kill their worker (runtime/worker/crash-guard.ts): on a classic queue the worker counts returns itself and
// dead-letters past the limit; on either type a delivery returned twice or more runs alone. A return is made the way a
// dying worker makes it: a raw consumer takes the message and closes its channel without acking. A graceful stop is
// not a return: the job it gives back keeps its count.
import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { CLASSIC_RETURN_LIMIT, RETURNS_HEADER } from '../../runtime/worker/crash-guard.js';
import type { JobContext } from '../../runtime/types.js';
import { encodeJobBody, jobPublishOptions } from '../../runtime/wire-format.js';
import { closeAdmin, deleteJobQueue, uniqueName, waitFor, withChannel } from '../helpers/broker.js';
import {
  consumeAll,
  declareJobQueue,
  events,
  firstAttempt,
  publishRaw,
  sleep,
  startWorker,
  stopAndSettle,
  takeAndDrop,
} from '../helpers/worker-harness.js';

after(closeAdmin);

const count = z.object({ n: z.number() });

/** A job as our client publishes it, with extra headers. */
async function publishJob(queue: string, functionName: string, n: number, headers: Record<string, unknown> = {}) {
  const job = firstAttempt(queue, functionName, { n });
  const options = jobPublishOptions(job, headers);
  await publishRaw('', queue, encodeJobBody(job), options);
}

describe('a job that comes back without an outcome', () => {
  it('on a classic queue: counted, run once, and dead-lettered once it came back more than the limit', async () => {
    const queue = uniqueName('crash-classic');
    const ran: number[] = [];
    await declareJobQueue(queue, 'classic');
    try {
      await publishJob(queue, 'count', 1);
      await publishJob(queue, 'count', 2, { [RETURNS_HEADER]: CLASSIC_RETURN_LIMIT });
      // Both die with "their worker" once more: the first is now returned once, the second one time too many.
      await withChannel(async (channel) => {
        for (let taken = 0; taken < 2;) if (await channel.get(queue, { noAck: false })) taken += 1;
      });
      const { worker, logger } = await startWorker({
        queue,
        queueType: 'classic',
        handlers: { count: { args: count, handler: (_ctx: JobContext, args) => void ran.push(args.n) } },
      });
      try {
        assert.ok(
          await waitFor(() => ran.length === 1 && events(logger, 'job.dead_lettered').length === 1, 10_000),
          `ran ${JSON.stringify(ran)}; ${logger.lines.map((line) => line.message).join(' | ')}`,
        );
        // Nothing goes through the ladder here: once the stopped worker's consumer is gone, the counts are final.
        assert.deepEqual(await stopAndSettle(worker, queue), { ready: 0, dead: 1 });
        assert.deepEqual(ran, [1]);
        const [dead] = await consumeAll(`${queue}_dlq`);
        assert.equal(dead?.properties.headers?.['x-error-code'], 'DELIVERY_LIMIT_EXCEEDED');
        assert.equal(dead?.properties.headers?.[RETURNS_HEADER], CLASSIC_RETURN_LIMIT);
      } finally {
        await worker.close();
      }
    } finally {
      await deleteJobQueue(queue);
    }
  });

  for (const queueType of ['quorum', 'classic'] as const) {
    it(`on a ${queueType} queue: returned twice, it runs alone, one at a time`, async () => {
      const queue = uniqueName(`crash-alone-${queueType}`);
      await declareJobQueue(queue, queueType);
      let running = 0;
      let most = 0;
      const ran: number[] = [];
      const slow = async (_ctx: JobContext, args: { n: number }): Promise<void> => {
        running += 1;
        most = Math.max(most, running);
        await sleep(150);
        running -= 1;
        ran.push(args.n);
      };
      try {
        // Returned twice already; on quorum the broker's count is the header the consumer sees.
        const header = queueType === 'quorum' ? 'x-delivery-count' : RETURNS_HEADER;
        for (let n = 0; n < 4; n += 1) await publishJob(queue, 'slow', n, { [header]: 2 });
        const { worker, logger } = await startWorker({
          queue,
          queueType,
          maxConcurrentJobs: 10,
          handlers: { slow: { args: count, handler: slow } },
        });
        try {
          assert.ok(await waitFor(() => ran.length === 4, 15_000), `ran ${ran.length} of 4`);
          assert.equal(most, 1, 'suspect jobs ran side by side');
          assert.equal(events(logger, 'job.isolated').length, 4);
        } finally {
          await worker.close();
        }
      } finally {
        await deleteJobQueue(queue);
      }
    });
  }

  for (const queueType of ['quorum', 'classic'] as const) {
    it(`on a ${queueType} queue: given back by three graceful stops in a row, its count of returns is unchanged`, async () => {
      const queue = uniqueName(`stop-not-crash-${queueType}`);
      await declareJobQueue(queue, queueType);
      try {
        await publishJob(queue, 'hold', 1);
        await takeAndDrop(queue); // one real crash return, which must survive the stops
        const lines: string[] = [];
        for (let stop = 0; stop < 3; stop += 1) {
          let started = false;
          const { worker, logger } = await startWorker({
            queue,
            queueType,
            gracefulShutdownTimeout: 0,
            handlers: {
              hold: {
                args: count,
                // Runs until the stop aborts it; it is then given back, interrupted.
                handler: (ctx: JobContext) =>
                  new Promise<void>((_resolve, reject) => {
                    started = true;
                    ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error));
                  }),
              },
            },
          });
          assert.ok(await waitFor(() => started, 10_000), `stop ${stop}: the job did not start`);
          await worker.close();
          lines.push(...logger.lines.map((line) => String(line.fields?.event)));
        }
        assert.equal(lines.filter((event) => event === 'job.isolated').length, 0, 'a stop was taken for a crash');
        assert.equal(lines.filter((event) => event === 'job.return_counted').length, queueType === 'classic' ? 1 : 0);
        const back = await consumeAll(queue);
        assert.equal(back.length, 1, 'the job is in its queue once');
        const [message] = back as [(typeof back)[number]];
        assert.equal(message.fields.redelivered, false);
        assert.equal(message.properties.headers?.['x-delivery-count'], undefined);
        assert.equal(message.properties.headers?.[RETURNS_HEADER], 1, 'the crash return before the stops, no more');
        assert.equal(message.properties.headers?.['x-arq-requeued'], 'interrupted');
      } finally {
        await deleteJobQueue(queue);
      }
    });
  }
});
