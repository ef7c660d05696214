/**
 * The life of one delivery inside the worker: decode, admit (never early, never expired, valid
 * arguments; see admission.ts), wait for a concurrency slot, tell the result store, run the handler
 * with its hooks, and hand the outcome to outcomes.ts, which settles the delivery.
 */
import { JobAborted, WorkerShutdown } from '../errors.js';
import type { RuntimeLog } from '../messages.js';
import type { ResolvedWorkerSettings } from '../settings/settings.js';
import { oneLine } from '../transport/connection.js';
import type { JobOutcome, WorkerState } from '../types.js';
import { decodeJobMessage, replayTokenOf } from '../wire-format.js';
import type { JobEnvelope } from '../wire-format.js';
import { admitDelivery } from './admission.js';
import { ISOLATE_AFTER_RETURNS, mustCountReturn, returnsOf } from './crash-guard.js';
import type { IsolationLane } from './crash-guard.js';
import { AttemptAbort, AttemptContext } from './attempt-context.js';
import type { Delivery } from './delivery.js';
import type { AttemptFacts, JobRecorder } from './job-recorder.js';
import type { JobRegistry, RegisteredJob } from './job-registry.js';
import type { Outcomes } from './outcomes.js';
import type { PendingRetries } from './pending-retries.js';
import { callHandler, untilSettledOrAborted } from './run-handler.js';
import type { Settled } from './run-handler.js';
import type { Semaphore } from './semaphore.js';
import type { WorkerMetrics } from './worker-metrics.js';

export interface PipelineDeps<State extends WorkerState> {
  settings: Pick<ResolvedWorkerSettings<State>, 'logger' | 'onJobStart' | 'onJobEnd' | 'queueType'>;
  state: State;
  log: RuntimeLog;
  registry: JobRegistry;
  semaphore: Semaphore;
  /** Where deliveries returned again and again run alone (crash-guard.ts). */
  lane: IsolationLane;
  metrics: WorkerMetrics;
  outcomes: Outcomes;
  /** The result store's writer; `undefined` without a result store. */
  recorder: JobRecorder | undefined;
  stopRequested: () => boolean;
  /** Burst mode only: retries this worker published; a delivery of one means it came back. */
  pendingRetries: PendingRetries | undefined;
}

export class JobPipeline<State extends WorkerState> {
  /** Running attempts by job id, for abort requests. */
  private readonly runningJobs = new Map<string, Delivery>();

  constructor(private readonly deps: PipelineDeps<State>) {}

  /** Decode, admit (never early, never expired, valid arguments), take a slot, then run the attempt. */
  async process(delivery: Delivery): Promise<void> {
    const { message, queue } = delivery;
    const decoded = decodeJobMessage(message.content, message.properties.headers);
    if (!decoded.ok) return this.deps.outcomes.deadLetter(delivery, decoded.error, 'invalid', decoded.partial);
    const job = decoded.job;
    if (decoded.assignedJobId) this.deps.log.warn('job.assigned_id', { queue, jobId: job.jobId });
    this.deps.pendingRetries?.delivered(job.jobId, job.jobTry);
    const { queueType } = this.deps.settings;
    const returns = returnsOf(message, queueType);
    if (mustCountReturn(message, queueType)) return this.deps.outcomes.countReturn(delivery, job, returns + 1);

    const registered = this.deps.registry.jobs.get(job.functionName);
    let admission = admitDelivery(job, registered, Date.now());
    // Never early: a short remainder is waited out here (a timer may fire a millisecond before its
    // time by the wall clock, hence the loop), then the job is admitted again (it may have expired).
    while (admission.kind === 'wait') {
      for (let left = admission.due - Date.now(); left > 0; left = admission.due - Date.now()) await sleep(left);
      // A shutdown may have requeued the delivery meanwhile; any outcome published now would duplicate the job.
      if (delivery.settled) return;
      admission = admitDelivery(job, registered, Date.now());
    }
    if (admission.kind === 'dead')
      return this.deps.outcomes.deadLetter(delivery, admission.error, admission.category, job);
    if (admission.kind === 'defer') return this.deps.outcomes.deferAgain(delivery, job, admission.remaining);

    await this.runInSlot(delivery, job, registered as RegisteredJob, admission.args, returns);
  }

  /** A producer aborted this job: if it runs here, its signal fires; the attempt then ends `aborted`. */
  abortRunning(jobId: string): void {
    this.runningJobs.get(jobId)?.abort?.abort(new JobAborted(`job ${jobId} was aborted on request`));
  }

  /**
   * Runs an admitted delivery in a concurrency slot, which is taken and released here: released once
   * the handler itself settles (one that ignores its signal still uses a core or a connection and must
   * not be joined by another), or at once when the handler never starts.
   */
  private async runInSlot(
    delivery: Delivery,
    job: JobEnvelope,
    registered: RegisteredJob,
    args: unknown,
    returns: number,
  ): Promise<void> {
    let release: () => void;
    if (returns >= ISOLATE_AFTER_RETURNS) {
      this.deps.log.warn('job.isolated', { jobId: job.jobId, functionName: job.functionName, returns });
      release = await this.deps.lane.enter();
    } else release = this.deps.semaphore.tryAcquire() ?? (await this.deps.semaphore.acquire());
    let ctx: AttemptContext<State> | undefined;
    let running: PromiseLike<Settled> | undefined;
    try {
      ctx = await this.begin(delivery, job);
      if (ctx && !delivery.abort?.aborted) running = callHandler(registered, ctx, args);
    } finally {
      if (running) running.then(release);
      else release();
    }
    if (ctx) await this.end(delivery, job, registered, ctx, running);
  }

  /**
   * Starts the attempt: the result store is told (it may say the job must not run: aborted, or already
   * final), then `onJobStart`. `undefined` when the delivery was settled instead.
   */
  private async begin(delivery: Delivery, job: JobEnvelope): Promise<AttemptContext<State> | undefined> {
    const { outcomes, metrics } = this.deps;
    if (delivery.settled || this.deps.stopRequested()) {
      outcomes.requeue(delivery, job.jobId, 'shutdown');
      return undefined;
    }
    delivery.started = true;
    const { message, queue } = delivery;
    const startTime = new Date();
    const attempt: AttemptFacts = { job, queue, startTime, replay: replayTokenOf(message.properties.headers) };
    delivery.attempt = attempt;
    const recorder = this.deps.recorder;
    const begun = recorder ? await recorder.begin(attempt) : 'run';
    if (begun === 'aborted') return void outcomes.skipAborted(delivery, job);
    if (begun === 'final') return void outcomes.skipFinal(delivery, job);
    if (job.jobTry === 1) {
      const since = job.deferUntil ?? job.enqueueTime;
      metrics.observeStartLatency(job.functionName, queue, startTime.getTime() - since.getTime());
    }
    const abort = new AttemptAbort();
    delivery.abort = abort;
    this.runningJobs.set(job.jobId, delivery);
    const ctx = new AttemptContext<State>(
      job.jobId,
      job.jobTry,
      job.functionName,
      queue,
      job.enqueueTime,
      message.fields.redelivered,
      this.deps.state,
      abort,
      this.deps.settings.logger,
    );
    const { onJobStart } = this.deps.settings;
    if (onJobStart) await this.runHook('onJobStart', () => onJobStart(ctx));
    if (this.deps.log.debugEnabled)
      this.deps.log.debug('job.start', { jobId: job.jobId, functionName: job.functionName, jobTry: job.jobTry });
    return ctx;
  }

  /** Waits for the handler (or the abort), then hands the outcome to outcomes.ts and runs `onJobEnd`. */
  private async end(
    delivery: Delivery,
    job: JobEnvelope,
    registered: RegisteredJob,
    ctx: AttemptContext<State>,
    running: PromiseLike<Settled> | undefined,
  ): Promise<void> {
    const { outcomes, log } = this.deps;
    const abort = delivery.abort as AttemptAbort;
    const startedAt = Date.now();
    // Not running: aborted (a shutdown, an abort request) while onJobStart ran; the handler never started.
    const outcome = running
      ? await untilSettledOrAborted(running, abort, registered.timeout, job.jobId, log)
      : undefined;
    if (this.runningJobs.get(job.jobId) === delivery) this.runningJobs.delete(job.jobId);

    let end: JobOutcome;
    if (abort.aborted && abort.reason instanceof WorkerShutdown) {
      outcomes.requeue(delivery, job.jobId, 'shutdown');
      end = { status: 'requeued', reason: 'shutdown' };
    } else if (abort.aborted && abort.reason instanceof JobAborted) {
      end = await outcomes.aborted(delivery, job, abort.reason);
    } else if (outcome?.ok) {
      end = await outcomes.complete(delivery, job, registered, outcome.value, Date.now() - startedAt);
    } else {
      end = await outcomes.fail(delivery, job, registered, outcome ? outcome.error : abort.reason);
    }
    this.deps.metrics.observeDuration(job.functionName, delivery.queue, end.status, Date.now() - startedAt);
    const { onJobEnd } = this.deps.settings;
    if (onJobEnd) await this.runHook('onJobEnd', () => onJobEnd(ctx, end));
  }

  private async runHook(hook: 'onJobStart' | 'onJobEnd', call: () => unknown): Promise<void> {
    try {
      await call();
    } catch (err) {
      this.deps.log.error('worker.hook_failed', { hook, error: oneLine(err) });
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
