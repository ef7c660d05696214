/** Hooks, stats and startup failures of an in-process worker. */
import * as assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { StartupFailed, Worker } from '../../runtime/index.js';
import type { JobOutcome, Locale } from '../../runtime/index.js';
import {
  closeAdmin,
  deleteJobQueue,
  openSockets,
  queueDepth,
  recordingLogger,
  uniqueName,
  waitFor,
} from '../helpers/broker.js';
import { withWorker } from '../helpers/with-worker.js';
import type { FixtureWorkerSettings } from '../helpers/with-worker.js';

const queues: string[] = [];

function newQueue(label: string): string {
  const queue = uniqueName(label);
  queues.push(queue);
  return queue;
}

afterEach(async () => {
  for (const queue of queues.splice(0)) await deleteJobQueue(queue);
});

after(closeAdmin);

describe('worker lifecycle', () => {
  it('runs hooks in order, shares state, and a throwing onJobEnd leaves a completed job completed', async () => {
    const calls: string[] = [];
    const outcomes: JobOutcome[] = [];
    const settings: FixtureWorkerSettings = {
      onStartup: (state) => {
        calls.push('startup');
        state.db = 'connected';
      },
      onJobStart: (ctx) => void calls.push(`start ${String(ctx.state.db)}`),
      handlers: {
        work: (ctx) => {
          calls.push(`handler ${String(ctx.state.db)}`);
          return 42;
        },
      },
      onJobEnd: (_ctx, outcome) => {
        calls.push('end');
        outcomes.push(outcome);
        throw new Error('onJobEnd broke');
      },
      onShutdown: (state) => void calls.push(`shutdown ${String(state.db)}`),
    };
    await withWorker(
      settings,
      async ({ worker, logger, running, client, queue }) => {
        assert.deepEqual(calls, ['startup']);
        await client.enqueueJob('work');
        assert.ok(await waitFor(() => calls.includes('end')));
        await worker.close();
        await running;
        assert.deepEqual(calls, ['startup', 'start connected', 'handler connected', 'end', 'shutdown connected']);
        assert.deepEqual(outcomes, [{ status: 'complete', result: 42 }]);
        assert.equal(worker.stats.completed, 1);
        assert.equal(worker.stats.failed, 0);
        assert.equal(await queueDepth(queue), 0, 'acked, not retried');
        assert.equal(await queueDepth(`${queue}_dlq`), 0);
        assert.ok(logger.lines.some((line) => line.level === 'error' && /onJobEnd broke/.test(line.message)));
      },
      { label: 'hooks' },
    );
  });

  it('a throwing onStartup stops the worker with a clear error and closes its connection', async () => {
    const queue = newQueue('startup');
    const sockets = openSockets();
    const worker = new Worker({
      queue,
      handleSignals: false,
      logger: recordingLogger(),
      handlers: { work: () => undefined },
      onStartup: () => {
        throw new Error('database unreachable');
      },
    });
    await assert.rejects(
      worker.run(),
      (err: unknown) =>
        err instanceof StartupFailed &&
        err.code === 'STARTUP_FAILED' &&
        /onStartup failed, worker not started: database unreachable/.test(err.message) &&
        (err.cause as Error).message === 'database unreachable',
    );
    assert.ok(await waitFor(() => openSockets() <= sockets, 5_000), 'no connection left open');
    await worker.close();
  });

  for (const [locale, pattern] of [
    ['en', /◆ 2 jobs complete ◆ 1 failed ◆ 1 retried ◆ 0 ongoing ◆ 0 dead-lettered/],
    ['zh-CN', /◆ 2 个任务完成 ◆ 1 个失败 ◆ 1 个重试 ◆ 0 个待完成 ◆ 0 个死信/],
  ] as Array<[Locale, RegExp]>) {
    it(`logs the stats line every statsInterval (${locale})`, async () => {
      let first = true;
      const settings: FixtureWorkerSettings = {
        locale,
        statsInterval: 200,
        retryBackoff: 50,
        handlers: {
          work: () => {
            if (first) {
              first = false;
              throw new Error('once');
            }
          },
          other: () => undefined,
        },
      };
      await withWorker(
        settings,
        async ({ logger, client }) => {
          await client.enqueueJob('work');
          await client.enqueueJob('other');
          assert.ok(
            await waitFor(
              () => logger.lines.some((line) => line.fields?.event === 'worker.stats' && pattern.test(line.message)),
              10_000,
            ),
            logger.lines.map((line) => line.message).join('\n'),
          );
        },
        { label: `stats-${locale}` },
      );
    });
  }

  it('close() is idempotent and can be called before run()', async () => {
    const worker = new Worker({
      queue: newQueue('idle'),
      handleSignals: false,
      logger: recordingLogger(),
      handlers: { a: () => undefined },
    });
    const first = worker.close();
    assert.equal(worker.close(), first);
    await first;
  });
});
