// Failover between the nodes of a `url` list, without a cluster: two TCP proxies in front of the one
// shared broker are the two "nodes". Cutting the proxy a client or worker is on is, to it, the loss of
// its node; the other proxy is the next live node. The shared broker itself is never stopped.
import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ConnectionUnavailable, Retry } from '../../runtime/errors.js';
import { RabbitMQClient } from '../../runtime/client/client.js';
import { RuntimeLog } from '../../runtime/messages.js';
import { BrokerConnection } from '../../runtime/transport/connection.js';
import type { JobContext } from '../../runtime/types.js';
import { AMQP_URL, closeAdmin, deleteJobQueue, recordingLogger, uniqueName, waitFor } from '../helpers/broker.js';
import { startBrokerProxy } from '../helpers/tcp-proxy.js';
import type { BrokerProxy } from '../helpers/tcp-proxy.js';
import { events } from '../helpers/worker-harness.js';
import { stopAndSettleAll, withWorker } from '../helpers/with-worker.js';

after(closeAdmin);

const DEAD_NODE = 'amqp://guest:guest@127.0.0.1:1';

async function twoNodes(): Promise<[BrokerProxy, BrokerProxy]> {
  return [await startBrokerProxy(), await startBrokerProxy()];
}

/** The proxy the one connection open so far goes through. */
function proxyInUse(proxies: readonly BrokerProxy[]): BrokerProxy {
  const used = proxies.filter((proxy) => proxy.connections() > 0);
  assert.equal(used.length, 1, `one proxy in use, not ${used.length}`);
  return used[0]!;
}

describe('failover between the nodes of a url list', () => {
  it('connects when the node it dials first is dead, and says which nodes it tried without a password', async () => {
    const logger = recordingLogger();
    const log = new RuntimeLog(logger, 'en', 'debug');
    const started = Date.now();
    const connection = await BrokerConnection.open({
      urls: [DEAD_NODE, AMQP_URL],
      firstNode: 0,
      connectionTimeout: 10_000,
      heartbeat: 60_000,
      connectionName: 'test failover dead-first',
      log,
    });
    try {
      assert.ok(Date.now() - started < 5_000, `connected after ${Date.now() - started} ms`);
      assert.equal(events(logger, 'connection.connected')[0]!.fields?.url, AMQP_URL.replace(/:[^:@/]*@/, ':***@'));
      const channel = await connection.scratchChannel(Date.now() + 5_000);
      await channel.close();
    } finally {
      await connection.close();
    }
    for (const line of logger.lines) assert.doesNotMatch(line.message, /:guest@/, 'no password in any line');

    // The same through the client, wherever its random start falls.
    const queue = uniqueName('failover-dead-first');
    const client = new RabbitMQClient({ url: [DEAD_NODE, AMQP_URL], queue, logLevel: 'silent' });
    try {
      await client.enqueueJob('noop', {});
    } finally {
      await client.close();
      await deleteJobQueue(queue);
    }
  });

  it('fails within connectionTimeout naming every node, passwords hidden, when none answers', async () => {
    const started = Date.now();
    await assert.rejects(
      BrokerConnection.open({
        urls: [DEAD_NODE, 'amqp://guest:guest@127.0.0.1:2'],
        connectionTimeout: 1_500,
        heartbeat: 60_000,
        connectionName: 'test failover none',
        log: new RuntimeLog(recordingLogger(), 'en', 'silent'),
      }),
      (err: unknown) => {
        assert.ok(err instanceof ConnectionUnavailable);
        assert.match(
          err.message,
          /^cannot connect to amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1,amqp:\/\/guest:\*\*\*@127\.0\.0\.1:2 within 1500 ms/,
        );
        return true;
      },
    );
    assert.ok(Date.now() - started < 3_000);
  });

  it('keeps working through the other node when the one in use is cut, twice, losing no confirmed job', async () => {
    const proxies = await twoNodes();
    const urls = proxies.map((proxy) => proxy.url);
    /** Runs per attempt (`jobId#jobTry`), and the jobs that completed. */
    const runs = new Map<string, number>();
    const completed = new Set<string>();
    try {
      await withWorker(
        {
          url: urls,
          retryBackoff: 50,
          retryBackoffMax: 50,
          handlers: {
            work: async (ctx: JobContext) => {
              const attempt = `${ctx.jobId}#${ctx.jobTry}`;
              runs.set(attempt, (runs.get(attempt) ?? 0) + 1);
              await new Promise((resolve) => setTimeout(resolve, 5));
              // Every seventh job fails once: retries (successor publishes) are in flight across the cuts.
              if (Number(ctx.jobId.slice(4)) % 7 === 0 && ctx.jobTry === 1) throw new Retry({ defer: 50 });
              completed.add(ctx.jobId);
            },
          },
        },
        async ({ worker, logger, client, queue, delayPrefix }) => {
          // Only the worker is connected yet (the client connects on first use).
          const first = proxyInUse(proxies);
          const second = proxies.find((proxy) => proxy !== first)!;
          const total = 600;
          const confirmed: string[] = [];
          const rejected: string[] = [];
          const producing = (async () => {
            for (let n = 0; n < total; n += 20) {
              const batch = Array.from({ length: 20 }, (_, i) => `job-${n + i}`);
              await Promise.all(
                batch.map((jobId) =>
                  client.enqueueJob('work', {}, { jobId }).then(
                    () => void confirmed.push(jobId),
                    (err: unknown) => void rejected.push((err as { code?: string }).code ?? String(err)),
                  ),
                ),
              );
              await new Promise((resolve) => setTimeout(resolve, 10));
            }
          })();

          // Cut 1: the worker's node. The worker (and the client, if it started there) moves to the other one.
          assert.ok(await waitFor(() => completed.size >= 100, 20_000), 'work runs before the cut');
          first.cut();
          let cutAt = completed.size;
          assert.ok(await waitFor(() => completed.size >= cutAt + 50, 15_000), 'work resumes after cut 1');
          assert.equal(first.connections(), 0);
          first.restore();

          // Cut 2: the node everything is on now; everything moves back to the first.
          assert.ok(await waitFor(() => second.connections() === 2, 5_000), 'client and worker on the second node');
          second.cut();
          cutAt = completed.size;
          assert.ok(await waitFor(() => completed.size >= cutAt + 50, 15_000), 'work resumes after cut 2');
          assert.equal(first.connections(), 2, 'client and worker moved to the first node');
          second.restore();

          await producing;
          const lost = (): string[] => confirmed.filter((jobId) => !completed.has(jobId));
          assert.ok(await waitFor(() => lost().length === 0, 30_000), `confirmed jobs never completed: ${lost()}`);
          const settled = await stopAndSettleAll(worker, queue, delayPrefix);
          assert.deepEqual(settled, { ready: 0, dead: 0 }, 'nothing left in the queue or the DLQ');

          for (const code of rejected)
            assert.ok(['ENQUEUE_UNCONFIRMED', 'CONNECTION_UNAVAILABLE'].includes(code), `enqueue rejected: ${code}`);
          assert.equal(confirmed.length + rejected.length, total);
          // A delivery acked on a channel it did not come from closes that channel (PRECONDITION_FAILED, 406):
          // the consumer would stop for good and say so.
          assert.deepEqual(events(logger, 'channel.failed'), []);
          for (const line of logger.lines) assert.doesNotMatch(line.message, /PRECONDITION|unknown delivery tag/);
          assert.equal(events(logger, 'connection.recovered').length, 2, 'the worker failed over twice');
          const duplicates = [...runs.values()].reduce((sum, count) => sum + count - 1, 0);
          // Each cut returns at most the prefetch window (10) of unacked deliveries, each run again once; one
          // that had already failed and whose retry was confirmed fails again and retries again: two at most.
          assert.ok(duplicates <= 2 * 2 * 10, `${duplicates} attempts ran twice`);
          console.log(
            `failover: ${confirmed.length} confirmed, ${rejected.length} rejected (${[...new Set(rejected)].join(', ') || '-'}), ` +
              `0 confirmed lost, ${duplicates} attempts ran twice, ${events(logger, 'job.outcome_dropped').length} successors dropped`,
          );
        },
        { privateLadder: true, client: { url: urls, logLevel: 'silent' } },
      );
    } finally {
      for (const proxy of proxies) await proxy.close();
    }
  });

  it('moves on from a node that hangs instead of waiting out its connect timeout there', async () => {
    const proxies = await twoNodes();
    const done: string[] = [];
    try {
      await withWorker(
        {
          url: proxies.map((proxy) => proxy.url),
          connectionTimeout: 20_000,
          handlers: { work: (ctx: JobContext) => void done.push(ctx.jobId) },
        },
        async ({ logger, client }) => {
          const hung = proxyInUse(proxies);
          await client.enqueueJob('work', {}, { jobId: 'before' });
          assert.ok(await waitFor(() => done.includes('before'), 10_000));
          // The node accepts TCP and never answers: dialling it again would wait the whole connect timeout.
          hung.stall();
          const stalledAt = Date.now();
          assert.ok(await waitFor(() => events(logger, 'connection.recovered').length === 1, 10_000), 'recovered');
          await client.enqueueJob('work', {}, { jobId: 'after' });
          assert.ok(await waitFor(() => done.includes('after'), 10_000));
          assert.ok(Date.now() - stalledAt < 10_000, `resumed after ${Date.now() - stalledAt} ms`);
          hung.restore();
        },
      );
    } finally {
      for (const proxy of proxies) await proxy.close();
    }
  });

  it('never publishes the successor of a delivery whose channel went with its node', async () => {
    const proxies = await twoNodes();
    const runs: Array<{ jobTry: number; redelivered: boolean }> = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    try {
      await withWorker(
        {
          url: proxies.map((proxy) => proxy.url),
          retryBackoff: 50,
          retryBackoffMax: 50,
          handlers: {
            flaky: async (ctx: JobContext) => {
              runs.push({ jobTry: ctx.jobTry, redelivered: ctx.redelivered });
              if (ctx.redelivered) return;
              // The first run outlives its channel, then fails: its retry must not be published.
              await gate;
              throw new Error('failed after its node was gone');
            },
          },
        },
        async ({ worker, logger, client, queue, delayPrefix }) => {
          const node = proxyInUse(proxies);
          await client.enqueueJob('flaky', {});
          assert.ok(await waitFor(() => runs.length === 1, 10_000), 'the job started');
          node.cut();
          assert.ok(await waitFor(() => runs.length === 2, 15_000), 'the broker redelivered it through the other node');
          release();
          const ended = (): number => events(logger, 'job.outcome_dropped').length + events(logger, 'job.retry').length;
          assert.ok(await waitFor(() => ended() === 1, 10_000), 'the first run ended');
          // A retry published anyway would be in the ladder, in the queue, or have run by now.
          const settled = await stopAndSettleAll(worker, queue, delayPrefix);
          assert.deepEqual(settled, { ready: 0, dead: 0 });
          assert.deepEqual(runs, [
            { jobTry: 1, redelivered: false },
            { jobTry: 1, redelivered: true },
          ]);
          assert.deepEqual(events(logger, 'job.retry'), [], 'no retry was published for the lost delivery');
          assert.equal(events(logger, 'job.outcome_dropped').length, 1);
          assert.deepEqual(events(logger, 'job.outcome_unpublished'), []);
        },
        { privateLadder: true },
      );
    } finally {
      for (const proxy of proxies) await proxy.close();
    }
  });
});
