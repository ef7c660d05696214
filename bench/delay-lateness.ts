/**
 * How late deferred jobs start (`npm run bench:delays`): enqueues BENCH_DELAY_JOBS (default 2,000) jobs with mixed
 * delays (uniform up to BENCH_DELAY_MAX_MS, default 10 s, plus a share of exact powers of two times the unit, the
 * ladder's worst cases for hops), then prints lateness = handler start − due time as p50/p99/max. A negative
 * lateness (a job early) is counted separately; there must be none. Asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { DELAY_UNIT_MS, RabbitMQClient, Worker } from '../runtime/index.js';
import { percentile } from './measure.js';

const url = process.env.AMQP_URL ?? 'amqp://guest:guest@localhost:5672';
const jobs = Number(process.env.BENCH_DELAY_JOBS ?? 2_000);
const maxDelay = Number(process.env.BENCH_DELAY_MAX_MS ?? 10_000);
const queue = `bench-delays-${randomBytes(4).toString('hex')}`;

const lateness: number[] = [];
let early = 0;
let finish!: () => void;
const finished = new Promise<void>((resolve) => (finish = resolve));

const worker = new Worker({
  url,
  queue,
  maxConcurrentJobs: 100,
  handleSignals: false,
  statsInterval: 0,
  logLevel: 'warn',
  handlers: {
    due: (_ctx, args: { due: number }) => {
      const late = Date.now() - args.due;
      if (late < 0) early += 1;
      lateness.push(late);
      if (lateness.length === jobs) finish();
    },
  },
});
const running = worker.run();
const client = new RabbitMQClient({ url, queue, logLevel: 'warn' });

try {
  const started = Date.now();
  const requests = Array.from({ length: jobs }, (_, i) => {
    // One job in ten waits exactly 2^k units: the most hops (set bits) the ladder makes for its size.
    const delay =
      i % 10 === 0 ? DELAY_UNIT_MS * (2 ** Math.floor(Math.random() * 7) - 1) : Math.floor(Math.random() * maxDelay);
    return { delay, due: started + delay };
  });
  // deferUntil, not deferBy: the due time is fixed before publishing, so publish time counts as lateness.
  for (let i = 0; i < requests.length; i += 500) {
    await client.enqueueJobs(
      requests.slice(i, i + 500).map((r) => ({
        name: 'due',
        args: { due: r.due },
        options: r.delay > 0 ? { deferUntil: new Date(r.due) } : {},
      })),
    );
  }
  const timeout = setTimeout(finish, maxDelay + 60_000);
  await finished;
  clearTimeout(timeout);
  const sorted = [...lateness].sort((a, b) => a - b);
  process.stdout.write(
    `delay lateness over ${sorted.length} of ${jobs} jobs (delays 0–${maxDelay} ms, unit ${DELAY_UNIT_MS} ms): ` +
      `p50 ${percentile(sorted, 50)} ms, p99 ${percentile(sorted, 99)} ms, max ${sorted.at(-1)} ms, early ${early}\n`,
  );
} finally {
  await client.close();
  await worker.close();
  await running;
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  await channel.deleteQueue(queue);
  await channel.deleteQueue(`${queue}_dlq`);
  await connection.close();
}
