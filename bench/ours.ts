/**
 * Our runtime through its public API only: RabbitMQClient to enqueue, Worker to consume, with the
 * settings of docs/performance.md ("Settings", "Method"): maxConcurrentJobs and prefetch `concurrency`,
 * silent logs, no stats timer, no signal handlers.
 *
 * Completions are counted in `onJobEnd`, which runs after the worker has acked the delivery, so
 * "last completion" means the same as raw amqplib's last ack. Before any timed part, one probe job
 * goes through (declaring the queue and proving the consumer is up), so neither queue declaration
 * nor worker startup is timed.
 */
import { Redis } from 'ioredis';
import { RabbitMQClient, Worker } from '../runtime/index.js';
import type { JobContext, QueueType, TrackedJob } from '../runtime/index.js';
import type { BenchConfig } from './config.js';
import {
  Countdown,
  Pending,
  budgetFor,
  latencyFigures,
  mark,
  now,
  paced,
  runConcurrently,
  span,
  withTimeout,
} from './measure.js';
import type { LatencyFigures, Mark, SpanFigures } from './measure.js';
import { payloads, sendTime } from './payload.js';
import type { BenchArgs, Payloads } from './payload.js';
import { deleteQueue, freshQueueName, purgeQueue } from './queues.js';
import type { Side } from './side.js';

interface WorkerHooks {
  /** Called as the handler starts (omitted: the handler is a bare `async () => undefined`). */
  onStart?: (args: BenchArgs) => void;
  /** Called after each completed job was acked. */
  onEnd: () => void;
}

/**
 * Our runtime as it is usually run (`ours`), or with every job's record and result kept in Redis
 * (`stored`: `resultStore` set on client and worker, so each job costs a claim at enqueue and two
 * scripted writes in the worker).
 */
export function oursSide(config: BenchConfig, name: 'ours' | 'stored' = 'ours'): Side {
  const { concurrency, batchSize, inFlight, bodyBytes } = config;
  const stored = name === 'stored';
  /** Each queue's records live under their own prefix, deleted with the queue; the TTL covers an interrupted run. */
  const storeSettings = (queue: string) =>
    stored ? { resultStore: config.redisUrl, resultKeyPrefix: `arqbench:${queue}:`, jobResultTtl: 600_000 } : {};

  const client = (queue: string, type: QueueType): RabbitMQClient =>
    new RabbitMQClient({
      url: config.url,
      queue,
      queueType: type,
      logLevel: 'silent',
      ...storeSettings(queue),
    });

  const worker = (queue: string, type: QueueType, hooks: WorkerHooks): Worker => {
    const { onStart, onEnd } = hooks;
    return new Worker({
      url: config.url,
      queue,
      queueType: type,
      ...storeSettings(queue),
      handlers: {
        noop: onStart ? async (_ctx: JobContext, args: BenchArgs) => void onStart(args) : async () => undefined,
        // The result-lag run: the handler's last moment, on the clock the client reads too.
        stamp: async () => now(),
      },
      maxConcurrentJobs: concurrency,
      prefetchCount: concurrency,
      handleSignals: false,
      statsInterval: 0,
      logLevel: 'silent',
      onJobEnd: (_ctx, outcome) => {
        if (outcome.status === 'complete') onEnd();
      },
    });
  };

  /** Sends one probe job and waits until it was handled; fails fast if the worker cannot start. */
  async function probe(producer: RabbitMQClient, p: Payloads, running: Promise<void>, seen: Countdown) {
    await producer.enqueueJob('noop', p.oursArgs(-1));
    const stopped = running.then(() => Promise.reject(new Error('worker stopped before the probe job ran')));
    await withTimeout(Promise.race([seen.done, stopped]), 30_000, 'worker startup');
  }

  async function enqueueBatches(producer: RabbitMQClient, p: Payloads, jobs: number): Promise<void> {
    for (let sent = 0; sent < jobs;) {
      const size = Math.min(batchSize, jobs - sent);
      await producer.enqueueJobs(
        Array.from({ length: size }, (_, i) => ({ name: 'noop', args: p.oursArgs(sent + i) })),
      );
      sent += size;
    }
  }

  /** A client on a fresh, declared, empty queue; `work` is timed. */
  async function enqueueRun(
    type: QueueType,
    jobs: number,
    work: (producer: RabbitMQClient, p: Payloads) => Promise<void>,
  ): Promise<SpanFigures> {
    const queue = freshQueueName(type);
    const p = payloads(bodyBytes, queue);
    const producer = client(queue, type);
    try {
      await producer.enqueueJob('noop', p.oursArgs(-1));
      await purgeQueue(queue);
      const start = mark();
      await withTimeout(work(producer, p), budgetFor(jobs), 'ours enqueue');
      return span(start, mark(), jobs);
    } finally {
      await producer.close().catch(() => undefined);
      await cleanUp(queue);
    }
  }

  /** A worker and a client on a fresh queue, probed; `work` swaps in the countdown its completions go to. Removes everything after. */
  async function withWorker<T>(
    type: QueueType,
    onStart: ((args: BenchArgs) => void) | undefined,
    work: (producer: RabbitMQClient, p: Payloads, setCounter: (c: Countdown) => void) => Promise<T>,
  ): Promise<T> {
    const queue = freshQueueName(type);
    const p = payloads(bodyBytes, queue);
    let counter = new Countdown(1);
    const consumer = worker(queue, type, { onStart, onEnd: () => counter.hit() });
    const producer = client(queue, type);
    const running = consumer.run();
    running.catch(() => undefined);
    try {
      await probe(producer, p, running, counter);
      return await work(producer, p, (c) => (counter = c));
    } finally {
      await consumer.close().catch(() => undefined);
      await running.catch(() => undefined);
      await producer.close().catch(() => undefined);
      await cleanUp(queue);
    }
  }

  async function cleanUp(queue: string): Promise<void> {
    await deleteQueue(queue);
    if (stored) await deleteResultKeys(config.redisUrl, `arqbench:${queue}:`);
  }

  return {
    name,

    endToEnd: (type, jobs) =>
      withWorker(type, undefined, async (producer, p, setCounter) => {
        const done = new Countdown(jobs);
        setCounter(done);
        const start = mark();
        await withTimeout(enqueueBatches(producer, p, jobs), budgetFor(jobs), 'ours e2e');
        const end = await withTimeout(done.done, budgetFor(jobs), 'ours e2e consume');
        return span(start, end, jobs);
      }),

    enqueueBatches: (type, jobs) => enqueueRun(type, jobs, (producer, p) => enqueueBatches(producer, p, jobs)),

    enqueueConcurrent: (type, jobs) =>
      enqueueRun(type, jobs, (producer, p) =>
        runConcurrently(jobs, inFlight, (n) => producer.enqueueJob('noop', p.oursArgs(n))),
      ),

    enqueueSerial: (type, jobs) =>
      enqueueRun(type, jobs, async (producer, p) => {
        for (let n = 0; n < jobs; n += 1) await producer.enqueueJob('noop', p.oursArgs(n));
      }),

    async drain(type, jobs) {
      const queue = freshQueueName(type);
      const p = payloads(bodyBytes, queue);
      const producer = client(queue, type);
      const started = new Countdown(1);
      const done = new Countdown(jobs);
      let consumer: Worker | undefined;
      let running: Promise<void> | undefined;
      try {
        await enqueueBatches(producer, p, jobs);
        await producer.close();
        consumer = worker(queue, type, { onStart: () => started.hit(), onEnd: () => done.hit() });
        running = consumer.run();
        running.catch(() => undefined);
        const stopped = running.then(() => Promise.reject(new Error('worker stopped before draining the queue')));
        const end = await withTimeout(Promise.race([done.done, stopped]), budgetFor(jobs), 'ours drain');
        return span(started.first as Mark, end, jobs);
      } finally {
        await producer.close().catch(() => undefined);
        await consumer?.close().catch(() => undefined);
        await running?.catch(() => undefined);
        await cleanUp(queue);
      }
    },

    async latency(type): Promise<LatencyFigures> {
      const total = Math.round(config.latencyRate * config.latencySeconds);
      const skip = Math.round(config.latencyRate * config.latencyWarmupSeconds);
      const samples: number[] = [];
      const record = (args: BenchArgs): void => {
        if (args.n >= skip) samples.push(now() - args.t);
      };
      return withWorker(type, record, async (producer, p, setCounter) => {
        const done = new Countdown(total);
        setCounter(done);
        const confirms = new Pending();
        await paced(config.latencyRate, config.latencySeconds, (n) => {
          confirms.add(producer.enqueueJob('noop', p.oursArgs(n, sendTime())));
        });
        await withTimeout(confirms.settled(), budgetFor(total), 'ours latency confirms');
        await withTimeout(done.done, budgetFor(total), 'ours latency consume');
        return latencyFigures(samples);
      });
    },

    ...(stored ? { resultLag } : {}),
  };

  async function resultLag(type: QueueType): Promise<LatencyFigures> {
    const total = Math.round(config.latencyRate * config.latencySeconds);
    const skip = Math.round(config.latencyRate * config.latencyWarmupSeconds);
    const samples: number[] = [];
    return withWorker(type, undefined, async (producer) => {
      const waits = new Pending();
      await paced(config.latencyRate, config.latencySeconds, (n) => {
        waits.add(
          (async () => {
            const job = (await producer.enqueueJob('stamp', {})) as unknown as TrackedJob<number>;
            const handlerEnd = await job.result({ timeout: budgetFor(total) });
            if (n >= skip) samples.push(now() - handlerEnd);
          })(),
        );
      });
      await withTimeout(waits.settled(), budgetFor(total), 'stored result lag');
      return latencyFigures(samples);
    });
  }
}

/** Removes the records a stored run left under `prefix`. */
async function deleteResultKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
