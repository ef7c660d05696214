// The result store on Redis Sentinel and on Redis Cluster, each started by this file on private
// ports: enqueue, result, abort and dedup round trips on both; on Sentinel, what survives a failover
// and what `result()` answers for each kind of record the failover lost.
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RabbitMQClient } from '../../runtime/client/client.js';
import type { TrackedJob } from '../../runtime/client/job.js';
import { JobFailed, JobNotFound, ResultTimeout } from '../../runtime/errors.js';
import type { JobContext } from '../../runtime/types.js';
import { closeAdmin, deleteJobQueue, uniqueName, waitFor } from '../helpers/broker.js';
import { CLIENT_USER, PrivateCluster, PrivateSentinelGroup } from '../helpers/redis-topologies.js';
import { events, startWorker } from '../helpers/worker-harness.js';
import { storeClient, uniquePrefix } from '../helpers/redis.js';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await closeAdmin();
});

function trackedClient(queue: string, prefix: string, url: string) {
  const client = storeClient(queue, prefix, url);
  cleanups.push(() => client.close());
  return client;
}

/** Handlers of the round trip: `sum` returns a + b; `hold` runs until it is aborted. */
const roundTripHandlers = {
  sum: (_ctx: JobContext, args: { a: number; b: number }) => args.a + args.b,
  hold: (ctx: JobContext) =>
    new Promise<never>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
};

async function roundTrip(url: string): Promise<void> {
  const queue = uniqueName('topology');
  const prefix = uniquePrefix('topology');
  cleanups.push(() => deleteJobQueue(queue));
  const client = trackedClient(queue, prefix, url);
  const { worker } = await startWorker({
    queue,
    resultStore: url,
    resultKeyPrefix: prefix,
    handlers: roundTripHandlers,
  });
  cleanups.push(() => worker.close());

  const jobs = await Promise.all(Array.from({ length: 12 }, (_, n) => client.enqueueJob('sum', { a: n, b: 100 })));
  const results = await Promise.all(jobs.map((job) => job.result({ timeout: 15_000 })));
  assert.deepEqual(
    results,
    jobs.map((_, n) => n + 100),
  );

  const jobId = uniqueName('once');
  const first = await client.enqueueJob('sum', { a: 1, b: 1 }, { jobId });
  const again = await client.enqueueJob('sum', { a: 9, b: 9 }, { jobId });
  assert.equal(await again.result({ timeout: 15_000 }), 2, 'the second enqueue of an id is the first job');
  assert.equal(first.jobId, again.jobId);

  const held = await client.enqueueJob('hold', {});
  assert.ok(await waitFor(async () => (await held.status()) === 'in_progress', 10_000), 'hold never started');
  assert.equal(await held.abort(), true);
  await assert.rejects(held.result({ timeout: 10_000 }), (err: unknown) => {
    assert.ok(err instanceof JobFailed, String(err));
    assert.equal(err.status, 'aborted');
    return true;
  });
  assert.ok(await waitFor(() => worker.stats.aborted === 1, 5_000), 'the worker did not count the abort');
}

describe('result store on Redis Sentinel', () => {
  let group: PrivateSentinelGroup;
  before(async () => {
    group = await PrivateSentinelGroup.start();
    cleanups.push(() => group.stop());
  });

  it('enqueues, answers result(), aborts a running job and dedups ids through the sentinels', async () => {
    await roundTrip(group.url);
  });

  it('a waiter re-reads the record when its subscriber reconnects: a final record published meanwhile is not missed', async () => {
    const queue = uniqueName('recheck');
    const prefix = uniquePrefix('recheck');
    cleanups.push(() => deleteJobQueue(queue));
    const client = trackedClient(queue, prefix, group.url);
    const job = await client.enqueueJob('sum', { a: 1, b: 1 });
    const result = job.result({ timeout: 15_000 });
    const channel = `${prefix}done:${job.jobId}`;
    assert.ok(await waitFor(async () => (await group.onMaster('PUBSUB', 'CHANNELS', channel)) === channel, 5_000));
    assert.ok((await group.dropSubscribers()) >= 1);
    // Written while the subscriber is away (it reconnects after 200 ms), as a worker's final write
    // during a failover is: its publish reaches no one.
    const key = `${prefix}job:${job.jobId}`;
    const record = { ...(JSON.parse(await group.onMaster('GET', key)) as object), status: 'complete', result: 2 };
    await group.onMaster('SET', key, JSON.stringify(record));
    await group.onMaster('PUBLISH', channel, JSON.stringify(record));
    assert.equal(await result, 2);
  });

  it('a failover with the old master alive: the store writes to the new master once the sentinels switch', async () => {
    const queue = uniqueName('switch');
    const prefix = uniquePrefix('switch');
    cleanups.push(() => deleteJobQueue(queue));
    const client = trackedClient(queue, prefix, group.url);
    await client.enqueueJob('sum', { a: 1, b: 1 });
    await group.failover();
    const switched = Date.now();
    // The demoted master takes writes until the sentinels reconfigure it (up to 10 s later); those
    // would be gone after its resync. The store must stop writing there when the sentinels switch.
    const landed = await waitFor(async () => {
      const job = await client.enqueueJob('sum', { a: 1, b: 1 }).catch(() => undefined);
      return job !== undefined && (await group.onMaster('EXISTS', `${prefix}job:${job.jobId}`)) === '1';
    }, 20_000);
    assert.ok(landed, 'no record reached the new master');
    const elapsed = Date.now() - switched;
    assert.ok(elapsed < 4_000, `records went to the new master ${elapsed} ms after the switch`);
    await group.waitForReplica();
  });

  it('after a failover: replicated records answer as before, lost ones as never written or as their last replicated state', async () => {
    const queue = uniqueName('failover');
    const laterQueue = uniqueName('failover-later');
    const prefix = uniquePrefix('failover');
    cleanups.push(
      () => deleteJobQueue(queue),
      () => deleteJobQueue(laterQueue),
    );
    const gates = new Map<string, () => void>();
    await group.waitForReplica();
    const gated = (_ctx: JobContext, args: { id: string }) =>
      new Promise<string>((resolve) => gates.set(args.id, () => resolve(`released ${args.id}`)));
    const client = trackedClient(queue, prefix, group.url);
    const { worker, logger } = await startWorker({
      queue,
      resultStore: group.url,
      resultKeyPrefix: prefix,
      handlers: { sum: roundTripHandlers.sum, gated },
    });
    cleanups.push(() => worker.close());

    // Written and replicated before the failover.
    const done = await client.enqueueJob('sum', { a: 2, b: 3 });
    assert.equal(await done.result({ timeout: 10_000 }), 5);
    const across = await client.enqueueJob('gated', { id: 'across' });
    const lagging = await client.enqueueJob('gated', { id: 'lagging' });
    assert.ok(await waitFor(() => gates.has('across') && gates.has('lagging'), 10_000));
    assert.ok(await waitFor(async () => (await lagging.status()) === 'in_progress', 5_000));
    const acrossResult = across.result({ timeout: 30_000 });

    await group.cutReplication();
    // Acknowledged by the master alone: `lagging` ends (its waiter hears it), `unseen` is claimed.
    gates.get('lagging')!();
    assert.equal(await lagging.result({ timeout: 10_000 }), 'released lagging');
    const unseen = (await client.enqueueJob('gated', { id: 'unseen' }, { queue: laterQueue })) as TrackedJob<string>;
    assert.equal(await unseen.status(), 'queued');

    const { failoverMs } = await group.killMasterAndWaitForFailover();
    assert.ok(failoverMs < 30_000, `failover took ${failoverMs} ms`);
    // The store reaches the new master by itself; until then calls fail at once (ResultStoreUnavailable).
    assert.ok(
      await waitFor(async () => (await done.status().catch(() => undefined)) === 'complete', 20_000),
      'the replicated record reads complete on the new master',
    );
    assert.equal(await done.result({ timeout: 1_000 }), 5);

    // A final record the replica never got: the record is back at its last replicated state, the
    // job is acked in RabbitMQ and never runs again, so result() waits until its timeout.
    assert.equal(await lagging.status(), 'in_progress');
    await assert.rejects(lagging.result({ timeout: 500 }), ResultTimeout);

    // A claim the replica never got: no record at all, as for an id never enqueued, although the job
    // is still in its queue; result() waits and answers once a worker runs it (JobNotFound at a timeout).
    assert.equal(await unseen.status(), 'not_found');
    await assert.rejects(unseen.result({ timeout: 500 }), JobNotFound);
    const unseenResult = unseen.result({ timeout: 20_000 });
    const later = await startWorker({
      queue: laterQueue,
      resultStore: group.url,
      resultKeyPrefix: prefix,
      handlers: { gated },
    });
    cleanups.push(() => later.worker.close());
    assert.ok(await waitFor(() => gates.has('unseen'), 10_000));
    gates.get('unseen')!();
    assert.equal(await unseenResult, 'released unseen');

    // A waiter from before the failover hears a job that ends after it, once the worker writes again.
    assert.ok(await waitFor(() => events(logger, 'results.recovered').length === 1, 20_000), 'worker never recovered');
    gates.get('across')!();
    assert.equal(await acrossResult, 'released across');

    // The worker lost the store once and said so once, with no password in any line.
    assert.equal(events(logger, 'results.unavailable').length, 1);
    assert.equal(events(logger, 'results.recovered').length, 1);
    const printed = JSON.stringify(logger.lines);
    assert.ok(!printed.includes(CLIENT_USER.password), 'the password appears in a log line');
    assert.match(printed, /redis-sentinel:\/\/arq:\*\*\*@127\.0\.0\.1:/);
  });
});

describe('result store on Redis Cluster', () => {
  let cluster: PrivateCluster;
  before(async () => {
    cluster = await PrivateCluster.start();
    cleanups.push(() => cluster.stop());
  });

  it('enqueues, answers result(), aborts a running job and dedups ids across three masters', async () => {
    const before = await cluster.keysPerNode('test-topology-*');
    assert.deepEqual(before, [0, 0, 0]);
    await roundTrip(cluster.url);
    const spread = await cluster.keysPerNode('test-topology-*');
    assert.ok(spread.filter((count) => count > 0).length >= 2, `records on one node only: ${spread.join(', ')}`);
  });

  it('a worker keeps running jobs while a master is away, says so once, and once again when writes go through', async () => {
    const queue = uniqueName('cluster-outage');
    const prefix = uniquePrefix('cluster-outage');
    cleanups.push(() => deleteJobQueue(queue));
    const client = trackedClient(queue, prefix, cluster.url);
    const ran: number[] = [];
    const { worker, logger } = await startWorker({
      queue,
      resultStore: cluster.url,
      resultKeyPrefix: prefix,
      handlers: { note: (_ctx: JobContext, args: { n: number }) => void ran.push(args.n) },
    });
    cleanups.push(() => worker.close());
    const before = await client.enqueueJob('note', { n: 0 });
    await before.result({ timeout: 10_000 });
    const down = cluster.ports[2]!;
    await cluster.killNode(down);
    // The client cannot claim ids while the cluster refuses writes; a producer without a store can.
    const producer = new RabbitMQClient({ queue, logLevel: 'silent', connectionTimeout: 5_000 });
    cleanups.push(() => producer.close());
    for (let n = 1; n <= 5; n += 1) await producer.enqueueJob('note', { n });
    assert.ok(await waitFor(() => ran.length === 6, 15_000), `ran ${ran.length} of 6 with a master away`);
    assert.equal(events(logger, 'results.unavailable').length, 1);
    await cluster.restartNode(down);
    // Recovered once writes have gone through for 5 s without a failure (job-recorder.ts).
    let n = 6;
    const recovered = await waitFor(async () => {
      await (await client.enqueueJob('note', { n: n++ })).result({ timeout: 10_000 });
      return events(logger, 'results.recovered').length > 0;
    }, 20_000);
    assert.ok(recovered, 'no recovered line');
    assert.equal(events(logger, 'results.recovered').length, 1);
    assert.equal(events(logger, 'results.unavailable').length, 1);
  });
});
