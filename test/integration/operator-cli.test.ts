/** The operator commands as a user runs them: real `rabbitmq-arq` processes against the real broker. */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, afterEach, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { NonRetryable, RabbitMQClient, Worker } from '../../runtime/index.js';
import type { JobContext } from '../../runtime/index.js';
import {
  closeAdmin,
  consumerCount,
  deleteJobQueue,
  withChannel,
  queueDepth,
  recordingLogger,
  uniqueName,
  waitFor,
} from '../helpers/broker.js';

const main = new URL('../../cli/main.ts', import.meta.url).pathname;
const schema = new URL('../../jobs.schema.ts', import.meta.url).pathname;
const queues: string[] = [];

async function rabbitmqArq(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return rabbitmqArqWith({}, ...args);
}

async function rabbitmqArqWith(
  env: NodeJS.ProcessEnv,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', main, ...args], {
      timeout: 120_000,
      env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: '', LC_MESSAGES: '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function queueFor(prefix: string): string {
  const queue = uniqueName(prefix);
  queues.push(queue);
  return queue;
}

afterEach(async () => {
  for (const queue of queues.splice(0)) await deleteJobQueue(queue);
});
after(closeAdmin);

const validArgs = JSON.stringify({ dataId: 1, action: 'process', payload: 'x' });

describe('rabbitmq-arq enqueue', () => {
  it('without a schema refuses, naming --schema and --unchecked, and publishes nothing; --unchecked publishes as given', async () => {
    const queue = queueFor('cli-enqueue-unchecked');
    const refused = await rabbitmqArq('enqueue', 'procesData', '--args', validArgs, '-q', queue);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, '');
    const lines = refused.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, refused.stderr);
    assert.match(
      lines[0] ?? '',
      /^rabbitmq-arq enqueue: not publishing "procesData" unchecked: .*UNKNOWN_JOB.*--schema .*--unchecked/,
    );
    assert.equal(await queueDepth(queue), undefined, 'a refused call declared or published something');

    const unchecked = await rabbitmqArq(
      'enqueue',
      'procesData',
      '--args',
      validArgs,
      '-q',
      queue,
      '--unchecked',
      '--job-id',
      'u-1',
    );
    assert.equal(unchecked.code, 0, unchecked.stderr);
    assert.equal(unchecked.stdout, 'u-1\n');
    assert.equal(await queueDepth(queue), 1, '--unchecked publishes the job as given');
  });

  it('validates against the schema, prints the job id, and publishes nothing when the args are invalid', async () => {
    const queue = queueFor('cli-enqueue');
    const invalid = await rabbitmqArq(
      'enqueue',
      'processData',
      '--args',
      '{"dataId":"one"}',
      '--schema',
      schema,
      '-q',
      queue,
    );
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /^rabbitmq-arq enqueue: invalid arguments for job "processData": dataId: /);
    assert.equal(await queueDepth(queue), undefined, 'an invalid call declared or published something');

    const unknown = await rabbitmqArq('enqueue', 'noSuchJob', '--args', '{}', '--schema', schema, '-q', queue);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /has no job "noSuchJob"; its jobs are .*processData/);

    const ok = await rabbitmqArq(
      'enqueue',
      'processData',
      '--args',
      validArgs,
      '--schema',
      schema,
      '-q',
      queue,
      '--job-id',
      'j-1',
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'j-1\n');
    assert.equal(await queueDepth(queue), 1);

    const deferred = await rabbitmqArq(
      'enqueue',
      'processData',
      '--args',
      validArgs,
      '--schema',
      schema,
      '-q',
      queue,
      '--defer',
      '1h',
    );
    assert.equal(deferred.code, 0, deferred.stderr);
    assert.match(deferred.stdout, /^[0-9a-f]{32}\n$/);
    assert.equal(await queueDepth(queue), 1, 'a deferred job waits in the delay ladder, not the queue');
  });
});

describe('rabbitmq-arq queue-info and purge-queue', () => {
  it('reports depth and dead letters, refuses to purge without --yes off a terminal, and purges with it', async () => {
    const queue = queueFor('cli-purge');
    const client = new RabbitMQClient({ queue, logger: recordingLogger() });
    try {
      await client.enqueueJobs([1, 2, 3].map((n) => ({ name: 'anything', args: { n } })));
    } finally {
      await client.close();
    }
    const info = await rabbitmqArq('queue-info', '-q', queue, '--json');
    assert.equal(info.code, 0, info.stderr);
    const parsed = JSON.parse(info.stdout) as Record<string, unknown>;
    assert.deepEqual(
      { ready: parsed.ready, unacked: parsed.unacked, consumers: parsed.consumers, deadLetters: parsed.deadLetters },
      { ready: 3, unacked: null, consumers: 0, deadLetters: 0 },
    );
    const text = await rabbitmqArq('queue-info', '-q', queue);
    assert.match(text.stdout, /ready +3\nunacked +unknown \(give --management-url\)/);

    const refused = await rabbitmqArq('purge-queue', '-q', queue);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /without --yes \(stdin is not a terminal\)/);
    assert.equal(await queueDepth(queue), 3, 'a refused purge removed something');

    const purged = await rabbitmqArq('purge-queue', '-q', queue, '--yes');
    assert.equal(purged.code, 0, purged.stderr);
    assert.equal(purged.stdout, `removed 3 jobs from ${queue}\n`);
    assert.equal(await queueDepth(queue), 0);
  });

  it('says in one line, without the password, that no broker answers', async () => {
    const started = Date.now();
    const dead = await rabbitmqArq('queue-info', '-q', 'x', '-u', 'amqp://guest:s3cret-pw@127.0.0.1:1');
    assert.equal(dead.code, 1);
    assert.ok(Date.now() - started < 20_000, 'the CLI waits 5 s by default, not 30');
    assert.match(
      dead.stderr,
      /^rabbitmq-arq queue-info: cannot connect to amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1 within 5000 ms/,
    );
    assert.match(dead.stderr, /rabbitmq-server -detached/);
    assert.equal(dead.stderr.trim().split('\n').length, 1);
    assert.doesNotMatch(dead.stderr + dead.stdout, /s3cret/);
  });
});

describe('rabbitmq-arq dlq', () => {
  it('lists dead jobs with their reasons, replays 1,000 of them with a fresh attempt count exactly once, and purges', async () => {
    const queue = queueFor('cli-dlq');
    const total = 1_000;
    let failing = true;
    const completed = new Map<number, number>();
    const triesSeen = new Set<number>();
    const flaky = (ctx: JobContext, args: { n: number }): void => {
      if (failing)
        throw ctx.jobTry > 1 ? new NonRetryable(`gave up on ${args.n}`) : new Error(`first try of ${args.n}`);
      triesSeen.add(ctx.jobTry);
      completed.set(args.n, (completed.get(args.n) ?? 0) + 1);
    };
    const newWorker = (): Worker =>
      new Worker({
        handlers: { flaky },
        queue,
        maxRetries: 1,
        retryBackoff: 50,
        maxConcurrentJobs: 50,
        statsInterval: 0,
        handleSignals: false,
        logger: recordingLogger(),
      });
    let worker = newWorker();
    let running = worker.run();
    const client = new RabbitMQClient({ queue, logger: recordingLogger() });
    try {
      await client.enqueueJobs(Array.from({ length: total }, (_, n) => ({ name: 'flaky', args: { n } })));
      assert.ok(await waitFor(async () => (await queueDepth(`${queue}_dlq`)) === total, 60_000), 'not all dead');

      const listed = await rabbitmqArq('dlq', 'list', '-q', queue, '--limit', '3', '--json');
      assert.equal(listed.code, 0, listed.stderr);
      const letters = listed.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.equal(letters.length, 3);
      for (const letter of letters) {
        assert.equal(letter.functionName, 'flaky');
        assert.equal(letter.errorType, 'NonRetryable');
        assert.equal(letter.errorCategory, 'non_retriable');
        assert.equal(letter.tries, 2);
        assert.match(String(letter.errorMessage), /^gave up on \d+$/);
        assert.match(String(letter.failedAt), /^\d{4}-\d\d-\d\dT/);
      }
      const human = await rabbitmqArq('dlq', 'list', '-q', queue, '--limit', '1');
      assert.match(
        human.stdout,
        /flaky {2}tries=2 {2}\S+ {2}NonRetryable \[NON_RETRYABLE\] \(non_retriable\): gave up on \d+/,
      );
      assert.equal(await queueDepth(`${queue}_dlq`), total, 'listing removed dead letters');

      const none = await rabbitmqArq('dlq', 'replay', '-q', queue, '--error-type', 'JobTimeout');
      assert.equal(none.code, 0, none.stderr);
      assert.equal(none.stdout, `replayed 0 jobs into ${queue}; ${total} left in ${queue}_dlq\n`);

      failing = false;
      const replay = await rabbitmqArq('dlq', 'replay', '-q', queue, '--all');
      assert.equal(replay.code, 0, replay.stderr);
      assert.equal(replay.stdout, `replayed ${total} jobs into ${queue}; 0 left in ${queue}_dlq\n`);
      assert.ok(await waitFor(() => completed.size === total, 60_000), `${completed.size} of ${total} completed`);
      // Settled: the worker stopped and the queue has taken back whatever it held (its retries skip the ladder).
      await worker.close();
      await running;
      assert.ok(await waitFor(async () => (await consumerCount(queue)) === 0, 10_000), 'the consumer is still there');
      assert.equal(await queueDepth(queue), 0);
      assert.deepEqual(
        [...completed.values()].filter((count) => count !== 1),
        [],
        'a replayed job ran twice',
      );
      assert.deepEqual([...triesSeen], [1], 'replayed jobs did not start from attempt 1');
      assert.equal(await queueDepth(`${queue}_dlq`), 0);

      failing = true;
      worker = newWorker();
      running = worker.run();
      await client.enqueueJob('flaky', { n: -1 }, { jobId: 'one-dead' });
      assert.ok(await waitFor(async () => (await queueDepth(`${queue}_dlq`)) === 1, 30_000));
      const refused = await rabbitmqArq('dlq', 'purge', '-q', queue);
      assert.equal(refused.code, 1);
      assert.equal(await queueDepth(`${queue}_dlq`), 1);
      const purged = await rabbitmqArq('dlq', 'purge', '-q', queue, '--yes');
      assert.equal(purged.stdout, `removed 1 dead letter from ${queue}_dlq\n`);
      assert.equal(await queueDepth(`${queue}_dlq`), 0);
    } finally {
      await client.close();
      await worker.close();
      await running;
    }
  });

  it('replays one job by id and leaves the others', async () => {
    const queue = queueFor('cli-dlq-one');
    const worker = new Worker({
      handlers: { doomed: () => Promise.reject(new NonRetryable('no')) },
      queue,
      statsInterval: 0,
      handleSignals: false,
      logger: recordingLogger(),
    });
    const running = worker.run();
    const client = new RabbitMQClient({ queue, logger: recordingLogger() });
    try {
      await client.enqueueJobs(['a', 'b', 'c'].map((id) => ({ name: 'doomed', options: { jobId: `job-${id}` } })));
      assert.ok(await waitFor(async () => (await queueDepth(`${queue}_dlq`)) === 3, 30_000));
      await worker.close();
      await running;
      const replay = await rabbitmqArq('dlq', 'replay', '-q', queue, '--job-id', 'job-b');
      assert.equal(replay.stdout, `replayed 1 job into ${queue}; 2 left in ${queue}_dlq\n`, replay.stderr);
      assert.equal(await queueDepth(queue), 1);
      assert.equal(await queueDepth(`${queue}_dlq`), 2);
      const both = await rabbitmqArq('dlq', 'replay', '-q', queue, '--all', '--job-id', 'x');
      assert.equal(both.code, 1);
      assert.match(both.stderr, /give exactly one of --all, --job-id ID or --error-type TYPE/);
    } finally {
      await client.close();
      await worker.close();
    }
  });
});

describe('rabbitmq-arq validate-config', () => {
  const module = `${new URL('./fixtures/cli-worker-module.ts', import.meta.url).pathname}:workerSettings`;

  it('passes a good configuration, and reports every settings problem at once', async () => {
    const queue = queueFor('cli-validate-ok');
    const good = await rabbitmqArqWith({ ARQ_QUEUE: queue }, 'validate-config', '-m', module);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /configuration ok\n$/);

    const bad = await rabbitmqArqWith(
      { ARQ_QUEUE: queue, ARQ_MAX_CONCURRENT_JOBS: '0', ARQ_PREFETCH_COUNT: '70000' },
      'validate-config',
      '-m',
      module,
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /FAIL settings: maxConcurrentJobs: must be greater than 0\n/);
    assert.match(bad.stdout, /FAIL settings: prefetchCount: must be at most 65535\n/);
  });

  it('catches a queue declared with other arguments and a job timeout above the consumer timeout', async () => {
    const queue = queueFor('cli-validate-bad');
    await withChannel((channel) => channel.assertQueue(queue, { durable: true }));
    const report = await rabbitmqArqWith(
      { ARQ_QUEUE: queue, ARQ_JOB_TIMEOUT: '2h' },
      'validate-config',
      '-m',
      module,
      '--consumer-timeout',
      '30m',
    );
    assert.equal(report.code, 1, report.stdout);
    assert.match(
      report.stdout,
      new RegExp(`FAIL queue ${queue}: queue "${queue}" exists as a classic queue.*set queueType: 'classic'`),
    );
    assert.match(
      report.stdout,
      /FAIL timeouts: a job may run 7200000 ms, not below the broker's consumer_timeout of 1800000 ms/,
    );
    assert.match(report.stdout, /2 problems found\n$/);
    assert.equal(await queueDepth(queue), 0, 'the check changed the queue');
  });
});

describe('rabbitmq-arq --help and --version', () => {
  it('lists every command, without colour when piped', async () => {
    const help = await rabbitmqArq('--help');
    assert.equal(help.code, 0);
    for (const command of [
      'worker',
      'enqueue',
      'queue-info',
      'purge-queue',
      'dlq list',
      'dlq replay',
      'dlq purge',
      'validate-config',
    ])
      assert.ok(help.stdout.includes(`rabbitmq-arq ${command} `), `--help does not list ${command}`);
    assert.ok(!help.stdout.includes('rabbitmq-arq generate'), 'generate is the arq-gen package, not rabbitmq-arq');
    assert.ok(!help.stdout.includes(String.fromCharCode(27)), 'colour codes in piped output');
    const version = await rabbitmqArq('--version');
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  });
});
