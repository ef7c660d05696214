import { Command, Option } from 'clipanion';
import { Worker } from '../runtime/index.js';
import type { LogLevel } from '../runtime/index.js';
import { parseDuration } from './parse-duration.js';
import { applyOverrides, loadWorkerSettings, overridesFromEnvironment } from './worker-module.js';
import type { WorkerOverrides } from './worker-module.js';

/** `arq-gen worker -m ./workers.ts:workerSettings`: runs a worker until SIGTERM/SIGINT (or, with --burst, until drained). */
export class WorkerCommand extends Command {
  static override paths = [['worker']];

  static override usage = Command.Usage({
    description: 'Run a worker from a module that exports worker settings or an array of named job functions',
    details: `
      Settings come from, in this order: these flags, the environment (AMQP_URL, ARQ_QUEUE, ARQ_MAX_RETRIES,
      ARQ_JOB_TIMEOUT, ARQ_MAX_CONCURRENT_JOBS, ARQ_PREFETCH_COUNT, ARQ_LOG_LEVEL), the module, the defaults.
      Durations accept 300 (seconds), 300s, 5m, 1h or 250ms. The module may be TypeScript: no build step needed.

      Exit codes: 0 stopped (signal, or burst mode drained), 1 failed to start or crashed.
    `,
    examples: [
      ['Run the settings exported as workerSettings', '$0 worker -m ./workers.ts:workerSettings'],
      ['Drain the queue, then exit', '$0 worker -m ./workers.ts:workerSettings --burst'],
      ['Run a bare list of job functions on a queue', '$0 worker -m ./jobs.ts:functions -q my_queue'],
    ],
  });

  module = Option.String('-m,--worker-module', { required: true, description: 'path[:export] of the worker settings' });
  url = Option.String('-u,--rabbitmq-url', { description: 'AMQP URL' });
  prefetchCount = Option.String('--prefetch-count', { description: 'Unacked messages per consumer' });
  connectionTimeout = Option.String('--connection-timeout', { description: 'Connect timeout (duration)' });
  queue = Option.String('-q,--queue', { description: 'Queue of jobs that name none' });
  maxRetries = Option.String('-r,--max-retries', { description: 'Attempts after the first' });
  jobTimeout = Option.String('-t,--job-timeout', { description: 'Attempt timeout (duration)' });
  maxConcurrentJobs = Option.String('--max-concurrent-jobs', { description: 'Handlers running at once' });
  burst = Option.Boolean('-b,--burst', false, { description: 'Exit once the queues are drained' });
  burstTimeout = Option.String('--burst-timeout', { description: 'Longest burst run (duration)' });
  burstCheckInterval = Option.String('--burst-check-interval', {
    description: 'How often burst mode checks the queues (duration)',
  });
  burstNoWait = Option.Boolean('--burst-no-wait', false, {
    description: 'On exit, requeue running jobs instead of waiting',
  });
  logLevel = Option.String('-l,--log-level', { description: 'debug, info, warn, error or silent' });

  async execute(): Promise<number> {
    const code = await this.runWorker();
    // A handler that ignored its abort signal may still hold a timer or a socket: once the worker has
    // stopped (its jobs requeued), nothing of ours is left to wait for, so the process ends regardless.
    setTimeout(() => process.exit(code), 200).unref();
    return code;
  }

  private async runWorker(): Promise<number> {
    try {
      const settings = await loadWorkerSettings(this.module, process.cwd());
      const worker = new Worker(applyOverrides(settings, overridesFromEnvironment(process.env), this.flagOverrides()));
      await worker.run();
      return 0;
    } catch (err) {
      this.context.stderr.write(`arq-gen worker: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
  }

  private flagOverrides(): WorkerOverrides {
    const integer = (flag: string, value: string | undefined): number | undefined => {
      if (value === undefined) return undefined;
      const n = Number(value);
      if (!Number.isInteger(n)) throw new Error(`${flag} must be a whole number, got "${value}"`);
      return n;
    };
    const duration = (value: string | undefined): number | undefined =>
      value === undefined ? undefined : parseDuration(value);
    return {
      url: this.url,
      prefetchCount: integer('--prefetch-count', this.prefetchCount),
      connectionTimeout: duration(this.connectionTimeout),
      queueName: this.queue,
      maxRetries: integer('--max-retries', this.maxRetries),
      jobTimeout: duration(this.jobTimeout),
      maxConcurrentJobs: integer('--max-concurrent-jobs', this.maxConcurrentJobs),
      logLevel: this.logLevel as LogLevel | undefined,
      burst: this.burst || undefined,
      burstTimeout: duration(this.burstTimeout),
      burstCheckInterval: duration(this.burstCheckInterval),
      burstNoWait: this.burstNoWait || undefined,
    };
  }
}
