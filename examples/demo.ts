/**
 * The demo (`npm run demo`): a worker and a producer for the jobs of jobs.schema.ts, both through
 * the generated, typed code, on the RabbitMQ at AMQP_URL (or in process). It tells the story of a job queue in a
 * short log: typed enqueues, a call refused before publishing, a retry with backoff, a
 * `Retry({ defer })`, a timeout, a dead-lettered job with its reason and a delayed job arriving on time; then
 * a summary line. Without a broker answering within 2 s it says so in one line and runs the same
 * story on the in-process broker (`url: 'memory://'`).
 */
import { ConnectionUnavailable, InvalidJobArgs, RabbitMQClient, redactUrl } from 'rabbitmq-arq';
import type { Job, JobOutcome } from 'rabbitmq-arq';
import { createEnqueue, createWorker } from '../generated/index.js';
import { handlers } from '../handlers/index.js';

const print = (line: string): void => void process.stdout.write(`${line}\n`);
const started = Date.now();
const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1).padStart(4)} s`;

// RabbitMQ when it answers within 2 s; otherwise the in-process broker, so the demo runs anywhere.
let url = process.env.AMQP_URL || 'amqp://guest:guest@localhost:5672';
let client = new RabbitMQClient({ url, logLevel: 'silent', connectionTimeout: 2_000 });
try {
  await client.connect();
  print(`demo: on RabbitMQ at ${redactUrl(url)}`);
} catch (err) {
  if (!(err instanceof ConnectionUnavailable)) throw err;
  print(
    `demo: no RabbitMQ answered within 2 s at ${redactUrl(url)}; running on the in-process broker (url: 'memory://')`,
  );
  url = 'memory://demo';
  client = new RabbitMQClient({ url, logLevel: 'silent' });
}

/** Final outcome (complete or dead) by job id; retries are printed but not final. */
const finished = new Map<string, { outcome: JobOutcome; tries: number; at: number }>();
const worker = createWorker(
  {
    url,
    // The story is told by onJobEnd below; the worker's own warnings (a dead letter) would repeat it.
    logLevel: 'error',
    statsInterval: 0,
    retryBackoff: 500,
    onJobEnd: (ctx, outcome) => {
      print(
        `${elapsed()}  worker    ${ctx.functionName} #${ctx.jobId.slice(0, 6)} try ${ctx.jobTry}: ${describe(outcome)}`,
      );
      if (outcome.status === 'complete' || outcome.status === 'dead')
        finished.set(ctx.jobId, { outcome, tries: ctx.jobTry, at: Date.now() });
    },
  },
  handlers,
);
const running = worker.run();
const enqueue = createEnqueue(client);

function describe(outcome: JobOutcome): string {
  switch (outcome.status) {
    case 'complete':
      return `complete ${JSON.stringify(outcome.result).slice(0, 90)}`;
    case 'retry':
      return `failed (${String(outcome.error)}); retry in ${outcome.delay} ms`;
    case 'dead':
      return `dead-lettered (${outcome.category}): ${String(outcome.error)}`;
    default:
      return outcome.status;
  }
}

function sent(job: Job, what: string): Job {
  print(`${elapsed()}  producer  ${job.functionName} #${job.jobId.slice(0, 6)} confirmed: ${what}`);
  return job;
}

let exitCode = 0;
try {
  const now = Date.now();
  const delayedBy = 2_000;
  const jobs = [
    sent(await enqueue.processData({ dataId: 1, action: 'process', payload: 'hello, world' }), 'runs now'),
    sent(
      await enqueue.processData({ dataId: 2, action: 'retry', payload: 'busy upstream' }),
      'fails once, retried with backoff',
    ),
    sent(
      await enqueue.processData({ dataId: 3, action: 'process', payload: 'x', notBefore: new Date(now + 1_500) }),
      'its handler throws Retry({ defer }) until notBefore',
    ),
    sent(
      await enqueue.processData({ dataId: 4, action: 'cleanup', payload: 'later' }, { deferBy: delayedBy }),
      `deferred by ${delayedBy} ms`,
    ),
    sent(
      await enqueue.buildOrderReport({
        orderId: 'A-1001',
        placedAt: new Date(now - 3_600_000),
        customer: { name: 'Ada', email: 'ada@example.com', vip: true },
        lines: [
          { sku: 'book', unitPriceCents: 2_500, quantity: 2 },
          { sku: 'pen', unitPriceCents: 300 },
        ],
      }),
      'on queue "reports"',
    ),
    sent(
      await enqueue.cleanupExpired({
        cutoff: new Date(now - 86_400_000),
        keys: [{ key: 'session:from-the-future', storedAt: new Date(now + 86_400_000) }],
      }),
      'a permanent failure: goes to the dead-letter queue',
    ),
    sent(
      await enqueue.fetchPreview({ pageUrl: 'https://slow.example.com', simulatedLatencyMs: 5_000 }),
      'slower than its 500 ms timeout: times out, is retried once, then dead-lettered',
    ),
  ];
  const delayed = jobs[3]!;

  try {
    // @ts-expect-error: the generated client refuses this at compile time; at run time the schema does.
    await enqueue.processData({ dataId: 'three', action: 'process', payload: 'x' });
  } catch (err) {
    if (!(err instanceof InvalidJobArgs)) throw err;
    print(`${elapsed()}  producer  refused before publishing: ${err.message}`);
  }

  const deadline = Date.now() + 20_000;
  while (jobs.some((job) => !finished.has(job.jobId)) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  const missing = jobs.filter((job) => !finished.has(job.jobId));
  if (missing.length > 0) throw new Error(`jobs not finished within 20 s: ${missing.map((j) => j.jobId).join(', ')}`);

  const outcomes = jobs.map((job) => finished.get(job.jobId)!);
  const complete = outcomes.filter((o) => o.outcome.status === 'complete');
  const deadIds = jobs
    .filter((job) => finished.get(job.jobId)!.outcome.status === 'dead')
    .map((job) => job.jobId)
    .join(', ');
  const lateness = finished.get(delayed.jobId)!.at - (delayed.deferUntil?.getTime() ?? 0);
  print(
    `${elapsed()}  done      ${jobs.length} jobs: ${complete.length} complete (${complete.filter((o) => o.tries > 1).length} after a retry), ` +
      `${outcomes.length - complete.length} dead-lettered (${deadIds}${url.startsWith('memory:') ? '' : ': see `npm run rabbitmq-arq -- dlq list -q default`'}), 1 refused; ` +
      `the delayed job ran ${lateness} ms after its due time`,
  );
  if (lateness < 0) exitCode = 1;
} finally {
  await client.close();
  await worker.close();
  await running;
}
process.exit(exitCode);
