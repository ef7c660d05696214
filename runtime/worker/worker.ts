/**
 * The consumer side. For each delivery: decode, check, run the handler, publish the outcome
 * (retry or dead-letter message) with a broker confirm, and only then ack. A crash at any point
 * leaves the delivery unacked, so the broker redelivers it: at least once, never lost. Anything we
 * cannot publish an outcome for is nacked with requeue, never rejected into nowhere.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import { z as zod } from 'zod';
import type { z } from 'zod';
import { BrokerConnection, oneLine } from '../transport/connection.js';
import type { ManagedChannel } from '../transport/connection.js';
import { ConfirmPublisher } from '../transport/confirm-publisher.js';
import type { OutgoingMessage } from '../transport/confirm-publisher.js';
import { AttemptAbort, AttemptContext } from './attempt-context.js';
import { deadLetterMessage, redeferMessage, retryMessage } from './outcome-messages.js';
import { InvalidJobResult, JobAborted, JobTimeout, WorkerShutdown, errorCode } from '../errors.js';
import { JobRecorder } from './job-recorder.js';
import type { AttemptFacts } from './job-recorder.js';
import { WorkerMetrics } from './worker-metrics.js';
import type { WorkerStats } from './worker-metrics.js';
import { HealthServer } from './health-server.js';
import type { JobStatus } from '../results/job-record.js';
import { RuntimeLog } from '../messages.js';
import { QueueTopology } from '../topology/queue-topology.js';
import { decideFailure } from './retry-policy.js';
import { admitDelivery } from './admission.js';
import { Semaphore } from './semaphore.js';
import { resolveWorkerSettings } from '../settings/settings.js';
import { objectSchemaKeys } from '../zod-introspection.js';
import type { ResolvedWorkerSettings } from '../settings/settings.js';
import type { DeadLetterCategory, JobContext, JobHandler, JobOutcome, WorkerSettings, WorkerState } from '../types.js';
import { decodeJobMessage } from '../wire-format.js';
import type { JobEnvelope } from '../wire-format.js';

/** How long past its due time a retry this worker published may take to come back before burst mode stops waiting for it. */
const BURST_RETRY_SLACK_MS = 5_000;

interface RegisteredJob {
  name: string;
  handler: JobHandler<unknown, unknown, WorkerState>;
  args: z.ZodType | undefined;
  /** Keys of an object schema in declaration order, for Python's positional args. */
  argKeys: string[] | undefined;
  result: z.ZodType | undefined;
  queue: string;
  maxRetries: number;
  timeout: number;
}

interface Delivery {
  channel: Channel;
  message: ConsumeMessage;
  queue: string;
  /** Set once the delivery was acked or nacked; every later attempt to settle it is ignored. */
  settled: boolean;
  /** Set once the handler started; a delivery that never started is requeued at once on shutdown. */
  started: boolean;
  /** Set while its successor message (retry, re-deferral, dead letter) awaits its confirm: it settles by itself. */
  publishing: boolean;
  /** Set once the handler started; shutdown aborts it through this. */
  abort: AttemptAbort | undefined;
  /** What the result store is told about this attempt; set once it started. */
  attempt: AttemptFacts | undefined;
}

export type { WorkerStats } from './worker-metrics.js';

/** Result-store status of a dead-lettered job, by why it was dead-lettered. */
const DEAD_LETTER_STATUS: Record<DeadLetterCategory, JobStatus> = {
  retriable: 'failed',
  non_retriable: 'failed',
  expired: 'expired',
  aborted: 'aborted',
  invalid: 'dead',
  unknown_job: 'dead',
};

export class Worker<State extends WorkerState = WorkerState> {
  readonly settings: ResolvedWorkerSettings<State>;
  /** Shared with every job as `ctx.state`; `onStartup` fills it. */
  readonly state: State = {} as State;
  private readonly log: RuntimeLog;
  private readonly jobs = new Map<string, RegisteredJob>();
  private readonly queues: string[];
  private readonly semaphore: Semaphore;
  private readonly deliveries = new Set<Delivery>();
  private readonly consumers: Array<{ queue: string; channel: ManagedChannel<Channel>; tag: string | undefined }> = [];
  /** `jobId:jobTry` of retries this worker published → due time; burst mode waits for them. */
  private readonly pendingRetries = new Map<string, number>();
  private readonly metrics: WorkerMetrics;
  /** Running attempts by job id, for abort requests. */
  private readonly runningJobs = new Map<string, Delivery>();
  private recorder: JobRecorder | undefined;
  private health: HealthServer | undefined;
  private consuming = false;
  private connection: BrokerConnection | undefined;
  private publisher: ConfirmPublisher | undefined;
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
  private readonly signalHandlers: Array<[NodeJS.Signals, () => void]> = [];

  /** Validates the settings at once; throws InvalidSettings listing every bad field. */
  constructor(settings: WorkerSettings<State>) {
    this.settings = resolveWorkerSettings(settings);
    this.log = new RuntimeLog(this.settings.logger, this.settings.locale, this.settings.logLevel);
    for (const [name, entry] of Object.entries(this.settings.handlers)) {
      const registration = typeof entry === 'function' ? { handler: entry } : entry;
      const args = registration.args;
      this.jobs.set(name, {
        name,
        handler: registration.handler as JobHandler<unknown, unknown, WorkerState>,
        args,
        argKeys: objectSchemaKeys(args),
        result: registration.result,
        queue: registration.queue ?? this.settings.queueName,
        maxRetries: registration.maxRetries ?? this.settings.maxRetries,
        timeout: registration.timeout ?? this.settings.jobTimeout,
      });
    }
    this.queues = [...new Set([...this.jobs.values()].map((job) => job.queue))].sort();
    this.semaphore = new Semaphore(this.settings.maxConcurrentJobs);
    const exported = this.settings.healthPort !== undefined || this.settings.metricsRegistry !== undefined;
    this.metrics = new WorkerMetrics(exported, this.settings.metricsRegistry, () => this.semaphore.inUse);
  }

  get stats(): WorkerStats {
    return this.metrics.stats;
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
        connected: () => this.connection?.connected ?? false,
        ready: () => this.consuming && !this.stopRequested,
        metrics: () => this.metrics.exposition(),
      });
      this.log.info('worker.health_listening', { address: this.health.address });
    }
    if (settings.resultStore) {
      this.recorder = await JobRecorder.open(
        settings.resultStore,
        settings.connectionTimeout,
        settings.workerName,
        this.log,
      );
      await this.recorder.listenForAborts((jobId) => this.abortRunning(jobId));
    }
    this.connection = await BrokerConnection.open({
      url: settings.url,
      connectionTimeout: settings.connectionTimeout,
      heartbeat: settings.heartbeat,
      connectionName: settings.connectionName ?? `rabbitmq-arq worker ${settings.workerName}`,
      log: this.log,
    });
    const connection = this.connection;
    this.publisher = new ConfirmPublisher(connection.confirmChannel('outcomes'));
    const topology = new QueueTopology(connection.channel('declare'), settings.queueType, settings.delayPrefix);
    const deadline = Date.now() + settings.connectionTimeout;
    for (const queue of this.queues) await topology.ensureJobQueue(queue, deadline);

    try {
      await settings.onStartup?.(this.state);
    } catch (err) {
      this.log.error('worker.startup_failed', { error: oneLine(err) });
      throw new Error(`onStartup failed, worker not started: ${oneLine(err)}`, { cause: err });
    }
    if (this.stopRequested) return;

    for (const queue of this.queues) {
      const consumer: (typeof this.consumers)[number] = {
        queue,
        channel: undefined as unknown as ManagedChannel<Channel>,
        tag: undefined,
      };
      consumer.channel = connection.channel(`consume ${queue}`, async (channel) => {
        // A channel re-opened while stopping must not consume again: every delivery would only be requeued.
        if (this.stopRequested) return;
        // Per-consumer prefetch: quorum queues have no global QoS.
        await channel.prefetch(settings.prefetchCount);
        const reply = await channel.consume(queue, (message) => this.onDelivery(channel, queue, message), {
          noAck: false,
        });
        consumer.tag = reply.consumerTag;
      });
      consumer.channel.on('failed', (err) => {
        if (this.stopRequested || errorCode(err) === 'CLOSED') return;
        // This queue can no longer be consumed (e.g. redeclared with other arguments): stop rather than run half-deaf.
        this.failure ??= err;
        void this.shutdown(`consumer of ${queue} failed: ${oneLine(err)}`);
      });
      this.consumers.push(consumer);
    }
    await Promise.all(this.consumers.map((consumer) => consumer.channel.get(deadline)));
    this.consuming = true;

    if (settings.handleSignals) this.installSignalHandlers();
    if (settings.statsInterval > 0)
      this.timers.push(setInterval(() => this.logStats(), settings.statsInterval).unref());
    if (settings.burst) this.watchBurst(settings.burst);
    this.log.info('worker.started', {
      worker: settings.workerName,
      queues: this.queues.join(', '),
      concurrency: settings.maxConcurrentJobs,
      jobs: [...this.jobs.keys()].sort().join(', '),
    });
  }

  private onDelivery(channel: Channel, queue: string, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled our consumer (queue deleted); re-opening the channel consumes again.
      void channel.close().catch(() => undefined);
      return;
    }
    const delivery: Delivery = {
      channel,
      message,
      queue,
      settled: false,
      started: false,
      publishing: false,
      abort: undefined,
      attempt: undefined,
    };
    this.deliveries.add(delivery);
    void this.handle(delivery);
  }

  private async handle(delivery: Delivery): Promise<void> {
    try {
      await this.process(delivery);
    } catch (err) {
      // Only a bug gets here; the delivery goes back to the queue rather than being lost.
      this.log.error('job.outcome_unpublished', {
        jobId: String(delivery.message.properties.messageId),
        error: oneLine(err),
      });
      this.nack(delivery);
    } finally {
      this.deliveries.delete(delivery);
    }
  }

  private async process(delivery: Delivery): Promise<void> {
    const { message, queue } = delivery;
    const decoded = decodeJobMessage(message.content, message.properties.headers);
    if (!decoded.ok) return this.deadLetter(delivery, decoded.error, 'invalid', decoded.partial);
    const job = decoded.job;
    if (decoded.assignedJobId) this.log.warn('job.assigned_id', { queue, jobId: job.jobId });
    if (this.pendingRetries.size > 0) this.pendingRetries.delete(`${job.jobId}:${job.jobTry}`);

    const registered = this.jobs.get(job.functionName);
    let admission = admitDelivery(job, registered, Date.now());
    // Never early: a short remainder is waited out here (a timer may fire a millisecond before its
    // time by the wall clock, hence the loop), then the job is admitted again (it may have expired).
    while (admission.kind === 'wait') {
      for (let left = admission.due - Date.now(); left > 0; left = admission.due - Date.now()) await sleep(left);
      // A shutdown may have requeued the delivery meanwhile; any outcome published now would duplicate the job.
      if (delivery.settled) return;
      admission = admitDelivery(job, registered, Date.now());
    }
    if (admission.kind === 'dead') return this.deadLetter(delivery, admission.error, admission.category, job);
    if (admission.kind === 'defer') return this.deferAgain(delivery, job, admission.remaining);
    const args = admission.args;

    const release = this.semaphore.tryAcquire() ?? (await this.semaphore.acquire());
    if (delivery.settled || this.stopRequested) {
      release();
      this.requeue(delivery, job.jobId, 'shutdown');
      return;
    }
    delivery.started = true;
    const startTime = new Date();
    const attempt: AttemptFacts = { job, queue, startTime };
    delivery.attempt = attempt;
    if (this.recorder && (await this.recorder.begin(attempt)) === 'aborted') {
      release();
      this.ack(delivery);
      this.metrics.count('aborted', job.functionName, queue);
      this.log.info('job.aborted', { jobId: job.jobId, functionName: job.functionName, when: 'before it ran' });
      return;
    }
    if (job.jobTry === 1) {
      const since = job.deferUntil ?? job.enqueueTime;
      this.metrics.observeStartLatency(job.functionName, queue, startTime.getTime() - since.getTime());
    }
    await this.runAttempt(delivery, job, registered as RegisteredJob, args, release);
  }

  /** A producer aborted this job: if it runs here, its signal fires; the attempt then ends `aborted`. */
  private abortRunning(jobId: string): void {
    const delivery = this.runningJobs.get(jobId);
    delivery?.abort?.abort(new JobAborted(`job ${jobId} was aborted on request`));
  }

  private async runAttempt(
    delivery: Delivery,
    job: JobEnvelope,
    registered: RegisteredJob,
    args: unknown,
    release: () => void,
  ): Promise<void> {
    const abort = new AttemptAbort();
    delivery.abort = abort;
    this.runningJobs.set(job.jobId, delivery);
    const ctx = new AttemptContext<State>(
      job.jobId,
      job.jobTry,
      job.functionName,
      delivery.queue,
      job.enqueueTime,
      delivery.message.fields.redelivered,
      this.state,
      abort,
      this.settings.logger,
    );
    const { onJobStart, onJobEnd } = this.settings;
    if (onJobStart) await this.runHook('onJobStart', () => onJobStart(ctx));
    if (this.log.debugEnabled)
      this.log.debug('job.start', { jobId: job.jobId, functionName: job.functionName, jobTry: job.jobTry });

    const startedAt = Date.now();
    const timer = setTimeout(() => abort.abort(new JobTimeout(registered.timeout)), registered.timeout);
    // Settles with the handler's outcome, or with the abort reason once the attempt times out or the
    // worker shuts down. The slot is released only when the handler itself settles: one that ignores
    // its signal still uses a core or a connection and must not be joined by another.
    const outcome = await new Promise<Settled>((resolve) => {
      if (abort.aborted) {
        // Aborted (shutdown) while onJobStart ran: the handler never starts.
        release();
        resolve({ ok: false, error: abort.reason });
        return;
      }
      abort.onAbort = () => resolve({ ok: false, error: abort.reason });
      const settle = (result: Settled): void => {
        release();
        if (abort.aborted) this.log.debug('job.late_result', { jobId: job.jobId });
        else resolve(result);
      };
      let returned: unknown;
      try {
        returned = registered.handler(ctx as unknown as JobContext, args);
      } catch (error) {
        settle({ ok: false, error });
        return;
      }
      if (isThenable(returned))
        returned.then(
          (value) => settle({ ok: true, value }),
          (error: unknown) => settle({ ok: false, error }),
        );
      else settle({ ok: true, value: returned });
    });
    clearTimeout(timer);
    if (this.runningJobs.get(job.jobId) === delivery) this.runningJobs.delete(job.jobId);

    let end: JobOutcome;
    if (abort.aborted && abort.reason instanceof WorkerShutdown) {
      this.requeue(delivery, job.jobId, 'shutdown');
      end = { status: 'requeued', reason: 'shutdown' };
    } else if (abort.aborted && abort.reason instanceof JobAborted) {
      end = await this.aborted(delivery, job, abort.reason);
    } else if (outcome.ok) {
      end = await this.complete(delivery, job, registered, outcome.value, Date.now() - startedAt);
    } else {
      end = await this.fail(delivery, job, registered, outcome.error);
    }
    this.metrics.observeDuration(job.functionName, delivery.queue, end.status, Date.now() - startedAt);
    if (onJobEnd) await this.runHook('onJobEnd', () => onJobEnd(ctx, end));
  }

  /** Aborted on request while running: acked (not retried, not dead-lettered) and recorded as aborted. */
  private async aborted(delivery: Delivery, job: JobEnvelope, error: JobAborted): Promise<JobOutcome> {
    if (delivery.attempt) await this.recorder?.finish(delivery.attempt, 'aborted', { error });
    this.ack(delivery);
    this.metrics.count('aborted', job.functionName, delivery.queue);
    this.log.info('job.aborted', { jobId: job.jobId, functionName: job.functionName, when: 'while it ran' });
    return { status: 'aborted', error };
  }

  private async complete(
    delivery: Delivery,
    job: JobEnvelope,
    registered: RegisteredJob,
    value: unknown,
    ms: number,
  ): Promise<JobOutcome> {
    let stored = value;
    if (registered.result) {
      const checked = checkResult(registered.result, value);
      if (!checked.success) {
        const error = new InvalidJobResult(job.functionName, checked.issues, checked.thrown);
        this.metrics.count('failed', job.functionName, delivery.queue);
        await this.deadLetter(delivery, error, 'non_retriable', job);
        return { status: 'dead', error, category: 'non_retriable' };
      }
      stored = checked.data;
    }
    // Recorded before the ack: a crash in between reruns the job rather than leaving it in progress forever.
    if (this.recorder && delivery.attempt) await this.recorder.finish(delivery.attempt, 'complete', { result: stored });
    this.ack(delivery);
    this.metrics.count('completed', job.functionName, delivery.queue);
    if (this.log.debugEnabled) this.log.debug('job.complete', { jobId: job.jobId, functionName: job.functionName, ms });
    return { status: 'complete', result: value };
  }

  private async fail(
    delivery: Delivery,
    job: JobEnvelope,
    registered: RegisteredJob,
    error: unknown,
  ): Promise<JobOutcome> {
    this.metrics.count('failed', job.functionName, delivery.queue);
    const decision = decideFailure(
      { error, jobTry: job.jobTry, maxRetries: registered.maxRetries, expires: job.expires, now: Date.now() },
      this.settings,
    );
    if (decision.kind === 'dead') {
      await this.deadLetter(delivery, decision.error, decision.category, job);
      return { status: 'dead', error: decision.error, category: decision.category };
    }
    const delay = decision.delay;
    await this.publishRetry(delivery, job, delay, error);
    return { status: 'retry', error, delay };
  }

  private async publishRetry(delivery: Delivery, job: JobEnvelope, delay: number, error: unknown): Promise<void> {
    const retry = retryMessage(job, delivery, delay, this.settings.delayPrefix, Date.now());
    if (!(await this.publishOutcome(delivery, job.jobId, retry.message))) return;
    this.pendingRetries.set(`${job.jobId}:${retry.jobTry}`, retry.due);
    this.metrics.count('retried', job.functionName, delivery.queue);
    if (this.recorder && delivery.attempt)
      await this.recorder.finish(delivery.attempt, 'retrying', { error, deferUntil: new Date(retry.due) });
    this.log.info('job.retry', {
      jobId: job.jobId,
      functionName: job.functionName,
      jobTry: job.jobTry,
      delay,
      error: oneLine(error),
    });
  }

  /** Sends an early delivery back through the delay ladder, unchanged. */
  private async deferAgain(delivery: Delivery, job: JobEnvelope, remaining: number): Promise<void> {
    const message = redeferMessage(delivery, job.jobId, remaining, this.settings.delayPrefix);
    if (await this.publishOutcome(delivery, job.jobId, message))
      this.log.debug('job.deferred', { jobId: job.jobId, early: remaining });
  }

  private async deadLetter(
    delivery: Delivery,
    error: unknown,
    category: DeadLetterCategory,
    job: Partial<JobEnvelope>,
  ): Promise<void> {
    const facts = { error, category, jobId: job.jobId, jobTry: job.jobTry, failedAt: new Date() };
    const message = deadLetterMessage(delivery, facts);
    if (!(await this.publishOutcome(delivery, job.jobId, message))) return;
    const functionName = job.functionName ?? '?';
    this.metrics.count('deadLettered', functionName, delivery.queue);
    if (category === 'expired') this.metrics.count('expired', functionName, delivery.queue);
    if (this.recorder && job.jobId && job.functionName && job.enqueueTime && job.jobTry) {
      const attempt = delivery.attempt ?? { job: job as JobEnvelope, queue: delivery.queue, startTime: null };
      await this.recorder.finish(attempt, DEAD_LETTER_STATUS[category], { error });
    }
    this.log.warn('job.dead_lettered', {
      jobId: job.jobId ?? '?',
      functionName: job.functionName ?? '?',
      dlq: message.routingKey,
      category,
      error: oneLine(error),
    });
  }

  /** Publishes the message that replaces the delivery, then acks it; on failure the delivery is requeued. */
  private async publishOutcome(
    delivery: Delivery,
    jobId: string | undefined,
    outgoing: OutgoingMessage,
  ): Promise<boolean> {
    // Already requeued (shutdown): publishing a successor now would put the job in two places.
    if (delivery.settled) return false;
    // From here on the delivery settles by itself (ack on confirm, nack on failure); shutdown leaves it be.
    delivery.publishing = true;
    try {
      await (this.publisher as ConfirmPublisher).publish(outgoing, Date.now() + this.settings.outcomePublishTimeout);
    } catch (err) {
      this.log.error('job.outcome_unpublished', { jobId: jobId ?? '?', error: oneLine(err) });
      this.nack(delivery);
      return false;
    }
    this.ack(delivery);
    return true;
  }

  private ack(delivery: Delivery): void {
    if (delivery.settled) return;
    delivery.settled = true;
    try {
      delivery.channel.ack(delivery.message);
    } catch {
      // The channel closed since: the broker redelivers the message, which is what at-least-once means.
    }
  }

  private nack(delivery: Delivery): void {
    if (delivery.settled) return;
    delivery.settled = true;
    try {
      delivery.channel.nack(delivery.message, false, true);
    } catch {
      // As in ack(): a closed channel returns the message to the queue by itself.
    }
  }

  private requeue(delivery: Delivery, jobId: string, reason: string): void {
    if (delivery.settled) return;
    this.nack(delivery);
    this.log.debug('job.requeued', { jobId, reason });
  }

  private async runHook(hook: 'onJobStart' | 'onJobEnd', call: () => unknown): Promise<void> {
    try {
      await call();
    } catch (err) {
      this.log.error('worker.hook_failed', { hook, error: oneLine(err) });
    }
  }

  private logStats(): void {
    const stats = this.stats;
    this.log.info('worker.stats', { ...stats });
  }

  private watchBurst(burst: NonNullable<ResolvedWorkerSettings['burst']>): void {
    const startedAt = Date.now();
    let checking = false;
    const check = async (): Promise<void> => {
      if (checking || this.stopRequested) return;
      checking = true;
      try {
        if (Date.now() - startedAt >= burst.timeout) {
          this.log.info('worker.burst_timeout', { timeout: burst.timeout });
          void this.shutdown('burst timeout', burst.waitForTasks);
          return;
        }
        if (this.deliveries.size > 0) return;
        const now = Date.now();
        for (const [key, due] of this.pendingRetries)
          if (now > due + BURST_RETRY_SLACK_MS) this.pendingRetries.delete(key);
        if (this.pendingRetries.size > 0) return;
        if (!(await this.queuesEmpty())) return;
        if (this.deliveries.size > 0 || this.pendingRetries.size > 0) return;
        this.log.info('worker.burst_drained');
        void this.shutdown('burst', burst.waitForTasks);
      } catch {
        // A failed check (broker away) is simply tried again at the next interval.
      } finally {
        checking = false;
      }
    };
    this.timers.push(setInterval(() => void check(), burst.checkInterval));
    void check();
  }

  /** Ready counts by passive declare on a throwaway channel (AMQP cannot see unacked messages). */
  private async queuesEmpty(): Promise<boolean> {
    const channel = await (this.connection as BrokerConnection).scratchChannel(
      Date.now() + this.settings.connectionTimeout,
    );
    try {
      for (const queue of this.queues) {
        const { messageCount } = await channel.checkQueue(queue);
        if (messageCount > 0) return false;
      }
      return true;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  private installSignalHandlers(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const handler = (): void => {
        if (!this.stopping) {
          this.stopping = this.shutdown(signal);
        } else {
          this.log.warn('worker.signal_again', { signal });
          this.abortWaitNow?.();
        }
      };
      process.on(signal, handler);
      this.signalHandlers.push([signal, handler]);
    }
  }

  private shutdown(reason: string, waitForTasks = true): Promise<void> {
    this.stopping ??= (async () => {
      this.stopRequested = true; // from here on /readyz answers 503
      // Startup finishes first (it checks stopRequested before consuming), so nothing starts after this.
      await this.starting?.catch(() => undefined);
      for (const timer of this.timers) clearInterval(timer);
      // 1. Stop consuming; acks still need the channels, so they stay open.
      await Promise.all(
        this.consumers.map(async ({ channel, tag }) => {
          const live = channel.peek();
          if (live && tag) await live.cancel(tag).catch(() => undefined);
        }),
      );
      // 2. Prefetched deliveries that never started go back at once, using no attempt.
      for (const delivery of this.deliveries)
        if (!delivery.started && !delivery.publishing)
          this.requeue(delivery, String(delivery.message.properties.messageId ?? '?'), 'shutdown');
      // 3. Running jobs get the grace period, then their signal fires and they are requeued.
      const running = [...this.deliveries].filter((delivery) => !delivery.settled).length;
      this.log.info('worker.stopping', {
        reason,
        timeout: waitForTasks ? this.settings.gracefulShutdownTimeout : 0,
        running,
      });
      if (waitForTasks) await this.waitForDeliveries(this.settings.gracefulShutdownTimeout);
      for (const delivery of this.deliveries)
        delivery.abort?.abort(new WorkerShutdown('worker shut down before the job finished; requeued'));
      // Aborted handlers settle by requeue at once; only outcomes already being published take longer.
      await this.waitForDeliveries(this.settings.outcomePublishTimeout);
      await this.runHookOnShutdown();
      await this.teardown();
      const { completed, failed, retried, deadLettered } = this.metrics.stats;
      this.log.info('worker.stopped', { completed, failed, retried, deadLettered });
      this.stopped();
    })();
    return this.stopping;
  }

  private async runHookOnShutdown(): Promise<void> {
    try {
      await this.settings.onShutdown?.(this.state);
    } catch (err) {
      this.log.error('worker.hook_failed', { hook: 'onShutdown', error: oneLine(err) });
    }
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
    for (const timer of this.timers) clearInterval(timer);
    for (const [signal, handler] of this.signalHandlers) process.off(signal, handler);
    this.signalHandlers.length = 0;
    await Promise.all([this.connection?.close(), this.recorder?.close(), this.health?.close()]);
  }
}

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

type Checked =
  { success: true; data: unknown } | { success: false; issues: readonly z.core.$ZodIssue[]; thrown?: string };

/**
 * Checks a handler's result against its schema and encodes it for the store (`isoDate`: `Date` →
 * ISO string), catching what a user's schema throws (Zod does not catch exceptions inside a
 * refinement; an async schema throws when run synchronously), which would otherwise requeue the
 * delivery in a hot loop. A schema with a one-way transform cannot encode: its parse output is kept.
 */
function checkResult(schema: z.ZodType, value: unknown): Checked {
  try {
    const result = zod.safeEncode(schema, value as never);
    return result.success ? { success: true, data: result.data } : { success: false, issues: result.error.issues };
  } catch (encodeError) {
    try {
      const result = schema.safeParse(value);
      return result.success ? { success: true, data: result.data } : { success: false, issues: result.error.issues };
    } catch (err) {
      return { success: false, issues: [], thrown: `the schema threw: ${oneLine(err ?? encodeError)}` };
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
