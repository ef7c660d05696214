/**
 * The worker's counters: one place that every outcome passes through, feeding both the `stats`
 * object (and its periodic log line) and, when exported, the Prometheus metrics of `/metrics`.
 * Prometheus children are cached per job and queue, so a job costs a map lookup and an add.
 */
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** prom-client, loaded on first use: a worker that serves no metrics (and every producer) never loads it. */
const loadPromClient = (): typeof PromClient => createRequire(import.meta.url)('prom-client') as typeof PromClient;

/** Content type of the Prometheus text exposition format (what prom-client's registries answer). */
const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/** Counts since the worker started; `ongoing` is the number of handlers running now. */
export interface WorkerStats {
  completed: number;
  failed: number;
  retried: number;
  deadLettered: number;
  aborted: number;
  expired: number;
  /** Deliveries acked without running: the job's record was already final (a redelivery after a lost ack). */
  alreadyFinal: number;
  ongoing: number;
}

export type CountedOutcome =
  'completed' | 'failed' | 'retried' | 'deadLettered' | 'aborted' | 'expired' | 'alreadyFinal';

const METRIC_NAMES: Record<CountedOutcome, string> = {
  completed: 'arq_jobs_completed_total',
  failed: 'arq_jobs_failed_total',
  retried: 'arq_jobs_retried_total',
  deadLettered: 'arq_jobs_dead_lettered_total',
  aborted: 'arq_jobs_aborted_total',
  expired: 'arq_jobs_expired_total',
  alreadyFinal: 'arq_jobs_already_final_total',
};

const HELP: Record<CountedOutcome, string> = {
  completed: 'Jobs whose handler returned a valid result.',
  failed: 'Attempts that failed (an error, a timeout, an invalid result); retried or not.',
  retried: 'Retries published after a failed attempt.',
  deadLettered: 'Jobs moved to the dead-letter queue, for any reason.',
  aborted: 'Jobs stopped by job.abort(), before or while they ran.',
  expired: 'Jobs dead-lettered because their expires deadline passed.',
  alreadyFinal:
    "Deliveries acked without running because the job's record was already final (redelivered after a lost ack).",
};

interface PrometheusMetrics {
  registry: Registry;
  counters: Record<CountedOutcome, Counter<'job' | 'queue'>>;
  running: Gauge;
  duration: Histogram<'job' | 'queue' | 'status'>;
  startLatency: Histogram<'job' | 'queue'>;
}

export class WorkerMetrics {
  private readonly totals: Record<CountedOutcome, number> = {
    completed: 0,
    failed: 0,
    retried: 0,
    deadLettered: 0,
    aborted: 0,
    expired: 0,
    alreadyFinal: 0,
  };
  private readonly prometheus: PrometheusMetrics | undefined;

  /**
   * @param exported whether Prometheus metrics are kept at all (a health port or a registry was given)
   * @param ongoing reads the number of running handlers, so the gauge is never out of step
   */
  constructor(
    exported: boolean,
    registry: Registry | undefined,
    private readonly ongoing: () => number,
  ) {
    if (exported) this.prometheus = createMetrics(registry ?? new (loadPromClient().Registry)(), ongoing);
  }

  get registry(): Registry | undefined {
    return this.prometheus?.registry;
  }

  get stats(): WorkerStats {
    return { ...this.totals, ongoing: this.ongoing() };
  }

  count(outcome: CountedOutcome, job: string, queue: string): void {
    this.totals[outcome] += 1;
    this.prometheus?.counters[outcome].labels(job, queue).inc();
  }

  /** A handler settled after `ms`; `status` is how the attempt ended (complete, retry, dead, aborted, requeued). */
  observeDuration(job: string, queue: string, status: string, ms: number): void {
    this.prometheus?.duration.labels(job, queue, status).observe(ms / 1000);
  }

  /** Time from enqueue to the first attempt's start, which is what a user waits before anything happens. */
  observeStartLatency(job: string, queue: string, ms: number): void {
    this.prometheus?.startLatency.labels(job, queue).observe(Math.max(0, ms) / 1000);
  }

  /** The `/metrics` body: Prometheus text exposition of the registry. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    const registry = this.prometheus?.registry;
    if (registry === undefined) return { contentType: PROMETHEUS_TEXT, body: '' };
    return { contentType: registry.contentType, body: await registry.metrics() };
  }
}

function createMetrics(registry: Registry, ongoing: () => number): PrometheusMetrics {
  const { Counter, Gauge, Histogram } = loadPromClient();
  const labelNames = ['job', 'queue'] as const;
  const counters = Object.fromEntries(
    (Object.keys(METRIC_NAMES) as CountedOutcome[]).map((outcome) => [
      outcome,
      new Counter({ name: METRIC_NAMES[outcome], help: HELP[outcome], labelNames, registers: [registry] }),
    ]),
  ) as PrometheusMetrics['counters'];
  return {
    registry,
    counters,
    running: new Gauge({
      name: 'arq_jobs_running',
      help: 'Handlers running now in this worker.',
      registers: [registry],
      collect() {
        this.set(ongoing());
      },
    }),
    duration: new Histogram({
      name: 'arq_job_duration_seconds',
      help: 'How long an attempt ran, by how it ended.',
      labelNames: ['job', 'queue', 'status'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    startLatency: new Histogram({
      name: 'arq_job_start_latency_seconds',
      help: "Time from a job's enqueue (or its due time, when deferred) to the start of its first attempt.",
      labelNames,
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
  };
}
