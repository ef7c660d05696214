// What a worker remembers of the retries it published stays bounded: two workers share one queue (on the
// in-process broker and on RabbitMQ), each takes retries the other published, and once everything ran neither keeps an
// entry, in burst mode (which waits for its own retries) as well as without it (which keeps none).
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { RabbitMQClient, Retry, Worker } from '../../runtime/index.js';
import type { JobContext } from '../../runtime/index.js';
import { PendingRetries } from '../../runtime/worker/pending-retries.js';
import { AMQP_URL, closeAdmin, deleteJobQueue, recordingLogger, uniqueName, waitFor } from '../helpers/broker.js';

const JOBS = 2_000;

/** Per job, the worker that ran each try. */
type Runs = Map<string, Array<{ jobTry: number; worker: string }>>;

function workers(url: string, queue: string, burst: boolean, runs: Runs): Worker[] {
  return [1, 2].map(
    (n) =>
      new Worker({
        url,
        queue,
        workerName: `w${n}`,
        maxConcurrentJobs: 20,
        prefetchCount: 10,
        burst: burst ? { checkInterval: 50, timeout: 30_000 } : false,
        statsInterval: 0,
        handleSignals: false,
        logger: recordingLogger(),
        handlers: {
          flaky: (ctx: JobContext, args: { id: string }) => {
            runs.set(args.id, [...(runs.get(args.id) ?? []), { jobTry: ctx.jobTry, worker: `w${n}` }]);
            if (ctx.jobTry === 1) throw new Retry({ defer: 10 });
          },
        },
      }),
  );
}

async function enqueueAll(url: string, queue: string): Promise<void> {
  const client = new RabbitMQClient({ url, queue, logLevel: 'silent' });
  try {
    await client.enqueueJobs(Array.from({ length: JOBS }, (_, i) => ({ name: 'flaky', args: { id: `j${i}` } })));
  } finally {
    await client.close();
  }
}

function assertEachRanTwice(runs: Runs): void {
  assert.equal(runs.size, JOBS);
  for (const [id, seen] of runs)
    assert.deepEqual(
      seen.map((run) => run.jobTry),
      [1, 2],
      id,
    );
}

/** Retries that ran on the other worker than the one that published them. */
function crossed(runs: Runs): number {
  return [...runs.values()].filter(([first, second]) => first?.worker !== second?.worker).length;
}

describe('pending retries', () => {
  after(closeAdmin);

  for (const transport of ['memory', 'rabbitmq'] as const)
    it(`two workers without burst mode on ${transport}: every job retried once, and neither keeps an entry`, async () => {
      const url = transport === 'memory' ? `memory://${randomUUID()}` : AMQP_URL;
      const queue = uniqueName('pending');
      const runs: Runs = new Map();
      const pair = workers(url, queue, false, runs);
      const running = pair.map((worker) => worker.run());
      try {
        await enqueueAll(url, queue);
        assert.ok(
          await waitFor(() => pair.reduce((sum, worker) => sum + worker.stats.completed, 0) === JOBS, 60_000),
          'all jobs complete',
        );
        assertEachRanTwice(runs);
        assert.ok(
          pair.every((worker) => worker.stats.retried > 0),
          'both workers published retries',
        );
        assert.deepEqual(
          pair.map((worker) => worker.pendingRetryCount),
          [0, 0],
        );
      } finally {
        await Promise.all(pair.map((worker) => worker.close()));
        await Promise.all(running);
        if (transport === 'rabbitmq') await deleteJobQueue(queue);
      }
    });

  it('two burst workers on RabbitMQ: each stops once drained, forgetting the retries the other one ran', async () => {
    const queue = uniqueName('pending-burst');
    const runs: Runs = new Map();
    try {
      await enqueueAll(AMQP_URL, queue); // queued first: a burst worker on an empty queue stops at once
      const pair = workers(AMQP_URL, queue, true, runs);
      await Promise.all(pair.map((worker) => worker.run()));
      assertEachRanTwice(runs);
      assert.ok(crossed(runs) > 0, 'some retries ran on the other worker');
      const completedBy = pair.map((worker) => worker.stats.completed);
      assert.equal(completedBy[0]! + completedBy[1]!, JOBS);
      assert.deepEqual(
        pair.map((worker) => worker.pendingRetryCount),
        [0, 0],
      );
    } finally {
      await deleteJobQueue(queue);
    }
  });
});

describe('PendingRetries', () => {
  it('forgets a retry that came back, and one overdue by more than the slack (another worker took it)', () => {
    const pending = new PendingRetries(1_000);
    pending.published('a', 2, 10_000, 9_000);
    pending.published('b', 2, 10_000, 9_000);
    pending.delivered('a', 2);
    assert.equal(pending.size, 1);
    assert.equal(pending.awaiting(11_000), true, 'b is due, within the slack');
    assert.equal(pending.awaiting(11_001), false, 'b is overdue past the slack: it went elsewhere');
    assert.equal(pending.size, 0);
  });

  it('sweeps as retries are published, so a worker that never asks stays bounded', () => {
    const pending = new PendingRetries(1_000);
    for (let second = 0; second < 600; second += 1)
      for (let n = 0; n < 10; n += 1) pending.published(`${second}-${n}`, 2, second * 1_000 + 100, second * 1_000);
    // Due within 100 ms, forgotten 1 s after: only the last two or three seconds' retries remain.
    assert.ok(pending.size <= 30, `${pending.size} entries left`);
  });
});
