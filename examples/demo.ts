/**
 * The demo (`npm run demo`): a worker and a producer for the jobs of jobs.schema.ts, both through
 * the generated, typed code. It enqueues a few jobs (one deferred, one refused by its schema before
 * anything is published), prints each outcome as the worker reports it, and stops when all are done.
 */
import { InvalidJobArgs, RabbitMQClient } from 'rabbitmq-arq';
import type { JobOutcome } from 'rabbitmq-arq';
import { createEnqueue, createWorker } from '../generated/index.js';
import { handlers } from '../handlers/index.js';

const url = process.env.AMQP_URL ?? 'amqp://guest:guest@localhost:5672';
const outcomes = new Map<string, JobOutcome>();
const print = (line: string): void => void process.stdout.write(`${line}\n`);

const worker = createWorker(
  {
    url,
    logLevel: 'warn',
    statsInterval: 0,
    onJobEnd: (ctx, outcome) => {
      outcomes.set(ctx.jobId, outcome);
      const shown =
        outcome.status === 'complete'
          ? JSON.stringify(outcome.result)
          : `${outcome.status}: ${String((outcome as { error?: unknown }).error)}`;
      print(`worker   ${ctx.functionName} ${ctx.jobId.slice(0, 8)} try ${ctx.jobTry} -> ${shown}`);
    },
  },
  handlers,
);
const running = worker.run();

const client = new RabbitMQClient({ url, logLevel: 'warn' });
const enqueue = createEnqueue(client);
const sent: string[] = [];
try {
  const now = Date.now();
  const jobs = [
    await enqueue.processData({ dataId: 1, action: 'process', payload: 'hello, world' }),
    await enqueue.processData({ dataId: 2, action: 'cleanup', payload: 'runs two seconds later' }, { deferBy: 2_000 }),
    await enqueue.buildOrderReport({
      orderId: 'A-1001',
      placedAt: new Date(now - 3_600_000),
      customer: { name: 'Ada', email: 'ada@example.com', vip: true },
      lines: [
        { sku: 'book', unitPriceCents: 2_500, quantity: 2 },
        { sku: 'pen', unitPriceCents: 300 },
      ],
    }),
    await enqueue.cleanupExpired({
      cutoff: new Date(now - 86_400_000),
      keys: [
        { key: 'session:old', storedAt: new Date(now - 2 * 86_400_000) },
        { key: 'session:new', storedAt: new Date(now - 60_000) },
      ],
    }),
  ];
  for (const job of jobs) {
    sent.push(job.jobId);
    const when = job.deferUntil ? ` (due ${job.deferUntil.toISOString()})` : '';
    print(`producer ${job.functionName} ${job.jobId.slice(0, 8)} confirmed on queue "${job.queueName}"${when}`);
  }

  try {
    // @ts-expect-error: the generated client refuses this at compile time; at run time the schema does.
    await enqueue.processData({ dataId: 'three', action: 'process', payload: 'x' });
  } catch (err) {
    if (!(err instanceof InvalidJobArgs)) throw err;
    print(`producer refused before publishing: ${err.message}`);
  }

  const deadline = Date.now() + 30_000;
  while (sent.some((id) => !outcomes.has(id)) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const missing = sent.filter((id) => !outcomes.has(id));
  if (missing.length > 0) throw new Error(`jobs not finished within 30 s: ${missing.join(', ')}`);
  print(`done: ${sent.length} jobs, stats ${JSON.stringify(worker.stats)}`);
} finally {
  await client.close();
  await worker.close();
  await running;
}
