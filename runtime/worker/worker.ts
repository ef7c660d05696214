/**
 * The consumer side, as a lifecycle: start (health listener, result store, connection, queues,
 * onStartup, consumers), run each delivery through admission, the handler and its outcome, and stop
 * gracefully. Each step lives in a module of its own (see the imports); this file wires them and
 * owns the worker's state. A crash at any point leaves a delivery unacked, so the broker redelivers
 * it: at least once, never lost.
 */
import type { ConsumeMessage } from 'amqplib';
import type { AmqpChannel } from '../transport/amqp-model.js';
import { BrokerConnection } from '../transport/connection.js';
import { ConfirmPublisher } from '../transport/confirm-publisher.js';
import { StartupFailed, WorkerShutdown, oneLine } from '../errors.js';
import { JobRecorder } from './job-recorder.js';
import { WorkerMetrics } from './worker-metrics.js';
import type { WorkerStats } from './worker-metrics.js';
import { HealthServer } from './health-server.js';
import { RuntimeLog } from '../messages.js';
import { Scheduler } from '../schedules/scheduler.js';
import { IsolationLane } from './crash-guard.js';
import { QueueTopology } from '../topology/queue-topology.js';
import { Semaphore } from './semaphore.js';
import { resolveWorkerSettings } from '../settings/settings.js';
import type { ResolvedWorkerSettings } from '../settings/settings.js';
import type { WorkerSettings, WorkerState } from '../types.js';
import { buildRegistry } from './job-registry.js';
import type { JobRegistry } from './job-registry.js';
import { deliveredJobId, flushAcks, nack, newDelivery } from './delivery.js';
import type { Delivery } from './delivery.js';
import { Outcomes } from './outcomes.js';
import { JobPipeline } from './job-pipeline.js';
import { Consumers } from './consumers.js';
import { watchBurst } from './burst-watch.js';
import type { BurstProbes } from './burst-watch.js';
import { ShutdownSignals } from './shutdown-signals.js';
import { PendingRetries } from './pending-retries.js';

export type { WorkerStats } from './worker-metrics.js';

/**
 * What exists only once the worker connected, built in one piece by `start()` and handed to the parts
 * that need it: none of them holds a reference that may still be missing.
 */
interface WorkerRuntime<State extends WorkerState> {
  connection: BrokerConnection;
  /** Publishes the successors of deliveries (retries, re-deferrals, dead letters) with confirms. */
  publisher: ConfirmPublisher;
  /** `undefined` without a result store. */
  recorder: JobRecorder | undefined;
  outcomes: Outcomes;
  pipeline: JobPipeline<State>;
  consumers: Consumers;
  /** `undefined` when no job has a schedule. */
  scheduler: Scheduler | undefined;
}

export class Worker<State extends WorkerState = WorkerState> {
  readonly settings: ResolvedWorkerSettings<State>;
  /** Shared with every job as `ctx.state`; `onStartup` fills it. */
  readonly state: State = {} as State;
  private readonly log: RuntimeLog;
  private readonly registry: JobRegistry;
  private readonly semaphore: Semaphore;
  private readonly deliveries = new Set<Delivery>();
  /** Burst mode only: retries this worker published and waits to see again before it stops. */
  private readonly pendingRetries: PendingRetries | undefined;
  private readonly metrics: WorkerMetrics;
  private readonly signals: ShutdownSignals;
  /** Set by `start()` once connected; `undefined` before (and after a failed start). */
  private runtime: WorkerRuntime<State> | undefined;
  /** What `start()` opened, closed by teardown whether or not the start got through. */
  private readonly opened: Array<{ close(): Promise<void> }> = [];
  private health: HealthServer | undefined;
  private consuming = false;
  private running: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private stopRequested = false;
  /** Set when the worker stopped because something failed for good; `run()` then rejects with it. */
  private failure: Error | undefined;
  private abortWaitNow: (() => void) | undefined;
  private stopped!: () => void;
  private readonly whenStopped = new Promise<void>((resolve) => (this.stopped = resolve));
  private readonly timers: NodeJS.Timeout[] = [];

  /** Validates the settings at once: InvalidSettings lists every bad field, InvalidSchedule a bad schedule. */
  constructor(settings: WorkerSettings<State>) {
    this.settings = resolveWorkerSettings(settings);
    this.log = new RuntimeLog(this.settings.logger, this.settings.locale, this.settings.logLevel);
    this.registry = buildRegistry(this.settings);
    this.semaphore = new Semaphore(this.settings.maxConcurrentJobs);
    this.pendingRetries = this.settings.burst ? new PendingRetries() : undefined;
    const exported = this.settings.healthPort !== undefined || this.settings.metricsRegistry !== undefined;
    this.metrics = new WorkerMetrics(exported, this.settings.metricsRegistry, () => this.semaphore.inUse);
    // The first signal (or close()) starts a graceful stop; a signal after that stops waiting for running jobs.
    this.signals = new ShutdownSignals((signal) => {
      if (!this.stopping) {
        this.stopping = this.shutdown(signal);
        return;
      }
      this.log.warn('worker.signal_again', { signal });
      this.abortWaitNow?.();
    });
  }

  get stats(): WorkerStats {
    return this.metrics.stats;
  }

  /** @internal Retries a burst worker still waits to see again (0 outside burst mode, which keeps none); for tests. */
  get pendingRetryCount(): number {
    return this.pendingRetries?.size ?? 0;
  }

  /** `host:port` of the health listener once it listens (`healthPort: 0` picks the port); `undefined` without one. */
  get healthAddress(): string | undefined {
    return this.health?.address;
  }

  /**
   * Connects, runs `onStartup`, and consumes until stopped (`close()`, a signal, or burst mode
   * draining its queues). Resolves once fully stopped; rejects if startup fails.
   */
  run(): Promise<void> {
    // Closed before it ever ran: nothing to start, and nothing would tear a late start down.
    if (this.stopRequested && !this.starting) return this.whenStopped;
    this.starting ??= this.start();
    this.running ??= this.starting.then(
      () =>
        this.whenStopped.then(() => {
          if (this.failure) throw this.failure;
        }),
      async (err: unknown) => {
        await this.teardown();
        throw err;
      },
    );
    return this.running;
  }

  /** Stops gracefully (see `gracefulShutdownTimeout`); idempotent: later calls share the first one's promise. */
  close(): Promise<void> {
    this.stopping ??= this.shutdown('close');
    return this.stopping;
  }

  private async start(): Promise<void> {
    const settings = this.settings;
    if (settings.healthPort !== undefined) {
      this.health = await HealthServer.listen(settings.healthPort, settings.healthHost, {
        connected: () => this.runtime?.connection.connected ?? false,
        ready: () => this.consuming && !this.stopRequested,
        metrics: () => this.metrics.exposition(),
      });
      this.opened.push(this.health);
      this.log.info('worker.health_listening', { address: this.health.address });
    }
    const recorder = settings.resultStore
      ? await JobRecorder.open(settings.resultStore, settings.connectionTimeout, settings.workerName, this.log)
      : undefined;
    if (recorder) this.opened.push(recorder);
    const connection = await BrokerConnection.open({
      urls: settings.urls,
      connectionTimeout: settings.connectionTimeout,
      heartbeat: settings.heartbeat,
      tls: settings.tls,
      connectionName: settings.connectionName ?? `rabbitmq-arq worker ${settings.workerName}`,
      log: this.log,
    });
    this.opened.push(connection);
    const runtime = this.assemble(connection, new ConfirmPublisher(connection.confirmChannel('outcomes')), recorder);
    this.runtime = runtime;
    if (recorder) await recorder.listenForAborts((jobId) => runtime.pipeline.abortRunning(jobId));

    const topology = new QueueTopology(connection.channel('declare'), settings.queueType, settings.delayPrefix, {
      initialGroupSize: settings.quorumInitialGroupSize,
    });
    const deadline = Date.now() + settings.connectionTimeout;
    for (const queue of this.registry.queues) await topology.ensureJobQueue(queue, deadline);

    try {
      await settings.onStartup?.(this.state);
    } catch (err) {
      this.log.error('worker.startup_failed', { error: oneLine(err) });
      throw new StartupFailed(`onStartup failed, worker not started: ${oneLine(err)}`, { cause: err });
    }
    if (this.stopRequested) return;

    await runtime.consumers.start(connection, this.registry.queues, deadline);
    this.consuming = true;
    runtime.scheduler?.start();
    if (settings.handleSignals) this.signals.install();
    if (settings.statsInterval > 0)
      this.timers.push(
        setInterval(() => this.log.info('worker.stats', { ...this.stats }), settings.statsInterval).unref(),
      );
    if (settings.burst && this.pendingRetries)
      this.timers.push(watchBurst(settings.burst, this.burstProbes(connection, this.pendingRetries), this.log));
    this.log.info('worker.started', {
      worker: settings.workerName,
      queues: this.registry.queues.join(', '),
      concurrency: settings.maxConcurrentJobs,
      jobs: [...this.registry.jobs.keys()].sort().join(', '),
    });
  }

  /** Builds the parts that need the connection, each handed exactly what it uses. */
  private assemble(
    connection: BrokerConnection,
    publisher: ConfirmPublisher,
    recorder: JobRecorder | undefined,
  ): WorkerRuntime<State> {
    const { settings, log, metrics, registry, semaphore, pendingRetries } = this;
    const outcomes = new Outcomes({ settings, log, metrics, publisher, recorder, pendingRetries });
    const pipeline = new JobPipeline<State>({
      settings,
      state: this.state,
      log,
      registry,
      semaphore,
      lane: new IsolationLane(semaphore, settings.maxConcurrentJobs),
      metrics,
      outcomes,
      recorder,
      stopRequested: () => this.stopRequested,
      pendingRetries,
    });
    const consumers = new Consumers({
      prefetchCount: settings.prefetchCount,
      stopRequested: () => this.stopRequested,
      onMessage: (channel, queue, message) => this.onDelivery(pipeline, channel, queue, message),
      onFailed: (queue, err) => {
        // This queue can no longer be consumed: stop rather than run half-deaf.
        this.failure ??= err;
        void this.shutdown(`consumer of ${queue} failed: ${oneLine(err)}`);
      },
    });
    const schedules = [...registry.jobs.values()].flatMap((job) => job.schedules);
    const scheduler =
      schedules.length > 0
        ? new Scheduler({
            connection,
            publisher,
            schedules,
            queueOf: (job) => registry.jobs.get(job)?.queue ?? settings.queue,
            delayPrefix: settings.delayPrefix,
            log,
          })
        : undefined;
    return { connection, publisher, recorder, outcomes, pipeline, consumers, scheduler };
  }

  private onDelivery(pipeline: JobPipeline<State>, channel: AmqpChannel, queue: string, message: ConsumeMessage): void {
    const delivery = newDelivery(channel, message, queue);
    this.deliveries.add(delivery);
    pipeline.process(delivery).then(
      () => this.deliveries.delete(delivery),
      (err: unknown) => {
        // Only a bug gets here; the delivery goes back to the queue rather than being lost.
        this.log.error('job.outcome_unpublished', { jobId: deliveredJobId(delivery), error: oneLine(err) });
        nack(delivery);
        this.deliveries.delete(delivery);
      },
    );
  }

  private async runHook(hook: 'onShutdown', call: () => unknown): Promise<void> {
    try {
      await call();
    } catch (err) {
      this.log.error('worker.hook_failed', { hook, error: oneLine(err) });
    }
  }

  private burstProbes(connection: BrokerConnection, pendingRetries: PendingRetries): BurstProbes {
    return {
      stopRequested: () => this.stopRequested,
      held: () => this.deliveries.size,
      pendingRetries,
      queuesEmpty: () => this.queuesEmpty(connection),
      stop: (reason: string, waitForTasks: boolean) => void this.shutdown(reason, waitForTasks),
    };
  }

  /** Ready counts by passive declare on a throwaway channel (AMQP cannot see unacked messages). */
  private async queuesEmpty(connection: BrokerConnection): Promise<boolean> {
    const channel = await connection.scratchChannel(Date.now() + this.settings.connectionTimeout);
    try {
      for (const queue of this.registry.queues) if ((await channel.checkQueue(queue)).messageCount > 0) return false;
      return true;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  private shutdown(reason: string, waitForTasks = true): Promise<void> {
    this.stopping ??= (async () => {
      this.stopRequested = true; // from here on /readyz answers 503
      // Startup finishes first (it checks stopRequested before consuming), so nothing starts after this.
      await this.starting?.catch(() => undefined);
      for (const timer of this.timers) clearInterval(timer);
      // 1. Stop firing schedules (the lease passes to another worker) and stop consuming; acks still need the
      // channels, so they stay open.
      const runtime = this.runtime;
      await runtime?.scheduler?.stop();
      await runtime?.consumers.cancel();
      // 2. Prefetched deliveries that never started go back at once, using no attempt.
      for (const delivery of this.deliveries)
        if (!delivery.started && !delivery.publishing)
          void runtime?.outcomes.requeue(delivery, deliveredJobId(delivery), 'shutdown');
      // 3. Running jobs get the grace period, then their signal fires and they are requeued.
      const running = [...this.deliveries].filter((delivery) => !delivery.settled).length;
      const timeout = waitForTasks ? this.settings.gracefulShutdownTimeout : 0;
      this.log.info('worker.stopping', { reason, timeout, running });
      if (waitForTasks) await this.waitForDeliveries(this.settings.gracefulShutdownTimeout);
      for (const delivery of this.deliveries)
        delivery.abort?.abort(new WorkerShutdown('worker shut down before the job finished; requeued'));
      // Aborted handlers settle by requeue at once; only outcomes already being published take longer.
      await this.waitForDeliveries(this.settings.outcomePublishTimeout);
      const onShutdown = this.settings.onShutdown;
      if (onShutdown) await this.runHook('onShutdown', () => onShutdown(this.state));
      await this.teardown();
      const { completed, failed, retried, deadLettered } = this.metrics.stats;
      this.log.info('worker.stopped', { completed, failed, retried, deadLettered });
      this.stopped();
    })();
    return this.stopping;
  }

  private waitForDeliveries(timeout: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const deadline = Date.now() + timeout;
      // Deliveries already requeued may still sit waiting for a slot; only unsettled ones are worth waiting for.
      const allSettled = (): boolean => [...this.deliveries].every((delivery) => delivery.settled);
      const poll = setInterval(() => {
        if (allSettled() || Date.now() >= deadline) finish();
      }, 20);
      const finish = (): void => {
        clearInterval(poll);
        this.abortWaitNow = undefined;
        resolve();
      };
      this.abortWaitNow = finish;
      if (allSettled()) finish();
    });
  }

  private async teardown(): Promise<void> {
    flushAcks(); // acks settled in this turn of the event loop must reach the broker before the channels close
    for (const timer of this.timers) clearInterval(timer);
    this.signals.uninstall();
    await Promise.all(this.opened.map((resource) => resource.close()));
  }
}
