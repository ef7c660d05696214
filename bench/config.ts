/**
 * Sizes and switches of one bench run: defaults that finish in under about three minutes on a
 * two-core machine, overridable by environment variables, and `--quick` for a smoke run.
 */
import type { QueueType } from '../runtime/index.js';

export const scenarioNames = [
  'e2e',
  'enqueue-batch',
  'enqueue-concurrent',
  'enqueue-serial',
  'drain',
  'latency',
  'result-lag',
] as const;
export type ScenarioName = (typeof scenarioNames)[number];

/** `stored` is our runtime with the Redis result store on. */
export type SideName = 'ours' | 'stored' | 'raw';
export const sideNames: readonly SideName[] = ['ours', 'stored', 'raw'];

export interface BenchConfig {
  url: string;
  /** Redis of the `stored` side. */
  redisUrl: string;
  quick: boolean;
  queueTypes: QueueType[];
  sides: SideName[];
  scenarios: ScenarioName[];
  /** Jobs per end-to-end, drain, batch and concurrent enqueue measurement. */
  jobs: number;
  /** Jobs of the one-at-a-time enqueue measurement (each waits for its own confirm). */
  serialJobs: number;
  /** Jobs per `enqueueJobs` call, and per publish-then-waitForConfirms round of raw amqplib. */
  batchSize: number;
  /** Concurrent `enqueueJob` calls (raw: publishes awaiting their confirm callback). */
  inFlight: number;
  /** maxConcurrentJobs and prefetch of every consumer. */
  concurrency: number;
  /** Paced enqueue rate of the latency measurement (jobs/s). */
  latencyRate: number;
  latencySeconds: number;
  /** Leading part of the latency run whose samples are dropped. */
  latencyWarmupSeconds: number;
  /** Repetitions of each throughput measurement; the table shows the median. */
  rounds: number;
  /** Jobs of the warm-up runs (end to end and enqueue) that precede the measurements. */
  warmupJobs: number;
  /** Target size of one message body in bytes. */
  bodyBytes: number;
}

const usage = `usage: npm run bench -- [--quick] [--only=<scenario,...>] [--types=classic,quorum] [--side=ours,stored,raw]

scenarios: ${scenarioNames.join(', ')}
environment (defaults in parentheses; --quick shrinks them):
  AMQP_URL               broker (amqp://guest:guest@localhost:5672)
  REDIS_URL              result store of the "stored" side (redis://127.0.0.1:6379)
  BENCH_JOBS             jobs per end-to-end, drain and bulk-enqueue run (20000)
  BENCH_SERIAL_JOBS      jobs of the one-at-a-time enqueue run (2000)
  BENCH_BATCH            jobs per enqueueJobs batch (1000)
  BENCH_IN_FLIGHT        concurrent enqueueJob calls (200)
  BENCH_CONCURRENCY      maxConcurrentJobs and prefetch (100)
  BENCH_LATENCY_RATE     paced jobs/s of the latency and result-lag runs (500)
  BENCH_LATENCY_SECONDS  length of the latency run (10)
  BENCH_ROUNDS           repetitions of each throughput run, median reported (3)
  BENCH_WARMUP_JOBS      jobs of the warm-up runs (3000)
  BENCH_BODY_BYTES       message body size (200)`;

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

function listFlag<T extends string>(args: string[], flag: string, allowed: readonly T[]): T[] | undefined {
  const arg = args.find((a) => a.startsWith(`--${flag}=`));
  if (!arg) return undefined;
  const values = arg
    .slice(flag.length + 3)
    .split(',')
    .filter((v) => v !== '');
  for (const value of values)
    if (!allowed.includes(value as T))
      throw new Error(`--${flag}: unknown value "${value}" (one of ${allowed.join(', ')})`);
  return values as T[];
}

/** Reads argv and the environment; returns undefined after printing the usage for `--help`. */
export function readConfig(args: string[]): BenchConfig | undefined {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage);
    return undefined;
  }
  const known = ['--quick', '--only=', '--types=', '--side='];
  const unknown = args.filter((a) => !known.some((k) => a === k || (k.endsWith('=') && a.startsWith(k))));
  if (unknown.length > 0) throw new Error(`unknown argument(s) ${unknown.join(' ')}\n${usage}`);

  const quick = args.includes('--quick');
  return {
    url: process.env.AMQP_URL ?? 'amqp://guest:guest@localhost:5672',
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    quick,
    queueTypes: listFlag(args, 'types', ['classic', 'quorum'] as const) ?? ['classic', 'quorum'],
    sides: listFlag(args, 'side', sideNames) ?? [...sideNames],
    scenarios: listFlag(args, 'only', scenarioNames) ?? [...scenarioNames],
    jobs: envInt('BENCH_JOBS', quick ? 2_000 : 20_000),
    serialJobs: envInt('BENCH_SERIAL_JOBS', quick ? 200 : 2_000),
    batchSize: envInt('BENCH_BATCH', 1_000),
    inFlight: envInt('BENCH_IN_FLIGHT', 200),
    concurrency: envInt('BENCH_CONCURRENCY', 100),
    latencyRate: envInt('BENCH_LATENCY_RATE', 500),
    latencySeconds: envInt('BENCH_LATENCY_SECONDS', quick ? 2 : 10),
    latencyWarmupSeconds: quick ? 0.5 : 1,
    rounds: envInt('BENCH_ROUNDS', quick ? 1 : 3),
    warmupJobs: envInt('BENCH_WARMUP_JOBS', quick ? 500 : 3_000),
    bodyBytes: envInt('BENCH_BODY_BYTES', 200),
  };
}
