import { Command, Option } from 'clipanion';
import { Worker } from '../runtime/index.js';
import type { WorkerSettings } from '../runtime/index.js';
import type { WorkerOverrides } from '../runtime/settings/worker-overrides.js';
import {
  applyWorkerOverrides,
  workerOverridesFromEnvironment,
  workerOverridesFromFlags,
} from '../runtime/settings/worker-overrides.js';
import { reportFailure } from './command-support.js';
import { loadWorkerSettings } from './worker-module.js';

/** `rabbitmq-arq worker -m ./worker.ts:workerSettings`: runs a worker until SIGTERM/SIGINT (or, with --burst, until drained). */
export class WorkerCommand extends Command {
  static override paths = [['worker']];

  static override usage = Command.Usage({
    description: 'Run a worker from a module that exports worker settings or an array of named job functions',
    details: `
      Each setting comes from the first of: its flag, its environment variable, the module, the default.
      Variables: AMQP_URL, ARQ_QUEUE, ARQ_MAX_RETRIES, ARQ_JOB_TIMEOUT, ARQ_MAX_CONCURRENT_JOBS,
      ARQ_PREFETCH_COUNT, ARQ_CONNECTION_TIMEOUT, ARQ_LOG_LEVEL, ARQ_BURST, ARQ_BURST_TIMEOUT,
      ARQ_BURST_CHECK_INTERVAL, ARQ_BURST_NO_WAIT, ARQ_RESULT_STORE, ARQ_RESULT_KEY_PREFIX, ARQ_HEALTH_PORT,
      ARQ_HEALTH_HOST. Durations accept 300 (seconds), 300s, 5m, 1h or 250ms,
      in flags and variables alike. The module may be TypeScript: no build step needed.

      Exit codes: 0 stopped (signal, or burst mode drained), 1 failed to start or crashed.
    `,
    examples: [
      ['Run the settings exported as workerSettings', '$0 worker -m ./worker.ts:workerSettings'],
      ['Drain the queues, then exit', '$0 worker -m ./worker.ts:workerSettings --burst'],
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
  burst = Option.Boolean('-b,--burst', { description: 'Exit once the queues are drained' });
  burstTimeout = Option.String('--burst-timeout', { description: 'Longest burst run (duration)' });
  burstCheckInterval = Option.String('--burst-check-interval', {
    description: 'How often burst mode checks the queues (duration)',
  });
  burstNoWait = Option.Boolean('--burst-no-wait', { description: 'On exit, requeue running jobs instead of waiting' });
  logLevel = Option.String('-l,--log-level', { description: 'debug, info, warn, error or silent' });
  resultStore = Option.String('--result-store', { description: 'Redis URL of the result store' });
  resultKeyPrefix = Option.String('--result-key-prefix', { description: 'Key prefix in the result store' });
  healthPort = Option.String('--health-port', { description: 'Serve /healthz, /readyz and /metrics on this port' });
  healthHost = Option.String('--health-host', { description: 'Address the health port binds (default 0.0.0.0)' });

  async execute(): Promise<number> {
    const code = await this.runWorker();
    // A handler that ignored its abort signal may still hold a timer or a socket: once the worker has
    // stopped (its jobs requeued), nothing of ours is left to wait for, so the process ends regardless.
    setTimeout(() => process.exit(code), 200).unref();
    return code;
  }

  private async runWorker(): Promise<number> {
    try {
      const layer = this.layerOver(process.env);
      const worker = new Worker(layer(await loadWorkerSettings(this.module, process.cwd())));
      await worker.run();
      return 0;
    } catch (err) {
      reportFailure(this.context.stderr, this.cli.binaryName, 'worker', err, this.logLevel === 'debug');
      return 1;
    }
  }

  /**
   * Flag > environment > module > default. Flags and variables are parsed here, before the module
   * loads, so a typo in them fails at once.
   */
  layerOver(env: NodeJS.ProcessEnv): (moduleSettings: WorkerSettings) => WorkerSettings {
    const flags = this.flagOverrides();
    const environment = workerOverridesFromEnvironment(env);
    return (moduleSettings) => applyWorkerOverrides(moduleSettings, environment, flags);
  }

  private flagOverrides(): WorkerOverrides {
    return workerOverridesFromFlags({
      url: this.url,
      queueName: this.queue,
      maxRetries: this.maxRetries,
      jobTimeout: this.jobTimeout,
      maxConcurrentJobs: this.maxConcurrentJobs,
      prefetchCount: this.prefetchCount,
      connectionTimeout: this.connectionTimeout,
      logLevel: this.logLevel,
      burst: this.burst,
      burstTimeout: this.burstTimeout,
      burstCheckInterval: this.burstCheckInterval,
      burstNoWait: this.burstNoWait,
      resultStore: this.resultStore,
      resultKeyPrefix: this.resultKeyPrefix,
      healthPort: this.healthPort,
      healthHost: this.healthHost,
    });
  }
}
