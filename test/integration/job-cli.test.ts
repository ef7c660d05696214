// `rabbitmq-arq job status|result|abort` as an operator runs them: real processes reading the records a
// real client and worker wrote to Redis.
import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RabbitMQClient } from '../../runtime/client/client.js';
import { NonRetryable } from '../../runtime/errors.js';
import { closeAdmin, deleteJobQueue, uniqueName } from '../helpers/broker.js';
import { startWorker } from '../helpers/worker-harness.js';
import { REDIS_URL, deleteKeys, uniquePrefix } from '../helpers/redis.js';
import { runRabbitmqArq } from '../helpers/cli.js';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await closeAdmin();
});

/** The store comes from each call's flags or env, never from the environment the tests run in. */
const jobCli = (env: NodeJS.ProcessEnv, ...args: string[]) => runRabbitmqArq(args, { ARQ_RESULT_STORE: '', ...env });

describe('rabbitmq-arq job', () => {
  it('shows status, prints results and failures with their exit codes, waits with --wait, and aborts a queued job', async () => {
    const queue = uniqueName('job-cli');
    const prefix = uniquePrefix('job-cli');
    cleanups.push(
      () => deleteJobQueue(queue),
      () => deleteKeys(prefix),
    );
    const client = new RabbitMQClient({
      queue,
      resultStore: REDIS_URL,
      resultKeyPrefix: prefix,
      logLevel: 'silent',
    });
    cleanups.push(() => client.close());
    const store = ['--result-store', REDIS_URL, '--result-key-prefix', prefix];

    const done = await client.enqueueJob('sum', { a: 2, b: 3 });
    const refused = await client.enqueueJob('refuse', {});
    const later = await client.enqueueJob('sum', { a: 1, b: 1 }, { deferBy: 1_500 });
    const never = await client.enqueueJob('sum', { a: 0, b: 0 }, { deferBy: 60_000 });

    const queued = await jobCli({}, 'job', 'status', done.jobId, ...store);
    assert.equal(queued.code, 0, queued.stderr);
    assert.match(queued.stdout, /^job {10}\S+\nstatus {7}queued\nfunction {5}sum\n/);
    const notYet = await jobCli({}, 'job', 'result', done.jobId, ...store);
    assert.equal(notYet.code, 4, 'no result yet, and no --wait');
    assert.match(notYet.stderr, /has not finished: queued/);

    const aborted = await jobCli({}, 'job', 'abort', never.jobId, ...store);
    assert.equal(aborted.code, 0, aborted.stderr);
    assert.match(aborted.stdout, /aborted before it ran/);

    const { worker } = await startWorker({
      queue,
      resultStore: REDIS_URL,
      resultKeyPrefix: prefix,
      handlers: {
        sum: (_ctx: unknown, args: { a: number; b: number }) => ({ total: args.a + args.b }),
        refuse: () => {
          throw new NonRetryable('not today');
        },
      },
    });
    cleanups.push(() => worker.close());

    // The store from the environment, as in a container.
    const waited = await jobCli(
      { ARQ_RESULT_STORE: REDIS_URL },
      'job',
      'result',
      later.jobId,
      '--result-key-prefix',
      prefix,
      '--wait',
      '20s',
    );
    assert.equal(waited.code, 0, waited.stderr);
    assert.deepEqual(JSON.parse(waited.stdout), { total: 2 });
    const result = await jobCli({}, 'job', 'result', done.jobId, ...store);
    assert.equal(result.code, 0);
    assert.deepEqual(JSON.parse(result.stdout), { total: 5 });

    const failure = await jobCli({}, 'job', 'result', refused.jobId, ...store, '--wait', '10s');
    assert.equal(failure.code, 1);
    assert.match(failure.stderr, /job ended failed: NonRetryable \(NON_RETRYABLE\): not today/);
    const record = await jobCli({}, 'job', 'status', refused.jobId, ...store, '--json');
    assert.equal(record.code, 0);
    assert.equal((JSON.parse(record.stdout) as { status: string }).status, 'failed');

    const abortedStatus = await jobCli({}, 'job', 'status', never.jobId, ...store, '--json');
    assert.equal((JSON.parse(abortedStatus.stdout) as { status: string }).status, 'aborted');
    const tooLate = await jobCli({}, 'job', 'abort', done.jobId, ...store);
    assert.equal(tooLate.code, 1);
    assert.match(tooLate.stdout, /already finished \(complete\)/);

    const missing = await jobCli({}, 'job', 'status', 'no-such-job', ...store);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /no job no-such-job in the result store/);
    const noStore = await jobCli({}, 'job', 'status', done.jobId);
    assert.equal(noStore.code, 1);
    assert.match(noStore.stderr, /^rabbitmq-arq job status: no result store: give --result-store/);
  });

  it('exits 5, not 1 as for a failed job, when the result store does not answer', async () => {
    // Nothing listens on port 1: the store is unreachable, as when Redis is down.
    const unreachable = ['--result-store', 'redis://:s3cret@127.0.0.1:1'];
    const runs = await Promise.all(
      ['result', 'status', 'abort'].map((command) => jobCli({}, 'job', command, 'some-job', ...unreachable)),
    );
    for (const [i, command] of ['result', 'status', 'abort'].entries()) {
      const run = runs[i]!;
      assert.equal(run.code, 5, `job ${command}: ${run.stderr}`);
      assert.match(
        run.stderr,
        new RegExp(`^rabbitmq-arq job ${command}: result store redis://:\\*\\*\\*@127\\.0\\.0\\.1:1 is unavailable`),
      );
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.doesNotMatch(run.stderr, /s3cret/);
    }
  });
});
