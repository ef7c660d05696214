/**
 * What worker integration tests share on top of broker.ts: a worker started with test settings, raw
 * publishing (for messages our client would never write), the job queue declared exactly as workers
 * declare it, a spy on the delay ladder's delivery exchange, and the socket leak check.
 */
import * as assert from 'node:assert/strict';
import type { GetMessage, Message, Options } from 'amqplib';
import type { AmqpChannel } from '../../runtime/transport/amqp-model.js';
import type { ManagedChannel } from '../../runtime/transport/connection.js';
import { TOPOLOGY_VERSION, delayNames, deliveryPattern } from '../../runtime/topology/delay-topology.js';
import { QueueTopology } from '../../runtime/topology/queue-topology.js';
import type { QueueType, WorkerSettings } from '../../runtime/types.js';
import { Worker } from '../../runtime/worker/worker.js';
import { newJobId } from '../../runtime/wire-format.js';
import type { JobEnvelope } from '../../runtime/wire-format.js';
import {
  consumerCount,
  openSockets,
  queueDepth,
  recordingLogger,
  run,
  uniqueName,
  waitFor,
  withChannel,
} from './broker.js';

export type RecordingLogger = ReturnType<typeof recordingLogger>;

export interface StartedWorker {
  worker: Worker;
  logger: RecordingLogger;
  /** `worker.run()`; already has a rejection handler. */
  running: Promise<void>;
}

/** Creates a worker (no signal handlers, no stats line, every line down to debug recorded) and resolves once it consumes. */
export async function startWorker(settings: WorkerSettings): Promise<StartedWorker> {
  const logger = recordingLogger();
  const worker = new Worker({ handleSignals: false, statsInterval: 0, logLevel: 'debug', logger, ...settings });
  const running = worker.run();
  let failure: unknown;
  running.catch((err: unknown) => (failure = err ?? new Error('worker.run() rejected')));
  const started = await waitFor(() => failure !== undefined || hasEvent(logger, 'worker.started'), 20_000);
  if (failure !== undefined) throw failure;
  assert.ok(started, 'the worker did not start within 20 s');
  return { worker, logger, running };
}

/** Log lines of one catalogue key (`event`). */
export function events(logger: RecordingLogger, event: string): RecordingLogger['lines'] {
  return logger.lines.filter((line) => line.fields?.event === event);
}

export function hasEvent(logger: RecordingLogger, event: string): boolean {
  return events(logger, event).length > 0;
}

/** A first attempt of `functionName` with `kwargs`, as our client would encode it, for raw publishing. */
export function firstAttempt(
  queue: string,
  functionName: string,
  kwargs: Record<string, unknown>,
  deferUntil: Date | null = null,
): JobEnvelope {
  return {
    jobId: newJobId(),
    functionName,
    args: [],
    kwargs,
    jobTry: 1,
    enqueueTime: new Date(),
    queueName: queue,
    deferUntil,
    expires: null,
  };
}

/** Publishes one message as it is; the broker handles it before it closes the channel. */
export async function publishRaw(
  exchange: string,
  routingKey: string,
  body: Buffer | string,
  options: Options.Publish = {},
): Promise<void> {
  await withChannel(async (channel) => {
    channel.publish(exchange, routingKey, Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'), options);
  });
}

/** Declares `queue`, its DLQ and its ladder binding with the very code workers and clients run. */
export async function declareJobQueue(queue: string, type: QueueType): Promise<void> {
  await withChannel(async (channel) => {
    const managed = { get: async () => channel } as unknown as ManagedChannel<AmqpChannel>;
    await new QueueTopology(managed, type, 'arq').ensureJobQueue(queue, Date.now() + 10_000);
  });
}

/**
 * A queue bound to the ladder's delivery exchange with `queue`'s own pattern: it receives a copy of
 * every message the ladder delivers to `queue`, exactly as `queue` receives it. Delete it after the test.
 */
export async function spyOnLadder(queue: string): Promise<string> {
  const spy = uniqueName('spy');
  await withChannel(async (channel) => {
    await channel.assertQueue(spy, { durable: false, arguments: { 'x-queue-type': 'classic' } });
    await channel.bindQueue(spy, delayNames('arq').deliver, deliveryPattern(queue));
  });
  return spy;
}

/** Waits until `queue` holds exactly `count` ready messages. */
export async function waitForDepth(queue: string, count: number, timeout = 15_000): Promise<void> {
  let last: number | undefined;
  const reached = await waitFor(
    async () => {
      last = await queueDepth(queue);
      return last === count;
    },
    timeout,
    50,
  );
  assert.ok(reached, `queue ${queue} holds ${String(last)} messages, expected ${count}, after ${timeout} ms`);
}

/**
 * Stops the worker and waits until the broker has taken back whatever it still held: its consumer is gone
 * from `queue`, and the queue handles a consumer's channel going and the return of its unacked messages as
 * one step. From then on nothing but the delay ladder can change `queue` or its DLQ, so the depths
 * returned are final for every job that does not go through the ladder (spyOnLadder counts those).
 */
export async function stopAndSettle(worker: Worker, queue: string): Promise<{ ready: number; dead: number }> {
  await worker.close();
  let consumers: number | undefined;
  const gone = await waitFor(async () => (consumers = await consumerCount(queue)) === 0, 10_000);
  assert.ok(gone, `queue ${queue} still has ${String(consumers)} consumers after the worker stopped`);
  return { ready: (await queueDepth(queue)) ?? 0, dead: (await queueDepth(`${queue}_dlq`)) ?? 0 };
}

/** Takes one ready message and closes the channel without acking it: what a worker that dies mid-job does. */
export async function takeAndDrop(queue: string): Promise<GetMessage> {
  return withChannel(async (channel) => {
    // A message dropped the same way a moment ago may take a few milliseconds to be back.
    let message: GetMessage | false = false;
    await waitFor(async () => Boolean((message = await channel.get(queue, { noAck: false }))), 2_000, 20);
    assert.ok(message, `queue ${queue} had no message to take`);
    return message;
  });
}

/**
 * Removes the messages with the given ids from a shared ladder queue (a test that sends a job for weeks
 * cleans up after itself); every other message is returned to the queue untouched.
 */
export async function removeFromQueue(queue: string, messageIds: ReadonlySet<string>): Promise<number> {
  return withChannel(async (channel) => {
    const others: GetMessage[] = [];
    let removed = 0;
    for (;;) {
      const message = await channel.get(queue, { noAck: false });
      if (!message) break;
      if (messageIds.has(String(message.properties.messageId))) {
        channel.ack(message);
        removed += 1;
      } else {
        others.push(message);
      }
    }
    for (const message of others) channel.nack(message, false, true);
    return removed;
  });
}

/**
 * Takes every ready message out of `queue` with basic.consume (acked), oldest first. Use it rather than
 * basic.get to look at headers on a quorum queue: RabbitMQ 3.10 answers basic.get on a quorum queue with
 * `x-delivery-count: 0` written over whatever the message carried.
 */
export async function consumeAll(queue: string, idle = 300): Promise<Message[]> {
  return withChannel(async (channel) => {
    const messages: Message[] = [];
    let last = Date.now();
    const { consumerTag } = await channel.consume(
      queue,
      (message) => {
        if (!message) return;
        messages.push(message);
        last = Date.now();
      },
      { noAck: true },
    );
    await waitFor(() => Date.now() - last >= idle, 30_000, 20);
    await channel.cancel(consumerTag);
    return messages;
  });
}

/** Names of the queues that make up the shared ladder, as `rabbitmqctl` lists them. */
export async function ladderQueues(prefix = 'arq'): Promise<string[]> {
  const { stdout } = await run('rabbitmqctl', ['-q', 'list_queues', 'name'], { maxBuffer: 16 * 1024 * 1024 });
  const start = `${prefix}.delay.${TOPOLOGY_VERSION}.`;
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((name) => name.startsWith(start))
    .sort();
}

/** Sockets open now, with the helper's admin connection already counted. */
export async function socketBaseline(): Promise<number> {
  await withChannel(async () => undefined);
  return openSockets();
}

/** After a test closed its clients and workers, none of their sockets may remain. */
export async function assertNoSocketLeak(baseline: number): Promise<void> {
  const closed = await waitFor(() => openSockets() <= baseline, 5_000);
  assert.ok(closed, `${openSockets()} sockets open, ${baseline} before the test`);
}

/** The header table of a message as a plain record. */
export function headersOf(message: Message): Record<string, unknown> {
  return (message.properties.headers ?? {}) as Record<string, unknown>;
}

/** The job body of a message, parsed. */
export function bodyOf(message: Message): Record<string, unknown> {
  return JSON.parse(message.content.toString('utf8')) as Record<string, unknown>;
}

/** `value` as Python's `datetime.isoformat()` writes a UTC time: microseconds and `+00:00`. */
export function pythonIsoformat(value: Date): string {
  return value.toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
