// Final records stay final: the BEGIN and FINISH scripts on a real Redis, and a worker process killed
// after it recorded `complete` and before its ack reached the broker, whose redelivery is acked
// without running the job again.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { RabbitMQClient } from '../../runtime/client/client.js';
import { NonRetryable } from '../../runtime/errors.js';
import { replayDeadLetters } from '../../runtime/operations/dead-letters.js';
import type { JobRecord } from '../../runtime/results/job-record.js';
import { ResultStore } from '../../runtime/results/result-store.js';
import type { JobContext } from '../../runtime/types.js';
import { closeAdmin, deleteJobQueue, queueDepth, uniqueName, waitFor } from '../helpers/broker.js';
import { events, startWorker } from '../helpers/worker-harness.js';
import { REDIS_URL, deleteKeys, uniquePrefix } from '../helpers/redis.js';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await closeAdmin();
});

async function openStore(label: string): Promise<ResultStore> {
  const keyPrefix = uniquePrefix(label);
  const store = await ResultStore.open({ url: REDIS_URL, keyPrefix, ttl: 60_000, connectionTimeout: 5_000 });
  cleanups.push(
    () => deleteKeys(keyPrefix),
    () => store.close(),
  );
  return store;
}

function record(jobId: string, status: JobRecord['status'], fields: Partial<JobRecord> = {}): JobRecord {
  return {
    jobId,
    status,
    functionName: 'work',
    queueName: 'q',
    tries: 1,
    enqueueTime: '2026-12-07T00:00:00.000Z',
    deferUntil: null,
    startTime: '2026-12-07T00:00:01.000Z',
    endTime: null,
    worker: 'w1',
    error: null,
    ...fields,
  };
}

describe('the BEGIN and FINISH scripts', () => {
  it('answers final to a begin over a complete record and leaves it as it was', async () => {
    const store = await openStore('final-begin');
    assert.equal(await store.begin(record('a', 'in_progress')), 'run');
    const complete = record('a', 'complete', { endTime: '2026-12-07T00:00:02.000Z', result: 42 });
    assert.equal(await store.finish(complete), 'ok');
    assert.equal(await store.begin(record('a', 'in_progress', { worker: 'w2', tries: 1 })), 'final');
    assert.deepEqual(await store.get('a'), complete);
  });

  it('answers final over failed, dead and expired, and aborted over aborted, writing nothing', async () => {
    const store = await openStore('final-each');
    for (const status of ['failed', 'dead', 'expired', 'aborted'] as const) {
      const final = record(status, status, { endTime: '2026-12-07T00:00:02.000Z' });
      await store.put(final);
      assert.equal(await store.begin(record(status, 'in_progress')), status === 'aborted' ? 'aborted' : 'final');
      assert.deepEqual(await store.get(status), final, status);
    }
  });

  it('never lets a later finish replace a final record', async () => {
    const store = await openStore('final-finish');
    const complete = record('b', 'complete', { result: 'kept' });
    await store.put(complete);
    assert.equal(await store.finish(record('b', 'expired')), 'final');
    assert.equal(await store.finish(record('b', 'retrying')), 'final');
    assert.deepEqual(await store.get('b'), complete);
  });

  it('runs a replayed dead letter once per replay token over its final record', async () => {
    const store = await openStore('final-replay');
    await store.put(record('c', 'failed'));
    assert.equal(await store.begin(record('c', 'in_progress', { replay: 'r1' })), 'run');
    assert.equal((await store.get('c'))?.status, 'in_progress');
    const failedAgain = record('c', 'failed', { replay: 'r1' });
    assert.equal(await store.finish(failedAgain), 'ok');
    assert.equal(await store.begin(record('c', 'in_progress', { replay: 'r1' })), 'final', 'same replay, redelivered');
    assert.equal(await store.begin(record('c', 'in_progress')), 'final', 'no replay token');
    assert.deepEqual(await store.get('c'), failedAgain);
    assert.equal(await store.begin(record('c', 'in_progress', { replay: 'r2' })), 'run', 'a later replay');
  });
});

describe('a worker killed between its outcome and its ack', () => {
  it('does not run the job again on redelivery, and its result is still readable', async () => {
    const queue = uniqueName('final-kill');
    const prefix = uniquePrefix('final-kill');
    cleanups.push(
      () => deleteJobQueue(queue),
      () => deleteKeys(prefix),
    );
    const seen: Array<{ event: string; id?: string; status?: string }> = [];
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', new URL('./fixtures/worker-process.ts', import.meta.url).pathname],
      {
        env: { ...process.env, QUEUE: queue, RESULT_STORE: REDIS_URL, KEY_PREFIX: prefix, HOLD_AFTER_END: '1' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => seen.push(JSON.parse(line)));
    assert.ok(await waitFor(() => seen.some((e) => e.event === 'ready'), 20_000), 'worker process did not start');

    const client = new RabbitMQClient({
      queue,
      resultStore: REDIS_URL,
      resultKeyPrefix: prefix,
      logLevel: 'silent',
    });
    cleanups.push(() => client.close());
    const job = await client.enqueueJob('answer', { id: 'once' });
    assert.ok(await waitFor(() => seen.some((e) => e.event === 'ended'), 10_000), 'the attempt ended');
    assert.equal(seen.find((e) => e.event === 'ended')?.status, 'complete');
    assert.equal(await job.status(), 'complete', 'the outcome is recorded');
    assert.equal(await queueDepth(queue), 0, 'the delivery is still held, unacked');
    child.kill('SIGKILL');
    await exited;
    assert.ok(await waitFor(async () => (await queueDepth(queue)) === 1, 10_000), 'the ack never reached the broker');

    const ran: string[] = [];
    const { worker, logger } = await startWorker({
      queue,
      resultStore: REDIS_URL,
      resultKeyPrefix: prefix,
      handlers: { answer: (_ctx: JobContext, args: { id: string }) => void ran.push(args.id) },
    });
    cleanups.push(() => worker.close());
    assert.ok(await waitFor(() => worker.stats.alreadyFinal === 1, 10_000), 'the redelivery was seen as final');
    assert.equal(events(logger, 'job.already_final').length, 1);
    assert.deepEqual(ran, [], 'not run again');
    assert.equal(seen.filter((e) => e.event === 'start').length, 1, 'the first worker ran it once');
    assert.ok(await waitFor(async () => (await queueDepth(queue)) === 0, 5_000));
    await worker.close();
    assert.equal(await queueDepth(queue), 0, 'acked, not requeued by the close');
    assert.deepEqual(await job.result({ timeout: 1_000 }), { answer: 42 });
    assert.equal(worker.stats.completed, 0);
  });
});

describe('a replayed dead letter', () => {
  it('runs again over its final record, and its new outcome replaces the old one', async () => {
    const queue = uniqueName('final-replay');
    const prefix = uniquePrefix('final-replay');
    cleanups.push(
      () => deleteJobQueue(queue),
      () => deleteKeys(prefix),
    );
    const ran: number[] = [];
    const { worker } = await startWorker({
      queue,
      resultStore: REDIS_URL,
      resultKeyPrefix: prefix,
      handlers: {
        flaky: () => {
          ran.push(ran.length + 1);
          if (ran.length === 1) throw new NonRetryable('first run fails for good');
          return 'second run';
        },
      },
    });
    cleanups.push(() => worker.close());
    const client = new RabbitMQClient({
      queue,
      resultStore: REDIS_URL,
      resultKeyPrefix: prefix,
      logLevel: 'silent',
    });
    cleanups.push(() => client.close());
    const job = await client.enqueueJob('flaky', {});
    assert.ok(await waitFor(async () => (await job.status()) === 'failed', 10_000));
    assert.ok(await waitFor(async () => (await queueDepth(`${queue}_dlq`)) === 1, 5_000));
    assert.equal((await replayDeadLetters(queue, { select: { all: true }, logLevel: 'silent' })).replayed, 1);
    assert.ok(await waitFor(async () => (await job.status()) === 'complete', 10_000), 'the replay ran');
    assert.deepEqual(ran, [1, 2]);
    assert.equal(await job.result({ timeout: 1_000 }), 'second run');
    assert.equal(worker.stats.alreadyFinal, 0);
  });
});
