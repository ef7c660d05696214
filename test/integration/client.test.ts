import * as assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { z } from 'zod';
import {
  BrokerConfigurationError,
  Closed,
  ConnectionUnavailable,
  InvalidJobArgs,
  InvalidSchedule,
  MAX_DELAY_MS,
  MessageTooLarge,
  PublishNacked,
  PublishReturned,
  RabbitMQClient,
  Worker,
  isoDate,
} from '../../runtime/index.js';
import type { ClientSettings } from '../../runtime/index.js';
import {
  closeAdmin,
  connectionPids,
  deleteJobQueue,
  drainQueue,
  openSockets,
  queueDepth,
  recordingLogger,
  run,
  uniqueName,
  waitFor,
  withChannel,
} from '../helpers/broker.js';
import { startBrokerProxy } from '../helpers/tcp-proxy.js';

const queues: string[] = [];
const closers: Array<() => Promise<unknown>> = [];
let socketsBefore = 0;

function newQueue(label: string): string {
  const queue = uniqueName(label);
  queues.push(queue);
  return queue;
}

function newClient(settings: ClientSettings = {}): RabbitMQClient {
  const client = new RabbitMQClient({ logger: recordingLogger(), ...settings });
  closers.push(() => client.close());
  return client;
}

beforeEach(async () => {
  // The admin connection is opened first so the leak check counts only what the test opens.
  await queueDepth('amq.rabbitmq.trace').catch(() => undefined);
  socketsBefore = openSockets();
});

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  for (const queue of queues.splice(0)) await deleteJobQueue(queue);
  assert.ok(
    await waitFor(() => openSockets() <= socketsBefore, 5_000),
    `sockets leaked: ${openSockets()} open, ${socketsBefore} before`,
  );
});

after(closeAdmin);

describe('RabbitMQClient', () => {
  it('puts 10,000 jobs from enqueueJobs into the queue with the documented properties', async () => {
    const queue = newQueue('bulk');
    const client = newClient({ queue });
    const jobs = await client.enqueueJobs(
      Array.from({ length: 10_000 }, (_, i) => ({ name: 'process_data', args: { dataId: i } })),
    );
    assert.equal(jobs.length, 10_000);
    assert.equal(await queueDepth(queue), 10_000);

    const messages = await drainQueue(queue);
    assert.equal(messages.length, 10_000);
    const ids = new Set(jobs.map((job) => job.jobId));
    for (const message of messages) {
      const body = JSON.parse(message.content.toString('utf8')) as Record<string, unknown>;
      assert.ok(ids.delete(body.job_id as string), `unexpected or duplicate job ${String(body.job_id)}`);
      assert.equal(message.properties.messageId, body.job_id);
    }
    assert.equal(ids.size, 0, 'every enqueued job is in the queue exactly once');

    const first = messages[0];
    assert.ok(first);
    const body = JSON.parse(first.content.toString('utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), [
      'job_id',
      'function',
      'args',
      'kwargs',
      'job_try',
      'enqueue_time',
      'queue_name',
      'defer_until',
      'expires',
    ]);
    assert.match(body.job_id as string, /^[0-9a-f]{32}$/);
    assert.equal(body.function, 'process_data');
    assert.deepEqual(body.args, []);
    assert.equal(body.job_try, 1);
    assert.equal(body.queue_name, queue);
    assert.equal(body.defer_until, null);
    assert.equal(body.expires, null);
    assert.equal(first.properties.contentType, 'application/json');
    assert.equal(first.properties.deliveryMode, 2);
    assert.equal(first.properties.type, 'process_data');
    assert.equal(first.properties.timestamp, Math.floor(Date.parse(body.enqueue_time as string) / 1000));
    assert.equal(first.properties.headers?.['x-retry-count'], 0);
    assert.equal(first.properties.headers?.['x-arq-version'], 1);
  });

  it('keeps a job enqueued before any worker existed for the first worker', async () => {
    const queue = newQueue('early');
    const client = newClient({ queue });
    const job = await client.enqueueJob('greet', { name: 'Ada' });
    assert.equal(await queueDepth(queue), 1);

    const seen: Array<{ jobId: string; name: unknown }> = [];
    const worker = new Worker({
      queue,
      handleSignals: false,
      statsInterval: 0,
      logger: recordingLogger(),
      handlers: { greet: (ctx, args: { name: string }) => void seen.push({ jobId: ctx.jobId, name: args.name }) },
    });
    const running = worker.run();
    closers.push(async () => {
      await worker.close();
      await running;
    });
    assert.ok(await waitFor(() => seen.length === 1));
    assert.deepEqual(seen, [{ jobId: job.jobId, name: 'Ada' }]);
  });

  it('rejects an enqueue that the broker returns as unroutable', async () => {
    const queue = newQueue('returned');
    const client = newClient({ queue });
    await client.enqueueJob('first', {});
    // The client declared the queue once; deleting it behind its back makes the next publish unroutable.
    await deleteJobQueue(queue);
    await assert.rejects(client.enqueueJob('second', {}), (err: unknown) => {
      assert.ok(err instanceof PublishReturned);
      assert.equal(err.code, 'PUBLISH_RETURNED');
      assert.match(err.message, new RegExp(queue));
      return true;
    });
  });

  for (const queueType of ['quorum', 'classic'] as const)
    it(`rejects with PublishNacked what a full ${queueType} queue refuses, and queues exactly what it confirmed`, async () => {
      // The way a user meets a nack: an operator's policy caps the queue's length. Quorum job queues are
      // declared with x-overflow: reject-publish; a classic one (declared without arguments) gets it from the policy.
      const queue = newQueue(`full-${queueType}`);
      const policy = `${queue}-cap`;
      const definition = { 'max-length': 2, ...(queueType === 'classic' ? { overflow: 'reject-publish' } : {}) };
      await run('rabbitmqctl', [
        '-q',
        'set_policy',
        '--apply-to',
        'queues',
        '--priority',
        '100',
        policy,
        `^${queue}$`,
        JSON.stringify(definition),
      ]);
      closers.push(() => run('rabbitmqctl', ['-q', 'clear_policy', policy]));
      const client = newClient({ queue, queueType });
      // One at a time: a quorum queue learns it is over its limit after the write that crossed it, so
      // concurrent publishes may all pass, and even one by one it keeps one more than the limit.
      const confirmed: string[] = [];
      const refused: unknown[] = [];
      for (const letter of 'abcdef') {
        const jobId = letter.repeat(32);
        await client.enqueueJob('work', {}, { jobId }).then(
          () => confirmed.push(jobId),
          (err: unknown) => refused.push(err),
        );
      }
      assert.equal(confirmed.length, queueType === 'classic' ? 2 : 3, `confirmed: ${confirmed.join(', ')}`);
      assert.equal(refused.length, 6 - confirmed.length, 'once full, every later enqueue is refused');
      for (const err of refused) {
        assert.ok(err instanceof PublishNacked, String(err));
        assert.equal(err.code, 'PUBLISH_NACKED');
        assert.match(err.message, new RegExp(`the broker refused message \\w+ for queue "${queue}"`));
      }
      const queued = (await drainQueue(queue)).map((message) => String(message.properties.messageId));
      assert.deepEqual(queued, confirmed, 'every confirmed job is queued, and nothing else');
    });

  it('fails a bad URL within connectionTimeout, on one line, without the password', async () => {
    const client = newClient({ url: 'amqp://guest:s3cret-pass@127.0.0.1:1', connectionTimeout: 1_500 });
    const started = Date.now();
    await assert.rejects(client.connect(), (err: unknown) => {
      assert.ok(err instanceof ConnectionUnavailable);
      assert.doesNotMatch(err.message, /s3cret-pass/);
      assert.doesNotMatch(err.message, /\n/);
      assert.match(err.message, /127\.0\.0\.1:1/);
      return true;
    });
    assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
  });

  it('treats refused credentials as a configuration error at once', async () => {
    const client = newClient({ url: 'amqp://guest:wrong-password@127.0.0.1:5672', connectionTimeout: 20_000 });
    const started = Date.now();
    await assert.rejects(client.connect(), (err: unknown) => {
      assert.ok(err instanceof BrokerConfigurationError, String(err));
      assert.doesNotMatch(err.message, /wrong-password/);
      return true;
    });
    assert.ok(Date.now() - started < 10_000, 'does not retry until the deadline');
  });

  it('never loses an enqueue while the broker closes its connection', async () => {
    const queue = newQueue('closed');
    const marker = uniqueName('conn');
    const client = newClient({ queue, connectionName: marker });
    await client.connect();
    const outcomes: Array<Promise<{ jobId: string } | { error: unknown }>> = [];
    let stop = false;
    const producer = (async () => {
      let i = 0;
      while (!stop) {
        for (let k = 0; k < 20; k += 1) {
          const jobId = `job${String(i).padStart(8, '0')}`;
          i += 1;
          outcomes.push(
            client.enqueueJob('work', { i }, { jobId }).then(
              () => ({ jobId }),
              (error: unknown) => ({ error }),
            ),
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 400));
    const pids = await connectionPids(marker);
    assert.equal(pids.length, 1, 'finds exactly this client connection');
    await run('rabbitmqctl', ['-q', 'close_connection', pids[0] as string, 'test closes the connection']);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    stop = true;
    await producer;
    const settled = await Promise.all(outcomes);
    const confirmed = settled.flatMap((o) => ('jobId' in o ? [o.jobId] : []));
    const rejected = settled.length - confirmed.length;

    const counts = new Map<string, number>();
    for (const message of await drainQueue(queue))
      counts.set(String(message.properties.messageId), (counts.get(String(message.properties.messageId)) ?? 0) + 1);
    for (const jobId of confirmed)
      assert.equal(counts.get(jobId), 1, `confirmed job ${jobId} is in the queue exactly once`);
    for (const [jobId, count] of counts) assert.equal(count, 1, `job ${jobId} is not duplicated`);
    assert.ok(
      confirmed.length > 0 && settled.length > 100,
      `${settled.length} enqueues, ${confirmed.length} confirmed, ${rejected} rejected`,
    );
    const late = confirmed.filter((id) => Number(id.slice(3)) > settled.length - 50);
    assert.ok(late.length > 0, 'enqueues after the reconnect are confirmed again');
  });

  it('waits for the broker during an outage, then either publishes or rejects at the deadline', async () => {
    const proxy = await startBrokerProxy();
    closers.push(() => proxy.close());
    const queue = newQueue('outage');
    const client = newClient({ queue, url: proxy.url, connectionTimeout: 4_000 });
    await client.enqueueJob('before', {});

    proxy.cut();
    // Give the client a moment to see the socket close: a publish written into a dying socket is
    // EnqueueUnconfirmed (covered above), one made during a known outage waits.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const during = client.enqueueJob('during', {});
    const outcome = during.then(
      (job) => job,
      (error: unknown) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    proxy.restore();
    const job = await outcome;
    assert.ok(!(job instanceof Error), `enqueue during the outage failed: ${String(job)}`);
    assert.ok(await waitFor(async () => (await queueDepth(queue)) === 2));

    proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    await assert.rejects(client.enqueueJob('never', {}), ConnectionUnavailable);
    const waited = Date.now() - started;
    assert.ok(waited >= 3_500 && waited < 8_000, `rejected after ${waited} ms`);
    proxy.restore();
    assert.equal(await queueDepth(queue), 2);
  });

  it('reports a queue declared with other arguments as a configuration error naming the fix', async () => {
    const queue = newQueue('mismatch');
    await withChannel((channel) => channel.assertQueue(queue, { durable: true }));
    const client = newClient({ queue, queueType: 'quorum' });
    await assert.rejects(client.enqueueJob('x', {}), (err: unknown) => {
      assert.ok(err instanceof BrokerConfigurationError);
      assert.match(err.message, new RegExp(`queue "${queue}" exists as a classic queue`));
      assert.match(err.message, /queueType: 'classic'/);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
    // The client stays usable for other queues.
    const other = newQueue('after-mismatch');
    await client.enqueueJob('x', {}, { queue: other });
    assert.equal(await queueDepth(other), 1);
  });

  it('validates arguments with the job schema and publishes nothing on failure', async () => {
    const queue = newQueue('schema');
    const client = newClient({ queue });
    const args = z.object({ dataId: z.number().int(), when: isoDate, tags: z.array(z.string()).default([]) });
    await assert.rejects(client.enqueueJob('process', { dataId: 'one' }, {}, { args }), (err: unknown) => {
      assert.ok(err instanceof InvalidJobArgs);
      assert.deepEqual(
        err.issues.map((issue) => issue.path.join('.')),
        ['dataId', 'when'],
      );
      return true;
    });
    await client.enqueueJob(
      'process',
      { dataId: 7, when: new Date('2030-01-02T03:04:05Z'), extra: true },
      {},
      { args },
    );
    const [message] = await drainQueue(queue);
    assert.ok(message);
    const body = JSON.parse(message.content.toString('utf8')) as { kwargs: unknown };
    assert.deepEqual(body.kwargs, { dataId: 7, when: '2030-01-02T03:04:05.000Z', tags: [] });
  });

  it('refuses a job larger than maxMessageBytes', async () => {
    const queue = newQueue('large');
    const client = newClient({ queue, maxMessageBytes: 1_000 });
    await assert.rejects(client.enqueueJob('big', { blob: 'x'.repeat(2_000) }), MessageTooLarge);
    await client.enqueueJob('small', { blob: 'x' });
    assert.equal(await queueDepth(queue), 1);
  });

  it('defers through the delay ladder, never early, and refuses impossible schedules', async () => {
    const queue = newQueue('deferred');
    const client = newClient({ queue });
    const job = await client.enqueueJob('later', {}, { deferBy: 1_200 });
    assert.ok(job.deferUntil);
    assert.equal(await queueDepth(queue), 0);
    assert.ok(await waitFor(async () => (await queueDepth(queue)) === 1, 10_000));
    assert.ok(
      Date.now() >= job.deferUntil.getTime() - 100,
      'arrives no earlier than a unit before due (the worker waits the rest)',
    );
    const [message] = await drainQueue(queue);
    const body = JSON.parse(message?.content.toString('utf8') ?? '{}') as { defer_until: string };
    assert.equal(body.defer_until, job.deferUntil.toISOString());

    await assert.rejects(client.enqueueJob('x', {}, { deferBy: MAX_DELAY_MS + 1 }), InvalidSchedule);
    await assert.rejects(client.enqueueJob('x', {}, { deferBy: 10_000, expiresIn: 5_000 }), InvalidSchedule);
    await assert.rejects(client.enqueueJob('x', {}, { deferBy: 1, deferUntil: new Date() }), InvalidSchedule);
  });

  it('writes expiresIn and expiresAt as the wire deadline `expires`, and refuses both at once', async () => {
    const queue = newQueue('expiring');
    const client = newClient({ queue });
    const at = new Date(Date.now() + 3_600_000);
    const before = Date.now();
    await client.enqueueJob('absolute', {}, { expiresAt: at });
    await client.enqueueJob('relative', {}, { expiresIn: 60_000 });
    const after = Date.now();
    assert.ok(await waitFor(async () => (await queueDepth(queue)) === 2, 5_000));
    const bodies = (await drainQueue(queue)).map(
      (message) => JSON.parse(message.content.toString('utf8')) as { function: string; expires: string },
    );
    const expiresOf = (name: string) => Date.parse(bodies.find((body) => body.function === name)!.expires);
    assert.equal(expiresOf('absolute'), at.getTime());
    const relative = expiresOf('relative');
    assert.ok(relative >= before + 60_000 && relative <= after + 60_000, `expires ${relative} is 60 s after enqueue`);

    await assert.rejects(client.enqueueJob('x', {}, { expiresIn: 1_000, expiresAt: at }), InvalidSchedule);
    await assert.rejects(client.enqueueJob('x', {}, { expiresIn: 0 }), InvalidSchedule);
    await assert.rejects(client.enqueueJob('x', {}, { expiresAt: new Date(Number.NaN) }), InvalidSchedule);
  });

  it('keeps two channels however many enqueues, failures and re-opened channels it went through', async () => {
    const marker = uniqueName('channels');
    const classic = newQueue('classic-taken');
    await withChannel((channel) => channel.assertQueue(classic, { durable: true }));
    const queue = newQueue('channels');
    const client = newClient({ queue, connectionName: marker });
    await client.enqueueJobs(Array.from({ length: 500 }, (_, i) => ({ name: 'a', args: { i } })));
    await client.enqueueJob('deferred', {}, { deferBy: 200 });
    // Let it leave the ladder before the test deletes its queue (it would end in the unroutable queue).
    assert.ok(await waitFor(async () => (await queueDepth(queue)) === 501));
    // A 406 closes the declare channel; it must be replaced, not multiplied.
    for (let i = 0; i < 3; i += 1)
      await assert.rejects(client.enqueueJob('x', {}, { queue: classic }), BrokerConfigurationError);
    await client.enqueueJob('after', {}, { queue: newQueue('channels-after') });
    const [pid] = await connectionPids(marker);
    assert.ok(pid);
    const { stdout } = await run('rabbitmqctl', ['-q', 'list_channels', 'connection']);
    const channels = stdout.split('\n').filter((line) => line.trim() === pid).length;
    assert.equal(channels, 2, 'one publish channel and one declare channel');
  });

  it('closes idempotently and refuses work afterwards', async () => {
    const client = newClient({ queue: newQueue('closing') });
    await client.connect();
    const first = client.close();
    assert.equal(client.close(), first);
    await first;
    await assert.rejects(client.enqueueJob('x', {}), Closed);
  });
});
