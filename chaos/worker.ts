/**
 * The chaos suite's worker process, configured by environment: URL, QUEUE, QUEUE_TYPE, CONCURRENCY,
 * MIN_MS/MAX_MS (handler time), LOG (append-only completions: `n time due`), NAME (its connection
 * name), RESULT_STORE and RESULT_KEY_PREFIX (optional), SCHEDULE=1 (fire `tick` every second). URL may list a
 * cluster's nodes, comma-separated. Prints `ready` once it consumes, and `event <name> <line>` for each result store
 * outage and recovery. Jobs: `work({ n, due? })`, `poison()` (kills its own process), `typed({ count })` (a schema
 * that refuses everything else), `tick()` (logs its tick time as `n`).
 */
import { appendFileSync } from 'node:fs';
import { z } from 'zod';
import { Worker } from '../runtime/index.js';
import { tickOfJobId } from '../runtime/schedules/schedule.js';
import type { Logger } from '../runtime/index.js';

const env = process.env;
const min = Number(env.MIN_MS ?? 5);
const max = Number(env.MAX_MS ?? 30);
const log = env.LOG as string;
const storeEvent = (message: string, fields: Record<string, unknown> | undefined): void => {
  const event = fields?.event;
  if (event === 'results.unavailable' || event === 'results.recovered')
    process.stdout.write(`event ${event} ${message}\n`);
};
const quiet: Logger = {
  debug: () => undefined,
  info: (message, fields) => {
    if (fields?.event === 'worker.started') process.stdout.write('ready\n');
    storeEvent(message, fields);
  },
  warn: storeEvent,
  error: (message) => process.stderr.write(`${message}\n`),
};

const worker = new Worker({
  url: env.URL,
  queue: env.QUEUE as string,
  queueType: env.QUEUE_TYPE === 'classic' ? 'classic' : 'quorum',
  maxConcurrentJobs: Number(env.CONCURRENCY ?? 20),
  connectionName: `${env.NAME ?? 'arq-chaos'} worker`,
  connectionTimeout: 60_000,
  statsInterval: 0,
  ...(env.RESULT_STORE ? { resultStore: env.RESULT_STORE, resultKeyPrefix: env.RESULT_KEY_PREFIX ?? 'arq:' } : {}),
  logger: quiet,
  handlers: {
    work: async (_ctx, args: { n: number; due?: number }) => {
      await new Promise((resolve) => setTimeout(resolve, min + Math.random() * (max - min)));
      appendFileSync(log, `${args.n} ${Date.now()} ${args.due ?? 0}\n`);
    },
    poison: () => process.kill(process.pid, 'SIGKILL'),
    typed: {
      args: z.object({ count: z.number().int() }),
      handler: (_ctx, args: { count: number }) => void appendFileSync(log, `${args.count} ${Date.now()} 0\n`),
    },
    ...(env.SCHEDULE === '1' && {
      tick: {
        handler: (ctx) => {
          const tick = tickOfJobId(ctx.jobId)?.getTime() ?? 0;
          appendFileSync(log, `${tick} ${Date.now()} ${tick}\n`);
        },
        schedules: [{ cron: '* * * * * *' }],
      },
    }),
  },
});
worker.run().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`worker failed: ${String(err)}\n`);
    process.exit(1);
  },
);
