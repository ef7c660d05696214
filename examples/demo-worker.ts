/**
 * The demo's worker for the cross-language examples (docs/other-languages.md): the jobs of
 * jobs.schema.ts with the demo's handlers, printing each outcome, until Ctrl-C.
 *
 *   npx tsx examples/demo-worker.ts
 *
 * Environment: AMQP_URL; ARQ_QUEUE runs every demo job on that one queue instead of the schema's
 * (`default` and `reports`); ARQ_QUEUE_TYPE is `quorum` (the default) or `classic` (to share the
 * queue with the Python RabbitMQ-ARQ client, which declares it classic).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, registerJobs } from 'rabbitmq-arq';
import type { HandlerMap, JobOutcome, QueueType, WorkerSettings } from 'rabbitmq-arq';
import { createWorker } from '../generated/index.js';
import { handlers } from '../handlers/index.js';
import jobs from '../jobs.schema.js';

/**
 * The demo jobs registered as the generated `createWorker` registers them (schema, result schema,
 * per-job options), but all on `queue`: what tests and producers in other languages use to get a
 * queue of their own.
 */
export function demoHandlersOn(queue: string): HandlerMap {
  const onQueue = Object.fromEntries(Object.entries(jobs.jobs).map(([name, job]) => [name, { ...job, queue }]));
  // Same jobs, each on `queue`: the shape is unchanged, which Object.fromEntries cannot tell the compiler.
  return registerJobs({ jobs: onQueue as unknown as typeof jobs.jobs }, handlers);
}

function describeOutcome(outcome: JobOutcome): string {
  switch (outcome.status) {
    case 'complete':
      return `complete ${JSON.stringify(outcome.result)}`;
    case 'dead':
      return `dead-lettered (${outcome.category}): ${String(outcome.error)}`;
    case 'retry':
      return `retry in ${outcome.delay} ms: ${String(outcome.error)}`;
    default:
      return outcome.status;
  }
}

async function main(): Promise<void> {
  const queueType = (process.env.ARQ_QUEUE_TYPE ?? 'quorum') as QueueType;
  if (queueType !== 'quorum' && queueType !== 'classic') throw new Error('ARQ_QUEUE_TYPE is quorum or classic');
  const settings: Omit<WorkerSettings, 'handlers'> = {
    url: process.env.AMQP_URL ?? 'amqp://guest:guest@localhost:5672',
    queueType,
    logLevel: 'warn',
    statsInterval: 0,
    onStartup: () => void process.stdout.write('worker ready; Ctrl-C stops it\n'),
    onJobEnd: (ctx, outcome) =>
      void process.stdout.write(
        `worker ${ctx.functionName} ${ctx.jobId} try ${ctx.jobTry} on "${ctx.queueName}": ${describeOutcome(outcome)}\n`,
      ),
  };
  const queue = process.env.ARQ_QUEUE;
  const worker =
    queue === undefined
      ? createWorker(settings, handlers)
      : new Worker({ ...settings, handlers: demoHandlersOn(queue) });
  await worker.run();
}

function isEntryModule(): boolean {
  try {
    return realpathSync(process.argv[1] ?? '') === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryModule()) await main();
