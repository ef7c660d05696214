// The in-process broker (`url: 'memory://'`) behaves as RabbitMQ does where a user can see it: one table of
// cases run on both, and each must give the expected row on each.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { NonRetryable, RabbitMQClient, Retry, Worker, listDeadLetters } from '../../runtime/index.js';
import type { JobContext } from '../../runtime/index.js';
import { AMQP_URL, closeAdmin, deleteJobQueue, recordingLogger, uniqueName, waitFor } from '../helpers/broker.js';

after(closeAdmin);

interface Row {
  /** Attempt numbers seen, in order. */
  tries: number[];
  /** `x-error-type (x-error-category)` of its dead letter, if it ended there. */
  dead?: string;
  /** The second attempt started at least this long after the first (ms). */
  gapAtLeast?: number;
}

const expected: Record<string, Row> = {
  completes: { tries: [1] },
  retriesWithBackoff: { tries: [1, 2] },
  retryDefer: { tries: [1, 2], gapAtLeast: 400 },
  permanent: { tries: [1], dead: 'NonRetryable (non_retriable)' },
  invalidArgs: { tries: [], dead: 'InvalidJobArgs (invalid)' },
  unknownJob: { tries: [], dead: 'UnknownJob (unknown_job)' },
  timesOut: { tries: [1], dead: 'JobTimeout (retriable)' },
  deferred: { tries: [1] },
};

async function runTable(url: string, queue: string): Promise<{ rows: Record<string, Row>; early: number[] }> {
  const starts = new Map<string, number[]>();
  const tries = new Map<string, number[]>();
  const early: number[] = [];
  const seen = (ctx: JobContext, key: string): void => {
    tries.set(key, [...(tries.get(key) ?? []), ctx.jobTry]);
    starts.set(key, [...(starts.get(key) ?? []), Date.now()]);
  };
  const worker = new Worker({
    url,
    queue,
    retryBackoff: 100,
    maxRetries: 1,
    statsInterval: 0,
    handleSignals: false,
    logger: recordingLogger(),
    handlers: {
      completes: (ctx) => seen(ctx, 'completes'),
      retriesWithBackoff: (ctx) => {
        seen(ctx, 'retriesWithBackoff');
        if (ctx.jobTry === 1) throw new Error('flaky');
      },
      retryDefer: (ctx) => {
        seen(ctx, 'retryDefer');
        if (ctx.jobTry === 1) throw new Retry({ defer: 400 });
      },
      permanent: (ctx) => {
        seen(ctx, 'permanent');
        throw new NonRetryable('never');
      },
      invalidArgs: { args: z.object({ n: z.number() }), handler: (ctx: JobContext) => seen(ctx, 'invalidArgs') },
      timesOut: {
        timeout: 200,
        maxRetries: 0,
        handler: (ctx: JobContext) => {
          seen(ctx, 'timesOut');
          return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
        },
      },
      deferred: (ctx, args: { due: number }) => {
        seen(ctx, 'deferred');
        if (Date.now() < args.due) early.push(args.due - Date.now());
      },
    },
  });
  const running = worker.run();
  const client = new RabbitMQClient({ url, queue, logger: recordingLogger() });
  try {
    const due = Date.now() + 600;
    for (const name of ['completes', 'retriesWithBackoff', 'retryDefer', 'permanent', 'timesOut'])
      await client.enqueueJob(name);
    await client.enqueueJob('invalidArgs', { n: 'not a number' });
    await client.enqueueJob('unknownJob');
    await client.enqueueJob('deferred', { due }, { deferUntil: new Date(due) });
    const settled = (): boolean =>
      (tries.get('retriesWithBackoff')?.length ?? 0) === 2 &&
      (tries.get('retryDefer')?.length ?? 0) === 2 &&
      worker.stats.deadLettered === 4 &&
      tries.has('completes') &&
      tries.has('deferred');
    assert.ok(await waitFor(settled, 20_000), `not settled: ${JSON.stringify(Object.fromEntries(tries))}`);
    const letters = await listDeadLetters(queue, { url, logLevel: 'silent' });
    const rows: Record<string, Row> = {};
    for (const name of Object.keys(expected)) {
      const row: Row = { tries: tries.get(name) ?? [] };
      const letter = letters.find((l) => l.functionName === name);
      if (letter) row.dead = `${letter.errorType} (${letter.errorCategory})`;
      const [first, second] = starts.get(name) ?? [];
      if (expected[name]!.gapAtLeast !== undefined && first !== undefined && second !== undefined)
        row.gapAtLeast = second - first >= expected[name]!.gapAtLeast! ? expected[name]!.gapAtLeast : second - first;
      rows[name] = row;
    }
    return { rows, early };
  } finally {
    await client.close();
    await worker.close();
    await running;
  }
}

describe('in-process broker and RabbitMQ agree', () => {
  for (const [transport, url] of [
    ['memory://', `memory://${randomUUID()}`],
    ['RabbitMQ', AMQP_URL],
  ] as const) {
    it(`on ${transport}: every case ends as the table says, and the deferred job never runs early`, async () => {
      const queue = uniqueName('transports');
      try {
        const { rows, early } = await runTable(url, queue);
        assert.deepEqual(rows, expected);
        assert.deepEqual(early, []);
      } finally {
        if (!url.startsWith('memory:')) await deleteJobQueue(queue);
      }
    });
  }
});
