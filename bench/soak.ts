/**
 * `npm run bench:soak`: does a long-running worker's memory stay flat? One worker runs `SOAK_JOBS`
 * jobs (default 1,000,000), one in ten failing its first try with `Retry` (so it goes through the
 * delay ladder and comes back), while a producer in the same process keeps at most `SOAK_BACKLOG`
 * jobs queued. The process's RSS and heap (after a full GC when run with `--expose-gc`, as the npm
 * script does) are sampled `SOAK_SAMPLES` times, evenly by completed jobs, and printed as a curve.
 *
 * Verdict: the first quarter of the jobs is warm-up (JIT, pools, Prometheus-free maps reaching their
 * working size). "flat" when the median RSS of the last quarter's samples is within `SOAK_MARGIN`
 * (default 10 %) of the median of the second quarter's; otherwise "grows", and the exit code is 1.
 * The producer's share is bounded by the backlog, so growth there would show too.
 */
import { readFileSync } from 'node:fs';
import { RabbitMQClient, Retry, Worker } from '../runtime/index.js';
import type { JobContext, QueueType } from '../runtime/index.js';
import { median, sleep } from './measure.js';
import { deleteAllQueues, deleteQueue, freshQueueName, useBroker } from './queues.js';

interface Sample {
  jobs: number;
  seconds: number;
  rssMb: number;
  heapMb: number;
}

const env = process.env;
const jobs = Number(env.SOAK_JOBS ?? 1_000_000);
const samples = Number(env.SOAK_SAMPLES ?? 40);
const backlog = Number(env.SOAK_BACKLOG ?? 20_000);
const margin = Number(env.SOAK_MARGIN ?? 0.1);
const url = env.AMQP_URL ?? 'amqp://guest:guest@localhost:5672';
const queueType: QueueType = env.SOAK_QUEUE_TYPE === 'classic' ? 'classic' : 'quorum';
const BATCH = 1_000;
const RETRY_EVERY = 10;

const gc = (globalThis as { gc?: () => void }).gc;

function sample(done: number, startedAt: number): Sample {
  gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return {
    jobs: done,
    seconds: (performance.now() - startedAt) / 1000,
    rssMb: rss / 2 ** 20,
    heapMb: heapUsed / 2 ** 20,
  };
}

/** Keeps the queue topped up to `backlog` ready jobs until all `jobs` are enqueued. */
async function produce(client: RabbitMQClient, completed: () => number): Promise<void> {
  for (let enqueued = 0; enqueued < jobs;) {
    if (enqueued - completed() >= backlog) {
      await sleep(5);
      continue;
    }
    const count = Math.min(BATCH, jobs - enqueued);
    await client.enqueueJobs(Array.from({ length: count }, (_, k) => ({ name: 'soak', args: { i: enqueued + k } })));
    enqueued += count;
  }
}

function verdict(curve: readonly Sample[]): { flat: boolean; reference: number; last: number } {
  const inQuarter = (from: number, to: number) =>
    curve.filter((s) => s.jobs > jobs * from && s.jobs <= jobs * to).map((s) => s.rssMb);
  const reference = median(inQuarter(0.25, 0.5));
  const last = median(inQuarter(0.75, 1));
  return { flat: last <= reference * (1 + margin), reference, last };
}

function render(curve: readonly Sample[]): string {
  const rows = curve.map(
    (s) =>
      `${String(s.jobs).padStart(9)}  ${s.seconds.toFixed(1).padStart(7)}  ${s.rssMb.toFixed(1).padStart(7)}  ${s.heapMb.toFixed(1).padStart(7)}`,
  );
  return ['     jobs        s   RSS MB  heap MB', ...rows].join('\n');
}

async function main(): Promise<number> {
  useBroker(url);
  const queue = freshQueueName(queueType);
  const common = { url, queueType, logLevel: 'silent' as const };
  const client = new RabbitMQClient({ ...common, queue });
  const worker = new Worker({
    ...common,
    queue,
    maxConcurrentJobs: 100,
    prefetchCount: 100,
    statsInterval: 0,
    handleSignals: false,
    handlers: {
      soak: (ctx: JobContext, args: { i: number }) => {
        if (ctx.jobTry === 1 && args.i % RETRY_EVERY === 0) throw new Retry({ defer: 20 });
      },
    },
  });
  const node = process.version;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`soak: ${jobs} jobs, 1 in ${RETRY_EVERY} retried once, ${queueType} queue, backlog ${backlog}`);
  console.log(
    `node ${node}, gc ${gc ? 'forced before each sample' : 'not exposed (run with --expose-gc)'}, load ${load}`,
  );
  const running = worker.run();
  const curve: Sample[] = [];
  try {
    await client.enqueueJob('soak', { i: 1 }); // declares the queue before the timed part
    while (worker.stats.completed < 1) await sleep(5);
    const base = worker.stats.completed;
    const completed = (): number => worker.stats.completed - base;
    const startedAt = performance.now();
    curve.push(sample(0, startedAt));
    const producing = produce(client, completed);
    for (let next = 1; next <= samples; next += 1) {
      const target = Math.round((jobs * next) / samples);
      while (completed() < target) await sleep(20);
      curve.push(sample(completed(), startedAt));
    }
    await producing;
    const seconds = curve.at(-1)?.seconds ?? 0;
    console.log(render(curve));
    const { flat, reference, last } = verdict(curve);
    const stats = worker.stats;
    console.log(
      `${Math.round(jobs / seconds)} jobs/s; retried ${stats.retried}; RSS median ${reference.toFixed(1)} MB after warm-up, ` +
        `${last.toFixed(1)} MB over the last quarter: ${flat ? 'flat' : 'grows'} (margin ${Math.round(margin * 100)} %)`,
    );
    return flat ? 0 : 1;
  } finally {
    await worker.close();
    await running.catch(() => undefined);
    await client.close();
    await deleteQueue(queue);
    await deleteAllQueues();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
