/**
 * The baseline: plain amqplib as docs/performance.md ("Method") describes it. Persistent
 * messages (deliveryMode 2) on a confirm channel, a durable queue of the same type as ours, a
 * consumer with manual ack and prefetch `concurrency` that parses each body and awaits a no-op
 * handler before acking. No recovery, no validation, no retries: the floor our runtime is held to.
 */
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { QueueType } from '../runtime/index.js';
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
import { deleteQueue, freshQueueName, rawQueueOptions } from './queues.js';
import type { Side } from './side.js';

const publishOptions: Options.Publish = { deliveryMode: 2, contentType: 'application/json' };

interface RawJob {
  id: string;
  name: string;
  args: BenchArgs;
}

/** The raw consumer's job handler: does nothing, asynchronously, like ours. */
const noop = async (_job: RawJob): Promise<void> => undefined;

async function connect(url: string): Promise<ChannelModel> {
  const connection = await amqp.connect(url);
  connection.on('error', () => undefined);
  return connection;
}

function publishConfirmed(channel: ConfirmChannel, queue: string, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) =>
    channel.publish('', queue, body, publishOptions, (err: unknown) => (err ? reject(err as Error) : resolve())),
  );
}

/** A producer connection with one confirm channel, and the queue declared. */
async function openProducer(
  url: string,
  queue: string,
  type: QueueType,
): Promise<{ connection: ChannelModel; channel: ConfirmChannel }> {
  const connection = await connect(url);
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue(queue, rawQueueOptions(type));
  return { connection, channel };
}

/** A consumer connection: prefetch per consumer, manual ack after the handler settles. */
async function openConsumer(
  url: string,
  queue: string,
  type: QueueType,
  prefetch: number,
  onJob: (job: RawJob) => void,
  onAcked: () => void,
): Promise<ChannelModel> {
  const connection = await connect(url);
  const channel: Channel = await connection.createChannel();
  await channel.assertQueue(queue, rawQueueOptions(type));
  await channel.prefetch(prefetch);
  await channel.consume(
    queue,
    (message: ConsumeMessage | null) => {
      if (!message) return;
      const job = JSON.parse(message.content.toString('utf8')) as RawJob;
      onJob(job);
      void noop(job).then(() => {
        channel.ack(message);
        onAcked();
      });
    },
    { noAck: false },
  );
  return connection;
}

async function publishBatches(channel: ConfirmChannel, queue: string, p: Payloads, jobs: number, batch: number) {
  for (let sent = 0; sent < jobs;) {
    const size = Math.min(batch, jobs - sent);
    for (let i = 0; i < size; i += 1) channel.publish('', queue, p.rawBody(sent + i), publishOptions);
    await channel.waitForConfirms();
    sent += size;
  }
}

export function rawSide(config: BenchConfig): Side {
  const { url, concurrency, batchSize, inFlight, bodyBytes } = config;

  /** Opens a producer on a fresh queue, runs `work` on it (timed), removes everything. */
  async function enqueueRun(
    type: QueueType,
    jobs: number,
    work: (channel: ConfirmChannel, queue: string, p: Payloads) => Promise<void>,
  ): Promise<SpanFigures> {
    const queue = freshQueueName(type);
    const p = payloads(bodyBytes, queue);
    const producer = await openProducer(url, queue, type);
    try {
      const start = mark();
      await withTimeout(work(producer.channel, queue, p), budgetFor(jobs), 'raw enqueue');
      return span(start, mark(), jobs);
    } finally {
      await producer.connection.close().catch(() => undefined);
      await deleteQueue(queue);
    }
  }

  return {
    name: 'raw',

    async endToEnd(type, jobs) {
      const queue = freshQueueName(type);
      const p = payloads(bodyBytes, queue);
      const acked = new Countdown(jobs);
      const producer = await openProducer(url, queue, type);
      const consumer = await openConsumer(
        url,
        queue,
        type,
        concurrency,
        () => undefined,
        () => acked.hit(),
      );
      try {
        const start = mark();
        await withTimeout(publishBatches(producer.channel, queue, p, jobs, batchSize), budgetFor(jobs), 'raw e2e');
        const end = await withTimeout(acked.done, budgetFor(jobs), 'raw e2e consume');
        return span(start, end, jobs);
      } finally {
        await producer.connection.close().catch(() => undefined);
        await consumer.close().catch(() => undefined);
        await deleteQueue(queue);
      }
    },

    enqueueBatches: (type, jobs) =>
      enqueueRun(type, jobs, (channel, queue, p) => publishBatches(channel, queue, p, jobs, batchSize)),

    enqueueConcurrent: (type, jobs) =>
      enqueueRun(type, jobs, (channel, queue, p) =>
        runConcurrently(jobs, inFlight, (n) => publishConfirmed(channel, queue, p.rawBody(n))),
      ),

    enqueueSerial: (type, jobs) =>
      enqueueRun(type, jobs, async (channel, queue, p) => {
        for (let n = 0; n < jobs; n += 1) await publishConfirmed(channel, queue, p.rawBody(n));
      }),

    async drain(type, jobs) {
      const queue = freshQueueName(type);
      const p = payloads(bodyBytes, queue);
      const producer = await openProducer(url, queue, type);
      let consumer: ChannelModel | undefined;
      try {
        await publishBatches(producer.channel, queue, p, jobs, batchSize);
        const received = new Countdown(1);
        const acked = new Countdown(jobs);
        consumer = await openConsumer(
          url,
          queue,
          type,
          concurrency,
          () => received.hit(),
          () => acked.hit(),
        );
        const end = await withTimeout(acked.done, budgetFor(jobs), 'raw drain');
        return span(received.first as Mark, end, jobs);
      } finally {
        await producer.connection.close().catch(() => undefined);
        await consumer?.close().catch(() => undefined);
        await deleteQueue(queue);
      }
    },

    async latency(type): Promise<LatencyFigures> {
      const queue = freshQueueName(type);
      const p = payloads(bodyBytes, queue);
      const total = Math.round(config.latencyRate * config.latencySeconds);
      const skip = Math.round(config.latencyRate * config.latencyWarmupSeconds);
      const samples: number[] = [];
      const acked = new Countdown(total);
      const producer = await openProducer(url, queue, type);
      const consumer = await openConsumer(
        url,
        queue,
        type,
        concurrency,
        (job) => {
          if (job.args.n >= skip) samples.push(now() - job.args.t);
        },
        () => acked.hit(),
      );
      try {
        const confirms = new Pending();
        await paced(config.latencyRate, config.latencySeconds, (n) => {
          confirms.add(publishConfirmed(producer.channel, queue, p.rawBody(n, sendTime())));
        });
        await withTimeout(confirms.settled(), budgetFor(total), 'raw latency confirms');
        await withTimeout(acked.done, budgetFor(total), 'raw latency consume');
        return latencyFigures(samples);
      } finally {
        await producer.connection.close().catch(() => undefined);
        await consumer.close().catch(() => undefined);
        await deleteQueue(queue);
      }
    },
  };
}
